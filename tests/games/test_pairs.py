"""Preference pairs ranked by what happened in the game (tactica/llm/games/pairs.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tactica.envs.textsc2.actions import ACTIONS, EMPTY_ACTION
from tactica.llm.games import pairs as P
from tactica.llm.games.smac import outcome_key

PROMPT = [{"role": "system", "content": "sys"}, {"role": "user", "content": "write a program for 3m"}]


def _row(
    answer: str, win_rate: float, dealt: float, taken: float, left: float, episode: int = 0, expert=True
):
    label = {"map_name": "3m", "program": answer, "win_rate": win_rate, "damage_dealt": dealt,
             "damage_taken": taken, "allies_left": left}  # fmt: skip
    meta = {"env": "SMACProgram-v3", "call": "coder", "episode": episode, "expert": expert, "label": label}
    return {"messages": [*PROMPT, {"role": "assistant", "content": answer}], "meta": meta}


def test_smac_pairs_rank_by_win_rate_then_damage_then_survival():
    rows = [
        _row("best", 1.0, 100, 50, 2.0),
        _row("same-wins-less-damage", 1.0, 80, 50, 2.0, episode=1, expert=False),
        _row("loses", 0.5, 200, 0, 3.0, episode=2, expert=False),
        _row("tie-with-best", 1.0, 100, 50, 2.0, episode=3, expert=False),
        {"messages": [*PROMPT, {"role": "assistant", "content": "plan"}], "meta": {"call": "planner"}},
    ]
    found = P.smac_pairs(rows, rivals=5, variants=False)
    sides = {(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in found}
    # win rate decides before damage (the 0.5 program dealt the most); equal outcomes make no pair
    assert sides == {
        ("best", "same-wins-less-damage"), ("best", "loses"), ("same-wins-less-damage", "loses"),
        ("tie-with-best", "same-wins-less-damage"), ("tie-with-best", "loses"),
    }  # fmt: skip
    assert len(found) == len(sides)  # each ordered pair once, although it is found from both of its answers
    for pair in found:
        assert pair["prompt"] == PROMPT and pair["chosen"][0]["role"] == "assistant"
        assert outcome_key(pair["meta"]["chosen"]) > outcome_key(pair["meta"]["rejected"])


def test_smac_pairs_recorded_answers_all_meet_and_the_draw_is_seeded():
    rows = [_row("best", 1.0, 100, 0, 3.0)] + [_row(f"w{i}", 0.1 * i, 0, 0, 0, episode=i) for i in range(5)]
    first = P.smac_pairs(rows, rivals=1, variants=False, seed=3)
    assert first == P.smac_pairs(rows, rivals=1, variants=False, seed=3)
    # every recorded answer meets every better recorded one, whatever the number of drawn rivals
    assert len(first) == len(P.smac_pairs(rows, rivals=0, variants=False)) == 15
    with pytest.raises(ValueError, match="rivals"):
        P.smac_pairs(rows, rivals=-1)


def test_perturbations():
    rng = np.random.default_rng(0)
    actions = [1, EMPTY_ACTION, 2, EMPTY_ACTION, 3]
    assert P.perturb_decisions(actions, rng, "wait") == [EMPTY_ACTION] * 5
    redrawn = P.perturb_decisions(actions, np.random.default_rng(1), "random")
    assert redrawn == P.perturb_decisions(actions, np.random.default_rng(1), "random")
    assert len(redrawn) == 5 and all(0 <= a < len(ACTIONS) for a in redrawn)
    with pytest.raises(ValueError, match="wait, random"):
        P.perturb_decisions(actions, rng, "shuffle")


def test_outcome_order_result_then_supply_used():
    def outcome(result, supply, mineral=0):
        return P.textsc2_outcome({"resource": {"supply_used": supply, "mineral": mineral, "gas": 0}},
                                 {"result": result} if result else {})  # fmt: skip

    assert outcome("Victory", 10) > outcome("", 90) > outcome("Defeat", 100)
    assert outcome("", 30) > outcome("", 29, mineral=500)
    assert outcome("", 30, mineral=100) == outcome("", 30, mineral=50)  # the bank decides nothing


def test_split_holds_out_whole_groups_and_drops_duplicates():
    made = [P._pair(PROMPT, f"c{g}{i}", "r", {"game": g}) for g in range(5) for i in range(3)]
    train, held = P.split_pairs(made + made[:2], 0.2, seed=0, group="game")
    assert len(train) + len(held) == 15
    assert len({p["meta"]["game"] for p in held}) == 1
    assert not {p["meta"]["game"] for p in held} & {p["meta"]["game"] for p in train}
    with pytest.raises(ValueError, match="heldout_fraction"):
        P.split_pairs(made, 1.0, seed=0, group="game")


@pytest.mark.slow  # one whole level-1 game with play-outs: about 4 CPU-seconds, 20 s on a loaded machine
def test_textsc2_pairs_are_cos_prompts_ranked_by_their_play_out(tmp_path):
    found = P.textsc2_pairs(1, seed=0, difficulties=(1,), call_rate=0.15, horizon=1)
    assert found, "a game pairs some of its calls"
    for pair in found:
        meta = pair["meta"]
        assert meta["difficulty"] == 1 and meta["game"] == 0 and meta["rival"] in ("wait", "random")
        assert pair["prompt"][0]["role"] == "system" and pair["prompt"][-1]["role"] == "user"
        chosen, rejected = pair["chosen"][0]["content"], pair["rejected"][0]["content"]
        assert (
            chosen != rejected and chosen.startswith("Decisions:\n") and rejected.startswith("Decisions:\n")
        )
        better, worse = ("expert", "rival") if meta["chosen_is_expert"] else ("rival", "expert")
        assert meta["outcome"][better] > meta["outcome"][worse]
        if meta["rival"] == "wait":
            waiting = "<EMPTY ACTION>"
            assert set(line.split(": ", 1)[1] for line in (chosen if not meta["chosen_is_expert"] else rejected)
                       .splitlines()[1:]) == {waiting}  # fmt: skip
    out = tmp_path / "p.jsonl"
    assert P.save_pairs(found, out) == len(found)
    from tactica.llm.alignment.data import load_pairs

    assert len(load_pairs(out)) == len(found)  # the trainer reads them
