"""The self-refinement request shared by ARIES training and by refining backends at inference.

A refinement turn keeps the conversation and replaces its last user message with the question, the model's
previous answer and an instruction to review it (ARIES: "the model given the question, its previous answer and
a refinement template").  Putting the previous answer inside the user turn, rather than as an assistant turn,
keeps supervised fine-tuning from ever training on the flawed answer.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["REFINE_TEMPLATE", "refinement_messages"]

REFINE_TEMPLATE = "{question}\n\nPrevious answer:\n{previous}\n\nReview the previous answer, correct any mistake and answer again."


def refinement_messages(
    messages: Sequence[dict], previous: str, template: str = REFINE_TEMPLATE
) -> list[dict]:
    """The chat that asks the model to refine ``previous``, its answer to ``messages`` (whose last message must be
    the user's question)."""
    if not messages or messages[-1].get("role") != "user":
        raise ValueError("refinement needs a conversation that ends with the user's question")
    if "{question}" not in template or "{previous}" not in template:
        raise ValueError("a refinement template must contain {question} and {previous}")
    question = messages[-1]["content"]
    text = template.replace("{question}", question).replace("{previous}", previous)
    return [dict(m) for m in messages[:-1]] + [{"role": "user", "content": text}]
