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


# --- every header/body combination Gambit accepts (files written here; games transcribed from Gambit's
# contrib/games: coord2.nfg and sh3.nfg have strategy names and a payoff body, which Gambit reads) ---------

COORD2 = """NFG 1 R "Two person 2x2 coordination game with 3 Nash equilibria" { "Player 1" "Player 2" }

{ { "1" "2" }
{ "1" "2" }
}

3 2 0 0 0 0 2 2
"""

SH3 = """NFG 1 D "Wilson's example of inaccessible equilibria (Shapley, 1974, Math Prog Stud)" { "Player 1" "Player 2" }

{ { "1" "2" "3" }
{ "1" "2" "3" }
}

0.000000 0.000000 2.000000 3.000000 3.000000 0.000000 3.000000 2.000000 2.000000 2.000000 0.000000 0.000000 0.000000 3.000000 0.000000 0.000000 1.000000 1.000000
"""

# catalog/journals/dcg/vonstengel1999/6x6_game_with_75_eq.nfg: names, a multi-line comment, payoffs
VON_STENGEL_75 = """NFG 1 R "von Stengel's 6x6 bimatrix game with 75 equilibria" { "1" "2" }

{ { "1" "2" "3" "4" "5" "6" }
{ "1" "2" "3" "4" "5" "6" }
}
"The example from :cite:p:`vS97` as referenced in :cite:p:`vS99`.
It is a 6x6 bimatrix game with 75 equilibria,
which is more than the previously conjectured bound of :math:`2^6 - 1 = 63`."

9504 72336 -111771 -461736 397584 1227336 171204 -1718376 1303104 1303104 737154 -453420 -660 48081 31680 -300036
-113850 774576 -45936 -1039236 -453420 737154 -227040 -227040 19976 29216 -130944 -178761 451176 451176 208626
-586476 1227336 397584 774576 -113850 -20526 14124 168124 -84436 -586476 208626 -263076 -263076 -1718376 171204
-1039236 -45936 1776 1776 -8514 -8976 29216 19976 14124 -20526 72336 9504 48081 -660 -8976 -8514 52764 52764
-178761 -130944 -84436 168124 -461736 -111771 -300036 31680
"""

# contrib/games/g1.nfg: three players, names, payoffs
G1 = """NFG 1 D "van der Laan et al. Three person, 2x2x2 example with no pure, 1 totally mixed equilibria" { "Player 1" "Player 2" "Player 3" }

{ { "1" "2" }
{ "1" "2" }
{ "1" "2" }
}

-1.000000 -4.000000 -4.000000 -8.000000 -2.000000 -4.000000 -8.000000 -2.000000 -1.000000 -2.000000 -1.000000 -2.000000 -2.000000 -2.000000 -8.000000 -8.000000 -1.000000 -2.000000 -5.000000 -6.000000 -8.000000 -2.000000 -3.000000 -1.000000
"""

# Selten's 3x2 game in all four combinations of header (counts | names) and body (payoffs | outcomes)
SELTEN_A = [[1, 1], [0, 0], [0, 2]]
SELTEN_B = [[1, 1], [2, 3], [2, 0]]
FORMS = {
    "counts+payoffs": 'NFG 1 R "S" { "P1" "P2" } { 3 2 }\n"c"\n1 1 0 2 0 2 1 1 0 3 2 0\n',
    "names+payoffs": 'NFG 1 R "S" { "P1" "P2" }\n{ { "T" "M" "B" } { "L" "R" } }\n"c"\n1 1 0 2 0 2 1 1 0 3 2 0\n',
    "counts+outcomes": 'NFG 1 R "S" { "P1" "P2" } { 3 2 } "c"\n'
    '{ { "" 1, 1 } { "" 0, 2 } { "" 1 1 } { "" 0 3 } { "" 2, 0 } }\n1 2 2 3 4 5\n',
    "names+outcomes": 'NFG 1 R "S" { "P1" "P2" }\n{ { "T" "M" "B" }\n{ "L" "R" }\n}\n"c"\n'
    '{\n{ "a" 1, 1 }\n{ "b" 0, 2 }\n{ "c" 1, 1 }\n{ "d" 0, 3 }\n{ "e" 2, 0 }\n}\n1 2 2 3 4 5\n',
    "names+outcomes, no comment, CRLF, null outcome": 'NFG 1 R "S" { "P1" "P2" }\r\n{ { "T" "M" "B" } '
    '{ "L" "R" } }\r\n{ { "" 1, 1 } { "" 0, 2 } { "" 1, 1 } { "" 0, 3 } { "" 2, 0 } }\r\n1 2 2 3 4 5\r\n',
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_header_and_body_combination_reads_the_same_game(tmp_path, form):
    path = tmp_path / "selten.nfg"
    path.write_bytes(FORMS[form].encode())
    game = load_game(path)
    assert game.exact[0].tolist() == SELTEN_A and game.exact[1].tolist() == SELTEN_B
    assert game.title == "S" and game.player_names == ("P1", "P2")
    if form.startswith("names"):
        assert game.strategy_names == (("T", "M", "B"), ("L", "R"))
    assert game.comment == ("" if "no comment" in form else "c")


def test_names_header_with_payoff_body_gambit_contrib_games(tmp_path):
    for text, shape in ((COORD2, (2, 2)), (SH3, (3, 3))):
        path = tmp_path / "g.nfg"
        path.write_text(text)
        game = load_game(path)
        assert game.num_actions == shape
    assert load_game(_write(tmp_path, COORD2)).exact[0].tolist() == [[3, 0], [0, 2]]


def _write(tmp_path, text: str, name: str = "g.nfg"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text", [COORD2, SH3, VON_STENGEL_75, *FORMS.values()])
def test_two_player_equilibria_equal_pygambit_enummixed(tmp_path, text, eqh):
    """Every form read here gives exactly the equilibrium set pygambit's rational enummixed finds in the file."""
    gbt = pytest.importorskip("pygambit")
    from tactica.equilibria import vertex_enumeration

    path = _write(tmp_path, text)
    ours = eqh.exact_set(vertex_enumeration(load_game(path), exact=True))
    theirs_game = gbt.read_nfg(str(path))
    result = gbt.nash.enummixed_solve(theirs_game, rational=True)
    theirs = {
        tuple(F(str(eq[s])) for p in theirs_game.players for s in p.strategies) for eq in result.equilibria
    }
    assert ours == theirs and ours
    if text is VON_STENGEL_75:
        assert len(ours) == 75


def test_three_player_names_with_payoffs_gambit_g1():
    from tactica.equilibria.polynomial import polynomial_equilibria

    result = polynomial_equilibria(parse_nfg(G1))
    (eq,) = result.equilibria  # "no pure, 1 totally mixed equilibria"
    assert eq.exact_profile == ((F(1, 5), F(4, 5)), (F(3, 7), F(4, 7)), (F(2, 3), F(1, 3)))


def test_comments_escapes_and_labels_as_gambit_reads_them():
    text = (
        'NFG 1 R "a \\"quoted\\" title with a\\\\backslash and \\x" { "P" "P" "" }\n'
        '{ { "x" "x" "x_1" } { "only" } { "1" } }\n"multi-line\ncomment"\n1 2 3 4 5 6 7 8 9\n'
    )
    game = parse_nfg(text)
    assert game.title == 'a "quoted" title with a\\backslash and \\x'
    assert game.comment == "multi-line\ncomment"
    # Gambit's label normalisation: empty or repeated labels get the first free "_n" suffix
    assert game.player_names == ("P_1", "P_2", "_1")
    assert game.strategy_names[0] == ("x_2", "x_3", "x_1")


def test_numbers_in_every_gambit_notation():
    text = 'NFG 1 R "n" { "a" "b" } { 2 1 }\n1.5 -2 .25 +3\n'
    game = parse_nfg(text.replace("+3", "3/4"))
    assert game.exact[0].ravel().tolist() == [F(3, 2), F(1, 4)]
    assert game.exact[1].ravel().tolist() == [-2, F(3, 4)]
    game = parse_nfg('NFG 1 R "n" { "a" } { 2 }\n2.5e2 1E-2\n')
    assert game.exact[0].tolist() == [250, F(1, 100)]


@pytest.mark.parametrize(
    "payoff, message",
    [
        ("1e999999999", "exponents beyond"),
        ("1e400", "out of range"),
        ("2e308", "out of range"),
        ("1/0", "divides by zero"),
        ("1" * 1200, "digits"),
    ],
)
def test_numbers_are_bounded_before_any_arithmetic(payoff, message):
    with pytest.raises(NFGFormatError, match=f"line 3: .*{message}"):
        parse_nfg(f'NFG 1 R "n" {{ "a" }} {{ 2 }}\n""\n1 {payoff}\n')


def test_encodings(tmp_path):
    latin = tmp_path / "latin.nfg"
    latin.write_bytes('NFG 1 R "Caf\xe9 \xe0 la cr\xe8me" { "a" } { 1 }\n1\n'.encode("latin-1"))
    assert load_game(latin).title == "Café à la crème"
    bom = tmp_path / "bom.nfg"
    bom.write_bytes(b"\xef\xbb\xbf" + 'NFG 1 R "Café" { "a" } { 1 }\n1\n'.encode())
    assert load_game(bom).title == "Café"
    utf16 = tmp_path / "utf16.nfg"
    utf16.write_bytes('NFG 1 R "Ω" { "a" } { 1 }\n1\n'.encode("utf-16"))
    assert load_game(utf16).title == "Ω"
    cp = tmp_path / "cp.nfg"
    cp.write_bytes('NFG 1 R "\u20ac" { "a" } { 1 }\n1\n'.encode("cp1252"))
    assert load_game(cp, encoding="cp1252").title == "\u20ac"
    bad = tmp_path / "bad.nfg"
    bad.write_bytes(b'NFG 1 R "t" { "a" } { 1 }\n"\x81\x8d"\n1\n')
    with pytest.raises(NFGFormatError, match=r"bad\.nfg: line 2: byte 0x81"):
        load_game(bad)


def test_writer_output_reads_back_in_pygambit_with_labels_title_and_comment(tmp_path):
    gbt = pytest.importorskip("pygambit")
    game = parse_nfg(FORMS["names+outcomes"].replace('"S"', '"Selten \\"75\\" c:\\\\x"'))
    for version in ("payoff", "outcome"):
        path = tmp_path / f"{version}.nfg"
        save_game(game, path)
        theirs = gbt.read_nfg(str(path))
        assert theirs.title == game.title == 'Selten "75" c:\\x'
        assert [p.label for p in theirs.players] == list(game.player_names)
        arrays = theirs.to_arrays(dtype=F)
        assert all((np.array(a, dtype=object) == game.exact[i]).all() for i, a in enumerate(arrays))
        if version == "outcome":
            assert [tuple(s.label for s in p.strategies) for p in theirs.players] == list(game.strategy_names)
        assert load_game(path) == game
    with pytest.raises(ValueError, match="backslash"):
        to_nfg(NormalFormGame([[1]], title="ends with \\"))
