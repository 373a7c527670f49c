"""One flat ``Discrete`` action space for every ONUW decision, and the legal-move masks.

Layout (``N`` players, ``K`` distinct roles in the deck), in this order:

- ``0``: *pass* -- the night "do nothing" of optional actions, and the no-op of players who are not acting;
- night: look at player ``p`` (``N``), look at centre card ``c`` (3), look at two centre cards (3 pairs), look
  at two random centre cards (1), rob player ``p`` (``N``), swap players ``a < b`` (``N(N-1)/2``), take centre
  card ``c`` (3) -- the centre actions only exist in games with centre cards;
- speech: tactic (6) x target (none or a seat: ``N + 1``) x claim (none or a deck role: ``K + 1``);
- vote: a seat (``N``), then abstain (1).

Pure module: no Gymnasium or PettingZoo import.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tactica.envs.onuw.rules import NUM_CENTER, PASS, Game, NightAction, Phase, Role, Speech, Tactic

__all__ = ["ActionCodec", "Decoded"]


class Decoded(NamedTuple):
    """A decoded action: ``kind`` is ``"pass"``, ``"night"``, ``"speech"`` or ``"vote"``."""

    kind: str
    night: NightAction | None = None
    tactic: Tactic | None = None
    target: int | None = None
    claim: Role | None = None


class ActionCodec:
    """Maps action ids to night actions, speeches and votes for ``num_players`` and the deck's roles."""

    def __init__(self, num_players: int, roles_in_deck: tuple[Role, ...], num_center: int = NUM_CENTER):
        n = num_players
        self.num_players = n
        self.num_center = num_center
        self.roles = tuple(sorted(roles_in_deck))
        table: list[Decoded] = [Decoded("pass", night=PASS)]
        center = range(n, n + num_center)
        night: list[NightAction] = [NightAction("view", (p,)) for p in range(n)]
        night += [NightAction("view", (c,)) for c in center]
        night += [NightAction("view", (a, b)) for a in center for b in center if a < b]
        if num_center:
            night.append(NightAction("view_random_center"))
        night += [NightAction("rob", (p,)) for p in range(n)]
        night += [NightAction("swap", (a, b)) for a in range(n) for b in range(n) if a < b]
        night += [NightAction("take", (c,)) for c in center]
        table += [Decoded("night", night=a) for a in night]
        self.speech_start = len(table)
        for tactic in Tactic:
            for target in (None, *range(n)):
                for claim in (None, *self.roles):
                    table.append(Decoded("speech", tactic=tactic, target=target, claim=claim))
        self.vote_start = len(table)
        table += [Decoded("vote", target=p) for p in range(n)]
        table.append(Decoded("vote", target=None))
        self.table = table
        self.n = len(table)
        self._night_index = {d.night: i for i, d in enumerate(table) if d.kind in ("pass", "night")}
        self._speech_index = {
            (d.tactic, d.target, d.claim): i for i, d in enumerate(table) if d.kind == "speech"
        }

    # ---------------------------------------------------------------------------------------- encoding

    def decode(self, action: int) -> Decoded:
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
            raise TypeError(f"an ONUW action is an int in [0, {self.n}), got {action!r}")
        if not 0 <= action < self.n:
            raise ValueError(f"action {action} is outside [0, {self.n})")
        return self.table[int(action)]

    def encode_night(self, action: NightAction) -> int:
        return self._night_index[action]

    def encode_speech(
        self, tactic: Tactic | int, target: int | None = None, claim: Role | None = None
    ) -> int:
        key = (Tactic(tactic), target, None if claim is None else Role(claim))
        try:
            return self._speech_index[key]
        except KeyError:
            raise ValueError(f"no speech action for tactic/target/claim {key!r} in this game") from None

    def encode_vote(self, target: int | None) -> int:
        if target is None:
            return self.vote_start + self.num_players
        if not 0 <= target < self.num_players:
            raise ValueError(f"vote target {target!r} is not a seat")
        return self.vote_start + int(target)

    # -------------------------------------------------------------------------------------------- masks

    def mask(self, game: Game, player: int, forced_night: dict[int, NightAction] | None = None) -> np.ndarray:
        """The int8 legal-move mask of ``player``; players who do not act now may only pass (id 0)."""
        mask = np.zeros(self.n, dtype=np.int8)
        if player not in game.actors():
            mask[0] = 1
            return mask
        if game.phase == Phase.NIGHT:
            if forced_night and player in forced_night:
                mask[self._night_index[forced_night[player]]] = 1
            else:
                for action in game.night_options(player):
                    mask[self._night_index[action]] = 1
        elif game.phase == Phase.DAY:
            mask[self.speech_start : self.vote_start] = 1
        elif game.phase == Phase.VOTE:
            for target in game.legal_vote_targets(player):
                mask[self.encode_vote(target)] = 1
        return mask

    def to_speech(self, player: int, decoded: Decoded, text: str | None = None) -> Speech:
        return Speech(player, decoded.tactic, claim=decoded.claim, target=decoded.target, text=text)  # type: ignore[arg-type]

    def describe(self, action: int) -> str:
        """A short human-readable name of an action id."""
        d = self.decode(action)
        if d.kind == "pass":
            return "pass"
        if d.kind == "night":
            return f"{d.night.kind}{list(d.night.targets) if d.night.targets else ''}"  # type: ignore[union-attr]
        if d.kind == "speech":
            claim = d.claim.title if d.claim is not None else "-"
            target = f"P{d.target + 1}" if d.target is not None else "-"
            return f"{d.tactic.label}(target={target}, claim={claim})"  # type: ignore[union-attr]
        return "abstain" if d.target is None else f"vote P{d.target + 1}"

    def __repr__(self) -> str:
        return (
            f"ActionCodec(num_players={self.num_players}, roles={[r.title for r in self.roles]}, "
            f"num_center={self.num_center}, n={self.n})"
        )
