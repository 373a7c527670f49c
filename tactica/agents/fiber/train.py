"""Train the fibre recognisers, transfer them to a new domain, and write the results table.

``python -m tactica.agents.fiber.train --seed 0 --out runs/fiber [--ship]``

1. Simulate a source domain (``loam``: training set) and a target domain (``wet_clay``: a small fine-tuning
   set and a held-out test set), each window with its own soil, noise and fading draw.
2. Fit the baselines on the source: the energy CUSUM detector (threshold and distance bins calibrated) and
   softmax regression on hand-crafted features (its L2 penalty chosen on a validation split of the source).
3. Train the fusion network and each single-view network on the source with one recipe: AdamW with weight decay,
   a one-cycle learning rate, label smoothing, auxiliary per-view heads, channel-order flips (the fibre has no
   preferred direction), and early stopping on the same validation split (the source's last ``val_fraction``,
   never the target).
4. On the target: evaluate as is (no transfer), train from scratch on the small target set (no transfer), and
   fine-tune the source model on it (transfer); the baselines are recalibrated / refitted with the source as a
   prior.
5. On the soils held out of all training (``dry_sand``, ``gravel``, ``frozen``): evaluate the fusion network
   before and after fine-tuning and the feature classifier.
6. Write ``config.json``, ``metrics.json``, ``results.md`` (the tables in ``docs/fiber.md``), the checkpoints and
   a learning-curve plot to the run directory; ``--ship`` copies the fusion weights and the baselines into the
   package (``tactica/agents/fiber/weights``).

The networks also regress each event's radial distance from the pipe (metres); the tables give its median
absolute error beside the distance-bin accuracy.  Windows whose distance is unknown (NaN, as in field data)
train the class head only.  :func:`fine_tune` adapts a recognizer to another data set (e.g. the BJTU set): it
checks the sample rate, and gives the network a new class head when the label set differs.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tactica.agents.fiber.classical import CusumDetector, FeatureClassifier
from tactica.agents.fiber.network import VIEWS
from tactica.agents.fiber.recognizer import WEIGHTS_DIR, Recognizer
from tactica.envs.fiber.datasets import FiberDataset, load_numpy, save_numpy, simulate_windows
from tactica.envs.fiber.scoring import AlarmMetrics, confusion_matrix, fnr, macro_f1, nar
from tactica.envs.fiber.stream import distance_bins

__all__ = [
    "TrainConfig",
    "train_network",
    "fine_tune",
    "evaluate",
    "classification_metrics",
    "radial_errors",
    "run",
    "main",
]

#: soils no network or baseline is trained on, evaluated after the source and target.
HELD_OUT_SOILS: tuple[str, ...] = ("dry_sand", "gravel", "frozen")
#: metres per unit of the distance regression loss (smooth L1): errors under 5 m are penalised quadratically.
DISTANCE_LOSS_SCALE = 5.0
#: version of the simulated data, part of the cache file names (v1: the causal, correctly timed simulator).
DATA_VERSION = "v1"

MODEL_VIEWS: dict[str, tuple[str, ...]] = {
    "fusion": VIEWS,
    "raw only": ("raw",),
    "spectrogram only": ("spec",),
    "statistics only": ("stats",),
}


class TrainConfig:
    """Sizes and optimiser settings of one run (an estimated 10 minutes on 2 idle cores with the defaults).

    ``val_fraction`` of the source windows is held out for early stopping of the networks and for choosing the
    feature classifier's L2 penalty; ``weight_decay``, ``label_smoothing`` and ``aux_weight`` (the share of the
    loss on each view's auxiliary heads) apply to every network and to fine-tuning alike.
    """

    def __init__(
        self,
        seed: int = 0,
        n_source: int = 2000,
        n_target: int = 300,
        n_test: int = 800,
        epochs: int = 30,
        finetune_epochs: int = 30,
        batch: int = 64,
        lr: float = 2e-3,
        finetune_lr: float = 5e-4,
        weight_decay: float = 1e-2,
        label_smoothing: float = 0.1,
        aux_weight: float = 0.3,
        val_fraction: float = 0.1,
        source: str = "loam",
        target: str = "wet_clay",
        threads: int = 2,
        distance_weight: float = 1.0,
        n_held_out: int = 400,
    ):
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        self.seed = seed
        self.n_source = n_source
        self.n_target = n_target
        self.n_test = n_test
        self.epochs = epochs
        self.finetune_epochs = finetune_epochs
        self.batch = batch
        self.lr = lr
        self.finetune_lr = finetune_lr
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.aux_weight = aux_weight
        self.val_fraction = val_fraction
        self.source = source
        self.target = target
        self.threads = threads
        self.distance_weight = distance_weight
        self.n_held_out = n_held_out

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _bins(ds: FiberDataset) -> np.ndarray:
    """Distance-bin targets: -1 (no target) for background and for unknown (NaN) distances."""
    return distance_bins(ds.distances, ds.labels)


def _pipe_targets(ds: FiberDataset) -> np.ndarray:
    """Radial distance from the pipe of each event window, NaN (no target) for background and unknown ones."""
    return np.where(ds.labels > 0, ds.pipe_distances, np.nan)


def train_network(
    rec: Recognizer,
    ds: FiberDataset,
    features: np.ndarray,
    config: TrainConfig,
    *,
    epochs: int,
    lr: float,
    val: tuple[FiberDataset, np.ndarray] | None = None,
    progress=None,
) -> dict[str, Any]:
    """Train ``rec.net`` in place with label-smoothed cross-entropy on class and (events only) distance bin, plus
    ``config.aux_weight`` times the same loss on each view's auxiliary heads, plus ``config.distance_weight``
    times a smooth-L1 loss on the radial distance from the pipe (events with a known distance only: NaN
    distances and background windows give no distance loss).

    Each window's channel order is flipped with probability 1/2 (an event looks the same seen from either end
    of the fibre; the statistical features do not change).  With ``val`` (windows, features) the weights of the
    epoch with the best validation accuracy are kept (early stopping).  Returns ``{"loss": per-epoch mean
    training loss, "val_accuracy": per-epoch validation accuracy, "best_epoch": kept epoch (1-based)}``.
    """
    seed = config.seed
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    raw, log_scale, stats = rec.tensors(ds.windows, features)
    labels = torch.from_numpy(ds.labels)
    bins = torch.from_numpy(_bins(ds))
    pipe = torch.from_numpy(_pipe_targets(ds).astype(np.float32))
    opt = torch.optim.AdamW(rec.net.parameters(), lr=lr, weight_decay=config.weight_decay)
    batch = config.batch
    steps = epochs * int(np.ceil(len(ds) / batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    ce = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    ce_bin = nn.CrossEntropyLoss(ignore_index=-1, label_smoothing=config.label_smoothing)

    def task_loss(lc: torch.Tensor, lb: torch.Tensor, y: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        loss = ce(lc, y)
        if (b >= 0).any():
            loss = loss + ce_bin(lb, b)
        return loss

    def distance_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        known = ~torch.isnan(target)
        if not known.any():
            return predicted.sum() * 0.0
        error = (predicted[known] - target[known]) / DISTANCE_LOSS_SCALE
        return nn.functional.smooth_l1_loss(error, torch.zeros_like(error))

    losses: list[float] = []
    val_accuracy: list[float] = []
    best_acc, best_state, best_epoch = -1.0, None, epochs
    for epoch in range(epochs):
        rec.net.train()
        order = torch.from_numpy(rng.permutation(len(ds)))
        flips = torch.from_numpy(rng.random(len(ds)) < 0.5)
        total = 0.0
        for i in range(0, len(ds), batch):
            idx = order[i : i + batch]
            if len(idx) < 2:
                continue
            x = torch.where(flips[idx, None, None], raw[idx].flip(1), raw[idx])
            lc, lb, dist, heads = rec.net(x, log_scale[idx], stats[idx], aux=True)
            y, b = labels[idx], bins[idx]
            loss = task_loss(lc, lb, y, b) + config.distance_weight * distance_loss(dist, pipe[idx])
            for alc, alb in heads.values():
                loss = loss + config.aux_weight * task_loss(alc, alb, y, b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        losses.append(total / len(ds))
        rec.net.eval()
        if val is not None:
            classes, _ = rec.predict(val[0].windows, val[1])
            acc = float(np.mean(classes == val[0].labels))
            val_accuracy.append(acc)
            if acc > best_acc:
                best_acc, best_epoch = acc, epoch + 1
                best_state = copy.deepcopy(rec.net.state_dict())
        if progress is not None:
            progress()
    if best_state is not None:
        rec.net.load_state_dict(best_state)
    rec.net.eval()
    return {"loss": losses, "val_accuracy": val_accuracy, "best_epoch": best_epoch}


def evaluate(
    ds: FiberDataset,
    classes: np.ndarray,
    bins: np.ndarray,
    radial: np.ndarray | None = None,
    window_s: float = 2.0,
) -> dict[str, Any]:
    """Accuracy, macro-F1, NAR, FNR, false alarms per km-hour, distance MAE and bin accuracy of predictions on a
    simulated data set (the five simulator classes), and with ``radial`` (predicted distances from the pipe [m])
    the median and mean absolute radial error over every event window (:func:`radial_errors`)."""
    metrics = AlarmMetrics(fibre_km=ds.windows.shape[1] * 5.0 / 1000.0, window_s=window_s)
    true_bins = _bins(ds)
    for t, tb, d, pc, pb in zip(ds.labels, true_bins, ds.distances, classes, bins):
        metrics.update(int(t), max(int(tb), 0), float(d) if t > 0 else 0.0, int(pc), int(pb))
    summary = metrics.summary()
    if radial is not None:
        summary.update(radial_errors(ds, radial))
    return summary


def radial_errors(ds: FiberDataset, radial: np.ndarray) -> dict[str, float | None]:
    """Median and mean absolute error [m] of predicted distances from the pipe over the event windows with a
    known distance (whatever class was predicted: the distance is judged on its own), and the median error of
    the best constant guess (the median true distance) for scale."""
    truth = _pipe_targets(ds)
    known = ~np.isnan(truth)
    if not known.any():
        return {"radial_median_m": None, "radial_mae_m": None, "radial_constant_median_m": None}
    error = np.abs(np.asarray(radial, dtype=float)[known] - truth[known])
    constant = np.abs(truth[known] - np.median(truth[known]))
    return {
        "radial_median_m": float(np.median(error)),
        "radial_mae_m": float(np.mean(error)),
        "radial_constant_median_m": float(np.median(constant)),
    }


def classification_metrics(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> dict[str, float]:
    """Accuracy, macro-F1, NAR and FNR (BJTU definitions: class 0 is background) for any label set."""
    d = confusion_matrix(labels, predicted, n_classes)
    return {
        "accuracy": float(np.trace(d) / d.sum()) if d.sum() else 0.0,
        "macro_f1": macro_f1(d),
        "nar": nar(d),
        "fnr": fnr(d),
    }


def fine_tune(
    rec: Recognizer,
    ds: FiberDataset,
    *,
    epochs: int = 30,
    lr: float = 5e-4,
    config: TrainConfig | None = None,
    new_head: bool | None = None,
    val: FiberDataset | None = None,
    progress=None,
) -> dict[str, Any]:
    """Fine-tune ``rec`` in place on ``ds`` (field data such as the BJTU set, or another simulated domain).

    The data's sample rate must be the model's (a clear ``ValueError`` otherwise: resample first); the window
    length may differ (the model then records the new one).  With another label set than the model's (or with
    ``new_head=True``) the class heads are replaced by fresh ones for ``ds.class_names``; ``new_head=False``
    refuses a different label set.  Windows with unknown (NaN) distances train the class head only.  ``val``:
    early stopping on its accuracy.  Returns :func:`train_network`'s log.
    """
    rec.check_dataset(ds, fine_tuning=True)
    if val is not None:
        rec.check_dataset(val, fine_tuning=True)
        if val.class_names != ds.class_names:
            raise ValueError("val must have the same class names as the fine-tuning data")
    same = tuple(ds.class_names) == rec.class_names
    if new_head is False and not same:
        raise ValueError(
            f"the data's classes {list(ds.class_names)} differ from the model's {list(rec.class_names)}; "
            "fine-tune with new_head=True to replace the class head"
        )
    if new_head or not same:
        rec.replace_class_head(ds.class_names)
    rec.window_samples = ds.window_samples
    config = config or TrainConfig(batch=min(64, max(len(ds), 2)))
    features = rec.features(ds.windows)
    validation = None if val is None else (val, rec.features(val.windows))
    return train_network(rec, ds, features, config, epochs=epochs, lr=lr, val=validation, progress=progress)


def _cusum_predict(det: CusumDetector, ds: FiberDataset) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for w in ds.windows:
        det.reset()
        out.append(det.judge(w))
    a = np.array(out)
    return a[:, 0], a[:, 1]


def _simulate(n: int, seed: int, domain: str, cache: Path | None, progress) -> FiberDataset:
    """Simulated windows, read from / written to ``cache`` when given (simulation is seeded, so a cached set
    is the same data; the file name carries :data:`DATA_VERSION`, so sets of an older simulator are not reused)."""
    if cache is None:
        return simulate_windows(n, seed, domain=domain, progress=progress)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{DATA_VERSION}_{domain}_{seed}_{n}.npz"
    if path.exists():
        ds = load_numpy(path)
        for _ in range(n):
            progress()
        return ds
    ds = simulate_windows(n, seed, domain=domain, progress=progress)
    save_numpy(ds, path)
    return ds


def run(
    config: TrainConfig,
    out: Path,
    ship: bool = False,
    cache: Path | None = None,
    baselines_only: bool = False,
) -> dict[str, Any]:
    """Run the whole study; returns the metrics dict that is also written to ``out/metrics.json``.

    With ``baselines_only`` the networks are not trained: the baselines are refitted and their rows replace
    those of an earlier run in ``out`` (whose network rows and checkpoints are kept).
    """
    previous: dict[str, Any] = {}
    if baselines_only and (out / "metrics.json").exists():
        previous = json.loads((out / "metrics.json").read_text())
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    torch.set_num_threads(config.threads)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config.as_dict(), indent=2))
    started = time.time()
    c = config
    n_nets = 0 if baselines_only else len(MODEL_VIEWS)
    held_out = 0 if baselines_only else len(HELD_OUT_SOILS) * c.n_held_out
    work = c.n_source + c.n_target + 2 * c.n_test + n_nets * (c.epochs + 2 * c.finetune_epochs) + held_out
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("simulating", total=work)
        if not baselines_only:
            (out / "train.log").write_text("")

        def tick(*_):
            bar.advance(task)

        def epoch_tick(what: str):
            """Progress for a training run: the bar, and one line per epoch in train.log."""
            count = [0]

            def progress() -> None:
                count[0] += 1
                bar.advance(task)
                with open(out / "train.log", "a") as log:
                    log.write(f"{time.time() - started:8.1f} s    {what} epoch {count[0]}\n")

            return progress

        def stage(name: str) -> None:
            # the bar for a terminal, a line in train.log for a run watched from elsewhere
            bar.update(task, description=name)
            with open(out / "train.log", "a") as log:
                log.write(f"{time.time() - started:8.1f} s  {name}\n")

        source = _simulate(c.n_source, c.seed * 10 + 1, c.source, cache, tick)
        source_test = _simulate(c.n_test, c.seed * 10 + 2, c.source, cache, tick)
        target = _simulate(c.n_target, c.seed * 10 + 3, c.target, cache, tick)
        target_test = _simulate(c.n_test, c.seed * 10 + 4, c.target, cache, tick)
        stage("features")
        probe = Recognizer.new()
        f_source, f_source_test = probe.features(source.windows), probe.features(source_test.windows)
        f_target, f_target_test = probe.features(target.windows), probe.features(target_test.windows)

        rows: dict[str, dict[str, Any]] = {}
        # --- baselines
        stage("baselines")
        cusum = CusumDetector(fs=source.fs)
        cusum.calibrate(source.windows, source.labels, source.distances)
        rows["CUSUM energy detector / no transfer"] = evaluate(
            target_test, *_cusum_predict(cusum, target_test)
        )
        rows["CUSUM energy detector / source test"] = evaluate(
            source_test, *_cusum_predict(cusum, source_test)
        )
        cusum_t = copy.deepcopy(cusum)
        cusum_t.calibrate(target.windows, target.labels, target.distances)
        rows["CUSUM energy detector / transfer"] = evaluate(
            target_test, *_cusum_predict(cusum_t, target_test)
        )
        n_val = max(int(round(c.val_fraction * len(source))), 1)
        fit_idx, val_idx = np.arange(len(source) - n_val), np.arange(len(source) - n_val, len(source))
        train_set, val_set = source.subset(fit_idx), source.subset(val_idx)
        f_train, f_val = f_source[fit_idx], f_source[val_idx]
        l2 = _choose_l2(f_train, train_set, f_val, val_set)
        # the baseline then refits on every source window: it needs no early-stopping data
        feat = FeatureClassifier(l2).fit(f_source, source.labels, _bins(source))
        rows["feature classifier / source test"] = evaluate(source_test, *feat.predict(f_source_test))
        rows["feature classifier / no transfer"] = evaluate(target_test, *feat.predict(f_target_test))
        feat_scratch = FeatureClassifier(l2).fit(f_target, target.labels, _bins(target))
        rows["feature classifier / target only"] = evaluate(target_test, *feat_scratch.predict(f_target_test))
        feat_t = FeatureClassifier(l2).fit(f_target, target.labels, _bins(target), prior=feat)
        rows["feature classifier / transfer"] = evaluate(target_test, *feat_t.predict(f_target_test))

        # --- networks
        curves: dict[str, list[float]] = {}
        stopping: dict[str, dict[str, Any]] = {}
        shipped: dict[str, Recognizer] = {}
        mean, std = f_train.mean(axis=0), f_train.std(axis=0) + 1e-6
        if baselines_only:
            rows.update({k: v for k, v in previous.get("rows", {}).items() if k not in rows})
            curves = previous.get("curves", {})
            stopping = previous.get("early_stopping", {})
        held: dict[str, dict[str, Any]] = previous.get("held_out", {}) if baselines_only else {}

        def write_outputs(final: bool) -> dict[str, Any]:
            """Checkpoints, metrics and tables so far (after each model: a long run leaves usable results even
            if it is stopped), shipped into the package with ``ship``."""
            for domain, model in shipped.items():
                model.save(out / f"fusion_{domain}.pt")
            cusum.save(out / f"cusum_{c.source}.npz")
            cusum_t.save(out / f"cusum_{c.target}.npz")
            feat.save(out / f"features_{c.source}.npz")
            feat_t.save(out / f"features_{c.target}.npz")
            result = {
                "config": c.as_dict(),
                "seconds": time.time() - started,
                "complete": final,
                "rows": rows,
                "curves": curves,
                "early_stopping": stopping,
                "feature_classifier_l2": l2,
                "held_out": held,
            }
            if baselines_only:
                result["seconds"] = previous.get("seconds", 0.0)
                result["baselines_refit_seconds"] = time.time() - started
            (out / "metrics.json").write_text(json.dumps(result, indent=2))
            (out / "results.md").write_text(results_table(rows, c) + "\n" + held_out_table(held, c))
            if curves:
                _plot(curves, out / "learning_curves.png")
            if ship:
                WEIGHTS_DIR.mkdir(exist_ok=True)
                for f in out.glob("fusion_*.pt"):
                    shutil.copy(f, WEIGHTS_DIR / f.name)
                for f in list(out.glob("cusum_*.npz")) + list(out.glob("features_*.npz")):
                    shutil.copy(f, WEIGHTS_DIR / f.name)
                (WEIGHTS_DIR / "metrics.json").write_text(
                    json.dumps({"config": c.as_dict(), "rows": rows, "held_out": held}, indent=2)
                )
            return result

        for name, views in ({} if baselines_only else MODEL_VIEWS).items():
            stage(f"training {name}")
            rec = Recognizer.new(
                views, mean, std, fs=source.fs, seed=c.seed, window_samples=source.window_samples
            )
            log = train_network(
                rec,
                train_set,
                f_train,
                c,
                epochs=c.epochs,
                lr=c.lr,
                val=(val_set, f_val),
                progress=epoch_tick(f"{name} source"),
            )
            curves[f"{name} source"] = log["loss"]
            stopping[name] = {"best_epoch": log["best_epoch"], "val_accuracy": log["val_accuracy"]}
            rows[f"{name} / source test"] = _evaluate_net(rec, source_test, f_source_test)
            rows[f"{name} / no transfer"] = _evaluate_net(rec, target_test, f_target_test)
            scratch = Recognizer.new(
                views, mean, std, fs=source.fs, seed=c.seed + 1, window_samples=source.window_samples
            )
            tuned = copy.deepcopy(rec)
            # on the small target set: from scratch (no transfer) and from the source model (transfer)
            for model, setting, lr in ((scratch, "target only", c.lr), (tuned, "transfer", c.finetune_lr)):
                curves[f"{name} {setting}"] = train_network(
                    model,
                    target,
                    f_target,
                    c,
                    epochs=c.finetune_epochs,
                    lr=lr,
                    progress=epoch_tick(f"{name} {setting}"),
                )["loss"]
                rows[f"{name} / {setting}"] = _evaluate_net(model, target_test, f_target_test)
            if name == "fusion":
                rec.meta = {"domain": c.source, "seed": c.seed, "metrics": rows["fusion / source test"]}
                tuned.meta = {"domain": c.target, "seed": c.seed, "metrics": rows["fusion / transfer"]}
                shipped = {c.source: rec, c.target: tuned}
                # --- soils no model was trained on, as soon as the shipped models exist
                for i, soil in enumerate(HELD_OUT_SOILS):
                    stage(f"held-out soil {soil}")
                    test = _simulate(c.n_held_out, c.seed * 10 + 5 + i, soil, cache, tick)
                    f_test = probe.features(test.windows)
                    held[f"fusion ({c.source}) / {soil}"] = _evaluate_net(rec, test, f_test)
                    held[f"fusion ({c.target} fine-tuned) / {soil}"] = _evaluate_net(tuned, test, f_test)
                    held[f"feature classifier ({c.source}) / {soil}"] = evaluate(test, *feat.predict(f_test))
            write_outputs(final=False)

    return write_outputs(final=True)


def _evaluate_net(rec: Recognizer, ds: FiberDataset, features: np.ndarray) -> dict[str, Any]:
    p = rec.infer(ds.windows, features)
    return evaluate(ds, p.classes, p.bins, p.distances)


#: L2 penalties tried for the feature classifier (chosen by accuracy on the source validation split).
L2_GRID = (1e-3, 1e-2, 1e-1, 1.0)


def _choose_l2(
    f_train: np.ndarray, train_set: FiberDataset, f_val: np.ndarray, val_set: FiberDataset
) -> float:
    """The feature classifier's L2 penalty with the best validation accuracy (the smaller one on ties), so the
    baseline is tuned on the same held-out source windows the networks stop on."""
    scores = []
    for l2 in L2_GRID:
        model = FeatureClassifier(l2).fit(f_train, train_set.labels, _bins(train_set))
        scores.append(float(np.mean(model.predict(f_val)[0] == val_set.labels)))
    return L2_GRID[int(np.argmax(scores))]


def results_table(rows: dict[str, dict[str, Any]], config: TrainConfig) -> str:
    """Markdown table of every row: accuracy, macro-F1, NAR, FNR, distance error, bin accuracy, radial error."""
    caption = (
        f"Held-out target domain `{config.target}` ({config.n_test} windows) unless the row says source test; "
        f"source `{config.source}` ({config.n_source} windows), target fine-tuning set {config.n_target} windows, "
        f"seed {config.seed}."
    )
    return _table(caption, "model / setting", rows)


def held_out_table(held: dict[str, dict[str, Any]], config: TrainConfig) -> str:
    """Markdown table of the soils held out of all training ("" when there are none)."""
    if not held:
        return ""
    caption = f"Soils held out of all training ({config.n_held_out} windows each, seed {config.seed})."
    return _table(caption, "model / soil", held)


def _table(caption: str, first_column: str, rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        caption,
        "",
        f"| {first_column} | accuracy | macro-F1 | NAR | FNR | distance MAE (m) | bin accuracy "
        "| radial error, median (m) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(name, m) for name, m in rows.items()]
    return "\n".join(lines) + "\n"


def _row(name: str, m: dict[str, Any]) -> str:
    def fmt(v, digits=3):
        return "-" if v is None else f"{v:.{digits}f}"

    return (
        f"| {name} | {fmt(m['accuracy'])} | {fmt(m['macro_f1'])} | {fmt(m['nar'])} | {fmt(m['fnr'])} | "
        f"{fmt(m['distance_mae_m'], 2)} | {fmt(m['bin_accuracy'])} | {fmt(m.get('radial_median_m'), 2)} |"
    )


def _plot(curves: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tactica.agents.fiber.train",
        description="Train the fibre fusion network and baselines, transfer to a new domain, write a results table.",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/fiber"), help="run directory")
    defaults = TrainConfig()
    parser.add_argument(
        "--n-source", type=int, default=defaults.n_source, help="source-domain training windows"
    )
    parser.add_argument(
        "--n-target", type=int, default=defaults.n_target, help="target-domain fine-tuning windows"
    )
    parser.add_argument("--n-test", type=int, default=defaults.n_test, help="test windows per domain")
    parser.add_argument(
        "--n-held-out", type=int, default=defaults.n_held_out, help="test windows per held-out soil"
    )
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="source training epochs")
    parser.add_argument("--finetune-epochs", type=int, default=defaults.finetune_epochs)
    parser.add_argument(
        "--cache", type=Path, default=None, help="folder caching the simulated data sets (.npz)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ship", action="store_true", help="copy weights into the package")
    parser.add_argument(
        "--baselines-only",
        action="store_true",
        help="refit only the baselines and merge their rows into the earlier run in --out",
    )
    args = parser.parse_args(argv)
    for name in ("n_source", "n_target", "n_test", "n_held_out", "epochs", "finetune_epochs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.n_source < 2:
        parser.error("--n-source must be >= 2 (a share is held out for validation)")
    config = TrainConfig(
        seed=args.seed,
        n_source=args.n_source,
        n_target=args.n_target,
        n_test=args.n_test,
        n_held_out=args.n_held_out,
        epochs=args.epochs,
        finetune_epochs=args.finetune_epochs,
        threads=args.threads,
    )
    result = run(config, args.out, ship=args.ship, cache=args.cache, baselines_only=args.baselines_only)
    print((args.out / "results.md").read_text())
    print(f"run directory: {args.out}  ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
