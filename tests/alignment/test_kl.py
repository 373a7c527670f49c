"""The chunked full-vocabulary KL and log-probabilities against the direct computation."""

from __future__ import annotations

import pytest
import torch

from tactica.llm.alignment import naive_token_stats, token_stats
from tactica.llm.alignment.logprobs import auto_chunk_size


def _inputs(dtype, n=37, hidden=12, vocab=211, bias=True, seed=0):
    g = torch.Generator().manual_seed(seed)

    def rand(*shape, grad=False):
        return torch.randn(*shape, generator=g, dtype=dtype).requires_grad_(grad)

    return dict(
        hidden=rand(n, hidden, grad=True), weight=rand(vocab, hidden, grad=True),
        bias=rand(vocab, grad=True) if bias else None, ref_hidden=rand(n, hidden), ref_weight=rand(vocab, hidden),
        ref_bias=rand(vocab) if bias else None, labels=torch.randint(0, vocab, (n,), generator=g),
    )  # fmt: skip


def _run(fn, inputs, upstream, **kw):
    for key in ("hidden", "weight", "bias"):
        if inputs[key] is not None:
            inputs[key].grad = None
    logp, ref_logp, kl = fn(**inputs, **kw)
    ((logp * upstream[0]).sum() + (kl * upstream[1]).sum()).backward()
    grads = [inputs[k].grad.clone() for k in ("hidden", "weight", "bias") if inputs[k] is not None]
    return [logp.detach(), ref_logp, kl.detach(), *grads]


@pytest.mark.parametrize("chunk", [1, 5, 37, 1000, None])
@pytest.mark.parametrize("bias", [True, False])
def test_chunked_equals_naive_values_and_gradients_float64(chunk, bias):
    inputs = _inputs(torch.float64, bias=bias)
    g = torch.Generator().manual_seed(1)
    upstream = (
        torch.randn(37, generator=g, dtype=torch.float64),
        torch.randn(37, generator=g, dtype=torch.float64),
    )
    chunked = _run(token_stats, inputs, upstream, chunk=chunk)
    naive = _run(naive_token_stats, inputs, upstream)
    for a, b in zip(chunked, naive):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_chunked_equals_naive_float32():
    inputs = _inputs(torch.float32, n=64, vocab=1000)
    upstream = (torch.ones(64), torch.full((64,), 0.5))
    for a, b in zip(_run(token_stats, inputs, upstream, chunk=9), _run(naive_token_stats, inputs, upstream)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_kl_is_a_divergence():
    inputs = _inputs(torch.float64)
    _, _, kl = token_stats(**inputs, chunk=8)
    assert bool((kl >= -1e-12).all())
    same = dict(inputs, ref_hidden=inputs["hidden"].detach(), ref_weight=inputs["weight"].detach(),
                ref_bias=inputs["bias"].detach())  # fmt: skip
    logp, ref_logp, kl = token_stats(**same, chunk=8)
    torch.testing.assert_close(kl.detach(), torch.zeros_like(kl), rtol=0, atol=1e-12)
    torch.testing.assert_close(logp.detach(), ref_logp, rtol=0, atol=1e-12)


def test_only_the_used_output_gets_a_gradient():
    """DPO uses the log-probabilities only: the backward pass must not need the KL's upstream gradient."""
    inputs = _inputs(torch.float64)
    logp, _, _ = token_stats(**inputs, chunk=8)
    logp.sum().backward()
    expected = inputs["hidden"].grad.clone()
    inputs["hidden"].grad = None
    logp, _, _ = naive_token_stats(**inputs)
    logp.sum().backward()
    torch.testing.assert_close(expected, inputs["hidden"].grad)


def test_auto_chunk_size_bounds_the_chunk_by_the_vocabulary():
    assert auto_chunk_size(32000) == 131
    assert auto_chunk_size(151936) == 27
    assert auto_chunk_size(10**9) == 16
