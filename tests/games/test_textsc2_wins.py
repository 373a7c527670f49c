"""examples/game_model/textsc2_wins.py: wins per level, and with --by-build per built-in AI build."""

from __future__ import annotations

import json

from .scripts import load_script


def test_by_build_splits_the_games_by_the_build_each_seed_draws(tmp_path, capsys, monkeypatch):
    wins = load_script("examples/game_model/textsc2_wins.py")
    seeds = [11, 12, 13, 14, 15, 16]
    builds = [wins.ai_build({"difficulty": 3}, seed) for seed in seeds]
    assert set(builds) <= {"rush", "timing", "power", "macro", "air"} and len(set(builds)) > 1
    # a pinned build is the one the environment plays
    assert wins.ai_build({"difficulty": 3, "build": "macro"}, 11) == "macro"
    results = ["Victory", "Tie", "Victory", "Defeat", "Victory", "Victory"]
    episodes = [{"seed": s, "metrics": {"result": r}} for s, r in zip(seeds, results, strict=True)]
    path = tmp_path / "play.json"
    path.write_text(json.dumps({"options": {"difficulty": 3}, "seed": 0, "episodes": episodes}))
    monkeypatch.setattr("sys.argv", ["textsc2_wins.py", str(path), "--by-build"])
    wins.main()
    rows = json.loads(capsys.readouterr().out)
    assert {r["build"]: r["games"] for r in rows} == {b: builds.count(b) for b in set(builds)}
    for row in rows:
        mine = [r for b, r in zip(builds, results, strict=True) if b == row["build"]]
        assert row["wins"] == mine.count("Victory") and row["ties"] == mine.count("Tie")
    monkeypatch.setattr("sys.argv", ["textsc2_wins.py", str(path)])
    wins.main()
    (total,) = json.loads(capsys.readouterr().out)
    assert (total["games"], total["wins"], total["ties"]) == (6, 4, 1) and "build" not in total


def test_trace_reads_both_players_every_n_steps():
    tracer = load_script("examples/game_model/textsc2_trace.py")
    result, rows = tracer.trace(1, 0, agent="textsc2-expert", every=200)
    assert result == "Victory" and len(rows) >= 5
    assert rows[0]["w"] > 12 and rows[-1]["ew"] >= 0  # Probes trained by then
    assert any(row["field"] for row in rows)  # the expert's attack is on the map at some point
