"""THE registration table: one ``register`` call per environment id, string entry points.

Importing :mod:`tactica` imports this module, which registers every id: single-agent ids with Gymnasium as well
(``gym.make("TextSC2-v1")`` after ``import tactica``, or ``gym.make("tactica:TextSC2-v1")`` without it), and
multi-agent ids in tactica's own registry (``tactica.make_parallel(ID)``, ``tactica.make_aec(ID)``).  Every id
registered here is covered by ``tests/test_conformance.py`` automatically.
"""

from tactica.envs.registration import (
    EnvSpec,
    make,
    make_aec,
    make_parallel,
    parse_options,
    register,
    registry,
    retire,
    spec,
)

# Episode metrics the leaderboard reports, with their ranges (see EnvSpec.metrics).
_FIBRE_METRICS = {
    "accuracy": (0, 1),
    "macro_f1": (0, 1),
    "fnr": (0, 1),
    "nar": (0, 1),
    "false_alarms_per_km_hour": (0, None),
}
_MACRO_METRICS = {
    "gdp_per_capita": (0, None),
    "consumption_per_capita": (0, None),
    "income_gini": (0, 1),
    "wealth_gini": (0, 1),
    "debt_to_gdp": (None, None),
    "interest_rate": (None, None),
}

__all__ = [
    "EnvSpec",
    "make",
    "make_aec",
    "make_parallel",
    "parse_options",
    "register",
    "registry",
    "retire",
    "spec",
]

register(
    id="MarkovGame-v0",
    entry_point="tactica.envs.markov.env:MarkovGameEnv",
    kind="multi",
    summary="General-sum stochastic (Markov) games and normal-form games from a catalog or generators",
    backends=("embedded",),
    status="stable",
    kwargs={"game": "prisoners_dilemma"},
    conformance_kwargs=(
        {"game": "prisoners_dilemma"},
        {"game": "rock_paper_scissors", "horizon": 5},
        {"game": "grid_game_2"},
        {
            "game": "random_markov",
            "num_players": 3,
            "num_states": 4,
            "num_actions": 3,
            "seed": 1,
            "min_actions": 1,
        },
    ),
    metrics={},  # the returns say it all
)

register(
    id="ONUW-v1",
    entry_point="tactica.envs.onuw.env:ONUWParallelEnv",
    aec_entry_point="tactica.envs.onuw.env:ONUWEnv",
    kind="multi",
    summary="One Night Ultimate Werewolf: night actions, structured/LLM discussion, vote (official or paper rules)",
    backends=("embedded",),
    status="beta",
    kwargs={},
    conformance_kwargs=(
        {},
        {"preset": "3p"},
        {"preset": "5p-easy", "discussion_rounds": 1},
        {
            "num_players": 8,
            "deck": "werewolf minion mason mason seer robber troublemaker drunk insomniac tanner hunter".split(),
            "discussion_rounds": 1,
            "speaking_order": "random",
        },
    ),
    metrics={"died": (0, 1), "draw": (0, 1), "votes_received": (0, None)},
)

register(
    id="FiberStream-v1",
    entry_point="tactica.envs.fiber.env:FiberStreamEnv",
    kind="single",
    summary="Simulated DAS (phi-OTDR) stream along a buried pipeline: name the event and its radial distance",
    backends=("embedded",),
    status="beta",
    kwargs={},
    conformance_kwargs=(
        {"n_channels": 6, "window_s": 0.25, "pulse_rate": 500.0, "episode_windows": 20},
        {"n_channels": 4, "window_s": 0.5, "pulse_rate": 400.0, "domain": "wet_clay", "episode_windows": 8},
    ),
    baseline_agent="fiber-cusum",
    metrics=_FIBRE_METRICS,
    sb3_view="tactica.agents.fiber.features:sb3_view",  # 24,000 raw numbers -> the window's features
)

register(
    id="FiberSegments-v1",
    entry_point="tactica.envs.fiber.segments:FiberSegmentsEnv",
    kind="multi",
    summary="FiberStream's DAS fibre split into segments, one PettingZoo agent per segment judging its own events",
    backends=("embedded",),
    status="beta",
    kwargs={},
    # the first (quick-suite) configuration has plain Box windows so the per-segment CUSUM baseline plays it
    conformance_kwargs=(
        {
            "n_segments": 2,
            "channels_per_segment": 3,
            "window_s": 0.25,
            "pulse_rate": 500.0,
            "episode_windows": 20,
            "neighbours": False,
        },
        {
            "n_segments": 3,
            "channels_per_segment": 3,
            "window_s": 0.25,
            "pulse_rate": 400.0,
            "domain": "wet_clay",
            "episode_windows": 8,
        },
    ),
    conformance_warnings=(
        (
            "contains negative numbers and is in the shape of a graphical observation",
            "a DAS window is a signed strain-rate matrix (channels x samples), not an image",
        ),
    ),
    baseline_agent="fiber-cusum",
    metrics=_FIBRE_METRICS,
)

register(
    id="SMAC-v2",
    entry_point="tactica.envs.smac.env:SMACParallelEnv",
    kind="multi",
    summary="StarCraft Multi-Agent Challenge micro battles (oxwhirl/smac vectors) on an embedded simulator",
    backends=("embedded", "sc2"),
    status="beta",
    kwargs={"map_name": "3m"},
    conformance_kwargs=({"map_name": "3m"}, {"map_name": "2s3z"}, {"map_name": "MMM"}),
    conformance_warnings=(
        (
            "Observation numpy array is all zeros",
            "SMAC: a dead agent's last observation is all zeros, as in oxwhirl/smac",
        ),
    ),
    metrics={"battle_won": (0, 1), "dead_allies": (0, None), "dead_enemies": (0, None)},
)

register(
    id="MacroSMFG-v1",
    entry_point="tactica.envs.macro.env:MacroSMFGEnv",
    kind="multi",
    summary="Stackelberg mean-field macroeconomy: a government (leader) and N households (one batched follower)",
    backends=("embedded",),
    status="beta",
    kwargs={"num_households": 100},
    conformance_kwargs=(
        {"num_households": 16, "horizon": 20},
        {"num_households": 16, "horizon": 10, "income_tax": "brackets"},
    ),
    conformance_warnings=(
        ("agents to be named in the format", "the issue names the two roles 'government' and 'households'"),
        ("class of observation spaces is different", "leader and batched followers observe different things"),
        ("different observation space sizes", "leader and batched followers observe different things"),
    ),
    baseline_agent="random",
    metrics=_MACRO_METRICS,
    # baselines made for one seat play it beside these (see EnvSpec.partners)
    partners={"government": "macro-free-market", "households": "macro-rule-households"},
)
register(
    id="MacroLeader-v1",
    entry_point="tactica.envs.macro.leader_env:MacroLeaderEnv",
    kind="single",
    summary="The government of MacroSMFG-v1 as a single-agent Gymnasium env, households driven by a given policy",
    backends=("embedded",),
    status="beta",
    kwargs={"num_households": 100},
    conformance_kwargs=({"num_households": 16, "horizon": 20},),
    baseline_agent="random",
    metrics=_MACRO_METRICS,
)

register(
    id="TextSC2-v1",
    entry_point="tactica.envs.textsc2.env:TextSC2Env",
    kind="single",
    summary="TextStarCraft II on an embedded macro simulator: 72 Protoss actions vs the built-in AI (10 levels)",
    backends=("embedded", "sc2"),
    status="beta",
    kwargs={},
    conformance_kwargs=({}, {"opponent_race": "Terran", "difficulty": "VeryEasy", "build": "rush"}),
    baseline_agent="textsc2-expert",
    metrics={"win": (0, 1), "PBR": (0, 1), "RUR": (0, None), "APU": (0, 1), "TR": (0, 1)},
    reward_threshold=45.0,  # +50 per victory: a 90% win rate against the configured built-in AI
)

register(
    id="SMACProgram-v3",
    entry_point="tactica.envs.smac.program_env:SMACProgramEnv",
    kind="single",
    summary="LLM-SMAC: the action is a decision-tree program run in a sandbox on seeded SMAC battles",
    backends=("embedded",),
    status="beta",
    kwargs={"map_name": "3m"},
    conformance_kwargs=({"map_name": "3m", "episodes_per_step": 1, "max_attempts": 5},),
    metrics={"win_rate": (0, 1), "attempt": (1, None)},
)

register(
    id="FrozenLakeText-v0",
    entry_point="tactica.envs.frozenlake.env:FrozenLakeTextEnv",
    kind="single",
    summary="Gymnasium's FrozenLake (4x4, not slippery, horizon 20) with a text observation and named actions",
    backends=("embedded",),
    status="beta",
    kwargs={},
    conformance_kwargs=({}, {"map_name": "8x8", "is_slippery": True, "max_steps": 50}),
    metrics={"success": (0, 1)},
    reward_threshold=1.0,  # deterministic 4x4: the goal reached every episode
    sb3_view="tactica.envs.frozenlake.sb3:sb3_view",  # the text names the cell: one-hot, as SB3 encodes Discrete
)

# Retired ids: each names its replacement and what changed, so old scripts fail with the way forward.
retire(
    "ONUW-v0",
    "ONUW-v1",
    "observations became Dict(observation, action_mask) and the paper's vote rule arrived",
)
retire(
    "SMACProgram-v0",
    "SMACProgram-v3",
    "the env began simulating the battles itself (programs only send orders)",
)
retire(
    "SMACProgram-v1",
    "SMACProgram-v3",
    "its battles moved to the SMAC simulator (map terrain, per-loop collisions, path finding)",
)
retire(
    "SMACProgram-v2",
    "SMACProgram-v3",
    "its battles follow SMAC-v2's melee crowds (attack-moving enemies take the closest ally they can reach)",
)
retire(
    "SMAC-v0",
    "SMAC-v2",
    "battles began following StarCraft II (map terrain, per-loop collisions, path finding, damage points)",
)
retire(
    "SMAC-v1",
    "SMAC-v2",
    "attack-moving enemies began taking the closest ally they can reach past their own attacking friends",
)
retire(
    "FiberStream-v0", "FiberStream-v1", "waves began reaching the fibre after their source (causal timing)"
)
retire(
    "FiberSegments-v0",
    "FiberSegments-v1",
    "waves began reaching the fibre after their source (causal timing)",
)
retire(
    "MacroSMFG-v0",
    "MacroSMFG-v1",
    "government capital began earning its return and taxes were capped by cash",
)
retire(
    "MacroLeader-v0",
    "MacroLeader-v1",
    "government capital began earning its return and taxes were capped by cash",
)
retire(
    "TextSC2-v0",
    "TextSC2-v1",
    "replies began to be read as the original TextSC2 reads them and the built-in AI was recalibrated",
)
