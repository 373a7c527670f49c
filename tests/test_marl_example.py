"""examples/smac_mappo_torchrl.py: MAPPO through TorchRL's PettingZoo wrapper runs end to end on SMAC-v2."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "smac_mappo_torchrl.py"


@pytest.mark.slow
def test_mappo_example_trains_and_writes_its_run(tmp_path, monkeypatch):
    pytest.importorskip("torchrl")
    spec = importlib.util.spec_from_file_location("smac_mappo_torchrl", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, example)  # dataclasses look their module up there
    spec.loader.exec_module(example)
    args = example.parse_args(
        ["--iterations", "2", "--frames-per-batch", "100", "--minibatch-size", "50", "--epochs", "1"]
        + ["--eval-episodes", "2", "--out", str(tmp_path / "run")]
    )
    summary = example.main(args)
    assert summary["frames"] == 200
    for name in ("config.json", "metrics.jsonl", "policy.pt", "summary.json"):
        assert (tmp_path / "run" / name).is_file()
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["iteration"] for line in lines] == [0, 1]
    rate, low, high = summary["win_rate_after"]
    assert 0.0 <= low <= rate <= high <= 1.0
