"""One Night Ultimate Werewolf: pure rules (:mod:`.rules`), the paper's presets, the ``ONUW-v1`` environments
(:mod:`.env`) and the explicit three-player game with its equilibria (:mod:`.equilibrium`).

The environment classes are imported lazily by the registry (``tactica.make_aec("ONUW-v1")``); importing this
package imports only the rules.
"""

from tactica.envs.onuw.rules import Game, NightAction, Role, RuleOptions, Speech, Tactic, Team

__all__ = ["Game", "NightAction", "Role", "RuleOptions", "Speech", "Tactic", "Team"]
