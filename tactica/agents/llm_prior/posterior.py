"""The posterior q(a|s) ∝ p(a|s) exp(Q(s,a)/alpha), its backups and the CQL-Prior loss, as plain functions.

Control as inference (Yan et al., ICLR 2025, section 3): with the optimality likelihood p(O=1|s,a) ∝
exp(Q(s,a)/alpha) and the language model as the prior p(a|s), the posterior policy is
q(a|s) ∝ p(a|s) exp(Q(s,a)/alpha).  Every agent here describes the prior at a state by a vector of log-weights
over all actions (``-inf`` outside its support):

- *proposals* (direct posterior sampling): log of how often each action was among the k proposals.  Sampling
  ``softmax(Q/alpha + log counts)`` is exactly the reference code's ``Categorical(logits=Q*10)`` over the k
  proposals (alpha = 0.1; a proposal made twice is twice as likely);
- *exact*: log p(a|s) of a prior that scores every action, mixed with ``floor`` uniform so every legal action
  keeps some mass;
- *legal* (the baselines): 0 on the legal actions, i.e. plain Q-learning over the full action space.

Backups: the reference code's TD target takes the max of the target network over the next state's support
(:func:`max_backup`); with an exact prior the soft value alpha log sum_a p(a|s') exp(Q(s',a)/alpha) is the
value of the posterior policy itself (:func:`soft_backup`).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "cql_prior_loss",
    "greedy_action",
    "log_weights",
    "max_backup",
    "posterior_logits",
    "posterior_probabilities",
    "sample_action",
    "smoothed_log_prior",
    "soft_backup",
]


def log_weights(weights: np.ndarray) -> np.ndarray:
    """``log(weights)`` with ``-inf`` where a weight is 0 (outside the support)."""
    weights = np.asarray(weights, dtype=np.float64)
    out = np.full(weights.shape, -np.inf)
    np.log(weights, out=out, where=weights > 0)
    return out


def smoothed_log_prior(probabilities: np.ndarray, legal: np.ndarray, floor: float) -> np.ndarray:
    """log((1 - floor) p + floor * uniform over the legal actions), ``-inf`` on illegal actions."""
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"the prior floor must be in [0, 1], got {floor!r}")
    legal = np.asarray(legal, dtype=bool)
    p = np.where(legal, np.asarray(probabilities, dtype=np.float64), 0.0)
    total = p.sum()
    p = p / total if total > 0 else legal / legal.sum()
    return log_weights((1.0 - floor) * p + floor * legal / legal.sum())


def posterior_logits(q: np.ndarray, log_prior: np.ndarray, alpha: float) -> np.ndarray:
    """``Q/alpha + log p`` (``-inf`` outside the prior's support)."""
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    return np.asarray(q, dtype=np.float64) / alpha + log_prior


def posterior_probabilities(q: np.ndarray, log_prior: np.ndarray, alpha: float) -> np.ndarray:
    logits = posterior_logits(q, log_prior, alpha)
    logits = logits - logits[np.isfinite(logits)].max()
    weights = np.exp(logits)
    return weights / weights.sum()


def sample_action(q: np.ndarray, log_prior: np.ndarray, alpha: float, rng: np.random.Generator) -> int:
    """Draw from the posterior."""
    probabilities = posterior_probabilities(q, log_prior, alpha)
    return int(rng.choice(len(probabilities), p=probabilities))


def greedy_action(q: np.ndarray, log_prior: np.ndarray, alpha: float) -> int:
    """The posterior's mode: argmax of Q/alpha + log p (ties to the lowest index)."""
    return int(np.argmax(posterior_logits(q, log_prior, alpha)))


def max_backup(q_next: torch.Tensor, log_prior_next: torch.Tensor) -> torch.Tensor:
    """max of ``q_next`` over each row's support (rows of ``-inf`` log-weights give 0: terminal or empty)."""
    masked = torch.where(torch.isfinite(log_prior_next), q_next, torch.full_like(q_next, -torch.inf))
    best = masked.max(dim=1).values
    return torch.where(torch.isfinite(best), best, torch.zeros_like(best))


def soft_backup(q_next: torch.Tensor, log_prior_next: torch.Tensor, alpha: float) -> torch.Tensor:
    """alpha * logsumexp(Q/alpha + log p) per row: the value of the posterior policy under the KL penalty."""
    value = alpha * torch.logsumexp(q_next / alpha + log_prior_next, dim=1)
    return torch.where(torch.isfinite(value), value, torch.zeros_like(value))


def cql_prior_loss(
    q: torch.Tensor,
    actions: torch.Tensor,
    targets: torch.Tensor,
    log_prior: torch.Tensor,
    cql_coef: float,
    mse_reduction: str = "mean",
) -> dict[str, torch.Tensor]:
    """The CQL-Prior loss of the reference code (``CQL_overcook_salad.py``).

    ``0.5 * MSE(Q(s, a), y) + cql_coef * mean(logsumexp_{a' in support(s)} Q(s, a') - Q(s, a))`` where the
    logsumexp runs over the k proposals (duplicates included: ``Q + log counts``) and the MSE is the batch mean
    (the script's default ``--mse_type mean``) or sum (``--mse_type sum``, its README's CQL-Prior run); with
    ``log_prior`` 0 on every legal action it is discrete CQL over the full action space (the baseline).

    Args (a leading model dimension ``M`` gives one loss per model, for stacked networks):
        q: ``([M,] B, A)`` Q-values of the batch's states.
        actions: ``([M,] B)`` the dataset's actions.
        targets: ``([M,] B)`` TD targets (no gradient).
        log_prior: ``([M,] B, A)`` log-weights of each state's support.
        cql_coef: weight of the conservative term (the script's default 0.1; its README run 5.0 with a sum).
        mse_reduction: ``"mean"`` or ``"sum"`` over the batch.
    """
    if mse_reduction not in ("mean", "sum"):
        raise ValueError(f"mse_reduction must be 'mean' or 'sum', got {mse_reduction!r}")
    q_data = q.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)
    squared = (q_data - targets.detach()).pow(2)
    td = 0.5 * (squared.mean(dim=-1) if mse_reduction == "mean" else squared.sum(dim=-1))
    conservative = (torch.logsumexp(q + log_prior, dim=-1) - q_data).mean(dim=-1)
    return {"loss": td + cql_coef * conservative, "td": td, "conservative": conservative}
