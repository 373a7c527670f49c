"""Gambit .nfg (payoff and outcome versions), JSON and .npz game files; profile files."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from tactica.equilibria import NormalFormGame
from tactica.equilibria.formats import (
    NFGFormatError,
    load_game,
    parse_nfg,
    read_profile,
    save_game,
    to_nfg,
    write_profile,
)

SELTEN = 'NFG 1 R "Selten (IJGT, 1975)" { "Player 1" "Player 2" } { 3 2 }\n""\n\n1 1 0 2 0 2 1 1 0 3 2 0\n'

OUTCOME = """NFG 1 R "Two person 2 x 2 game" { "Player 1" "Player 2" }
{ { "1" "2" } { "1" "2" } }
"a comment"

{ { "first" 1/3, 2 }
{ "" -1.5 0 }
{ "third" 2 7 }
}
1 2 0 3
"""


def test_payoff_version_contingencies_count_player_one_fastest():
    game = parse_nfg(SELTEN)
    assert game.num_actions == (3, 2)
    assert game.title == "Selten (IJGT, 1975)"
    assert game.player_names == ("Player 1", "Player 2")
    # (1,1):(1,1) (2,1):(0,2) (3,1):(0,2) (1,2):(1,1) (2,2):(0,3) (3,2):(2,0)
    assert game.exact[0].tolist() == [[1, 1], [0, 0], [0, 2]]
    assert game.exact[1].tolist() == [[1, 1], [2, 3], [2, 0]]


def test_outcome_version_with_fractions_decimals_and_null_outcome():
    game = parse_nfg(OUTCOME)
    assert game.exact[0].tolist() == [[F(1, 3), 0], [F(-3, 2), 2]]
    assert game.exact[1].tolist() == [[2, 0], [0, 7]]
    assert game.comment == "a comment"


@pytest.mark.parametrize("version", ["payoff", "outcome"])
def test_round_trip_is_exact(version):
    payoffs = np.array([[[F(1, 3), 2], [F(-7, 5), 0]], [[1, F(22, 7)], [3, 4]]], dtype=object)
    game = NormalFormGame(payoffs, strategy_names=[["U", "D"], ["L", "R"]], title='quote " inside')
    again = parse_nfg(to_nfg(game, version))
    assert again == game
    assert again.title == 'quote " inside'
    if version == "outcome":
        assert again.strategy_names == (("U", "D"), ("L", "R"))


def test_pygambit_reads_what_we_write_and_we_read_what_it_writes(tmp_path):
    gbt = pytest.importorskip("pygambit")
    rng = np.random.default_rng(0)
    game = NormalFormGame(rng.integers(-9, 9, (3, 2, 3, 2)))
    path = tmp_path / "g.nfg"
    save_game(game, path)
    theirs = gbt.read_nfg(str(path))
    arrays = theirs.to_arrays()
    for i in range(3):
        assert np.array(arrays[i], dtype=float).tolist() == game.payoffs[i].tolist()
    ours = parse_nfg(theirs.to_nfg())
    assert ours == game


@pytest.mark.parametrize(
    "text, message",
    [
        ("NFG 2 R", "line 1: expected the version number 1"),
        (
            'NFG 1 R "t" { "a" "b" } { 2 2 }\n""\n1 2 3 4\n5 6 x 8\n',
            "line 4: expected payoff 1 of contingency 4",
        ),
        ('NFG 1 R "t" { "a" "b" } { 2 2 }\n""\n1 2 3 4\n5 6\n', "found end of file"),
        ('NFG 1 R "t" { "a" "b" } { 2 }\n', "2 players but 1 strategy counts"),
        ('NFG 1 R "t" { "a" } { { "x" } }\n""\n{ { "" 1 } }\n2\n', "outcome number between 0 and 1"),
        ('NFG 1 R "t" { "a } { 1 }', "line 1: unterminated string"),
    ],
)
def test_malformed_nfg_errors_name_the_line_and_expectation(text, message):
    with pytest.raises(NFGFormatError, match=message.replace("(", r"\(")):
        parse_nfg(text)


def test_json_and_npz_games(tmp_path):
    spec = tmp_path / "bos.json"
    spec.write_text('{"row": [[3, 0], [0, 2]], "col": [[2, 0], [0, "3/1"]], "title": "BoS"}')
    game = load_game(spec)
    assert game.exact[1][1, 1] == 3 and game.title == "BoS"
    save_game(game, tmp_path / "copy.json")
    assert load_game(tmp_path / "copy.json") == game
    save_game(game, tmp_path / "copy.npz")
    assert np.array_equal(load_game(tmp_path / "copy.npz").payoffs, game.payoffs)
    np.savez(tmp_path / "ab.npz", A=[[1.5, 0]], B=[[0, 1]])
    assert load_game(tmp_path / "ab.npz").num_actions == (1, 2)
    with pytest.raises(ValueError, match="expected a .nfg, .json or .npz"):
        load_game(tmp_path / "game.txt")
    (tmp_path / "bad.json").write_text("{\n 'x': 1}")
    with pytest.raises(ValueError, match="line 2"):
        load_game(tmp_path / "bad.json")


def test_profile_files_keep_fractions(tmp_path):
    path = tmp_path / "p.json"
    write_profile([[F(1, 3), F(2, 3)], [1, 0]], path)
    assert read_profile(path) == [["1/3", "2/3"], [1.0, 0.0]]
    assert read_profile('{"profile": [[1, 0]]}') == [[1, 0]]


def test_catalog_games_come_from_the_markov_catalog():
    from tactica.envs.markov.catalog import make_model

    game = load_game("catalog:battle_of_the_sexes")
    assert np.array_equal(game.payoffs, make_model("battle_of_the_sexes").stage_payoffs(0))
    assert game.is_exact
    generated = load_game("catalog:random_normal_form(num_actions=4, seed=3)")
    assert generated.num_actions == (4, 4)
    with pytest.raises(ValueError, match="stochastic game"):
        load_game("catalog:grid_game_1")
