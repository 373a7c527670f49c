"""Recognition network, baselines, shipped weights, agents and the training script."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

import tactica  # noqa: F401
from tactica.agents import make
from tactica.agents.fiber.classical import CusumDetector, FeatureClassifier, SoftmaxRegression
from tactica.agents.fiber.features import FEATURE_NAMES, window_features
from tactica.agents.fiber.network import FusionNet
from tactica.agents.fiber.recognizer import WEIGHTS_DIR, Recognizer, shipped_weights
from tactica.envs.fiber.datasets import simulate_windows
from tactica.envs.fiber.physics import FibreSimulator, Interrogator, Soil
from tactica.envs.fiber.sources import Event

needs_weights = pytest.mark.skipif(
    not (WEIGHTS_DIR / "fusion_loam.pt").exists(),
    reason="weights not shipped yet (run the training script with --ship)",
)


@pytest.fixture(scope="module")
def loam_windows():
    return simulate_windows(40, seed=123, domain="loam")


@needs_weights
def test_shipped_weights_are_small_and_load():
    files = list(WEIGHTS_DIR.glob("*.pt")) + list(WEIGHTS_DIR.glob("*.npz"))
    assert {"fusion_loam.pt", "fusion_wet_clay.pt", "cusum_loam.npz", "features_loam.npz"} <= {
        f.name for f in files
    }
    assert sum(f.stat().st_size for f in files) < 2 * 1024 * 1024
    rec = Recognizer.load(shipped_weights("loam"))
    assert rec.net.views == ("raw", "spec", "stats")
    with pytest.raises(ValueError, match="available"):
        shipped_weights("granite")


@needs_weights
def test_fusion_network_recognises_simulated_events(loam_windows):
    rec = Recognizer.load(shipped_weights("loam"))
    classes, bins = rec.predict(loam_windows.windows)
    accuracy = float(np.mean(classes == loam_windows.labels))
    assert accuracy >= 0.7, (
        accuracy
    )  # 5 classes: chance is 0.2; the trained model reaches ~0.9 (docs/fiber.md)


@needs_weights
@pytest.mark.slow
def test_shipped_fusion_beats_feature_classifier_on_held_out_wet_clay():
    # a fresh seeded wet_clay sample (not the training study's seeds); docs/fiber.md has the 800-window table
    sample = simulate_windows(200, seed=4242, domain="wet_clay")
    for domain in ("loam", "wet_clay"):  # no transfer, then after fine-tuning on wet_clay
        fusion = Recognizer.load(shipped_weights(domain))
        classical = FeatureClassifier.load(WEIGHTS_DIR / f"features_{domain}.npz")
        f = fusion.features(sample.windows)
        acc_fusion = float(np.mean(fusion.predict(sample.windows, f)[0] == sample.labels))
        acc_classical = float(np.mean(classical.predict(f)[0] == sample.labels))
        assert acc_fusion > acc_classical, (domain, acc_fusion, acc_classical)


def test_recognizer_round_trip(tmp_path, loam_windows):
    rec = Recognizer.new(views=("spec", "stats"), seed=3)
    rec.save(tmp_path / "m.pt")
    back = Recognizer.load(tmp_path / "m.pt")
    a = rec.predict_proba(loam_windows.windows[:4])
    b = back.predict_proba(loam_windows.windows[:4])
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    with pytest.raises(ValueError, match="views"):
        FusionNet(len(FEATURE_NAMES), views=("raw", "audio"))


def test_fusion_net_auxiliary_heads_and_wide_path():
    net = FusionNet(len(FEATURE_NAMES)).eval()
    raw, scale, stats = torch.zeros(3, 12, 2000), torch.zeros(3, 1), torch.zeros(3, len(FEATURE_NAMES))
    lc, lb, distance, heads = net(raw, scale, stats, aux=True)
    assert lc.shape == (3, 5) and lb.shape == (3, 5)
    assert distance.shape == (3,) and bool((distance >= 0).all())  # metres from the pipe, softplus-scaled
    assert set(heads) == {"raw", "spec", "stats"}
    assert all(c.shape == (3, 5) and b.shape == (3, 5) for c, b in heads.values())
    # without aux the same main logits come back
    torch.testing.assert_close(net(raw, scale, stats)[0], lc)
    # the standardised features reach the trunk directly only when the statistics view is used
    first = net.trunk[0].in_features
    assert first == sum(b.out_dim for b in net.branches.values()) + 1 + len(FEATURE_NAMES)
    spec_only = FusionNet(len(FEATURE_NAMES), views=("spec",))
    assert spec_only.trunk[0].in_features == spec_only.branches["spec"].out_dim + 1


def test_recognizer_rejects_other_checkpoints(tmp_path):
    torch.save({"format": "something-else/1"}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="format"):
        Recognizer.load(tmp_path / "x.pt")
    with pytest.raises(FileNotFoundError):
        Recognizer.load(tmp_path / "missing.pt")


def test_features_are_finite_and_sized(loam_windows):
    f = window_features(loam_windows.windows[0], 1000.0)
    assert f.shape == (len(FEATURE_NAMES),) and np.isfinite(f).all()
    with pytest.raises(ValueError, match="window"):
        window_features(np.zeros(100), 1000.0)


def test_softmax_regression_separable_and_prior():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.3, (50, 2)), rng.normal(2, 0.3, (50, 2))])
    y = np.repeat([0, 1], 50)
    model = SoftmaxRegression(2, l2=1e-3).fit(x, y)
    assert (model.proba(x).argmax(1) == y).all()
    # a huge penalty towards a prior keeps the weights at the prior
    prior = np.array([[0.5, -0.5], [0.1, 0.2], [0.0, 0.0]])
    held = SoftmaxRegression(2, l2=1e6).fit(x, y, prior=prior)
    np.testing.assert_allclose(held.weights[:2], prior[:2], atol=1e-3)


@needs_weights
def test_cusum_quiet_and_digging():
    fs = 1000.0
    quiet = FibreSimulator(12, Soil(), Interrogator(), np.random.default_rng(1))
    detector = CusumDetector.load(WEIGHTS_DIR / "cusum_loam.npz")
    detector.reset()
    assert detector.judge(quiet.simulate([], 0, 2000)) == (0, 0)
    dig = Event(kind=3, start=-0.5, duration=5.0, x0=30.0, distance=1.0, seed=2)
    loud = FibreSimulator(12, Soil(), Interrogator(), np.random.default_rng(1))
    detector.reset()
    cls, b = detector.judge(loud.simulate(dig.grains(fs), 0, 2000))
    assert cls == 3 and b <= 1  # an alarm, placed near the pipe


@needs_weights
def test_agents_play_the_env():
    env = gym.make("FiberStream-v1", episode_windows=3)
    for name in ("fiber-fusion", "fiber-cusum", "fiber-features"):
        agent = make(name, action_space=env.action_space, observation_space=env.observation_space)
        agent.reset(seed=0)
        obs, info = env.reset(seed=0)
        for _ in range(3):
            action = agent.act(obs, info)
            assert env.action_space.contains(action)
            obs, _, _, trunc, info = env.step(action)
        assert trunc
    with pytest.raises(TypeError, match="MultiDiscrete"):
        make("fiber-fusion", action_space=gym.spaces.Discrete(3))


@needs_weights
def test_monitor_cli_json_and_exit_codes(capsys):
    from tactica.cli.main import main

    assert main(["fiber", "monitor", "--km", "0.3", "--duration", "4", "--event-rate", "3000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["windows"] == 2 and out["summary"]["channels"] == 61
    assert main(["fiber", "monitor", "--km", "0.3", "--duration", "2", "--min-rtf", "1e12"]) == 1
    assert main(["fiber", "monitor", "--km", "-1"]) == 2
    assert (
        main(["fiber", "monitor", "--km", "20", "--pulse-rate", "9000"]) == 2
    )  # one pulse in flight: 5.1 kHz
    assert main(["fiber", "monitor", "--domain", "granite"]) == 2


@pytest.mark.slow
def test_training_script_writes_a_run_directory(tmp_path):
    from tactica.agents.fiber.train import main

    out = tmp_path / "run"
    assert main(["--out", str(out), "--n-source", "40", "--n-target", "20", "--n-test", "20", "--epochs", "1",
                 "--finetune-epochs", "1", "--seed", "3"]) == 0  # fmt: skip
    for name in ("config.json", "metrics.json", "results.md", "fusion_loam.pt", "learning_curves.png"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / "config.json").read_text())["seed"] == 3
    assert "fusion / transfer" in metrics["rows"] and "CUSUM energy detector / no transfer" in metrics["rows"]
    assert Recognizer.load(out / "fusion_wet_clay.pt").meta["domain"] == "wet_clay"
    # early stopping kept one of the source epochs, chosen on the source validation split
    assert 1 <= metrics["early_stopping"]["fusion"]["best_epoch"] <= 1
    assert len(metrics["early_stopping"]["fusion"]["val_accuracy"]) == 1
    assert metrics["feature_classifier_l2"] in (1e-3, 1e-2, 1e-1, 1.0)


def test_feature_classifier_save_load(tmp_path, loam_windows):
    f = np.stack([window_features(w, 1000.0) for w in loam_windows.windows])
    bins = np.where(loam_windows.labels > 0, 1, -1)
    model = FeatureClassifier().fit(f, loam_windows.labels, bins)
    model.save(tmp_path / "f.npz")
    back = FeatureClassifier.load(tmp_path / "f.npz")
    np.testing.assert_array_equal(back.predict(f)[0], model.predict(f)[0])


def test_despike_removes_phase_jumps_only():
    from tactica.agents.fiber.classical import despike

    rng = np.random.default_rng(0)
    noise = rng.standard_normal((2, 1000)).astype(np.float32)
    noise[0, 500] += 1000.0  # a 2 pi jump: one sample, far above the noise
    cleaned = despike(noise)
    assert abs(cleaned[0, 500]) < 5.0
    np.testing.assert_array_equal(cleaned[1], noise[1])
    tone = (100 * np.sin(2 * np.pi * 30 * np.arange(1000) / 1000.0)).astype(np.float32)[None]
    np.testing.assert_array_equal(despike(tone), tone)  # a strong vibration is not a spike


@needs_weights
def test_episode_table_plays_each_agent():
    from tactica.agents.fiber.episodes import episode_table, main, play

    m = play("random", "loam", episodes=1, windows=3)
    assert set(m) == {"accuracy", "macro_f1", "nar", "fnr", "reward"} and 0.0 <= m["accuracy"] <= 1.0
    table = episode_table(["loam"], ["fiber-features"], episodes=1, windows=2)
    assert table.count("\n") == 3 and "| loam | fiber-features |" in table
    with pytest.raises(ValueError, match="episodes"):
        play("random", "loam", episodes=0)
    with pytest.raises(SystemExit) as exc:
        main(["--domains", "granite", "--episodes", "1", "--windows", "1"])
    assert exc.value.code == 2
