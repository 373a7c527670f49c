"""The BJTU phi-OTDR path end to end on a fake data set in the BJTU layout: load from the root, check the sample
rate against the model, fine-tune a new six-class head; unknown distances never train the distance heads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.io import savemat

from tactica.agents.fiber.recognizer import Recognizer
from tactica.agents.fiber.train import TrainConfig, classification_metrics, fine_tune, train_network
from tactica.envs.fiber.datasets import FiberDataset, load_phi_otdr_mat
from tactica.envs.fiber.stream import distance_bin, distance_bins

#: the BJTU set's class folders (its repository spells the first one "01_backgroud")
BJTU_CLASSES = ("01_background", "02_dig", "03_knock", "04_water", "05_shake", "06_walk")
BJTU_FS = 8000.0  # the 10 km fibre's pulse rate: 10,000 samples = 1.25 s


def _fake_bjtu(root, per_class: int = 3, samples: int = 10_000, seed: int = 0):
    """``root/das_data/{train,test}/<class>/<n>.mat``, key ``data``, uint16 (samples, 12): a class-dependent tone
    (each class its own frequency and channel) on a noisy intensity floor, as the BJTU archive unpacks."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / BJTU_FS
    for split, count in (("train", per_class), ("test", 1)):
        for k, name in enumerate(BJTU_CLASSES):
            folder = root / "das_data" / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                data = 20000.0 + 300.0 * rng.standard_normal((samples, 12))
                if k:
                    data[:, 2 * k - 1] += 4000.0 * np.sin(2 * np.pi * (15.0 * k) * t)
                savemat(folder / f"{name}_{i}.mat", {"data": np.clip(data, 0, 65535).astype(np.uint16)})


def test_loads_bjtu_layout_from_the_root_with_splits(tmp_path):
    _fake_bjtu(tmp_path, per_class=2, samples=400)
    ds = load_phi_otdr_mat(tmp_path, fs=BJTU_FS)  # the root, two folders above the class folders
    assert ds.class_names == BJTU_CLASSES
    assert ds.windows.shape == (6 * 3, 12, 399)  # (channels, time), first-differenced
    assert np.all(np.isnan(ds.distances)) and np.all(np.isnan(ds.pipe_distances))
    train, test = ds.split("train"), ds.split("test")
    assert len(train) == 12 and len(test) == 6
    assert sorted(test.labels.tolist()) == list(range(6))
    only_test = load_phi_otdr_mat(tmp_path / "das_data", fs=BJTU_FS, split="test")
    np.testing.assert_array_equal(only_test.windows, test.windows)
    # a split folder itself is a root of class folders
    assert len(load_phi_otdr_mat(tmp_path / "das_data" / "train", fs=BJTU_FS)) == 12
    with pytest.raises(ValueError, match="no split 'val'"):
        load_phi_otdr_mat(tmp_path, fs=BJTU_FS, split="val")
    with pytest.raises(ValueError, match="fs must be"):
        load_phi_otdr_mat(tmp_path, fs=0.0)


def test_wrong_sample_rate_is_a_clear_error_and_resampling_fixes_it(tmp_path):
    _fake_bjtu(tmp_path, per_class=1, samples=2000)
    rec = Recognizer.new(seed=0)  # a 1 kHz model of 2000-sample windows, like the shipped one
    ds = load_phi_otdr_mat(tmp_path, fs=BJTU_FS)
    with pytest.raises(
        ValueError, match=r"sampled at 8000 Hz but this model was trained at 1000 Hz; resample"
    ):
        rec.check_dataset(ds)
    with pytest.raises(ValueError, match="8000 Hz but this model was trained at 1000 Hz"):
        fine_tune(rec, ds, epochs=1)
    at_1k = load_phi_otdr_mat(tmp_path, fs=BJTU_FS, resample_to=1000.0)
    assert at_1k.fs == 1000.0 and at_1k.window_samples == 250  # 1999 samples at 8 kHz -> 250 at 1 kHz
    with pytest.raises(ValueError, match="250 samples are too short"):
        rec.check_dataset(at_1k, fine_tuning=True)
    # the window length must be the model's for prediction, may differ for fine-tuning
    longer = ds.resample(4000.0)
    longer_rec = Recognizer.new(seed=0, fs=4000.0)
    with pytest.raises(ValueError, match="windows of 1000 samples .* this model takes 2000"):
        longer_rec.check_dataset(longer)
    longer_rec.check_dataset(longer, fine_tuning=True)


def test_fine_tunes_a_new_six_class_head_on_a_bjtu_layout_dataset(tmp_path):
    _fake_bjtu(tmp_path, per_class=4)
    ds = load_phi_otdr_mat(tmp_path, fs=BJTU_FS, resample_to=1000.0)  # 9999 samples at 8 kHz -> 1250 at 1 kHz
    train, test = ds.split("train"), ds.split("test")
    rec = Recognizer.new(seed=0)
    before = {k: v.clone() for k, v in rec.net.trunk.state_dict().items()}
    config = TrainConfig(batch=8, seed=0)
    log = fine_tune(rec, train, epochs=25, lr=3e-3, config=config)
    assert rec.class_names == BJTU_CLASSES and rec.net.n_classes == 6
    assert rec.window_samples == 1250
    assert rec.net.class_head.out_features == 6
    assert all(h.out_features == 6 + 5 for h in rec.net.aux_heads.values())
    assert log["loss"][-1] < log["loss"][0]
    assert any(not torch.equal(before[k], v) for k, v in rec.net.trunk.state_dict().items())
    pred = rec.infer(train.windows)
    assert pred.class_proba.shape == (len(train), 6)
    metrics = classification_metrics(train.labels, pred.classes, 6)
    assert metrics["accuracy"] >= 0.9  # the classes are separable tones: the new head learns them
    rec.check_dataset(test)  # the fine-tuned model now takes these windows for prediction
    assert rec.infer(test.windows).classes.shape == (6,)
    with pytest.raises(ValueError, match="new_head=True"):
        fine_tune(Recognizer.new(seed=0), train, epochs=1, new_head=False)


def test_round_trip_keeps_the_new_label_set(tmp_path):
    rec = Recognizer.new(seed=1)
    rec.replace_class_head(BJTU_CLASSES)
    rec.window_samples = 1250
    rec.save(tmp_path / "bjtu.pt")
    back = Recognizer.load(tmp_path / "bjtu.pt")
    assert back.class_names == BJTU_CLASSES and back.window_samples == 1250
    x = np.random.default_rng(0).standard_normal((2, 12, 1250)).astype(np.float32)
    np.testing.assert_allclose(rec.infer(x).class_proba, back.infer(x).class_proba, atol=1e-6)


def test_unknown_distances_are_not_the_farthest_bin_and_train_no_distance_head():
    assert [distance_bin(d) for d in (0.0, 25.0, 30.0)] == [0, 4, 4]
    with pytest.raises(ValueError, match="NaN"):
        distance_bin(float("nan"))
    np.testing.assert_array_equal(
        distance_bins(np.array([np.nan, 3.0, 25.0, 7.0]), np.array([2, 1, 3, 0])), [-1, 1, 4, -1]
    )
    # field data: events with unknown distances.  Training moves the class head, but leaves the bin and
    # distance heads exactly as they were (no gradient reaches them)
    rng = np.random.default_rng(0)
    ds = FiberDataset(rng.standard_normal((8, 12, 600)), rng.integers(1, 5, 8), np.full(8, np.nan))
    rec = Recognizer.new(seed=0)
    bin_before = rec.net.bin_head.weight.clone()
    dist_before = rec.net.distance_head.weight.clone()
    class_before = rec.net.class_head.weight.clone()
    train_network(
        rec, ds, rec.features(ds.windows), TrainConfig(batch=4, weight_decay=0.0), epochs=2, lr=1e-2
    )
    assert not torch.equal(rec.net.class_head.weight, class_before)
    assert torch.equal(rec.net.bin_head.weight, bin_before)
    assert torch.equal(rec.net.distance_head.weight, dist_before)
