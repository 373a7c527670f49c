"""The ONUW paper table from the shipped game model's recorded transcript: replaying it gives the published rows."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "results"


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "onuw_paper_table", ROOT / "benchmarks" / "onuw_paper_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name, seats", [("onuw_plm_paper_table", "all"), ("onuw_plm_paper_table_player3", "player3")]
)
def test_replaying_the_recorded_transcript_gives_the_published_rows(name, seats, capsys):
    """The first row (3p, LLM-only) of the table in docs/onuw.md, replayed from the committed transcript; the
    replay raises if a single prompt differs from the recording, so the games are the recorded ones."""
    published = json.loads((RESULTS / f"{name}.json").read_text())
    code = _benchmark().main(["--llm", f"replay:{RESULTS / name}.jsonl.gz", "--llm-seats", seats, "--games",
                              str(published["config"]["games"]), "--deals", "3p", "--agents", "react",
                              "--nashconv-games", "0", "--json"])  # fmt: skip
    assert code == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row == published["rows"][0]


def test_a_missing_gzip_transcript_is_a_clear_error(tmp_path, capsys):
    code = _benchmark().main(["--llm", f"replay:{tmp_path / 'absent.jsonl.gz'}", "--games", "1"])
    assert code == 2 and "does not exist" in capsys.readouterr().err
