"""Model files, checkpoints and chat templates are data: loading one never runs code it carries."""

from __future__ import annotations

import ast
import os
import pickle
from pathlib import Path

import pytest
import torch

import tactica

ROOT = Path(tactica.__file__).parent


class _RunsCode:
    """What a hostile checkpoint pickles: unpickling it would create ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_every_torch_load_passes_weights_only_true():
    calls = []
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "torch.load" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "load":
                if getattr(node.func.value, "id", None) == "torch":
                    flags = {k.arg: k.value for k in node.keywords}
                    safe = isinstance(flags.get("weights_only"), ast.Constant) and flags["weights_only"].value
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", bool(safe)))
    assert calls and [where for where, safe in calls if not safe] == []


def test_a_hostile_smfrl_checkpoint_is_refused_without_running_it(tmp_path):
    from tactica.agents.smfrl.agent import load_learner

    marker = tmp_path / "ran"
    torch.save({"learner": _RunsCode(marker)}, tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match="could run code"):
        load_learner(tmp_path)
    assert not marker.exists()


def test_smfrl_normaliser_state_loads_with_weights_only(tmp_path):
    import numpy as np

    from tactica.agents.smfrl.networks import RunningNorm

    norm = RunningNorm(6, passthrough=2)
    norm.update(np.random.default_rng(0).normal(size=(16, 6)))
    torch.save({"public_norm": norm.state_dict()}, tmp_path / "checkpoint.pt")
    loaded = RunningNorm(6)
    loaded.load_state_dict(torch.load(tmp_path / "checkpoint.pt", weights_only=True)["public_norm"])
    assert np.array_equal(loaded.mean, norm.mean) and np.array_equal(loaded.var, norm.var)
    assert loaded.count == norm.count and loaded.passthrough == 2


def test_a_pickled_trainer_state_is_refused(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"optimizer": _RunsCode(marker)}, tmp_path / "trainer_state.pt")
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "trainer_state.pt", weights_only=True)
    assert not marker.exists()


def test_a_checkpoint_chat_template_cannot_reach_python():
    pytest.importorskip("jinja2")
    from jinja2.exceptions import SecurityError

    from tactica.llm.plm import PLMTokenizer, train_bpe
    from tactica.llm.plm.chat_template import ChatTemplateError

    tokenizer = train_bpe(["rock paper scissors"] * 20, vocab_size=300)
    hostile = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    # refused before rendering (ChatTemplateError), or by Jinja2's sandbox while rendering (SecurityError)
    with pytest.raises((ChatTemplateError, SecurityError)):
        PLMTokenizer(tokenizer.tokenizer, dict(tokenizer.config, chat_template=hostile)).apply_chat_template(
            []
        )


def test_leaderboard_never_loads_sb3_models_from_the_working_directory(tmp_path, monkeypatch):
    from tactica.leaderboard import build_plan
    from tactica.leaderboard.suites import SB3_DIR_ENV_VAR

    env_id = sorted(spec.id for spec in tactica.registry().values() if spec.kind == "single")[0]
    planted = tmp_path / "runs" / "sb3" / env_id / "ppo-seed0"
    planted.mkdir(parents=True)
    (planted / "model.zip").write_bytes(pickle.dumps(_RunsCode(tmp_path / "ran")))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SB3_DIR_ENV_VAR, raising=False)
    plan = build_plan([env_id], llm="", check=False)
    assert not any(p.agent == "sb3" for p in plan.pairings)
    assert any("--sb3-dir" in note for note in plan.notes)
    # named explicitly, the same folder is played
    plan = build_plan([env_id], llm="", sb3_dir="runs/sb3", check=False)
    assert [p.agent_kwargs["model"] for p in plan.pairings if p.agent == "sb3"] == [
        str(Path("runs/sb3") / env_id / "ppo-seed0" / "model.zip")
    ]
    assert not (tmp_path / "ran").exists()
