"""Words for structured speeches: a paraphrase grammar with two disjoint template banks.

A structured speech is ``(kind, claim, target)`` (see :class:`tactica.envs.onuw.rules.Speech`).  :func:`phrase`
turns one into a sentence or two, drawn from many templates plus optional filler, so that the words vary the way
players' words do.  The templates are split in two disjoint banks:

- ``"listen"``: the sentences the offline text listener (:mod:`.listeners`) is trained on;
- ``"speak"``: the sentences the built-in agents say in games.

Agents therefore speak with phrasings the offline listener never saw, so its in-game reading is measured on
held-out wording (``python -m tactica.agents.discussion.train listener`` reports both accuracies).
"""

from __future__ import annotations

import numpy as np

from tactica.envs.onuw.rules import Role

__all__ = ["BANKS", "phrase", "templates"]

BANKS = ("listen", "speak")

# {claim}: a role name; {target}: "Player k"; role-specific night verbs in _NIGHT_VERBS.
_EVIDENCE_CLAIM = [
    "I am the {claim}.",
    "I was dealt the {claim} card.",
    "My role is {claim}.",
    "I'm the {claim}, nothing to hide.",
    "Let me be clear: I started the night as the {claim}.",
    "I got the {claim} card at the start.",
    "I woke up as the {claim}.",
    "For the record, my card was the {claim}.",
    "I can reveal that I am the {claim}.",
    "My card says {claim}.",
    "I'll come out: {claim} here.",
    "I have the {claim} role.",
    "I'm the {claim}.",
    "I am {claim}.",
    "My card is the {claim}.",
    "Me? I'm the {claim}.",
    "I was the {claim} last night.",
    "Just so you know, I am the {claim}.",
]
_EVIDENCE_CLAIM_TARGET = [
    "I am the {claim}, and my night action involved {target}.",
    "I'm the {claim}; last night I used my ability on {target}.",
    "As the {claim}, I targeted {target} during the night.",
    "I was the {claim} and {target} was the one I chose at night.",
    "I am the {claim}. {verb}",
    "I'm the {claim} and {verb_lower}",
    "As the {claim}, {verb_lower}",
    "My role was {claim}: {verb_lower}",
    "I had the {claim} card, and at night I picked {target}.",
    "I can confirm I'm the {claim}, and {target} was my night target.",
]
_NIGHT_VERBS = {
    Role.ROBBER: [
        "I robbed {target}.",
        "I swapped my card with {target}.",
        "I took {target}'s card.",
        "I stole the card of {target}.",
    ],
    Role.SEER: ["I looked at {target}'s card.", "I checked {target}.", "I peeked at the card of {target}."],
    Role.TROUBLEMAKER: [
        "I switched the card of {target} with another one.",
        "I swapped {target} with someone.",
        "I moved {target}'s card.",
    ],
}
_EVIDENCE_NONE = [
    "I have information to share, but I will keep my role to myself for now.",
    "I'd rather not reveal my role yet.",
    "I know something useful, but I'll wait before I say it.",
    "Let's hear from everyone before I share what I saw.",
    "I won't say my role just yet.",
    "I have some evidence, but I'll hold it for the next round.",
]
_ACCUSE_WOLF = [
    "I think {target} is the Werewolf.",
    "{target} is a Werewolf, I'm sure of it.",
    "My money is on {target} being a wolf.",
    "{target} seems suspicious to me, probably a Werewolf.",
    "We should vote for {target}, they are the Werewolf.",
    "I suspect {target} is on Team Werewolf.",
    "{target} is lying, that's the Werewolf.",
    "Everything points to {target} as the wolf.",
    "I'm voting {target}, I believe they're a Werewolf.",
    "{target} has to be a Werewolf.",
    "Look at {target}: that story smells like a werewolf.",
    "I accuse {target} of being the Werewolf.",
    "I believe {target} is a Werewolf.",
    "In my opinion {target} is the wolf.",
    "I'm convinced {target} is one of the Werewolves.",
    "{target} is the Werewolf, vote them out.",
    "I think {target} is lying and is a Werewolf.",
    "Player, I mean {target}, is surely a werewolf.",
    "It's {target}. {target} is the Werewolf.",
    "I'd bet {target} is a Werewolf.",
    "Let's eliminate {target}; I'm sure they are the Werewolf.",
]
_ACCUSE_ROLE = [
    "I think {target} is the {claim}.",
    "{target} is actually the {claim}, I believe.",
    "I'm pretty sure {target} holds the {claim} card.",
    "{target} must be the {claim}.",
    "My guess is that {target} is the {claim} now.",
    "{target} has the {claim} card, if you ask me.",
    "I believe {target} is the {claim}.",
    "I'm sure {target} is the {claim}.",
    "In my opinion {target} is the {claim}.",
]
_ACCUSE_NONE = [
    "I think one of us is lying about their role.",
    "Someone here is not telling the truth.",
    "One of you is hiding something.",
    "Somebody's story doesn't add up.",
]
_DEFEND_OTHER = [
    "{target} is not a Werewolf.",
    "I trust {target}.",
    "{target} is innocent, leave them alone.",
    "Don't vote for {target}, they are on our side.",
    "I don't think {target} is a wolf.",
    "{target} is telling the truth, I believe them.",
    "I'd vouch for {target}.",
    "{target} is clean in my view.",
    "I believe {target} is not a Werewolf.",
    "{target} can't be the Werewolf.",
    "I'm sure {target} is not a wolf.",
    "{target} is on the village team, not a Werewolf.",
    "I think {target} is innocent.",
    "Leave {target} alone, they're no Werewolf.",
    "I don't believe {target} is a Werewolf.",
    "{target} isn't a werewolf, I'm certain.",
    "Trust me, {target} is not the wolf.",
]
_DEFEND_OTHER_ROLE = [
    "{target} is the {claim}, not a Werewolf.",
    "I believe {target} really is the {claim}.",
    "{target} is the {claim}, so leave them alone.",
    "Trust {target}, they are the {claim}.",
    "{target} told the truth: they are the {claim}.",
]
_DEFEND_SELF = [
    "I am not a Werewolf.",
    "I'm innocent.",
    "Don't vote for me, I'm on the village team.",
    "You can trust me, I'm not a wolf.",
    "Voting for me would be a mistake.",
    "I'm definitely not the Werewolf here.",
    "Leave me out of this, I am with the village.",
    "I am not on Team Werewolf.",
    "Why would you suspect me? I'm not a wolf.",
    "I'm not the Werewolf.",
    "I am innocent, I'm not a wolf.",
    "Don't vote me, I'm not a Werewolf.",
    "I'm on the village side.",
]
_DEFEND_SELF_ROLE = [
    "I'm the {claim}, not a Werewolf.",
    "Don't vote for me, I am the {claim}.",
    "I really am the {claim}, trust me.",
    "I'm the {claim} and I'm not a Werewolf.",
    "I'm not a Werewolf, I'm the {claim}.",
    "Believe me, I am the {claim} and not a wolf.",
    "As the {claim}, I'm on your side.",
    "I told you, I'm the {claim}.",
    "I'm the {claim}, so I can't be a Werewolf.",
    "Stop accusing me, I'm the {claim}.",
]
_FILLERS = [
    "Good morning everyone.",
    "Let's think carefully.",
    "Hmm, interesting round.",
    "To be honest,",
    "Listen,",
    "We need to find the wolf.",
    "Let's vote wisely.",
    "Okay.",
    "This is getting tense.",
    "I've been thinking about what everyone said.",
    "Let's not rush.",
    "Alright, my turn.",
]

_FAMILIES = {
    "evidence_claim": _EVIDENCE_CLAIM,
    "evidence_claim_target": _EVIDENCE_CLAIM_TARGET,
    "evidence_none": _EVIDENCE_NONE,
    "accuse_wolf": _ACCUSE_WOLF,
    "accuse_role": _ACCUSE_ROLE,
    "accuse_none": _ACCUSE_NONE,
    "defend_other": _DEFEND_OTHER,
    "defend_other_role": _DEFEND_OTHER_ROLE,
    "defend_self": _DEFEND_SELF,
    "defend_self_role": _DEFEND_SELF_ROLE,
    "fillers": _FILLERS,
}


def templates(family: str, bank: str) -> list[str]:
    """The templates of ``family`` in ``bank``: the "speak" bank holds every third template, "listen" the rest."""
    if bank not in BANKS:
        raise ValueError(f"bank must be one of {BANKS}, got {bank!r}")
    items = _FAMILIES[family]
    return [t for i, t in enumerate(items) if (i % 3 == 0) == (bank == "speak")]


def _seat(seat: int) -> str:
    return f"Player {seat + 1}"


def _family(kind: str, claim: Role | None, target: int | None, speaker: int) -> str:
    if kind == "evidence":
        if claim is None:
            return "evidence_none"
        return "evidence_claim" if target is None else "evidence_claim_target"
    if kind == "accusation":
        if target is None:
            return "accuse_none"
        return "accuse_wolf" if claim in (None, Role.WEREWOLF) else "accuse_role"
    if target is None or target == speaker:
        return "defend_self" if claim is None else "defend_self_role"
    return "defend_other" if claim is None else "defend_other_role"


def phrase(
    kind: str,
    claim: Role | None,
    target: int | None,
    speaker: int,
    rng: np.random.Generator,
    bank: str = "speak",
    filler: float = 0.3,
) -> str:
    """Words for the structured speech ``(kind, claim, target)`` by seat ``speaker``, drawn from ``bank``.

    With probability ``filler`` a filler sentence goes before the speech.
    """
    family = _family(kind, claim, target, speaker)
    options = templates(family, bank)
    template = options[int(rng.integers(len(options)))]
    values = {
        "claim": claim.title if claim is not None else "",
        "target": _seat(target) if target is not None else "",
    }
    if "{verb" in template:
        verbs = _NIGHT_VERBS.get(claim)  # type: ignore[arg-type]
        if not verbs:  # a role without a night verb of its own: say whom the night action touched
            verbs = ["my night action involved {target}."]
        verb = verbs[int(rng.integers(len(verbs)))].format(**values)
        values["verb"] = values["verb_lower"] = verb
    text = template.format(**values)
    if rng.random() < filler:
        fillers = templates("fillers", bank)
        text = f"{fillers[int(rng.integers(len(fillers)))]} {text}"
    return text
