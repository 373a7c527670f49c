"""The vectorised observations equal a line-by-line transcription of oxwhirl/smac's get_obs_agent/get_state."""

import numpy as np
import pytest

from tactica.envs.smac import SMACEnv


def reference_obs(env, a):
    sim, f = env.core.sim, env.core.features
    A, E = env.n_agents, env.n_enemies
    if not sim.alive[0, a]:
        return np.zeros(f.obs_size, np.float32)
    avail = env.core.avail_actions()[0, a]
    p = sim.pos[0]
    out = list(avail[2:6].astype(float))
    for e in range(E):
        j = A + e
        d = np.hypot(*(p[j] - p[a]))
        feats = [0.0] * f.nf_en
        if d < 9 and sim.alive[0, j]:
            feats = [
                avail[6 + e],
                d / 9,
                (p[j, 0] - p[a, 0]) / 9,
                (p[j, 1] - p[a, 1]) / 9,
                sim.hp[0, j] / sim.hp_max[j],
            ]
            if f.shield_enemy:
                feats.append(sim.sh[0, j] / f.shield_max[j])
            feats += list(f.onehot[j])
        out += feats
    for j in range(A):
        if j == a:
            continue
        d = np.hypot(*(p[j] - p[a]))
        feats = [0.0] * f.nf_al
        if d < 9 and sim.alive[0, j]:
            feats = [
                1.0,
                d / 9,
                (p[j, 0] - p[a, 0]) / 9,
                (p[j, 1] - p[a, 1]) / 9,
                sim.hp[0, j] / sim.hp_max[j],
            ]
            if f.shield_ally:
                feats.append(sim.sh[0, j] / f.shield_max[j])
            feats += list(f.onehot[j])
        out += feats
    out.append(sim.hp[0, a] / sim.hp_max[a])
    if f.shield_ally:
        out.append(sim.sh[0, a] / f.shield_max[a])
    out += list(f.onehot[a])
    return np.array(out, np.float32)


def reference_state(env):
    sim, f = env.core.sim, env.core.features
    A = env.n_agents
    x0, y0, x1, y1 = env.core.spec.playable
    parts = []
    for i in range(sim.n_units):
        ally = i < A
        if not sim.alive[0, i]:
            parts += [0.0] * (f.ally_state_dim if ally else f.enemy_state_dim)
            continue
        row = [sim.hp[0, i] / sim.hp_max[i]]
        if ally:
            row.append(sim.energy[0, i] / 200 if sim.healer[i] else sim.cd[0, i] / sim.max_cd[i])
        row += [(sim.pos[0, i, 0] - 16) / (x1 - x0), (sim.pos[0, i, 1] - 16) / (y1 - y0)]
        if f.shield_ally if ally else f.shield_enemy:
            row.append(sim.sh[0, i] / f.shield_max[i])
        parts += row + list(f.onehot[i])
    parts += list(env.core.last_action[0].reshape(-1))
    return np.array(parts, np.float32)


@pytest.mark.parametrize("map_name", ["3m", "3s5z", "MMM2", "2m_vs_1z", "bane_vs_bane", "1c3s5z"])
def test_observations_and_state_match_smac_reference(map_name):
    env = SMACEnv(map_name, seed=1)
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(25):
        obs = env.get_obs()
        for a in range(env.n_agents):
            np.testing.assert_allclose(obs[a], reference_obs(env, a), atol=1e-6)
        np.testing.assert_allclose(env.get_state(), reference_state(env), atol=1e-6)
        avail = env.core.avail_actions()[0]
        _, done, _ = env.step((rng.random(avail.shape) * avail).argmax(1))
        if done:
            env.reset()
