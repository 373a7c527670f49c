"""Multi-step arithmetic with worked solutions and exact answers: a verifiable reasoning task for ARIES.

A question chains single-digit additions and subtractions ("Compute 7 + 5 - 3 + 8."); the solution works it
out one operation per step and ends with the answer::

    7 + 5 = 12. 12 - 3 = 9. 9 + 8 = 17. The answer is 17.

:func:`verify` checks a response's final answer against the exact value (the reward of "reward-model"
selection).  :func:`well_formed` checks only the format, with no reference answer (what rule-based selection may
use).  :func:`sft_chats` builds a supervised corpus of direct answers and refinement chats (a flawed previous
answer, one step wrong, corrected; or a correct one, repeated), so a small model pre-trained on it can both
answer and refine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tactica.llm.alignment.refine import refinement_messages

__all__ = ["Problem", "make_problems", "solution", "flawed_solution", "final_answer", "verify", "well_formed",
           "sft_chats", "evaluate"]  # fmt: skip

_ANSWER = re.compile(r"The answer is (-?\d+)\.\s*$")
_STEP = re.compile(r"^-?\d+ [+-] \d+ = -?\d+$")


@dataclass(frozen=True)
class Problem:
    """Operands and operators of a chain ``a0 op1 a1 op2 a2 ...`` (operators '+' or '-')."""

    operands: tuple[int, ...]
    operators: tuple[str, ...]

    @property
    def question(self) -> str:
        expr = str(self.operands[0]) + "".join(
            f" {op} {a}" for op, a in zip(self.operators, self.operands[1:])
        )
        return f"Compute {expr}."

    @property
    def messages(self) -> list[dict]:
        return [{"role": "user", "content": self.question}]

    def partials(self) -> list[int]:
        values = [self.operands[0]]
        for op, a in zip(self.operators, self.operands[1:]):
            values.append(values[-1] + a if op == "+" else values[-1] - a)
        return values

    @property
    def answer(self) -> int:
        return self.partials()[-1]


def make_problems(count: int, seed: int, steps: tuple[int, int] = (3, 4)) -> list[Problem]:
    """``count`` problems of ``steps`` operations on digits 1-9 whose running value stays in 0..40."""
    rng = np.random.default_rng(seed)
    problems = []
    while len(problems) < count:
        n = int(rng.integers(steps[0], steps[1] + 1))
        operands = [int(rng.integers(1, 10))]
        operators = []
        value = operands[0]
        for _ in range(n):
            a = int(rng.integers(1, 10))
            op = "+" if value - a < 0 or (value + a <= 40 and rng.random() < 0.55) else "-"
            value = value + a if op == "+" else value - a
            operands.append(a)
            operators.append(op)
        problems.append(Problem(tuple(operands), tuple(operators)))
    return problems


def _render(problem: Problem, values: list[int]) -> str:
    steps = [
        f"{values[i]} {op} {a} = {values[i + 1]}."
        for i, (op, a) in enumerate(zip(problem.operators, problem.operands[1:]))
    ]
    return " ".join(steps) + f" The answer is {values[-1]}."


def solution(problem: Problem) -> str:
    """The worked solution, one step per operation."""
    return _render(problem, problem.partials())


def flawed_solution(problem: Problem, rng: np.random.Generator) -> str:
    """A solution with one wrong step (off by 1 to 3), the later steps computed correctly from the wrong value:
    the kind of slip a refinement must find."""
    values = problem.partials()
    k = int(rng.integers(1, len(values)))
    wrong = list(values)
    wrong[k] += int(rng.choice((-3, -2, -1, 1, 2, 3)))
    for i in range(k + 1, len(values)):
        op, a = problem.operators[i - 1], problem.operands[i]
        wrong[i] = wrong[i - 1] + a if op == "+" else wrong[i - 1] - a
    return _render(problem, wrong)


def final_answer(text: str) -> int | None:
    match = _ANSWER.search(text.strip())
    return int(match.group(1)) if match else None


def verify(problem: Problem, text: str) -> float:
    """1.0 when the response's final answer is the exact value, else 0.0."""
    return 1.0 if final_answer(text) == problem.answer else 0.0


def well_formed(text: str) -> bool:
    """Steps of the form ``a op b = c.`` then ``The answer is N.``, with no reference to the question's answer."""
    text = text.strip()
    if final_answer(text) is None:
        return False
    body = _ANSWER.sub("", text).strip()
    steps = [s.strip() for s in body.split(".") if s.strip()]
    return bool(steps) and all(_STEP.match(s) for s in steps)


def sft_chats(count: int, seed: int, refine_fraction: float = 0.4) -> list[list[dict]]:
    """Chats for supervised pre-training: direct question/solution, and (``refine_fraction`` of them) refinement
    requests whose previous answer is flawed (two thirds) or already right (one third), answered with the
    correct solution."""
    rng = np.random.default_rng(seed)
    chats = []
    for problem in make_problems(count, seed):
        if rng.random() < refine_fraction:
            previous = flawed_solution(problem, rng) if rng.random() < 2 / 3 else solution(problem)
            prompt = refinement_messages(problem.messages, previous)
        else:
            prompt = problem.messages
        chats.append(prompt + [{"role": "assistant", "content": solution(problem)}])
    return chats


def evaluate(
    lm, problems: list[Problem], refine_steps: int, *, batch_size: int = 128, max_new_tokens: int = 64
) -> dict:
    """Greedy accuracy of the direct answer and after each refinement step, and the share of well-formed final
    answers, on ``problems``."""
    from tactica.llm.alignment.aries import refine_chain

    chains = refine_chain(
        lm,
        [p.messages for p in problems],
        refine_steps,
        temperature=0.0,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
    )
    by_step = []
    for step in range(refine_steps + 1):
        texts = [lm.tokenizer.decode(chain[step].ids) for chain in chains]
        by_step.append(sum(verify(p, t) for p, t in zip(problems, texts)) / len(problems))
    last = [lm.tokenizer.decode(chain[-1].ids) for chain in chains]
    return {
        "direct_accuracy": by_step[0],
        "refined_accuracy": by_step[-1],
        "accuracy_by_step": by_step,
        "well_formed": sum(well_formed(t) for t in last) / len(problems),
    }
