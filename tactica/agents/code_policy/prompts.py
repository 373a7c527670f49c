"""Prompt texts of the LLM-SMAC agent (planner, coder, critic), after Deng et al. 2024 (arXiv 2410.16024)."""

SYSTEM = (
    "You are an expert StarCraft II micro-management player and a careful Python programmer. "
    "You control a team in a SMAC battle by writing decision-tree programs."
)

PLANNER = """{task}

{history}
Propose up to 3 tactics for this battle. Use exactly this format for each:
### Tactic N: <name>
**Condition to use:** <when it applies>
**Tactic Skeleton:** <the decision tree in a few numbered steps>"""

CODER = """{task}

Implement this tactic as a program:
{plan}
{previous}
Answer with one ```python code block that defines `def policy(view):`. Give orders with the API above,
check lists for emptiness, do not use await, do not build units."""

SIGNATURE_REMINDER = "Please define the function as `def policy(view):` inside one ```python code block."

LENGTH_REMINDER = (
    "Your program is {length} characters long; programs may have at most {limit}. Please write a shorter "
    "program that defines `def policy(view):` inside one ```python code block."
)

CRITIC = """{task}

This program was tested:
```python
{program}
```
{feedback}

Explain briefly why it won or lost, then propose ONE refinement. End with exactly one tag:
[Change Tactic] if the tactic itself is wrong, or [Improve Tactic] if the code should be refined."""
