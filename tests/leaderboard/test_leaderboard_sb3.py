"""Stable-Baselines3 baselines: a training run directory the leaderboard picks up and plays."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from lb_toys import TOY, toy_suite

from tactica.baselines.sb3 import SB3Agent, SB3Config, default_run_dir, train
from tactica.errors import MissingDependency
from tactica.leaderboard import ResultStore, build_plan, run_jobs


def test_config_validation_names_what_is_accepted():
    with pytest.raises(ValueError, match="is multi-agent"):
        SB3Config("MarkovGame-v0").validate()
    with pytest.raises(ValueError, match="algo must be one of ppo, a2c, dqn"):
        SB3Config(TOY, algo="sac").validate()
    with pytest.raises(ValueError, match="total_timesteps must be a positive integer"):
        SB3Config(TOY, total_timesteps=0).validate()
    with pytest.raises(KeyError, match="unknown environment id"):
        SB3Config("NoSuchEnv-v0").validate()


def test_numeric_view_flattens_nested_dicts_and_drops_text():
    import gymnasium as gym

    from tactica.baselines.sb3 import NumericView

    space = gym.spaces.Dict(
        {
            "action_mask": gym.spaces.Box(0, 1, (3,), np.int8),
            "text": gym.spaces.Text(20),
            "unit": gym.spaces.Dict(
                {"probe_count": gym.spaces.Box(0, 99, (), np.int64), "phase": gym.spaces.Discrete(4)}
            ),
        }
    )
    assert NumericView.needed(space) and not NumericView.needed(gym.spaces.Box(0, 1, (2,)))
    view = NumericView(space)
    assert list(view.space.spaces) == ["action_mask", "unit/phase", "unit/probe_count"]
    assert view.space["unit/probe_count"].shape == (1,)
    observation = {
        "action_mask": np.array([1, 0, 1], np.int8),
        "text": "hello",
        "unit": {"probe_count": 12, "phase": 2},
    }
    viewed = view(observation)
    assert viewed["unit/probe_count"].tolist() == [12] and viewed["unit/phase"] == 2
    assert view.space.contains(viewed)
    with pytest.raises(ValueError, match="no numeric part"):
        NumericView(gym.spaces.Dict({"text": gym.spaces.Text(5)}))


def test_default_run_dir_is_where_the_leaderboard_looks(tmp_path, monkeypatch):
    monkeypatch.setenv("TACTICA_SB3_DIR", str(tmp_path))
    assert default_run_dir(TOY, "ppo", 3) == tmp_path / TOY / "ppo-seed3"


def test_train_cli_bad_input_exits_2(capsys):
    from tactica.cli.main import main

    assert main(["train", "sb3", "MarkovGame-v0"]) == 2
    assert "is multi-agent" in capsys.readouterr().err


def test_missing_sb3_names_the_rl_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "stable_baselines3", None)
    with pytest.raises(MissingDependency, match=r"tactica\[rl\]"):
        train(SB3Config(TOY, run_dir=str(tmp_path)), progress=False)


@pytest.mark.slow
def test_train_writes_a_run_the_leaderboard_plays(tmp_path, capsys):
    pytest.importorskip("stable_baselines3")
    from tactica.cli.main import main

    run_dir = tmp_path / TOY / "a2c-seed0"
    argv = ["train", "sb3", TOY, "--algo", "a2c", "--timesteps", "40", "--eval-episodes", "3"]
    assert main(argv + ["--run-dir", str(run_dir), "--opt", "difficulty=2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["eval_episodes"] == 3 and summary["model"] == str(run_dir / "model.zip")
    config = json.loads((run_dir / "config.json").read_text())
    assert config["algo"] == "a2c" and config["env_options"] == {"difficulty": 2} and config["seed"] == 0
    curve = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    # 40 steps of 4-step episodes: 10 training episodes, each with a return of 0..4 right guesses
    assert [c["timesteps"] for c in curve] == list(range(4, 44, 4))
    assert all(c["length"] == 4 and 0 <= c["return"] <= 4 for c in curve)
    # SB3's own statistics land in the run directory, not in a fresh SB3-<date> folder under /tmp
    # (A2C writes a row every 100 updates, so a 40-step run leaves it empty)
    assert (run_dir / "progress.csv").is_file()

    plan = build_plan(toy_suite(episodes=2), llm="", sb3_dir=tmp_path)
    (pairing,) = [p for p in plan.pairings if p.agent == "sb3"]
    assert pairing.agent_kwargs == {"model": str(run_dir / "model.zip")}
    with ResultStore(tmp_path / "lb.sqlite") as store:
        summary = run_jobs(plan.jobs(), store)
        assert summary.failed == 0
        played = [r for r in store.records() if r.agent == "sb3"]
    assert len(played) == 2 and all(r.length == 4 for r in played)

    # at play time the agent picks the best *legal* action by the policy's probabilities
    agent = SB3Agent(pairing_space(), model=run_dir)
    agent._action_scores = lambda observation: np.array([0.9, 0.02, 0.05, 0.03, 0.0, 0.0])
    observation = {"round": np.zeros(1, np.float32), "action_mask": np.array([0, 1, 1, 1, 0, 0], np.int8)}
    assert agent.act(observation, {}) == 2
    with pytest.raises(ValueError, match="acts in Discrete"):
        import gymnasium as gym

        SB3Agent(gym.spaces.Discrete(3), model=run_dir)


def pairing_space():
    import gymnasium as gym

    return gym.spaces.Discrete(6)


def test_text_observations_train_only_with_a_declared_numeric_view(tmp_path, capsys):
    import gymnasium as gym
    from lb_toys import TEXT_TOY, VIEWED_TEXT_TOY

    from tactica.baselines.sb3 import _make_env
    from tactica.cli.main import main

    with pytest.raises(ValueError, match=r"observes Text \(up to 8 characters\).*sb3_view"):
        _make_env(SB3Config(TEXT_TOY))
    assert main(["train", "sb3", TEXT_TOY, "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "language-model agents" in err
    assert not (tmp_path / "run").exists()  # refused before anything was written
    env = _make_env(SB3Config(VIEWED_TEXT_TOY))  # the declared view is applied with no flag
    assert env.observation_space == gym.spaces.Box(0.0, 8.0, (1,), np.float32)
    observation, _ = env.reset(seed=0)
    assert observation.shape == (1,) and observation[0] in (2, 3, 5, 7)


def test_a_text_only_environment_exits_2_with_the_reason(capsys):
    from tactica.cli.main import main

    assert main(["train", "sb3", "SMACProgram-v3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SMACProgram-v3 observes Text" in err


def test_ppo_rollouts_follow_a_short_run(tmp_path, monkeypatch):
    """PPO's default 2048-step rollout would make a 1,000-step run cost 2,048 steps."""
    stable_baselines3 = pytest.importorskip("stable_baselines3")
    from tactica.baselines import sb3

    captured = {}

    class Stop(Exception):
        pass

    def fake_ppo(policy, venv, **kwargs):
        captured.update(kwargs)
        raise Stop

    monkeypatch.setattr(stable_baselines3, "PPO", fake_ppo)
    for timesteps, n_envs, expected in ((1000, 1, 1024), (100_000, 1, 2048), (1000, 4, 256), (10, 1, 64)):
        config = SB3Config(
            TOY, total_timesteps=timesteps, n_envs=n_envs, eval_episodes=0, run_dir=str(tmp_path)
        )
        with pytest.raises(Stop):
            sb3.train(config, progress=False)
        assert captured["n_steps"] == expected
    config = SB3Config(TOY, total_timesteps=1000, algo_kwargs={"n_steps": 128}, run_dir=str(tmp_path))
    with pytest.raises(Stop):
        sb3.train(config, progress=False)
    assert captured["n_steps"] == 128  # the user's choice stands


def _single_agent_ids() -> list[str]:
    import tactica

    return sorted(
        env_id
        for env_id, env_spec in tactica.registry().items()
        if env_spec.kind == "single" and not env_id.startswith("Leaderboard")
    )


@pytest.mark.slow
@pytest.mark.parametrize("env_id", _single_agent_ids())
def test_ppo_trains_1000_steps_on_every_single_agent_id_or_exits_2_with_the_reason(env_id, tmp_path):
    """``tactica train sb3 ID`` with no flag but the length: a model, or exit 2 and one line saying why."""
    import os
    import subprocess

    import gymnasium as gym

    import tactica

    pytest.importorskip("stable_baselines3")
    env_spec = tactica.spec(env_id)
    space = gym.make(env_id).observation_space
    trainable = not isinstance(space, gym.spaces.Text) or env_spec.sb3_view is not None
    run_dir = tmp_path / "run"
    argv = ["train", "sb3", env_id, "--timesteps", "1000", "--eval-episodes", "0", "--run-dir", str(run_dir)]
    done = subprocess.run(
        [sys.executable, "-m", "tactica.cli.main", *argv, "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if trainable:
        assert done.returncode == 0, done.stderr
        assert (run_dir / "model.zip").is_file()
        assert json.loads((run_dir / "config.json").read_text())["total_timesteps"] == 1000
    else:
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"{env_id} observes Text" in done.stderr and not run_dir.exists()


def test_fibre_stream_trains_on_its_declared_feature_view():
    from tactica.agents.fiber.features import FEATURE_NAMES
    from tactica.baselines.sb3 import SB3Config, _make_env

    options = {"n_channels": 6, "window_s": 0.25, "pulse_rate": 500.0, "episode_windows": 2}
    env = _make_env(SB3Config(env_id="FiberStream-v1", env_options=options))
    observation, _ = env.reset(seed=0)
    # 6 x 125 raw numbers (24,000 at the defaults) become the window's features
    assert env.observation_space.shape == observation.shape == (len(FEATURE_NAMES),)
    assert observation.dtype == np.float32 and np.isfinite(observation).all()
    env.close()


def test_frozen_lake_trains_on_the_one_hot_cell_its_text_names():
    from tactica.baselines.sb3 import SB3Config, _make_env

    env = _make_env(SB3Config(env_id="FrozenLakeText-v0", env_options={}))
    observation, _ = env.reset(seed=0)
    assert env.observation_space.shape == observation.shape == (16,)
    assert observation.tolist() == [1.0] + [0.0] * 15  # the start, row 1 column 1
    observation, *_ = env.step(2)  # right
    assert int(np.argmax(observation)) == 1 and observation.sum() == 1.0
    env.close()
