"""LLM-SMAC: a planner proposes tactics, a coder writes decision-tree programs, a critic reads the results.

The agent plays ``SMACProgram-v3``: each ``act(observation, info)`` returns the next program text.  The loop
follows LLM-SMAC (Deng et al. 2024): plan (up to 3 tactics) -> code -> test (the env runs the program) ->
critic (explains, then tags ``[Change Tactic]`` or ``[Improve Tactic]``) -> improve the code or re-plan, with a
budget of ``max_plans`` plans and ``attempts_per_plan`` programs per plan; :meth:`LLMSMACAgent.solve` stops at
the target win rate.  Every language-model call is recorded (``transcript=`` writes a JSONL file that a
``replay:`` model answers, so a replayed run reproduces exactly).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tactica.agents.code_policy import prompts
from tactica.llm import ChatModel, from_spec

__all__ = ["LLMSMACAgent", "extract_program"]

_FEEDBACK_MARK = "FEEDBACK ON YOUR LAST PROGRAM"
_CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


def extract_program(reply: str) -> str | None:
    """The code of the first fenced block that defines ``policy(view)`` (or the whole reply if it does)."""
    for block in _CODE_BLOCK.findall(reply):
        if re.search(r"^def policy\(", block, re.MULTILINE):
            return block.strip() + "\n"
    if re.search(r"^def policy\(", reply, re.MULTILINE) and "```" not in reply:
        return reply.strip() + "\n"
    return None


class LLMSMACAgent:
    """Planner, coder and critic over one :class:`tactica.llm.ChatModel`.

    Args:
        llm: a ChatModel or a spec string (``"openai:gpt-4o"``, ``"replay:run.jsonl"``, ``"scripted:[...]"``).
        max_plans: how many times the planner may be asked for tactics.
        attempts_per_plan: programs written per plan before re-planning.
        target_win_rate: :meth:`solve` stops when a program reaches it.
        transcript: path of a JSONL file recording every call (replayable with ``replay:``).
        temperature, max_tokens, seed: sampling parameters of every call.
        action_space, observation_space: the env's spaces (accepted for the agent registry).
    """

    def __init__(
        self,
        llm: ChatModel | str,
        *,
        max_plans: int = 3,
        attempts_per_plan: int = 3,
        target_win_rate: float = 1.0,
        transcript: str | Path | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        seed: int | None = None,
        action_space: Any = None,
        observation_space: Any = None,
    ):
        if not isinstance(max_plans, int) or max_plans < 1:
            raise ValueError(f"max_plans must be a positive int, got {max_plans!r}")
        if not isinstance(attempts_per_plan, int) or attempts_per_plan < 1:
            raise ValueError(f"attempts_per_plan must be a positive int, got {attempts_per_plan!r}")
        self.llm = from_spec(llm, record=str(transcript) if transcript is not None else None)
        self.max_plans = max_plans
        self.attempts_per_plan = attempts_per_plan
        self.target_win_rate = float(target_win_rate)
        self.sampling = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
        self.action_space = action_space
        self.observation_space = observation_space
        self.reset()

    # ------------------------------------------------------------ protocol
    def reset(self, seed: int | None = None) -> None:
        self.plan: str | None = None
        self.plans_used = 0
        self.attempts_on_plan = 0
        self.program: str | None = None
        self.advice: str | None = None
        self.history: list[dict[str, Any]] = []  # one entry per tested program
        self.calls: list[dict[str, Any]] = []  # every LLM call: role, messages, reply

    @property
    def budget_left(self) -> bool:
        return self.attempts_on_plan < self.attempts_per_plan or self.plans_used < self.max_plans

    def act(self, observation: str, info: dict[str, Any] | None = None) -> str:
        """The next program for ``SMACProgram-v3`` given the task text and the feedback on the last one."""
        task, feedback = _split(observation)
        if self.program is not None and feedback:
            self._review(task, feedback, (info or {}).get("win_rate"))
        if self.plan is None or self.attempts_on_plan >= self.attempts_per_plan:
            if self.plans_used >= self.max_plans:
                return self.program or ""  # budget spent: resubmit the last program
            self._make_plan(task)
        self.program = self._write_program(task)
        self.attempts_on_plan += 1
        return self.program

    # --------------------------------------------------------------- steps
    def _chat(self, role: str, content: str) -> str:
        messages = [{"role": "system", "content": prompts.SYSTEM}, {"role": "user", "content": content}]
        reply = self.llm.chat(messages, **self.sampling)
        self.calls.append({"role": role, "messages": messages, "reply": reply})
        return reply

    def _make_plan(self, task: str) -> None:
        if self.history:
            lines = [f"- {h['tactic']}: win rate {h['win_rate']:.0%}" for h in self.history]
            history = "Tactics tried so far:\n" + "\n".join(lines)
        else:
            history = "No tactic has been tried yet."
        self.plan = self._chat("planner", prompts.PLANNER.format(task=task, history=history))
        self.plans_used += 1
        self.attempts_on_plan = 0
        self.program = None
        self.advice = None

    def _write_program(self, task: str) -> str:
        previous = ""
        if self.program is not None:
            previous = (
                f"\nYour previous program:\n```python\n{self.program}```\nCritic's advice: {self.advice}\n"
            )
        reply = self._chat("coder", prompts.CODER.format(task=task, plan=self.plan, previous=previous))
        program = extract_program(reply)
        if program is None:
            reply = self._chat("coder", prompts.SIGNATURE_REMINDER + "\n\n" + reply)
            program = extract_program(reply)
        program = program if program is not None else reply
        limit = self._max_program_length()
        if len(program) > limit:  # SMACProgram refuses it: ask once for a shorter one
            reminder = prompts.LENGTH_REMINDER.format(length=len(program), limit=limit)
            reply = self._chat("coder", reminder + "\n\n" + reply)
            program = extract_program(reply) or reply
            if len(program) > limit:
                raise ValueError(
                    f"the coder wrote a {len(program)}-character program after being told the limit is {limit}; "
                    "SMACProgram does not accept it"
                )
        return program

    def _max_program_length(self) -> int:
        from tactica.envs.smac.program_env import MAX_PROGRAM_CHARS

        return int(getattr(self.action_space, "max_length", None) or MAX_PROGRAM_CHARS)

    def _review(self, task: str, feedback: str, win_rate: float | None) -> None:
        reply = self._chat(
            "critic", prompts.CRITIC.format(task=task, program=self.program, feedback=feedback)
        )
        tactic = _tactic_name(self.plan or "")
        self.history.append({"tactic": tactic, "win_rate": float(win_rate or 0.0), "program": self.program})
        self.advice = reply.strip()
        if "[Change Tactic]" in reply:
            self.attempts_on_plan = self.attempts_per_plan  # forces a new plan

    # ---------------------------------------------------------------- loop
    def solve(self, env, seed: int | None = None) -> dict[str, Any]:
        """Run the plan/code/test/critic loop on a ``SMACProgram-v3`` env until the target or the budget.

        Returns the best program, its win rate and the history of every tested program.
        """
        observation, info = env.reset(seed=seed)
        self.reset(seed)
        best = {"program": None, "win_rate": -1.0}
        results = []
        while True:
            program = self.act(observation, info)
            observation, reward, terminated, truncated, info = env.step(program)
            results.append({"program": program, "win_rate": reward, "error": info.get("error")})
            if reward > best["win_rate"]:
                best = {"program": program, "win_rate": reward}
            if reward >= self.target_win_rate or terminated or truncated:
                break
            if self.plans_used >= self.max_plans and self.attempts_on_plan >= self.attempts_per_plan:
                break
        # the critic also reads the last result, so the history is complete
        task, feedback = _split(observation)
        if feedback and self.program is not None:
            self._review(task, feedback, info.get("win_rate"))
        return {
            "best_program": best["program"],
            "best_win_rate": best["win_rate"],
            "programs": results,
            "llm_calls": len(self.calls),
        }


def _split(observation: str) -> tuple[str, str]:
    if not isinstance(observation, str):
        raise TypeError(
            f"LLM-SMAC plays text observations (SMACProgram-v3), got {type(observation).__name__}"
        )
    head, mark, tail = observation.partition(_FEEDBACK_MARK)
    if not mark:
        head = observation.replace("No program submitted yet.", "").rstrip()
        return head, ""
    return head.rstrip(), mark + tail


def _tactic_name(plan: str) -> str:
    match = re.search(r"### Tactic \d+:\s*(.+)", plan)
    return match.group(1).strip() if match else "tactic"
