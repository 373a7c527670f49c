"""The comparison table of Jin et al. (NeurIPS 2024): Player 3 replaced by each agent, win rate and votes received.

As in the paper's evaluation, only Player 3 is replaced -- by the LLM-only agent (ReAct-style), the
LLM-chooses-the-tactic agent or the RL-instructed agent -- while every other seat plays the Belief agent (the
authors' configs play every seat with ``dpins:no``, belief and no tactic).  Deals: the three-player game (Player 3
is the Robber) and the five-player easy and hard deals (Player 3 is the Seer, ending as a Villager in the easy
deal and as the Insomniac in the hard one), paper rules.  Reported per (deal, agent): Player 3's win rate (its
final team wins; draws count as not winning) with a 95% Wilson interval, its draw rate, and the mean number of
votes it received with a 95% normal interval.  A second table gives the paper's three-player metric: the
NashConv, computed by ``tactica.envs.onuw.equilibrium``, of the profile played when one agent kind holds all
three seats of the ``3p`` game (``--nashconv-games``; 0 skips it).

Without ``--llm`` nothing calls a language model: speeches are paraphrases of each agent's structured content and
every listener is the shipped offline text reader (see ``docs/onuw.md`` for what each agent is then).  With
``--llm SPEC`` (any :mod:`tactica.llm` spec: ``openai:<model>@<url>``, ``plm:<dir>``, ``replay:<file.jsonl>``)
every seat's decisions, speeches and beliefs come from that model (``--llm-seats player3``: only Player 3's,
while the other seats play the no-LLM Belief agent, a cheaper variant of the paper's setting); ``--record FILE``
writes its transcript, and ``--llm replay:FILE`` then reproduces the same table without the model.

    python benchmarks/onuw_paper_table.py                       # offline: no LLM at all
    python benchmarks/onuw_paper_table.py --games 200 --json
    python benchmarks/onuw_paper_table.py --llm openai:gpt-4o-mini@https://api.openai.com/v1 --games 30 \\
        --record runs/onuw_gpt4o_mini.jsonl
    python benchmarks/onuw_paper_table.py --llm replay:runs/onuw_gpt4o_mini.jsonl --games 30
    python benchmarks/onuw_paper_table.py --llm replay:docs/results/onuw_plm_paper_table.jsonl.gz --games 30 \\
        --nashconv-games 0          # the shipped game model's recorded table (docs/onuw.md)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from tactica.stats import wilson_interval as wilson

DEALS = ("3p", "5p-easy", "5p-hard")
AGENTS = {"react": "LLM-only (ReAct)", "llm-tactic": "LLM-chooses-tactic", "rl": "RL-instructed"}
PLAYER_3 = 2


def play_deal(
    deal: str,
    agent: str,
    games: int,
    seed: int,
    llm: Any,
    progress: Any = None,
    *,
    player3: Any = None,
    others_llm: Any = "same",
) -> dict[str, Any]:
    """``games`` seeded games of ``deal`` with Player 3 played by ``agent`` and Belief agents elsewhere.

    ``player3(seed)`` builds Player 3 instead of ``PaperAgent(agent, llm)``; ``others_llm`` is the Belief agents'
    model (default: ``llm``; ``None``: the no-LLM Belief agent)."""
    from tactica.agents.discussion.paper_agents import PaperAgent
    from tactica.agents.discussion.selfplay import Setting, play_game
    from tactica.envs.onuw.rules import Team

    others_llm = llm if others_llm == "same" else others_llm
    player3 = player3 or (lambda s: PaperAgent(agent, llm, seed=s))
    setting = Setting.from_preset(deal)
    wins = draws = 0
    votes: list[int] = []
    tactics = np.zeros(6, dtype=int)
    village_wins = 0
    rng = np.random.default_rng(seed)
    for _ in range(games):
        game_seed = int(rng.integers(2**31))
        agents = [
            player3(game_seed * 16 + p)
            if p == PLAYER_3
            else PaperAgent("belief", others_llm, seed=game_seed * 16 + p)
            for p in range(setting.num_players)
        ]
        record = play_game(setting, agents, np.random.default_rng(game_seed), record_states=False)
        out = record.outcome
        wins += out.rewards[PLAYER_3] > 0
        draws += out.draw
        village_wins += Team.VILLAGE in out.winning_teams
        votes.append(out.tally[PLAYER_3])
        for t in agents[PLAYER_3].tactics_used:
            tactics[int(t)] += 1
        if progress is not None:
            progress()
    mean = float(np.mean(votes))
    half = 1.96 * float(np.std(votes, ddof=1)) / math.sqrt(games) if games > 1 else float("nan")
    low, high = wilson(wins, games)
    return {
        "deal": deal,
        "agent": agent,
        "games": games,
        "win_rate": wins / games,
        "win_ci": [round(low, 3), round(high, 3)],
        "draw_rate": draws / games,
        "village_win_rate": village_wins / games,
        "votes": mean,
        "votes_ci": [round(mean - half, 3), round(mean + half, 3)],
        "tactics": tactics.tolist(),
    }


def nash_conv_row(agent: str, games: int, seed: int, llm: Any) -> dict[str, Any]:
    """NashConv of the 3-player profile when ``agent`` plays every seat (paper rules: 1-1-1 is a draw)."""
    from tactica.agents.discussion.paper_agents import PaperAgent
    from tactica.agents.discussion.three_player import three_player_nash_conv

    result = three_player_nash_conv(lambda seat, s: PaperAgent(agent, llm, seed=s), games, seed)
    result.pop("profile")
    return {"agent": agent} | result


def nash_conv_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| every seat | games | NashConv | utilities (P1, P2, P3) | Robber's night (stay, rob P1, rob P2) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        name = AGENTS.get(r["agent"], "Belief")
        u = ", ".join(f"{x:+.2f}" for x in r["utilities"])
        night = ", ".join(f"{x:.2f}" for x in r["night"])
        lines.append(f"| {name} | {r['games'] - r['left_out']} | {r['nash_conv']:.3f} | ({u}) | ({night}) |")
    return "\n".join(lines) + "\n"


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| deal | Player 3 | win rate (95% CI) | draws | votes received (95% CI) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        votes = f"{r['votes']:.2f} ({r['votes_ci'][0]:.2f}-{r['votes_ci'][1]:.2f})"
        lines.append(
            f"| {r['deal']} | {AGENTS[r['agent']]} | {win_cell(r)} | {r['draw_rate']:.2f} | {votes} |"
        )
    return "\n".join(lines) + "\n"


def win_cell(row: dict[str, Any]) -> str:
    """``0.43 (0.27-0.61)``: a row's win rate and its 95% interval."""
    return f"{row['win_rate']:.2f} ({row['win_ci'][0]:.2f}-{row['win_ci'][1]:.2f})"


def replay_gzip(path: str) -> Any:
    """``replay:FILE.jsonl.gz``: a gzip-compressed transcript replayed as ``replay:FILE.jsonl`` would be."""
    import gzip

    from tactica.llm.replay import ReplayChatModel

    if not Path(path).is_file():
        raise FileNotFoundError(f"replay transcript {path!r} does not exist")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return ReplayChatModel(records, source=path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/onuw_paper_table.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--games", type=int, default=100, help="games per deal and agent (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deals", default=",".join(DEALS), help=f"comma-separated, from {', '.join(DEALS)}")
    parser.add_argument(
        "--agents", default=",".join(AGENTS), help=f"comma-separated, from {', '.join(AGENTS)}"
    )
    parser.add_argument(
        "--nashconv-games", type=int, default=200, help="3p games per agent for the NashConv table (0: skip)"
    )
    parser.add_argument("--llm", default=None, help="a tactica.llm spec; default: no language model at all")
    parser.add_argument(
        "--llm-seats",
        choices=("all", "player3"),
        default="all",
        help="who uses --llm: every seat, as in the paper (default), or Player 3 alone",
    )
    parser.add_argument("--record", type=Path, default=None, help="write the LLM's transcript here (JSONL)")
    parser.add_argument("--out", type=Path, default=None, help="write table.md and results.json here")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    deals = [d for d in args.deals.split(",") if d]
    agents = [a for a in args.agents.split(",") if a]
    bad = [d for d in deals if d not in DEALS] + [a for a in agents if a not in AGENTS]
    if bad:
        print(f"error: unknown deal/agent {bad} (deals: {DEALS}, agents: {tuple(AGENTS)})", file=sys.stderr)
        return 2
    if args.games < 1 or args.nashconv_games < 0:
        print("error: --games must be >= 1 and --nashconv-games >= 0", file=sys.stderr)
        return 2
    if args.record is not None and args.llm is None:
        print("error: --record needs --llm", file=sys.stderr)
        return 2
    llm = None
    if args.llm is not None:
        from tactica.llm import from_spec

        try:
            llm = replay_gzip(args.llm[len("replay:") :]) if args.llm.endswith(".gz") else from_spec(args.llm)
        except (ValueError, LookupError, FileNotFoundError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.record is not None:
            from tactica.llm.replay import RecordingChatModel

            llm = RecordingChatModel(llm, args.record)
    rows = []
    from tactica.agents.discussion.train import _progress

    with _progress() as progress:
        for deal in deals:
            for agent in agents:
                task = progress.add_task(f"{deal} P3={agent}", total=args.games, visible=sys.stdout.isatty())
                others = llm if args.llm_seats == "all" else None
                advance = lambda t=task: progress.advance(t)  # noqa: E731
                rows.append(play_deal(deal, agent, args.games, args.seed, llm, advance, others_llm=others))
    nash = []
    if args.nashconv_games > 0:
        for agent in [*agents, "belief"]:
            nash.append(nash_conv_row(agent, args.nashconv_games, args.seed, llm))
    table = markdown(rows) + ("\n" + nash_conv_markdown(nash) if nash else "")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "table.md").write_text(table)
        config = {"games": args.games, "seed": args.seed, "llm": args.llm, "llm_seats": args.llm_seats,
                  "deals": deals, "agents": agents}  # fmt: skip
        payload = {"config": config, "rows": rows, "nash_conv": nash}
        (args.out / "results.json").write_text(json.dumps(payload, indent=2))
    print(json.dumps({"rows": rows, "nash_conv": nash}) if args.json else table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
