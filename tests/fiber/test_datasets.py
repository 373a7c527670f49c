"""Loaders for the phi-OTDR .mat layout and numpy arrays, and the simulated data set."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import savemat

from tactica.envs.fiber.datasets import (
    FiberDataset,
    load_numpy,
    load_phi_otdr_mat,
    save_numpy,
    simulate_windows,
)


def test_phi_otdr_mat_layout(tmp_path):
    # BJTU layout: root/<class>/<n>.mat with key "data", uint16 (time, 12 channels)
    rng = np.random.default_rng(0)
    for name in ("01_background", "02_digging"):
        (tmp_path / name).mkdir()
        for i in range(2):
            savemat(
                tmp_path / name / f"{i}.mat", {"data": rng.integers(0, 65535, (100, 12)).astype(np.uint16)}
            )
    ds = load_phi_otdr_mat(tmp_path, fs=12500.0)
    assert ds.windows.shape == (4, 12, 99)  # transposed to (channels, time) and first-differenced
    assert ds.class_names == ("01_background", "02_digging")
    assert list(ds.labels) == [0, 0, 1, 1]
    assert ds.fs == 12500.0
    raw = load_phi_otdr_mat(tmp_path, fs=12500.0, difference=False)
    first = np.asarray(__import__("scipy.io").io.loadmat(tmp_path / "01_background" / "0.mat")["data"], float)
    np.testing.assert_array_equal(raw.windows[0], first.T.astype(np.float32))
    np.testing.assert_allclose(ds.windows[0], np.diff(first.T, axis=1))
    with pytest.raises(ValueError, match="no key 'strain'"):
        load_phi_otdr_mat(tmp_path, fs=8000.0, key="strain")
    with pytest.raises(ValueError, match="not in class_names"):
        load_phi_otdr_mat(tmp_path, fs=8000.0, class_names=("01_background",))
    with pytest.raises(FileNotFoundError):
        load_phi_otdr_mat(tmp_path / "missing", fs=8000.0)


def test_numpy_round_trip_and_bare_npy(tmp_path):
    ds = FiberDataset(np.ones((3, 4, 64)), np.array([0, 2, 4]), np.array([np.nan, 3.0, 25.0]), fs=500.0)
    save_numpy(ds, tmp_path / "d.npz")
    back = load_numpy(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.windows, ds.windows)
    np.testing.assert_array_equal(back.labels, ds.labels)
    np.testing.assert_array_equal(back.distances, ds.distances)
    assert back.fs == 500.0 and back.class_names == ds.class_names
    np.save(tmp_path / "w.npy", np.zeros((2, 3, 80), dtype=np.float32))
    bare = load_numpy(tmp_path / "w.npy", fs=2000.0)
    assert bare.windows.shape == (2, 3, 80) and list(bare.labels) == [0, 0] and bare.fs == 2000.0
    with pytest.raises(ValueError, match="labels"):
        FiberDataset(np.ones((3, 4, 64)), np.array([0, 1]), np.zeros(3))
    with pytest.raises(ValueError, match="labels must lie"):
        FiberDataset(np.ones((1, 4, 64)), np.array([9]), np.zeros(1))


def test_simulated_windows_are_seeded_and_labelled():
    a = simulate_windows(12, seed=5, n_channels=6, window_s=0.5, background_fraction=0.5)
    b = simulate_windows(12, seed=5, n_channels=6, window_s=0.5, background_fraction=0.5)
    np.testing.assert_array_equal(a.windows, b.windows)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.windows.shape == (12, 6, 500)
    events = a.labels > 0
    assert events.any()
    assert np.all((a.distances[events] >= 0) & (a.distances[events] <= 30))
    assert np.all(np.isnan(a.distances[~events]))
    # an event window carries more energy than the quiet ones on average
    energy = np.log10(np.mean(a.windows.astype(float) ** 2, axis=(1, 2)))
    assert energy[events].mean() > energy[~events].mean()
