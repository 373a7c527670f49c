"""The game settings of Jin et al. (NeurIPS 2024) as named presets, each with its source.

Source: the authors' code ``KylJin/Werewolf`` (``configs/*.json`` and ``onuw/environments/werewolf*.py``; the
final roles of the easy and hard deals follow from replaying their scripted nights).  Seats are 0-based here:
the paper's "Player 1" is seat 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tactica.envs.onuw.rules import NightAction, Role

__all__ = ["Preset", "PRESETS", "PAPER_DECK_5P", "DECK_3P", "get_preset"]

W, V, S, R, T, INS = Role.WEREWOLF, Role.VILLAGER, Role.SEER, Role.ROBBER, Role.TROUBLEMAKER, Role.INSOMNIAC

#: Five-player deck of ``configs/werewolf.json``: 2 Werewolves, 2 Villagers, Seer, Robber, Troublemaker, Insomniac.
PAPER_DECK_5P: tuple[Role, ...] = (W, W, V, V, S, R, T, INS)
#: Three-player deck of ``werewolf_3p``: the three "candidate roles" its prompt names (2 Werewolves, 1 Robber), no
#: centre.  The authors' config also lists Villager, Villager and Seer, which become centre cards no role can see or
#: take (no Seer, Drunk or lone Werewolf plays), and the prompt tells the players only of the three roles -- so
#: every player knows the deal, as the paper's equilibrium analysis assumes.
DECK_3P: tuple[Role, ...] = (W, W, R)


@dataclass(frozen=True)
class Preset:
    """A named setting: deck, optional fixed deal (seats then centre), scripted night actions, rules."""

    name: str
    num_players: int
    deck: tuple[Role, ...]
    rules: str = "paper"
    deal: tuple[Role, ...] | None = None
    forced_night: dict[int, NightAction] = field(default_factory=dict)
    rule_overrides: dict[str, Any] = field(default_factory=dict)
    description: str = ""


PRESETS: dict[str, Preset] = {
    "3p": Preset(
        "3p",
        3,
        DECK_3P,
        deal=DECK_3P,
        description="werewolf_3p: P1, P2 Werewolves, P3 Robber, no centre; 3 discussion rounds (paper rules)",
    ),
    "3p-no-discussion": Preset(
        "3p-no-discussion",
        3,
        DECK_3P,
        deal=DECK_3P,
        rule_overrides={"discussion_rounds": 0},
        description="werewolf_3p_wo: the 3-player setting without the Day phase (night -> vote)",
    ),
    "5p": Preset(
        "5p", 5, PAPER_DECK_5P, description="werewolf: 5 players, random deal of the paper's 8-card deck"
    ),
    "5p-easy": Preset(
        "5p-easy",
        5,
        PAPER_DECK_5P,
        deal=(T, W, S, R, V, INS, W, V),
        # Seer (P3) checks P4; Robber (P4) robs P1; Troublemaker (P1) swaps P3 and P5.
        forced_night={
            2: NightAction("view", (3,)),
            3: NightAction("rob", (0,)),
            0: NightAction("swap", (2, 4)),
        },
        description="werewolf_easy: final P1 Robber, P2 Werewolf, P3 Villager, P4 Troublemaker, P5 Seer",
    ),
    "5p-hard": Preset(
        "5p-hard",
        5,
        PAPER_DECK_5P,
        deal=(R, INS, S, W, T, W, V, V),
        # Seer (P3) checks P4; Robber (P1) robs P4; Troublemaker (P5) swaps P2 and P3.
        forced_night={
            2: NightAction("view", (3,)),
            0: NightAction("rob", (3,)),
            4: NightAction("swap", (1, 2)),
        },
        description="werewolf_hard: final P1 Werewolf, P2 Seer, P3 Insomniac, P4 Robber, P5 Troublemaker",
    ),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; unknown names raise ``ValueError`` listing the accepted ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; accepted: {', '.join(PRESETS)}") from None
