"""All equilibria of n-player games (support enumeration + certified polynomial solving).

Games are transcribed from Gambit's catalog (gambitproject/gambit: doc/2x2x2.nfg, contrib/games/2x2x2x2x2.nfg,
contrib/games/perfect3.nfg, catalog/journals/ijgt/nau2004/sec4-6.nfg) and written out here; pygambit's
``enumpoly`` is the dev oracle where it finishes.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from tactica.equilibria import NormalFormGame, certify_exact, exploitability
from tactica.equilibria.formats import parse_nfg
from tactica.equilibria.polynomial import SizeGuardError, polynomial_equilibria

MCKELVEY_MCLENNAN_2X2X2 = """NFG 1 R "2x2x2 Example from McKelvey-McLennan, with 9 Nash equilibria, 2 totally mixed"
{ "Player 1" "Player 2" "Player 3" } { { "1" "2" } { "1" "2" } { "1" "2" } } ""
{ { "" 9, 8, 12 } { "" 0, 0, 0 } { "" 0, 0, 0 } { "" 9, 8, 2 } { "" 0, 0, 0 } { "" 3, 4, 6 } { "" 3, 4, 6 }
{ "" 0, 0, 0 } }
1 2 3 4 5 6 7 8
"""

FIVE_PLAYER_ROWS = [
    "7.247 7.362 4.642 4.042 4.225 / 2.537 1.427 4.542 7.577 2.236 / 1.223 2.234 5.255 2.643 4.564",
    "2.675 1.132 5.369 4.669 1.131 / 1.759 1.735 4.452 1.655 2.747 / 2.778 2.342 2.164 2.243 1.473",
    "4.12 7.324 4.483 4.995 4.383 / 2.747 3.518 1.223 2.234 5.255 / 4.837 1.478 1.973 7.566 7.076",
    "2.355 2.798 2.832 3.974 3.575 / 1.762 5.634 2.455 1.335 4.434 / 2.426 2.326 3.222 4.452 1.655",
    "3.518 1.131 2.426 2.326 3.222 / 1.74 3.803 3.464 1.323 1.214 / 4.864 1.428 4.248 5.231 4.486",
    "2.643 4.564 1.762 5.634 2.455 / 4.943 4.382 1.897 3.83 5.277 / 2.417 1.624 4.572 7.969 5.174",
    "1.358 2.238 5.334 2.873 4.326 / 2.238 1.985 5.395 4.274 1.21 / 2.705 4.043 4.549 1.347 2.243",
    "1.646 1.64 5.349 5.056 4.58 / 4.976 7.723 5.764 5.754 1.436 / 2.243 3.062 1.358 2.238 5.334",
    "5.645 2.544 7.486 4.655 4.423 / 5.347 1.403 1.38 2.793 2.269 / 1.576 5.675 6.523 1.734 4.271",
    "2.429 2.422 3.024 4.549 1.347 / 3.062 1.21 2.429 2.422 3.024 / 4.192 2.685 2.678 4.792 4.462",
    "5.267 1.521 4.533 5.458 4.882 / 2.873 4.326 1.576 5.675 6.523",
]
FIVE_PLAYER = (
    'NFG 1 R "Five person 2x2x2x2x2 game with five equilibria" { "1" "2" "3" "4" "5" } { 2 2 2 2 2 }\n""\n'
    + "\n".join(row.replace(" / ", "\n") for row in FIVE_PLAYER_ROWS)
    + "\n"
)

NAU_SEC4 = """NFG 1 R "Three-player game with a unique Nash solution in irrational strategies" { "1" "2" "3" }
{ 2 2 2 } "" 3 0 2 0 1 0 0 2 0 1 0 0 1 0 0 0 3 0 0 1 0 2 0 3
"""
NAU_SEC5 = """NFG 1 R "Game with a continuum of completely mixed-strategy Nash equilibria" { "1" "2" "3" }
{ 2 2 2 } "" 0 0 2 3 0 0 0 3 0 0 0 0 1 1 0 0 0 0 0 0 0 0 0 3
"""
NAU_SEC6 = """NFG 1 R "2x2x4 game with Nash equilibria in the relative interior of the CE polytope" { "1" "2" "3" }
{ 2 2 4 } "" 2 0 0 0 2 1 0 1 1 1 0 2 1 0 2 0 1 1 0 2 1 2 0 0 1 0 1 0 2 0 0 1 2 2 0 1 2 0 1 0 1 2 0 2 0 1 0 1
"""
PERFECT3 = """NFG 1 R "Three person version of perfect2" { "1" "2" "3" } { { "1" "2" "3" } { "1" "2" "3" } { "1" } } ""
{ { "111" 4, 0, 1 } { "121" 0, 0, 1 } { "131" 0, 4, 1 } { "211" 2, 1, 1 } { "221" 3, 3, 1 } { "231" 2, 1, 1 }
{ "311" 0, 4, 1 } { "321" 0, 0, 1 } { "331" 4, 0, 1 } }
1 4 7 2 5 8 3 6 9
"""


def _flat(eq) -> np.ndarray:
    return np.concatenate(eq.profile)


def _certified(game: NormalFormGame, eq) -> None:
    """Exact equilibria have exact regret 0; irrational ones a certified enclosure, tiny residual and regret."""
    if eq.exact_profile is not None:
        assert certify_exact(game, eq.exact_profile).is_equilibrium
    else:
        assert eq.info["certificate"].startswith("krawczyk")
        assert eq.info["enclosure_width"] < 1e-12 and eq.info["residual"] < 1e-12
        assert exploitability(game, list(eq.profile)).relative_epsilon < 1e-12


def _enumpoly(game_text: str, tmp_path) -> list[np.ndarray]:
    gbt = pytest.importorskip("pygambit")
    path = tmp_path / "g.nfg"
    path.write_text(game_text)
    game = gbt.read_nfg(str(path))
    result = gbt.nash.enumpoly_solve(game)
    return [np.array([float(eq[s]) for p in game.players for s in p.strategies]) for eq in result.equilibria]


def test_mckelvey_mclennan_2x2x2_nine_exact_equilibria():
    game = parse_nfg(MCKELVEY_MCLENNAN_2X2X2)
    result = polynomial_equilibria(game)
    assert result.complete and not result.components
    found = {tuple(tuple(row) for row in eq.exact_profile) for eq in result.equilibria}
    half, third, quarter = F(1, 2), F(1, 3), F(1, 4)
    mixed = {
        ((half, half), (half, half), (1, 0)),
        ((third, 1 - third), (1, 0), (quarter, 1 - quarter)),
        ((0, 1), (quarter, 1 - quarter), (third, 1 - third)),
        ((half, half), (F(2, 5), F(3, 5)), (quarter, 1 - quarter)),  # totally mixed
        ((F(2, 5), F(3, 5)), (half, half), (third, 1 - third)),  # totally mixed
    }
    assert len(found) == 9 and mixed <= found
    assert sum(all(max(row) == 1 for row in eq) for eq in found) == 4  # four pure equilibria
    for eq in result.equilibria:
        _certified(game, eq)


def test_five_player_game_has_five_equilibria_and_enumpoly_misses_one(tmp_path):
    """Gambit's 2x2x2x2x2.nfg is titled as having five equilibria; enumpoly lists four."""
    game = parse_nfg(FIVE_PLAYER)
    result = polynomial_equilibria(game)
    assert result.complete and not result.components
    assert len(result.equilibria) == 5
    for eq in result.equilibria:
        _certified(game, eq)
    theirs = _enumpoly(FIVE_PLAYER, tmp_path)
    assert len(theirs) == 4
    ours = [_flat(eq) for eq in result.equilibria]
    assert all(any(np.abs(t - o).max() < 1e-5 for o in ours) for t in theirs)
    missed = [eq for eq in result.equilibria if not any(np.abs(_flat(eq) - t).max() < 1e-5 for t in theirs)]
    assert len(missed) == 1
    (eq,) = missed
    # player 1 and player 5 play their first strategy, players 2-4 mix; the probabilities are irrational
    assert eq.info["support"] == ((0,), (0, 1), (0, 1), (0, 1), (0,))
    assert eq.exact_profile is None
    np.testing.assert_allclose(_flat(eq)[[2, 4, 6]], [0.230038, 0.631083, 0.699408], atol=1e-6)


def test_unique_irrational_equilibrium_certified(tmp_path):
    game = parse_nfg(NAU_SEC4)
    result = polynomial_equilibria(game)
    assert result.complete and len(result.equilibria) == 1
    (eq,) = result.equilibria
    _certified(game, eq)
    (theirs,) = _enumpoly(NAU_SEC4, tmp_path)
    assert np.abs(_flat(eq) - theirs).max() < 1e-6


def test_continuum_of_equilibria_reported_as_components():
    """Nau et al. (2004) section 5: 3 pure equilibria and a continuum of completely mixed ones."""
    game = parse_nfg(NAU_SEC5)
    result = polynomial_equilibria(game)
    assert result.complete
    assert len(result.equilibria) == 3 and all(eq.exact_profile is not None for eq in result.equilibria)
    supports = {c.support: c for c in result.components}
    full = supports[((0, 1), (0, 1), (0, 1))]
    assert full.dimension == 1 and full.witnesses
    # player 3 mixing while players 1 and 2 play (Top, Right) or (Bottom, Left): segments of equilibria
    assert {((0,), (1,), (0, 1)), ((1,), (0,), (0, 1))} <= set(supports)
    for component in result.components:
        for eq in component.witnesses:
            _certified(game, eq)
    assert sum("in_component" in eq.info for eq in result.equilibria) == 2


def test_segment_of_equilibria_where_enumpoly_does_not_finish():
    """Nau et al. (2004) section 6 (enumpoly runs past 300 s): a segment of equilibria with full support."""
    game = parse_nfg(NAU_SEC6)
    result = polynomial_equilibria(game)
    assert result.complete
    (component,) = result.components
    assert component.support == ((0, 1), (0, 1), (0, 1, 2, 3)) and component.dimension == 1
    (witness,) = component.witnesses
    assert witness.exact_profile[:2] == ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)))
    a = witness.exact_profile[2][0]
    assert witness.exact_profile[2] == (a, a, F(1, 2) - a, F(1, 2) - a) and 0 < a < F(1, 2)
    # the segment's two end points have smaller supports: listed, and flagged as lying on the component
    ends = {eq.exact_profile[2] for eq in result.equilibria}
    assert ends == {(F(1, 2), F(1, 2), 0, 0), (0, 0, F(1, 2), F(1, 2))}
    assert all(eq.info.get("in_component") == 0 for eq in result.equilibria)


def test_perfect3_finishes():
    game = parse_nfg(PERFECT3)
    result = polynomial_equilibria(game)
    assert result.complete
    assert len(result.equilibria) == 2 and len(result.components) == 1
    for eq in result.equilibria + list(result.components[0].witnesses):
        _certified(game, eq)


@pytest.mark.parametrize("seed", range(3))
def test_random_three_player_games_contain_enumpoly_answer(tmp_path, seed):
    from tactica.equilibria.formats import to_nfg

    rng = np.random.default_rng([3, seed])
    game = NormalFormGame(rng.integers(0, 100, (3, 3, 3, 2)))
    result = polynomial_equilibria(game)
    assert result.complete
    for eq in result.equilibria:
        _certified(game, eq)
    ours = [_flat(eq) for eq in result.equilibria]
    for theirs in _enumpoly(to_nfg(game), tmp_path):
        assert any(np.abs(theirs - o).max() < 1e-5 for o in ours)


def test_two_player_game_gives_the_vertex_enumeration_set(eqh):
    from tactica.equilibria import vertex_enumeration

    game = eqh.random_bimatrix(4, 1)
    result = polynomial_equilibria(game)
    assert eqh.exact_set(result.equilibria) == eqh.exact_set(vertex_enumeration(game, exact=True))


def test_size_guard_refuses_with_the_estimate():
    game = NormalFormGame(np.zeros((3, 7, 7, 7)))
    with pytest.raises(SizeGuardError, match=r"7x7x7 game would examine 2\.05e\+06 support profiles \(about"):
        polynomial_equilibria(game)
