"""Seeded TextSC2-v1 trajectories hash to fixed values: the regression net of the speed work.

Every observation leaf (dtype, shape and bytes), the text, the reward, the end flags and the whole ``info`` of
every step go into one SHA-256.  The values were recorded when the original's rules, text and decision
parsing were adopted (the next env version) and must not change: a faster env plays the very same games.  The opponent is a fixed Zerg script
made of engine commands (not the built-in AI, whose strength is calibrated separately), so these hashes move
only when the engine, the env, the actions or the expert change behaviour.
"""

from __future__ import annotations

import hashlib

import gymnasium as gym
import numpy as np

import tactica  # noqa: F401  (registers TextSC2-v1)
from tactica.agents import make as make_agent
from tactica.envs.textsc2.engine import Game


class ZerglingRush:
    """A fixed Zerg opponent: 16 Drones, a Spawning Pool, Overlords on time, Zerglings, attack at 16."""

    def __init__(self, game: Game):
        self.game = game
        self.player = p = game.players[1]
        # Undo what the built-in AI's level set on its player, so its calibration cannot move these hashes.
        p.income_mult = p.combat_mult = p.inject_eff = 1.0
        p.vision_all = False
        p.auto_defend = True

    def update(self) -> None:
        g, p = self.game, self.player
        pending = p.pending_units()
        if p.workers + pending.get("Drone", 0) < 16:
            g.train(p, "Drone")
        if g.loop > 900 and p.count("SpawningPool", done=False) == 0:
            g.build(p, "SpawningPool")
        if p.supply_cap() - p.supply_used < 3 and not pending.get("Overlord"):
            g.train(p, "Overlord")
        g.train(p, "Zergling")
        if p.home.get("Zergling", 0) >= 16:
            g.attack(p)


def _feed(h, x) -> None:
    """Canonical bytes of an observation / info value (key order, dtypes and shapes included)."""
    if isinstance(x, dict):
        h.update(b"{")
        for k, v in x.items():
            h.update(repr(k).encode())
            _feed(h, v)
        h.update(b"}")
    elif isinstance(x, np.ndarray):
        h.update(f"A{x.dtype}{x.shape}".encode())
        h.update(np.ascontiguousarray(x).tobytes())
    elif isinstance(x, (list, tuple)):
        h.update(b"[")
        for v in x:
            _feed(h, v)
        h.update(b"]")
    else:
        h.update(f"{type(x).__name__}:{x!r}".encode())


def _digest(frames: list) -> str:
    h = hashlib.sha256()
    for frame in frames:
        _feed(h, frame)
    return h.hexdigest()[:16]


def play(agent_name: str, seed: int, steps: int, text_every: int = 0, **kwargs):
    """Play ``steps`` steps against :class:`ZerglingRush`; returns (streamed digest, frames, last info)."""
    env = gym.make("TextSC2-v1", **kwargs)
    agent = make_agent(agent_name, action_space=env.action_space)
    obs, info = env.reset(seed=seed)
    env.unwrapped.ai = ZerglingRush(env.unwrapped.game)
    agent.reset(seed)
    replies = (
        "Decisions:\n0: <TRAIN PROBE>\n1: <BUILD PYLON>\n2: <BUILD GATEWAY>\n3: <train stalkr>\n4: <dance>",
        "BUILD ASSIMILATOR",
        "Decisions:\n0: <RESEARCH WARPGATE>\n1: <CHRONOBOOST NEXUS>\n2: <MULTI-ATTACK>",
    )
    h = hashlib.sha256()
    frames = [(obs, info)]
    _feed(h, frames[0])
    for step in range(steps):
        action = agent.act(obs, info)
        if text_every and step % text_every == 0:
            action = replies[(step // text_every) % len(replies)]
        obs, reward, terminated, truncated, info = env.step(action)
        frame = (obs, (reward, terminated, truncated), info)
        _feed(h, frame)
        frames.append(frame)
        if terminated or truncated:
            break
    return h.hexdigest()[:16], frames, info


def test_expert_game_against_a_fixed_rush_is_unchanged():
    digest, frames, info = play("textsc2-expert", seed=3, steps=10**6, time_limit_s=480)
    assert len(frames) == 1345 and info["result"] == "Tie"
    assert digest == "eab626e5283ce3e0"
    # Observations handed out earlier were not changed by later steps (nothing is reused and mutated).
    assert _digest(frames) == digest


def test_text_actions_random_agent_and_shaped_reward_are_unchanged():
    digest, frames, info = play(
        "random", seed=8, steps=500, text_every=6, reward="shaped", opponent_race="Zerg", step_loops=12
    )
    assert len(frames) == 501
    assert digest == "688512b7341a6942"
    assert _digest(frames) == digest


def _dry_run_mask(handler, ignore_resources: bool) -> list[int]:
    p = handler.player
    saved = p.minerals, p.gas
    if ignore_resources:
        p.minerals = p.gas = 1e12
    try:
        return [0 if handler.execute(i, dry=True) else 1 for i in range(72)]
    finally:
        p.minerals, p.gas = saved


def test_cached_mask_equals_dry_runs_at_every_step():
    # The mask reuses answers between steps; at every step it must still equal a dry run of each action,
    # with and without resources, with the helpers on and off, against a rush and the built-in AI.
    cases = [
        ("random", 2, {"step_loops": 12}, True),
        ("textsc2-expert", 5, {"structure_caps": False, "pylon_rule": False}, True),
        ("textsc2-expert", 9, {"difficulty": "VeryEasy", "time_limit_s": 200}, False),
        ("textsc2-expert", 4, {"original_bugs": True}, True),
        ("random", 7, {"rules": "lotv"}, True),
    ]
    for agent_name, seed, kwargs, rush in cases:
        env = gym.make("TextSC2-v1", **kwargs)
        agent = make_agent(agent_name, action_space=env.action_space)
        obs, info = env.reset(seed=seed)
        if rush:
            env.unwrapped.ai = ZerglingRush(env.unwrapped.game)
        agent.reset(seed)
        handler = env.unwrapped.handler
        for _ in range(450):
            assert obs["action_mask"].tolist() == _dry_run_mask(handler, True)
            assert handler.mask(ignore_resources=False) == _dry_run_mask(handler, False)
            obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
            if terminated or truncated:
                break


def test_cached_information_and_summary_equal_fresh_ones_at_every_step():
    # The env reuses unchanged groups and text sections between steps; a fresh, uncached computation of the
    # same state must give the same dict and the same text.
    from tactica.envs.textsc2.text import information, summarize

    for text_format in ("tactica", "original"):
        env = gym.make("TextSC2-v1", difficulty="Medium", time_limit_s=400, text_format=text_format)
        agent = make_agent("textsc2-expert", action_space=env.action_space)
        obs, info = env.reset(seed=6)
        inner = env.unwrapped
        while True:
            fresh = information(inner.game, inner.game.players[0])
            assert inner._info == fresh
            assert inner._text == obs["text"] == summarize(fresh, text_format=text_format)
            obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
            if terminated or truncated:
                break
