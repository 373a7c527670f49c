"""Rewards and alarm metrics of the fibre stream (pure numpy; shared by the env, the trainer and the CLI).

Metric definitions follow the BJTU Phi-OTDR data set README (github.com/BJTUSensor/Phi-OTDR_dataset_and_codes): with the confusion
matrix ``d`` (rows: truth, columns: prediction, class 0 = background = no alarm),

* NAR (nuisance alarm rate) = false alarms / all alarms = ``sum_{j>=1} d[0, j] / sum_i sum_{j>=1} d[i, j]``;
* FNR (false-negative rate) = missed events / all events = ``sum_{i>=1} d[i, 0] / sum_{i>=1} sum_j d[i, j]``.

False alarms per km-hour count *threat* alarms (digging, excavation) raised on a window without a threat,
normalised by the monitored fibre length and time (field anchors: 1 per 55.5 h, Tejedor et al.).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tactica.envs.fiber import constants as K

__all__ = ["reward", "AlarmMetrics", "confusion_matrix", "macro_f1", "nar", "fnr", "bin_centres"]

_N_CLASSES = len(K.CLASS_NAMES)
_N_BINS = len(K.DISTANCE_EDGES) - 1


def bin_centres() -> np.ndarray:
    """Centre [m] of each radial-distance bin."""
    edges = np.asarray(K.DISTANCE_EDGES)
    return 0.5 * (edges[:-1] + edges[1:])


def nearness(bin_index: int) -> float:
    """Weight of a threat by its distance bin: 2 at the pipe, falling linearly to 1 in the farthest bin."""
    return 1.0 + (_N_BINS - 1 - bin_index) / (_N_BINS - 1)


def reward(true_class: int, true_bin: int, pred_class: int, pred_bin: int) -> float:
    """Reward of one judgement (constants in :mod:`constants`).

    A threat (digging, excavation) reported with the right class earns ``REWARD_HIT`` times its nearness in the
    right bin, else ``REWARD_CLASS_ONLY - REWARD_BIN_PENALTY |bin error|``; the other threat class earns half
    of that; a missed threat costs ``COST_MISS`` times its nearness.  A threat alarm on a window without a
    threat costs ``COST_FALSE_ALARM``; a correctly named quiet or nuisance window earns
    ``REWARD_CORRECT_SILENCE``.
    """
    threats = K.THREAT_CLASSES
    if true_class in threats:
        w = nearness(true_bin)
        if pred_class not in threats:
            return -K.COST_MISS * w
        if pred_bin == true_bin:
            score = K.REWARD_HIT * w
        else:
            score = K.REWARD_CLASS_ONLY - K.REWARD_BIN_PENALTY * abs(pred_bin - true_bin)
        return score if pred_class == true_class else 0.5 * score
    if pred_class in threats:
        return -K.COST_FALSE_ALARM
    return K.REWARD_CORRECT_SILENCE if pred_class == true_class else 0.0


def confusion_matrix(truth, pred, n_classes: int = _N_CLASSES) -> np.ndarray:
    """Counts ``d[i, j]`` of truth ``i`` predicted as ``j``."""
    d = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(d, (np.asarray(truth, dtype=int), np.asarray(pred, dtype=int)), 1)
    return d


def macro_f1(d: np.ndarray) -> float:
    """Mean F1 over the classes that occur in truth or prediction."""
    tp = np.diag(d).astype(float)
    support = d.sum(axis=1) + d.sum(axis=0)
    present = support > 0
    if not present.any():
        return 0.0
    f1 = np.divide(2 * tp, support, out=np.zeros_like(tp), where=support > 0)
    return float(f1[present].mean())


def nar(d: np.ndarray) -> float:
    """Nuisance alarm rate (BJTU): alarms raised on background / all alarms (0 when there is no alarm)."""
    alarms = d[:, 1:].sum()
    return float(d[0, 1:].sum() / alarms) if alarms else 0.0


def fnr(d: np.ndarray) -> float:
    """False-negative rate (BJTU): events judged background / all events (0 when there is no event)."""
    events = d[1:, :].sum()
    return float(d[1:, 0].sum() / events) if events else 0.0


class AlarmMetrics:
    """Running accuracy, macro-F1, NAR, FNR, false alarms per km-hour and distance error.

    Args:
        fibre_km: monitored fibre length [km] (for false alarms per km-hour).
        window_s: duration of one judged window [s].
    """

    def __init__(self, fibre_km: float, window_s: float):
        self.fibre_km = float(fibre_km)
        self.window_s = float(window_s)
        self.reset()

    def reset(self) -> None:
        self.confusion = np.zeros((_N_CLASSES, _N_CLASSES), dtype=np.int64)
        self.threat_false_alarms = 0
        self.distance_errors: list[float] = []
        self.bin_errors: list[int] = []
        self.total_reward = 0.0
        self.windows = 0

    def update(
        self, true_class: int, true_bin: int, true_distance: float, pred_class: int, pred_bin: int
    ) -> float:
        """Record one judgement; returns its reward."""
        self.confusion[true_class, pred_class] += 1
        self.windows += 1
        if pred_class in K.THREAT_CLASSES and true_class not in K.THREAT_CLASSES:
            self.threat_false_alarms += 1
        if true_class != 0 and pred_class == true_class:
            self.distance_errors.append(abs(float(bin_centres()[pred_bin]) - true_distance))
            self.bin_errors.append(abs(pred_bin - true_bin))
        r = reward(true_class, true_bin, pred_class, pred_bin)
        self.total_reward += r
        return r

    def summary(self) -> dict[str, Any]:
        """The episode metrics as plain floats; ``distance_mae_m`` and ``bin_accuracy`` are ``None`` until an
        event has been named correctly (None, not NaN, so two equal runs compare equal)."""
        d = self.confusion
        hours = self.windows * self.window_s / 3600.0
        exposure = self.fibre_km * hours
        return {
            "windows": int(self.windows),
            "accuracy": float(np.trace(d) / d.sum()) if d.sum() else 0.0,
            "macro_f1": macro_f1(d),
            "nar": nar(d),
            "fnr": fnr(d),
            "false_alarms_per_km_hour": float(self.threat_false_alarms / exposure) if exposure > 0 else 0.0,
            "distance_mae_m": float(np.mean(self.distance_errors)) if self.distance_errors else None,
            "bin_accuracy": float(np.mean(np.equal(self.bin_errors, 0))) if self.bin_errors else None,
            "total_reward": float(self.total_reward),
        }
