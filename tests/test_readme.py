"""The README stays true: its environment table lists every registered id, and CI runs its commands."""

from __future__ import annotations

import re
from pathlib import Path

import tactica

ROOT = Path(__file__).resolve().parents[1]


def test_environment_table_matches_the_registry():
    readme = (ROOT / "README.md").read_text()
    listed = re.findall(r"^\| `([A-Za-z0-9]+-v\d+)` \|", readme, flags=re.MULTILINE)
    assert sorted(listed) == sorted(tactica.registry()), "update the README's environment table"
    for env_id, env_spec in tactica.registry().items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{env_id}` |"))
        kind = "single-agent" if env_spec.kind == "single" else "multi-agent"
        assert kind in row, f"the README row of {env_id} must say {kind}"


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for marker in ("<!-- ci:main -->", "<!-- ci:test -->"):
        assert marker in readme
    assert "readme_command main" in ci and "readme_command test" in ci


def test_setup_installs_a_cpu_torch_first():
    readme = (ROOT / "README.md").read_text()
    torch_at, main_at = readme.index("<!-- ci:torch -->"), readme.index("<!-- ci:main -->")
    assert torch_at < main_at, "the CPU torch must be installed before tactica"
    block = readme[torch_at:main_at]
    assert "--index-url https://download.pytorch.org/whl/cpu" in block
    assert "python .ci/cpu_only.py" in (ROOT / ".ci" / "run").read_text()  # CI checks the resolution
