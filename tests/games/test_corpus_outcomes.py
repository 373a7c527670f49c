"""examples/game_model/corpus_outcomes.py counts each recorded game once, across a corpus and its held-out twin."""

from __future__ import annotations

import json
from pathlib import Path

from .scripts import load_script


def _load():
    return load_script("examples/game_model/corpus_outcomes.py")


def _write(path: Path, games: list[tuple[int, int, str]], calls: int = 3) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for episode, level, result in games:
            for _ in range(calls):  # several examples per game: the game must still count once
                label = {"difficulty": level, "result": result, "beta": 0.1, "temperature": 1.0}
                meta = {"env": "TextSC2-v1", "episode": episode, "label": label}
                handle.write(json.dumps({"messages": [], "meta": meta}) + "\n")


def test_each_game_counts_once_with_its_heldout_twin(tmp_path, capsys, monkeypatch):
    outcomes = _load()
    _write(tmp_path / "r.jsonl", [(0, 1, "Victory"), (1, 2, "Defeat"), (3, 2, "Victory")])
    _write(tmp_path / "r.heldout.jsonl", [(2, 2, "Tie")])
    _write(tmp_path / "q.jsonl", [(0, 2, "Victory")])  # episode 0 of another corpus is another game
    games = outcomes.game_labels([str(tmp_path / "r.jsonl"), str(tmp_path / "q.jsonl")])
    assert len(games) == 5
    rows = outcomes.outcome_rows(games, ["difficulty"])
    assert [(r["difficulty"], r["games"], r["wins"], r["ties"], r["defeats"]) for r in rows] == [
        (1, 1, 1, 0, 0),
        (2, 4, 2, 1, 1),
    ]
    assert rows[1]["ci95"] == [0.15, 0.85]  # Wilson 95% interval of 2 wins in 4
    games[("r", 9)] = {"difficulty": 10, "result": "Defeat"}
    levels = [r["difficulty"] for r in outcomes.outcome_rows(games, ["difficulty"])]
    assert levels == [1, 2, 10]  # numeric order, not text order
    del games[("r", 9)]
    by_two = outcomes.outcome_rows(games, ["difficulty", "explore"])  # a key the labels lack reads "-"
    assert {r["explore"] for r in by_two} == {"-"}
    monkeypatch.setattr("sys.argv", ["corpus_outcomes.py", str(tmp_path / "r.heldout.jsonl"), "--json"])
    outcomes.main()  # naming the held-out twin reads the pair as well
    assert sum(r["games"] for r in json.loads(capsys.readouterr().out)) == 4


def test_not_won_writes_the_training_examples_of_the_games_not_won(tmp_path):
    outcomes = _load()
    _write(tmp_path / "r.jsonl", [(0, 1, "Victory"), (1, 2, "Defeat"), (3, 2, "Tie")], calls=2)
    _write(tmp_path / "r.heldout.jsonl", [(2, 2, "Defeat")])  # held-out examples stay out
    out = tmp_path / "lost.jsonl"
    assert outcomes.write_not_won([str(tmp_path / "r.jsonl")], str(out)) == (4, 6)
    episodes = [json.loads(line)["meta"]["episode"] for line in out.read_text().splitlines()]
    assert episodes == [1, 1, 3, 3]
