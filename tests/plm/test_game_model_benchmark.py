"""benchmarks/game_model.py runs transformers on the same weights as our runtime: same logits, same answers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("transformers")

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "game_model.py"
_spec = importlib.util.spec_from_file_location("tactica_benchmark_game_model", _SCRIPT)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

CALLS = [
    [
        {"role": "system", "content": "You play a game."},
        {"role": "user", "content": "the red one or the blue one"},
    ],
    [{"role": "system", "content": "You play a game."}, {"role": "user", "content": "what next"}],
]


def test_the_peer_holds_our_weights(checkpoint_dir):
    """The squared-ReLU MLP written as DeepSeek's gated MLP (gate = up, act relu) gives the same model."""
    ours = bench.load_ours(checkpoint_dir, prefix_cache=False)
    peer = bench.load_theirs(checkpoint_dir)
    assert bench.logits_gap(ours, peer, CALLS[0]) < 1e-4
    mine = bench.answer_ours(ours, CALLS, max_new_tokens=12)
    theirs = bench.answer_theirs(peer, bench.prompts_only(checkpoint_dir), CALLS, max_new_tokens=12)
    assert mine == theirs and all(mine)
    cached = bench.answer_ours(bench.load_ours(checkpoint_dir, prefix_cache=True), CALLS, max_new_tokens=12)
    assert cached == mine


def test_quantised_checkpoints_are_refused_for_the_peer(tmp_path, checkpoint_dir):
    from tactica.llm.runtime.convert import convert_checkpoint

    convert_checkpoint(checkpoint_dir, tmp_path / "int8", "int8")
    with pytest.raises(ValueError, match="quantised"):
        bench.load_theirs(tmp_path / "int8")
