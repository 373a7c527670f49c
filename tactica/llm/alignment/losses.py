"""Preference losses over sequence log-probabilities: DPO (sigmoid, with label smoothing), IPO, hinge, TDPO1, TDPO2.

Notation, per pair ``(x, y_w, y_l)``: ``m_w = log pi(y_w|x) - log pi_ref(y_w|x)`` and ``m_l`` likewise (sums over
response tokens), ``d = m_w - m_l``, and ``KL_w``/``KL_l`` the sequential forward KL
``sum_t KL(pi_ref(.|x, y_<t) || pi(.|x, y_<t))`` over the response positions.

* ``dpo``   ``-(1-eps) log sigma(beta d) - eps log sigma(-beta d)`` (Rafailov et al. 2023; ``eps`` is the
  conservative-DPO label smoothing, 0 by default)
* ``ipo``   ``(d_w/|y_w| - d_l/|y_l| - 1/(2 beta))^2`` with the log-ratios averaged per token, as TRL does
  (Azar et al. 2023, Eq. 17)
* ``hinge`` ``max(0, 1 - beta d)`` (SLiC, Zhao et al. 2023)
* ``tdpo1`` ``-log sigma(beta (d - (KL_l - KL_w)))``
* ``tdpo2`` ``-log sigma(beta (d - alpha (KL_l - sg(KL_w))))``, ``sg`` the stop-gradient (Zeng et al., ICML 2024,
  "Token-level Direct Preference Optimization", arXiv 2404.11999, Eqs. for TDPO1/TDPO2; default ``alpha=0.5``)

With both KL terms zero, TDPO1 and TDPO2 are DPO without label smoothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tactica.llm.alignment.options import KL_LOSSES, LOSSES

__all__ = ["LOSSES", "KL_LOSSES", "preference_loss", "check_loss_options"]


def check_loss_options(loss: str, beta: float, alpha: float, label_smoothing: float) -> None:
    """Raise ``ValueError`` naming the bad option and what is accepted."""
    if loss not in LOSSES:
        raise ValueError(f"loss {loss!r} is not supported; accepted: {', '.join(LOSSES)}")
    if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not beta > 0:
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha < 0:
        raise ValueError(f"alpha must be a non-negative number, got {alpha!r}")
    if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"label_smoothing must lie in [0, 0.5), got {label_smoothing!r}")
    if label_smoothing and loss != "dpo":
        raise ValueError(f"label_smoothing applies to loss 'dpo' only, not {loss!r}")


def preference_loss(
    loss: str,
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    *,
    beta: float = 0.1,
    alpha: float = 0.5,
    label_smoothing: float = 0.0,
    kl_chosen: torch.Tensor | None = None,
    kl_rejected: torch.Tensor | None = None,
    chosen_tokens: torch.Tensor | None = None,
    rejected_tokens: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-pair loss ``[B]`` (take ``.mean()`` for the batch loss).

    ``policy_*``/``ref_*`` are summed response log-probabilities ``[B]``; ``kl_*`` the sequential KLs (needed by
    ``tdpo1``/``tdpo2``); ``*_tokens`` the response lengths (needed by ``ipo``).
    """
    check_loss_options(loss, beta, alpha, label_smoothing)
    chosen_ratio = policy_chosen - ref_chosen
    rejected_ratio = policy_rejected - ref_rejected
    if loss == "dpo":
        d = beta * (chosen_ratio - rejected_ratio)
        return -(1.0 - label_smoothing) * F.logsigmoid(d) - label_smoothing * F.logsigmoid(-d)
    if loss == "hinge":
        return torch.relu(1.0 - beta * (chosen_ratio - rejected_ratio))
    if loss == "ipo":
        if chosen_tokens is None or rejected_tokens is None:
            raise ValueError("loss 'ipo' needs chosen_tokens and rejected_tokens (response lengths)")
        d = chosen_ratio / chosen_tokens.clamp(min=1) - rejected_ratio / rejected_tokens.clamp(min=1)
        return (d - 1.0 / (2.0 * beta)) ** 2
    if kl_chosen is None or kl_rejected is None:
        raise ValueError(f"loss {loss!r} needs kl_chosen and kl_rejected (sequential KLs)")
    if loss == "tdpo1":
        delta = kl_rejected - kl_chosen
    else:
        delta = alpha * (kl_rejected - kl_chosen.detach())
    return -F.logsigmoid(beta * (chosen_ratio - rejected_ratio - delta))
