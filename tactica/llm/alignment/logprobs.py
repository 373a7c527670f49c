"""Per-token log-probabilities and full-vocabulary KL of a policy against a reference, computed in chunks.

TDPO needs, at every response position t, the label's log-probability under the policy and the reference and
the forward KL ``KL(pi_ref(.|s_t) || pi_theta(.|s_t))`` over the whole vocabulary.  Done naively this holds
several ``[positions, vocab]`` tensors (policy logits, their log-softmax, the reference softmax...) for the
backward pass: at 512 tokens and a 32k vocabulary that is hundreds of megabytes per sequence pair.

:class:`ChunkedTokenStats` projects the final hidden states through the language-model head a chunk of
positions at a time and keeps only one number per position per output (plus the two log-normalisers).  The
backward pass recomputes each chunk's logits and forms the gradient of the logits in closed form::

    d logp_t / d z = onehot(y_t) - p          d KL_t / d z = p - p_ref

where ``z`` are the policy logits, ``p = softmax(z)`` and ``p_ref`` the reference softmax.  Peak memory is a few
``[chunk, vocab]`` tensors, whatever the sequence length.  :func:`naive_token_stats` is the direct computation
(the TDPO reference implementation's structure), kept for tests and the benchmark.
"""

from __future__ import annotations

import torch

__all__ = ["ChunkedTokenStats", "token_stats", "naive_token_stats", "auto_chunk_size"]

# elements of one [chunk, vocab] float32 tensor the automatic chunk size aims at (4M floats = 16 MiB)
_CHUNK_ELEMENTS = 1 << 22


def auto_chunk_size(vocab_size: int) -> int:
    """Positions per chunk so that one ``[chunk, vocab]`` float32 tensor is about 16 MiB (at least 16)."""
    return max(16, _CHUNK_ELEMENTS // max(1, vocab_size))


def _logits(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    z = hidden @ weight.t()
    if bias is not None:
        z = z + bias
    return z if z.dtype in (torch.float32, torch.float64) else z.float()


def _row_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(a * b).sum(-1)`` for [rows, vocab] tensors without a [rows, vocab] temporary."""
    return torch.bmm(a.unsqueeze(1), b.unsqueeze(2)).view(-1)


def _stats_dtype(hidden: torch.Tensor) -> torch.dtype:
    """float64 in, float64 out (for exact tests); anything else is computed in float32."""
    return torch.float64 if hidden.dtype == torch.float64 else torch.float32


class ChunkedTokenStats(torch.autograd.Function):
    """``(hidden, weight, bias, ref_hidden, ref_weight, ref_bias, labels, chunk) -> (logp, ref_logp, kl)``.

    ``hidden``/``ref_hidden`` are the final hidden states at the scored positions ``[N, H]`` (policy and
    reference), ``weight``/``bias`` the language-model heads, ``labels`` the next tokens ``[N]``.  Outputs are
    ``[N]`` (float32, or float64 for float64 inputs): the label log-probability under the policy, under the reference (no gradient) and the
    forward KL of the reference from the policy at each position.  Gradients flow to ``hidden``, ``weight`` and
    ``bias`` of the policy only.
    """

    @staticmethod
    def forward(ctx, hidden, weight, bias, ref_hidden, ref_weight, ref_bias, labels, chunk):
        n = hidden.shape[0]
        logp = hidden.new_empty(n, dtype=_stats_dtype(hidden))
        ref_logp = torch.empty_like(logp)
        kl = torch.empty_like(logp)
        lse = torch.empty_like(logp)
        ref_lse = torch.empty_like(logp)
        for start in range(0, n, chunk):
            rows = slice(start, min(start + chunk, n))
            y = labels[rows].unsqueeze(1)
            z = _logits(hidden[rows], weight, bias)
            lse[rows] = torch.logsumexp(z, dim=-1)
            logp[rows] = z.gather(1, y).squeeze(1) - lse[rows]
            zr = _logits(ref_hidden[rows], ref_weight, ref_bias)
            ref_lse[rows] = torch.logsumexp(zr, dim=-1)
            zr.sub_(ref_lse[rows].unsqueeze(1))  # reference log-probabilities, in place
            ref_logp[rows] = zr.gather(1, y).squeeze(1)
            pr = zr.exp()
            # KL = sum p_ref (log p_ref - z + lse) = sum p_ref log p_ref - sum p_ref z + lse
            kl[rows] = _row_dot(pr, zr) - _row_dot(pr, z) + lse[rows]
            del z, zr, pr
        ctx.save_for_backward(hidden, weight, bias, ref_hidden, ref_weight, ref_bias, labels, lse, ref_lse)
        ctx.chunk = chunk
        ctx.set_materialize_grads(False)
        ctx.mark_non_differentiable(ref_logp)
        return logp, ref_logp, kl

    @staticmethod
    def backward(ctx, grad_logp, _grad_ref_logp, grad_kl):
        hidden, weight, bias, ref_hidden, ref_weight, ref_bias, labels, lse, ref_lse = ctx.saved_tensors
        if grad_logp is None and grad_kl is None:
            return (None,) * 8
        n = hidden.shape[0]
        grad_hidden = torch.zeros_like(hidden) if ctx.needs_input_grad[0] else None
        dtype = _stats_dtype(hidden)
        grad_weight = torch.zeros(weight.shape, dtype=dtype, device=weight.device)
        grad_bias = torch.zeros(weight.shape[0], dtype=dtype, device=weight.device)
        for start in range(0, n, ctx.chunk):
            rows = slice(start, min(start + ctx.chunk, n))
            z = _logits(hidden[rows], weight, bias)
            p = z.sub_(lse[rows].unsqueeze(1)).exp_()  # policy probabilities, reusing z's memory
            # dz = g_logp * (onehot - p) + g_kl * (p - p_ref)
            coef = torch.zeros(p.shape[0], 1, dtype=p.dtype, device=p.device)
            if grad_kl is not None:
                coef += grad_kl[rows].unsqueeze(1)
            if grad_logp is not None:
                coef -= grad_logp[rows].unsqueeze(1)
            dz = p.mul_(coef)
            if grad_kl is not None:
                zr = _logits(ref_hidden[rows], ref_weight, ref_bias)
                dz.sub_(zr.sub_(ref_lse[rows].unsqueeze(1)).exp_().mul_(grad_kl[rows].unsqueeze(1)))
                del zr
            if grad_logp is not None:
                dz.scatter_add_(1, labels[rows].unsqueeze(1), grad_logp[rows].unsqueeze(1).to(dz.dtype))
            h = hidden[rows]
            if grad_hidden is not None:
                grad_hidden[rows] = (dz.to(weight.dtype) @ weight).to(hidden.dtype)
            grad_weight.addmm_(dz.t(), h.to(dtype))  # in place: no [vocab, hidden] temporary
            grad_bias += dz.sum(0)
            del dz, p
        grad_weight = grad_weight.to(weight.dtype) if ctx.needs_input_grad[1] else None
        grad_bias = grad_bias.to(bias.dtype) if bias is not None and ctx.needs_input_grad[2] else None
        return grad_hidden, grad_weight, grad_bias, None, None, None, None, None


def token_stats(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    ref_hidden: torch.Tensor,
    ref_weight: torch.Tensor,
    ref_bias: torch.Tensor | None,
    labels: torch.Tensor,
    chunk: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Chunked ``(logp, ref_logp, kl)`` per position (see :class:`ChunkedTokenStats`); ``chunk=None`` picks
    :func:`auto_chunk_size` for the head's vocabulary."""
    if hidden.shape[0] != labels.shape[0] or ref_hidden.shape[0] != labels.shape[0]:
        raise ValueError("hidden, ref_hidden and labels must have the same number of positions")
    chunk = chunk or auto_chunk_size(weight.shape[0])
    ref_hidden, ref_weight = ref_hidden.detach(), ref_weight.detach()
    ref_bias = ref_bias.detach() if ref_bias is not None else None
    return ChunkedTokenStats.apply(hidden, weight, bias, ref_hidden, ref_weight, ref_bias, labels, chunk)


def naive_token_stats(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    ref_hidden: torch.Tensor,
    ref_weight: torch.Tensor,
    ref_bias: torch.Tensor | None,
    labels: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same outputs as :func:`token_stats`, computed on the full ``[N, vocab]`` logits with autograd."""
    logps = _logits(hidden, weight, bias).log_softmax(-1)
    with torch.no_grad():
        ref_logps = _logits(ref_hidden, ref_weight, ref_bias).log_softmax(-1)
    y = labels.unsqueeze(1)
    kl = (ref_logps.exp() * (ref_logps - logps)).sum(-1)
    return logps.gather(1, y).squeeze(1), ref_logps.gather(1, y).squeeze(1), kl
