"""Listeners: what a player understands from the day discussion, and the belief that follows.

A listener turns each public speech into a :class:`SpeechReading` -- probabilities of the speech's kind
(evidence, accusation, defense), of the role it claims and of the player it is about -- and a
:class:`ListeningBelief` moves a player's private belief (from its night knowledge) by every reading, in speaking
order.  Three readers:

- :func:`structured_reading`: the structured fields of a template speech (certain);
- :class:`TextReader`: an offline model of the words -- hashed word n-grams into three linear softmax heads,
  trained on generated transcripts (``python -m tactica.agents.discussion.train listener``) and shipped with the
  package (:meth:`TextReader.default`); no language model needed;
- :class:`LLMListener`: asks any :class:`tactica.llm.ChatModel` for its belief over every player's role.

When a speech has words, the listeners read the words and ignore the structured fields, so what is said moves
beliefs and votes.  The text-only entry point, for transcripts from any source (an LLM, a person, a trained game
model), is :func:`beliefs_from_text`::

    >>> from tactica.agents.discussion.listeners import beliefs_from_text
    >>> roles, belief = beliefs_from_text(
    ...     [(0, "I am the Seer and I looked at Player 3: a Werewolf!"), (2, "I'm just a Villager.")],
    ...     num_players=5, deck="werewolf werewolf seer robber troublemaker insomniac villager villager".split())
    >>> belief.shape  # one row per player, one column per role in `roles`
    (5, 6)
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tactica.envs.onuw.rules import PlayerView, Role, parse_deck

__all__ = [
    "KINDS",
    "MAX_SEATS",
    "SpeechReading",
    "structured_reading",
    "TextReader",
    "ListeningBelief",
    "LLMListener",
    "apply_reading",
    "target_class",
    "tokenize",
    "beliefs_from_text",
    "default_listener_path",
]

KINDS = ("evidence", "accusation", "defense")
#: Seats a reader can name (tactica's games have at most 10 players).
MAX_SEATS = 10
#: Target classes of a reading: nobody, the speaker itself, then Player 1..10.
TARGET_NONE, TARGET_SELF = 0, 1
LISTENER_FILE = "onuw_listener.npz"


def default_listener_path() -> Path:
    """The offline text reader shipped with the package."""
    return Path(str(resources.files("tactica.agents.discussion") / "data" / LISTENER_FILE))


@dataclass(frozen=True)
class SpeechReading:
    """What a listener understood from one speech, as probabilities.

    Attributes:
        kind: ``(3,)`` over :data:`KINDS`.
        claim: ``(len(Role) + 1,)`` over the roles (in :class:`Role` order) and, last, "no role named".
        target: ``(2 + MAX_SEATS,)`` over nobody, the speaker itself, then Player 1..10.
    """

    kind: np.ndarray
    claim: np.ndarray
    target: np.ndarray

    def seat_probabilities(self, speaker: int, num_players: int) -> np.ndarray:
        """``(num_players,)``: the probability that the speech is about each seat ("myself" is the speaker)."""
        out = np.zeros(num_players)
        out[:] = self.target[2 : 2 + num_players]
        out[speaker] += self.target[TARGET_SELF]
        return out

    def most_likely(self) -> tuple[str, Role | None, int | None]:
        """``(kind, claim, target)`` with the most likely value of each (target: ``-1`` means the speaker)."""
        kind = KINDS[int(np.argmax(self.kind))]
        c = int(np.argmax(self.claim))
        t = int(np.argmax(self.target))
        claim = None if c == len(Role) else Role(c)
        target = None if t == TARGET_NONE else (-1 if t == TARGET_SELF else t - 2)
        return kind, claim, target


def structured_reading(kind: str, claim: Role | None, target: int | None, speaker: int) -> SpeechReading:
    """The certain reading of a structured speech's fields."""
    k = np.zeros(len(KINDS))
    k[KINDS.index(kind)] = 1.0
    c = np.zeros(len(Role) + 1)
    c[len(Role) if claim is None else int(claim)] = 1.0
    t = np.zeros(2 + MAX_SEATS)
    t[target_class(kind, target, speaker)] = 1.0
    return SpeechReading(k, c, t)


def target_class(kind: str, target: int | None, speaker: int) -> int:
    """The target class of a structured speech: a defense without a target defends the speaker ("I am not a
    Werewolf"), as its words say."""
    if target is None:
        return TARGET_SELF if kind == "defense" else TARGET_NONE
    return TARGET_SELF if target == speaker else 2 + target


class Reader(Protocol):
    def read(self, text: str) -> SpeechReading: ...


# ------------------------------------------------------------------------------------------ offline reader

_NUMBERS = {w: i for i, w in enumerate("one two three four five six seven eight nine ten".split(), start=1)}
_ROLE_WORDS = {
    "werewolf": Role.WEREWOLF,
    "werewolves": Role.WEREWOLF,
    "wolf": Role.WEREWOLF,
    "wolves": Role.WEREWOLF,
    "minion": Role.MINION,
    "mason": Role.MASON,
    "masons": Role.MASON,
    "seer": Role.SEER,
    "robber": Role.ROBBER,
    "troublemaker": Role.TROUBLEMAKER,
    "drunk": Role.DRUNK,
    "insomniac": Role.INSOMNIAC,
    "villager": Role.VILLAGER,
    "villagers": Role.VILLAGER,
    "tanner": Role.TANNER,
    "hunter": Role.HUNTER,
}
_SEAT = re.compile(r"\b(?:player|p)\s*#?\s*(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b")
_TOKEN = re.compile(r"[a-z_0-9']+")


_NEGATIONS = {"not", "no", "never", "nobody", "cannot"}
_NEGATION_SCOPE = 3


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens with seats as ``seat_k`` and role names as ``role_name`` (plurals and "wolf" folded);
    the few tokens after a negation ("not", "n't", "never", ...) are marked ``not_...`` (a negation scope, so
    "Player 2 is not a Werewolf" does not read like "Player 2 is a Werewolf")."""
    text = text.lower().replace("trouble maker", "troublemaker").replace("’", "'")

    def seat(match: re.Match) -> str:
        word = match.group(1)
        return f" seat_{int(word) if word.isdigit() else _NUMBERS[word]} "

    text = _SEAT.sub(seat, text)
    out = []
    for token in _TOKEN.findall(text):
        token = token.removesuffix("'s")
        if token in _ROLE_WORDS:
            token = f"role_{_ROLE_WORDS[token].name.lower()}"
        elif token in ("i'm", "im"):
            out.append("i")
            token = "am"
        elif token.endswith("n't"):
            out.append(token[:-3])
            token = "not"
        out.append(token)
    marked, scope = [], 0
    for token in out:
        if token in _NEGATIONS:
            marked.append(token)
            scope = _NEGATION_SCOPE
        elif scope:
            marked.append(f"not_{token}")
            scope -= 1
        else:
            marked.append(token)
    return marked


def hashed_features(text: str, dim: int) -> np.ndarray:
    """Indices of the hashed uni-, bi- and trigrams of ``text`` (plus a bias feature 0)."""
    tokens = ["<s>", *tokenize(text), "</s>"]
    grams = tokens + [" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)]
    grams += [" ".join(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    return np.array([0] + [1 + zlib.crc32(g.encode()) % (dim - 1) for g in grams], dtype=np.int64)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


class TextReader:
    """The offline reader: hashed word n-grams -> three linear softmax heads (kind, claim, target).

    Args:
        weights: ``(dim, 3 + len(Role) + 1 + 2 + MAX_SEATS)`` float array, one row per hashed feature.
        meta: provenance (training data, accuracies), kept with the weights.
    """

    def __init__(self, weights: np.ndarray, meta: dict[str, Any] | None = None):
        weights = np.asarray(weights, dtype=np.float32)
        expected = len(KINDS) + len(Role) + 1 + 2 + MAX_SEATS
        if weights.ndim != 2 or weights.shape[1] != expected:
            raise ValueError(f"reader weights must have shape (dim, {expected}), got {weights.shape}")
        self.weights = weights
        self.dim = weights.shape[0]
        self.meta = dict(meta or {})
        self._cache: dict[str, SpeechReading] = {}

    @classmethod
    def load(cls, path: str | Path) -> TextReader:
        """A reader saved by :meth:`save` (plain arrays and JSON; nothing is unpickled)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"no ONUW text listener at {path}; train one with "
                "`python -m tactica.agents.discussion.train listener`"
            )
        with np.load(path, allow_pickle=False) as blob:
            return cls(blob["weights"], json.loads(str(blob["meta"])))

    _DEFAULT: TextReader | None = None

    @classmethod
    def default(cls) -> TextReader:
        """The reader shipped with the package (loaded once)."""
        if cls._DEFAULT is None:
            cls._DEFAULT = cls.load(default_listener_path())
        return cls._DEFAULT

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path, weights=self.weights.astype(np.float16), meta=np.array(json.dumps(self.meta))
        )

    def logits(self, text: str) -> np.ndarray:
        return self.weights[hashed_features(text, self.dim)].sum(axis=0)

    def read(self, text: str) -> SpeechReading:
        """The reading of one speech's words (memoised: games repeat the same speeches to every listener)."""
        if not isinstance(text, str):
            raise TypeError(f"a speech is read from a str, got {type(text).__name__}")
        reading = self._cache.get(text)
        if reading is None:
            z = self.logits(text)
            a, b = len(KINDS), len(KINDS) + len(Role) + 1
            reading = SpeechReading(_softmax(z[:a]), _softmax(z[a:b]), _softmax(z[b:]))
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[text] = reading
        return reading


# ------------------------------------------------------------------------------------------ belief update


def apply_reading(
    belief: np.ndarray,
    roles: Sequence[Role],
    listener: int | None,
    speaker: int,
    reading: SpeechReading,
    claim_weight: float,
    accusation_weight: float,
    fixed: np.ndarray | None = None,
) -> None:
    """Move ``belief`` (``(N, K)`` over ``roles``, in place) by one speech's reading.

    Evidence pulls the speaker's row toward the role it claims (``claim_weight``); an accusation of being a
    Werewolf pulls the named player's row toward Werewolf and a defense pushes it away (``accusation_weight``),
    each in proportion to how sure the reading is.  The listener's own row and the rows in ``fixed`` (what the
    listener knows for sure) do not move.
    """
    n = belief.shape[0]
    p_evidence, p_accuse, p_defend = reading.kind
    claims = np.array([reading.claim[int(r)] for r in roles])
    w = roles.index(Role.WEREWOLF) if Role.WEREWOLF in roles else None

    def movable(p: int) -> bool:
        return p != listener and (fixed is None or not fixed[p])

    if movable(speaker) and claims.sum() > 0:
        x = claim_weight * p_evidence
        belief[speaker] = (1.0 - x * claims.sum()) * belief[speaker] + x * claims
    if w is None:
        return
    about = reading.seat_probabilities(speaker, n)
    wolf_claim = reading.claim[int(Role.WEREWOLF)] + reading.claim[len(Role)]
    for p in range(n):
        if not movable(p) or about[p] <= 0:
            continue
        x = accusation_weight * p_accuse * about[p] * wolf_claim
        belief[p] *= 1.0 - x
        belief[p, w] += x
        belief[p, w] *= 1.0 - accusation_weight * p_defend * about[p]


class ListeningBelief:
    """A private belief moved by what every speech says (see the module docstring).

    Args:
        private: a belief ``view -> (N, K)`` from the player's own night knowledge (exact or heuristic).
        reader: reads speeches that have words (default: the shipped :class:`TextReader`); speeches without words
            are read from their structured fields.
        claim_weight, accusation_weight: how far one certain claim / accusation moves a row.
    """

    def __init__(
        self,
        private: Any,
        reader: Reader | None = None,
        claim_weight: float = 0.25,
        accusation_weight: float = 0.08,
    ):
        for name, value in (("claim_weight", claim_weight), ("accusation_weight", accusation_weight)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        self.private = private
        self.reader = reader
        self.claim_weight = claim_weight
        self.accusation_weight = accusation_weight

    def reading(self, speech: Any) -> SpeechReading:
        """How this listener reads one public speech: its words when it has some, else its fields."""
        if speech.text:
            return (self.reader or TextReader.default()).read(speech.text)
        return structured_reading(speech.kind, speech.claim, speech.target, speech.speaker)

    def __call__(self, view: PlayerView) -> np.ndarray:
        belief = np.array(self.private(view), dtype=float)
        fixed = belief.max(axis=1) >= 1.0 - 1e-9  # sure knowledge is not talked away
        roles = view.roles_in_deck
        for speech in view.speeches:
            apply_reading(
                belief,
                roles,
                view.seat,
                speech.speaker,
                self.reading(speech),
                self.claim_weight,
                self.accusation_weight,
                fixed,
            )
        belief /= belief.sum(axis=1, keepdims=True)
        return belief


def _parse_discussion(discussion: str | Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    if isinstance(discussion, str):
        out = []
        for line in discussion.splitlines():
            match = re.match(r"\s*(?:-\s*)?(?:\[[^\]]*\]\s*)?player\s*(\d+)\s*:\s*(.*)", line, re.IGNORECASE)
            if match:
                out.append((int(match.group(1)) - 1, match.group(2)))
            elif line.strip():
                raise ValueError(f"cannot read the speaker of {line!r}; write lines as 'Player k: words'")
        return out
    return [(int(seat), str(text)) for seat, text in discussion]


def beliefs_from_text(
    discussion: str | Sequence[tuple[int, str]],
    num_players: int,
    deck: Sequence[Role | str],
    *,
    listener: int | None = None,
    reader: Reader | None = None,
    claim_weight: float = 0.25,
    accusation_weight: float = 0.08,
) -> tuple[tuple[Role, ...], np.ndarray]:
    """Beliefs over every player's role from the discussion's words alone (no night knowledge).

    Args:
        discussion: ``[(seat, words), ...]`` with 0-based seats, or text with one ``"Player k: words"`` line per
            speech (1-based, as spoken).
        num_players: seats in the game; ``deck``: the cards in play (the prior is the deck's composition).
        listener: the seat listening (its own row does not move), or ``None`` for an onlooker.
        reader: default: the shipped offline :class:`TextReader`.

    Returns ``(roles, belief)``: the deck's distinct roles and an ``(N, len(roles))`` array of distributions.
    """
    deck = parse_deck(deck)
    roles = tuple(sorted(set(deck)))
    speeches = _parse_discussion(discussion)
    for seat, _ in speeches:
        if not 0 <= seat < num_players:
            raise ValueError(f"speaker seat {seat} is not in [0, {num_players})")
    counts = np.array([deck.count(r) for r in roles], dtype=float)
    belief = np.tile(counts / counts.sum(), (num_players, 1))
    reader = reader or TextReader.default()
    for seat, text in speeches:
        apply_reading(belief, roles, listener, seat, reader.read(text), claim_weight, accusation_weight)
    belief /= belief.sum(axis=1, keepdims=True)
    return roles, belief


# ----------------------------------------------------------------------------------------------- LLM listener


class LLMListener:
    """The paper's belief-modelling step over any ChatModel: the model reads the player's view (night
    knowledge and every speech's words) and answers its belief over every player's current role as JSON.

    Rows the model leaves out or garbles fall back to ``fallback`` (default: an offline :class:`ListeningBelief`);
    ``failures`` counts them.
    """

    def __init__(self, llm: Any, fallback: Any = None, temperature: float = 0.0):
        from tactica.agents.discussion.speech import as_chat_model

        self.llm = as_chat_model(llm)
        self.fallback = fallback
        self.temperature = temperature
        self.failures = 0

    def prompt(self, view: PlayerView) -> list[dict[str, str]]:
        from tactica.envs.onuw.view import player_view_from

        roles = ", ".join(r.title for r in view.roles_in_deck)
        example = {
            f"Player {p + 1}": {r.title: round(1 / len(view.roles_in_deck), 2) for r in view.roles_in_deck}
            for p in range(min(2, view.num_players))
        }
        return [
            {"role": "system", "content": "You are a careful player of One Night Ultimate Werewolf."},
            {
                "role": "user",
                "content": f"{player_view_from(view)}\n\nThink about what every player said and what you know. "
                f"Give your belief about every player's CURRENT role (roles: {roles}) as one JSON object mapping "
                f'"Player k" to probabilities, e.g. {json.dumps(example)}. Answer with the JSON only.',
            },
        ]

    def __call__(self, view: PlayerView) -> np.ndarray:
        from tactica.agents.discussion.belief import auto_belief

        fallback = (self.fallback or auto_belief(view))(view)
        reply = self.llm.chat(self.prompt(view), temperature=self.temperature, max_tokens=600)
        parsed = parse_belief_json(reply, view.num_players, view.roles_in_deck)
        out = np.array(fallback, dtype=float)
        for p in range(view.num_players):
            if parsed[p] is None:
                self.failures += 1
            else:
                out[p] = parsed[p]
        return out


def extract_json(text: str) -> Any:
    """The first JSON object in ``text`` (models wrap it in prose or code fences), or ``None``."""
    start = text.find("{")
    while start != -1:
        depth = 0
        for end in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                try:
                    return json.loads(text[start : end + 1])
                except json.JSONDecodeError:
                    break
        start = text.find("{", start + 1)
    return None


def parse_belief_json(text: str, num_players: int, roles: Sequence[Role]) -> list[np.ndarray | None]:
    """Per seat, the distribution over ``roles`` the model gave (``None`` where it gave none or a bad one).

    A row may be a mapping role -> probability or a single role name (read as certainty).
    """
    data = extract_json(text)
    rows: list[np.ndarray | None] = [None] * num_players
    if not isinstance(data, dict):
        return rows
    index = {r.title.lower(): i for i, r in enumerate(roles)}
    for key, value in data.items():
        match = re.search(r"(\d+)", str(key))
        if not match or not 1 <= int(match.group(1)) <= num_players:
            continue
        row = np.zeros(len(roles))
        if isinstance(value, str) and value.strip().lower() in index:
            row[index[value.strip().lower()]] = 1.0
        elif isinstance(value, dict):
            for role, prob in value.items():
                name = str(role).strip().lower()
                if name in index and isinstance(prob, (int, float)) and prob >= 0:
                    row[index[name]] += float(prob)
        if row.sum() > 0:
            rows[int(match.group(1)) - 1] = row / row.sum()
    return rows
