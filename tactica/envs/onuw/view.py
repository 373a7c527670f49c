"""Text rendering of one player's view of an ONUW game, for LLM players and for humans.

The text contains only what that player may know: its initial card and night results, the public speeches
(their words, or a template sentence for structured speeches), and the outcome once the game is over.
"""

from __future__ import annotations

from collections import Counter

from tactica.envs.onuw.rules import Fact, Game, Phase, PlayerView, PublicSpeech, Role, Speech

__all__ = ["player_view", "player_view_from", "speech_sentence", "fact_sentence", "god_view"]


def seat_name(seat: int) -> str:
    return f"Player {seat + 1}"


def position_name(num_players: int, position: int) -> str:
    if position < num_players:
        return seat_name(position)
    return f"centre card {position - num_players + 1}"


def fact_sentence(num_players: int, player: int, fact: Fact) -> str:
    """One night fact in words, from ``player``'s point of view."""
    where = "you" if fact.position == player else position_name(num_players, fact.position)
    role = fact.role.title
    if fact.source == "deal":
        return f"You were dealt the {role} card."
    if fact.source == "werewolves":
        return f"You saw that {where} is also a Werewolf."
    if fact.source == "minion":
        return f"You saw that {where} is a Werewolf."
    if fact.source == "masons":
        return f"You saw that {where} is the other Mason."
    if fact.source == "robber":
        if fact.position == player:
            return f"You robbed and looked at your new card: you are now the {role}."
        return f"You swapped cards with {where}, who now holds the Robber card."
    if fact.source == "insomniac":
        return f"At the end of the night you looked at your card again: it is the {role}."
    return f"You looked at {where}: it was the {role}."


def speech_sentence(speech: Speech | PublicSpeech) -> str:
    """A speech in words: its free text when there is some, otherwise a sentence built from its structure."""
    if speech.text:
        return speech.text
    target = seat_name(speech.target) if speech.target is not None else None
    claim = speech.claim.title if speech.claim is not None else None
    kind = speech.kind
    if kind == "evidence":
        if claim and target:
            return f"I am the {claim}, and my night action involved {target}."
        if claim:
            return f"I am the {claim}."
        return "I have information to share, but I will keep my role to myself for now."
    if kind == "accusation":
        if target:
            return f"I think {target} is the {claim or 'Werewolf'}."
        return "I think one of us is lying about their role."
    if target:
        if claim:
            return f"{target} is the {claim}, not a Werewolf."
        return f"{target} is not a Werewolf."
    return "I am not a Werewolf."


def player_view(game: Game, player: int, *, forced_tactic: str | None = None) -> str:
    """Everything ``player`` knows in ``game``, as text, ending with what it must do now."""
    return player_view_from(game.view(player), forced_tactic=forced_tactic)


def player_view_from(view: PlayerView, *, forced_tactic: str | None = None) -> str:
    """The text of a :class:`PlayerView` (what an LLM player reads)."""
    n, player = view.num_players, view.seat
    counts = Counter(view.deck)
    deck = ", ".join(f"{c} {r.title}" if c > 1 else r.title for r, c in sorted(counts.items()))
    center = view.num_center
    cards = (
        f"Cards in play ({n + center}, {center} of them in the centre): {deck}."
        if center
        else f"Cards in play ({n}, one per player, none in the centre): {deck}."
    )
    lines = [
        f"You are {seat_name(player)} in a game of One Night Ultimate Werewolf with {n} players.",
        cards,
        "Night:",
    ]
    lines += [f"- {fact_sentence(n, player, f)}" for f in view.facts]
    action = view.night_action
    if action is not None and action.kind == "swap":
        a, b = action.targets
        lines.append(f"- You swapped the cards of {seat_name(a)} and {seat_name(b)} without looking.")
    elif action is not None and action.kind == "take":
        lines.append(f"- You swapped your card with {position_name(n, action.targets[0])} without looking.")
    if view.speeches:
        lines.append("Day discussion:")
        for s in view.speeches:
            who = "You" if s.speaker == player else seat_name(s.speaker)
            lines.append(f"- [round {s.round + 1}] {who}: {speech_sentence(s)}")
    if view.phase == Phase.NIGHT:
        lines.append("It is night: choose your night action.")
    elif view.phase == Phase.DAY:
        if view.current_speaker == player:
            lines.append(f"It is your turn to speak (round {view.round + 1} of {view.discussion_rounds}).")
            if forced_tactic:
                lines.append(f"In this turn, your speaking strategy is: {forced_tactic}.")
        elif view.current_speaker is not None:
            lines.append(f"{seat_name(view.current_speaker)} is speaking.")
    elif view.phase == Phase.VOTE:
        lines.append("Vote now for the player you want to eliminate.")
    elif view.outcome is not None:
        out = view.outcome
        votes = ", ".join(
            f"{seat_name(p)}->{seat_name(t) if t is not None else 'abstain'}" for p, t in enumerate(out.votes)
        )
        dead = ", ".join(seat_name(p) for p in sorted(out.dead)) or "nobody"
        lines.append(f"Votes: {votes}. Died: {dead}.")
        lines.append(
            "Final cards: " + ", ".join(f"{seat_name(p)} {r.title}" for p, r in enumerate(out.final_roles))
        )
        lines.append(f"Result: {out.reason}. Your reward: {out.rewards[player]:+g}.")
    return "\n".join(lines)


def god_view(game: Game) -> str:
    """The whole state (for ``render()``): deal, current cards, speeches, votes and outcome."""
    n = game.num_players

    def cards(roles: tuple[Role, ...] | list[Role]) -> str:
        return " ".join(r.title for r in roles)

    lines = [
        f"ONUW {n} players | phase {game.phase.name.lower()}",
        f"initial: {cards(game.initial)} | centre: {cards(game.initial_center)}",
        f"current: {cards(game.final_roles)} | centre: {cards(game.center)}",
    ]
    for s in game.speeches[-n:]:
        lines.append(f"  {seat_name(s.speaker)} [{s.tactic.label}] {speech_sentence(s)}")
    if game.outcome is not None:
        lines.append(
            f"votes: {list(game.outcome.votes)} dead: {sorted(game.outcome.dead)} -> {game.outcome.reason}"
        )
    return "\n".join(lines)
