"""The Stackelberg mean-field macroeconomy: calibration, vectorised economy, ``MacroSMFG-v1`` and its leader view."""

from tactica.envs.macro.calibration import SOURCES, US_FEDERAL_2022, Calibration
from tactica.envs.macro.economy import TERMINATION_REASONS, Economy, Policy, StepResult, gini

__all__ = [
    "Calibration",
    "Economy",
    "Policy",
    "SOURCES",
    "StepResult",
    "TERMINATION_REASONS",
    "US_FEDERAL_2022",
    "gini",
]
