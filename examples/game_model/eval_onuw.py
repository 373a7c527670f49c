"""Ask a PLM checkpoint held-out ONUW prompts of transcript corpora and compare with the expert's answers.

For each call kind (``night``, ``belief``, ``tactic``, ``speech``, ``vote``) it prints, as JSON: how many replies
the discussion agents' own parsers accept, and how many agree with the expert's answer:

* ``night``: the same menu number;  ``tactic``: the same tactic;  ``vote``: the same player;
* ``belief``: every player's row parses, and agreement is the share of players whose most likely role is the
  expert's;
* ``speech``: a non-empty ``"speech"``, and agreement is the offline reader's reading of it (kind of speech,
  claimed role, target) equal to its reading of the expert's speech;
* ``words``, the ``onuw-rl`` writer's speech (a bare sentence, no JSON): agreement as for ``speech``.

With ``--transcript FILE`` (a recording of ``benchmarks/onuw_paper_table.py --record``) it asks no model and
prints, per call kind, the share of the recorded replies that the agents' parsers accepted.

Also the CPU seconds per call (``time.process_time``, so a loaded machine does not inflate it).  Each call is asked
at the agent's own temperature (1.0 for decisions and speeches, 0.0 for beliefs, the ``onuw-rl`` writer's
default, greedy); ``--temperature`` sets one temperature for every call.

    python examples/game_model/eval_onuw.py --model runs/plm-onuw/checkpoint \\
        --corpus runs/corpora/onuw-paper-llm-tactic.heldout.jsonl,runs/corpora/onuw-paper-react.heldout.jsonl
    python examples/game_model/eval_onuw.py --transcript docs/results/onuw_plm_paper_table.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict

import numpy as np

from tactica.agents.discussion.listeners import TextReader, extract_json, parse_belief_json
from tactica.agents.discussion.paper_agents import read_tactic, read_vote
from tactica.agents.discussion.speech import WRITER_TEMPERATURE
from tactica.envs.onuw.rules import Role
from tactica.llm import from_spec
from tactica.llm.games.corpus import read_corpus

ROLES = {role.title: role for role in Role}
#: The temperatures the agents ask at (LLMListener, LLMWriter; LLMDecisions uses 1.0).
AGENT_TEMPERATURES = {"belief": 0.0, "words": WRITER_TEMPERATURE}


def _players(prompt: str) -> int:
    return int(re.search(r"with (\d+) players", prompt).group(1))


def _reading(speech: str) -> tuple:
    return TextReader.default().read(speech).most_likely()


def score(call: str, prompt: str, reply: str, expert: str) -> tuple[bool, float]:
    """``(parsed, agreement)`` of one reply against the expert's answer (agreement 0 when it does not parse)."""
    if call == "belief":
        roles = [ROLES[t.strip()] for t in re.search(r"\(roles: ([^)]*)\)", prompt).group(1).split(",")]
        n = _players(prompt)
        got, want = parse_belief_json(reply, n, roles), parse_belief_json(expert, n, roles)
        if any(row is None for row in got):
            return False, 0.0
        same = [int(np.argmax(g)) == int(np.argmax(w)) for g, w in zip(got, want) if w is not None]
        return True, float(np.mean(same)) if same else 0.0
    if call == "words":  # the onuw-rl writer: the speech itself, no JSON
        ok = bool(reply.strip())
        return ok, float(ok and _reading(reply) == _reading(expert))
    data, want = extract_json(reply), extract_json(expert)
    if not isinstance(data, dict):
        return False, 0.0
    if call == "night":
        options = len(re.findall(r"^\d+\. ", prompt, flags=re.M))
        choice = data.get("choice")
        choice = int(choice) if isinstance(choice, str) and choice.strip().isdigit() else choice
        ok = isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < options
        return ok, float(ok and choice == want["choice"])
    if call == "tactic":
        tactic = read_tactic(data.get("strategy", ""))
        return tactic is not None, float(tactic is not None and tactic == read_tactic(want["strategy"]))
    if call == "vote":
        seat = read_vote(data.get("player", ""), _players(prompt))
        return seat is not None, float(seat is not None and seat == read_vote(want["player"], 99))
    if call == "speech":
        speech = data.get("speech")
        ok = isinstance(speech, str) and bool(speech.strip())
        return ok, float(ok and _reading(speech) == _reading(want["speech"]))
    raise ValueError(f"unknown call {call!r}")


def call_of(prompt: str) -> str:
    """The call kind of a discussion agent's prompt (its last user message); ``words``: the onuw-rl writer."""
    if "CURRENT role" in prompt:
        return "belief"
    if "Say it in your own words." in prompt:
        return "words"  # the onuw-rl writer
    for marker, call in (("Choose your night action", "night"), ("speaking strategy for your next", "tactic"),
                         ("Vote for the other player", "vote"), ("public speech", "speech")):  # fmt: skip
        if marker in prompt:
            return call
    raise ValueError(f"not a discussion agent's prompt: {prompt[-80:]!r}")


def transcript_parse_rates(path: str) -> dict[str, dict]:
    """Per call kind: how many recorded replies the agents' parsers accepted."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in open(path, encoding="utf-8"):
        record = json.loads(line)
        prompt = record["messages"][-1]["content"]
        call = call_of(prompt)
        ok, _ = score(call, prompt, record["response"], record["response"])
        counts[call][0] += ok
        counts[call][1] += 1
    return {call: {"calls": n, "parseable": round(ok / n, 3)} for call, (ok, n) in sorted(counts.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="checkpoint directory or shipped name (games)")
    parser.add_argument("--corpus", help="ONUW transcript corpus file(s), comma-separated")
    parser.add_argument(
        "--transcript", help="a recorded paper-table transcript: its replies' parse rates only"
    )
    parser.add_argument(
        "--calls", type=int, default=40, help="prompts per call kind (the first N; default 40)"
    )
    parser.add_argument(
        "--temperature", type=float, default=None, help="default: the agents' own temperatures"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampling (call i uses seed + i)")
    args = parser.parse_args()
    if args.transcript:
        print(json.dumps(transcript_parse_rates(args.transcript), indent=2))
        return
    if not (args.model and args.corpus):
        parser.error("--model and --corpus are needed (or --transcript)")

    model = from_spec(f"plm:{args.model}", max_tokens=400)
    by_call: dict[str, list[dict]] = defaultdict(list)
    for path in args.corpus.split(","):
        for record in read_corpus(path):
            by_call[call_of(record["messages"][-2]["content"])].append(record)
    results = {}
    for call, records in sorted(by_call.items()):
        parsed = agreement = 0.0
        cpu = 0.0
        records = records[: args.calls]
        for i, record in enumerate(records):
            *prompt, answer = record["messages"]
            temperature = (
                args.temperature if args.temperature is not None else AGENT_TEMPERATURES.get(call, 1.0)
            )
            start = time.process_time()
            reply = model.chat(prompt, temperature=temperature, max_tokens=400, seed=args.seed + i)
            cpu += time.process_time() - start
            ok, agree = score(call, prompt[-1]["content"], reply, answer["content"])
            parsed += ok
            agreement += agree
        n = len(records)
        results[call] = {"calls": n, "parseable": round(parsed / n, 3), "agreement": round(agreement / n, 3),
                         "cpu_s_per_call": round(cpu / n, 3)}  # fmt: skip
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
