"""Baselines for ``MacroSMFG-v1``: government policies and rule-based household responses."""

from tactica.baselines.macro.government import (
    BracketGovernment,
    FiscalRule,
    FreeMarket,
    SaezGovernment,
    saez_rates,
)
from tactica.baselines.macro.households import FixedHouseholds, RuleHouseholds

__all__ = [
    "BracketGovernment",
    "FiscalRule",
    "FixedHouseholds",
    "FreeMarket",
    "RuleHouseholds",
    "SaezGovernment",
    "saez_rates",
]
