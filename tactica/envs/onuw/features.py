"""A fixed-length numeric view of one player's information, for RL policies and learned beliefs.

Everything here is what the player may know: its seat and initial card, its own night action (kind and the
positions it touched -- also when it saw nothing, as after a Troublemaker's swap or a Drunk's take), the cards it
saw at night, the public speeches (their kind, claim and target -- never the speaker's private tactic), and, once the game is over, the
vote tally.  Values lie in ``[0, 1]``.
"""

from __future__ import annotations

import numpy as np

from tactica.envs.onuw.rules import NUM_CENTER, PlayerView, Role

__all__ = ["NIGHT_KINDS", "feature_size", "encode_observation"]

_KINDS = ("evidence", "accusation", "defense")
#: The kinds of :class:`~tactica.envs.onuw.rules.NightAction`, in the order of the night-action one-hot.
NIGHT_KINDS = ("pass", "view", "view_random_center", "rob", "swap", "take")
# per player: self-claim (K), times accused, times defended, times named a Werewolf, own speech kinds (3)
_PER_PLAYER_EXTRA = 6


def feature_size(num_players: int, num_roles: int, num_center: int = NUM_CENTER) -> int:
    """Length of :func:`encode_observation` for ``num_players`` seats, ``num_roles`` distinct deck roles and
    ``num_center`` centre cards (3, or 0 in a game without a centre)."""
    n, k, positions = num_players, num_roles, num_players + num_center
    night = len(NIGHT_KINDS) + positions
    return n + k + 4 + 2 + night + positions * k + n * (k + _PER_PLAYER_EXTRA) + n


def encode_observation(view: PlayerView, roles: tuple[Role, ...] | None = None) -> np.ndarray:
    """The feature vector of a player's :class:`PlayerView`; ``roles`` fixes the role axis (default: the
    deck's distinct roles)."""
    roles = view.roles_in_deck if roles is None else roles
    n, k = view.num_players, len(roles)
    positions = n + view.num_center
    role_index = {r: i for i, r in enumerate(roles)}
    out = np.zeros(feature_size(n, k, view.num_center), dtype=np.float32)
    out[view.seat] = 1.0
    i = n
    out[i + role_index[view.initial_role]] = 1.0
    i += k
    out[i + int(view.phase)] = 1.0
    i += 4
    rounds = view.discussion_rounds
    total = rounds * n
    said = len(view.speeches)
    out[i] = (said // n) / rounds if rounds else 0.0
    out[i + 1] = said / total if total else 0.0
    i += 2
    action = view.night_action
    if action is not None:
        out[i + NIGHT_KINDS.index(action.kind)] = 1.0
        for target in action.targets:
            out[i + len(NIGHT_KINDS) + target] = 1.0
    i += len(NIGHT_KINDS) + positions
    for position, role in view.known_cards().items():
        out[i + position * k + role_index[role]] = 1.0
    i += positions * k
    block = k + _PER_PLAYER_EXTRA
    scale = 1.0 / max(1, total)
    for speech in view.speeches:
        s = speech.speaker
        kind = speech.kind
        out[i + s * block + k + 3 + _KINDS.index(kind)] += 1.0 / max(1, rounds)
        if kind == "evidence" and speech.claim is not None:
            base = i + s * block
            out[base : base + k] = 0.0
            out[base + role_index[speech.claim]] = 1.0
        elif speech.target is not None:
            base = i + speech.target * block + k
            if kind == "accusation":
                out[base] += scale
                if speech.claim in (None, Role.WEREWOLF):
                    out[base + 2] += scale
            else:
                out[base + 1] += scale
    i += n * block
    if view.tally is not None:
        out[i : i + n] = np.asarray(view.tally, dtype=np.float32) / n
    return out
