"""Run ``MacroSMFG-v1`` episodes with a government agent and a households agent, and summarise them."""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.macro.env import GOVERNMENT, HOUSEHOLDS, MacroSMFGEnv

__all__ = ["run_episode", "SUMMARY_KEYS"]

SUMMARY_KEYS = (
    "years",
    "gdp_per_capita",
    "income_gini",
    "wealth_gini",
    "social_welfare",
    "government_objective",
    "termination_reason",
)


def run_episode(
    env: MacroSMFGEnv,
    government: Any,
    households: Any,
    seed: int,
    *,
    record: bool = False,
) -> dict[str, Any]:
    """One seeded episode; returns the summary (and the yearly series when ``record``).

    Summary: ``years`` survived, mean ``gdp_per_capita`` (USD), mean income and wealth Gini and mean
    ``social_welfare`` over the years lived, ``government_objective`` (the undiscounted sum of the
    government's rewards, early-end penalty included) and the ``termination_reason`` (``""``: full horizon).
    """
    obs, infos = env.reset(seed=seed)
    for agent in (government, households):
        if hasattr(agent, "reset"):
            agent.reset(seed)
    series: dict[str, list[float]] = {
        k: [] for k in ("gdp_per_capita", "income_gini", "wealth_gini", "social_welfare")
    }
    objective = 0.0
    info: dict[str, Any] = infos[GOVERNMENT]
    while env.agents:
        actions = {
            GOVERNMENT: government.act(obs[GOVERNMENT], infos[GOVERNMENT]),
            HOUSEHOLDS: households.act(obs[HOUSEHOLDS], infos[HOUSEHOLDS]),
        }
        obs, rewards, _, _, infos = env.step(actions)
        info = infos[GOVERNMENT]
        objective += rewards[GOVERNMENT]
        for key in series:
            series[key].append(float(info[key]))
    summary: dict[str, Any] = {key: float(np.mean(values)) for key, values in series.items()}
    summary.update(
        years=int(info["years"]),
        government_objective=float(objective),
        termination_reason=info["termination_reason"],
    )
    if record:
        summary["series"] = series
    return summary
