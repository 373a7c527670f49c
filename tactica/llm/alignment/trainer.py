"""One preference trainer for DPO, IPO, hinge, TDPO1 and TDPO2, on a PLM or a ``transformers`` causal LM.

>>> from tactica.llm.alignment import PreferenceConfig, train_preferences  # doctest: +SKIP
>>> result = train_preferences("runs/plm/checkpoint", "pairs.jsonl",
...                            PreferenceConfig(loss="tdpo2", beta=0.1, lr=1e-4), out_dir="runs/align")  # doctest: +SKIP
>>> result.model.save("aligned")  # doctest: +SKIP

Each step runs the policy (with gradients) and the frozen reference (without) on the chosen and rejected
sequences of a batch, scores only the response tokens (the prompt is masked out), and takes per response the
summed log-probabilities under both models and the sequential KL ``sum_t KL(pi_ref || pi)`` over the full
vocabulary, computed in chunks (:mod:`tactica.llm.alignment.logprobs`).  The KL is logged for every loss and
enters the gradient for ``tdpo1``/``tdpo2`` only.

Run directory (when ``out_dir`` is given)::

    run_config.json    the PreferenceConfig, the model and data sources
    metrics.jsonl      one line per step: loss, rewards/chosen, rewards/rejected, rewards/margin, accuracy,
                       kl/chosen, kl/rejected, lr, grad_norm (and eval lines when eval pairs are given)
    checkpoint/        the trained model, in the layout it was loaded in (PLM: what plm: and tactica serve load)
    trainer_state.pt   optimiser state, step and metrics, for resume=True
    reference/         the reference model, only when the policy was given in memory (needed to resume)
    loss.png, rewards.png, kl.png
    summary.json       final and held-out metrics
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tactica.llm.alignment.data import (
    EncodedPair,
    PreferenceBatch,
    PreferencePair,
    collate,
    encode_pairs,
    load_pairs,
    pairs_from_records,
)
from tactica.llm.alignment.losses import KL_LOSSES, check_loss_options, preference_loss
from tactica.llm.alignment.models import CausalLM, load_causal_lm
from tactica.llm.alignment.progress import StepProgress
from tactica.llm.alignment.scoring import sequence_stats

__all__ = ["PreferenceConfig", "PreferenceTrainer", "AlignmentResult", "train_preferences", "METRICS"]

# the per-step metrics, in the order metrics.jsonl lists them
METRICS = (
    "loss",
    "rewards/chosen",
    "rewards/rejected",
    "rewards/margin",
    "accuracy",
    "kl/chosen",
    "kl/rejected",
    "logps/chosen",
    "logps/rejected",
    "nll/chosen",
)
_SCHEDULES = ("constant", "linear", "cosine", "wsdc")
# settings a resumed run may change (how long it runs and how it reports); the rest must match the saved run
_RESUMABLE = frozenset(
    {"epochs", "max_steps", "eval_every", "save_every", "log_every", "device", "precision"}
)
_OPTIMIZERS = ("adamw", "rmsprop")


@dataclass
class PreferenceConfig:
    """Everything a preference-training run depends on (saved as ``run_config.json``).

    The defaults are those of the TDPO reference implementation (beta 0.1, alpha 0.5, RMSprop at 5e-6 with
    150 warmup steps, gradient-norm clip 10, 512 tokens); small models need a larger ``lr``.
    """

    loss: str = "dpo"
    beta: float = 0.1
    alpha: float = 0.5  # TDPO2's weight on the KL term
    label_smoothing: float = 0.0  # conservative DPO (loss 'dpo' only)
    sft_weight: float = 0.0  # adds sft_weight * (per-token NLL of the chosen response), as RPO does
    lr: float = 5e-6
    optimizer: str = "rmsprop"
    weight_decay: float = 0.0
    schedule: str = "constant"  # after warmup: constant, linear or cosine decay to 0, or 'wsdc'
    warmup: int | float = 150  # steps (int) or fraction of the run (float); unused by 'wsdc'
    wsdc_phases: tuple[float, float, float, float] = (0.05, 0.55, 0.3, 0.1)  # warmup, stable, decay, constant
    min_lr_ratio: float = 0.1  # 'wsdc' floor
    epochs: int = 1
    max_steps: int | None = None  # stop after this many optimiser steps (cycling epochs as needed)
    batch_size: int = 8  # pairs per micro-batch
    grad_accum: int = 1  # micro-batches per optimiser step
    max_length: int | None = None  # prompt + response tokens; None: 512 or the model's context if shorter
    grad_clip: float = 10.0
    chunk_size: int | None = None  # positions per KL chunk; None picks ~32 MiB per [chunk, vocab] tensor
    seed: int = 0
    device: str = "auto"  # 'auto' (a GPU when torch sees one), 'cpu', 'cuda', 'cuda:1'...
    precision: str = "auto"  # 'auto' (bf16 autocast on a GPU that supports it, else fp32), 'fp32', 'bf16'
    log_every: int = 1
    eval_every: int = 0  # 0: evaluate held-out pairs at the end only
    save_every: int = 0  # 0: checkpoint at the end only

    def __post_init__(self) -> None:
        check_loss_options(self.loss, self.beta, self.alpha, self.label_smoothing)
        if (
            isinstance(self.sft_weight, bool)
            or not isinstance(self.sft_weight, (int, float))
            or self.sft_weight < 0
        ):
            raise ValueError(f"sft_weight must be a non-negative number, got {self.sft_weight!r}")
        if not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(
                f"optimizer {self.optimizer!r} is not supported; accepted: {', '.join(_OPTIMIZERS)}"
            )
        if self.schedule not in _SCHEDULES:
            raise ValueError(
                f"schedule {self.schedule!r} is not supported; accepted: {', '.join(_SCHEDULES)}"
            )
        for name in ("epochs", "batch_size", "grad_accum", "log_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("eval_every", "save_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise ValueError(f"max_steps must be a positive int or None, got {self.max_steps!r}")
        if self.max_length is not None and (not isinstance(self.max_length, int) or self.max_length < 2):
            raise ValueError(f"max_length must be an int of at least 2 or None, got {self.max_length!r}")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, (int, float)) or self.warmup < 0:
            raise ValueError(f"warmup must be a step count or a fraction, got {self.warmup!r}")
        if isinstance(self.warmup, float) and self.warmup >= 1:
            raise ValueError(f"a fractional warmup must lie in [0, 1), got {self.warmup}")
        if self.chunk_size is not None and (not isinstance(self.chunk_size, int) or self.chunk_size < 1):
            raise ValueError(f"chunk_size must be a positive int or None, got {self.chunk_size!r}")
        if not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be positive, got {self.grad_clip!r}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision {self.precision!r} is not supported; accepted: auto, fp32, bf16")
        self.wsdc_phases = tuple(self.wsdc_phases)
        if self.schedule == "wsdc":
            self.lr_multiplier(1)  # validates the phases

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreferenceConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown PreferenceConfig fields {unknown}; accepted: {sorted(names)}")
        return cls(**data)

    def lr_multiplier(self, total_steps: int) -> Callable[[int], float]:
        """The learning-rate multiplier per optimiser step (0-based) for a run of ``total_steps``."""
        if self.schedule == "wsdc":
            from tactica.llm.plm.schedule import WSDCSchedule

            return WSDCSchedule(total_steps, *self.wsdc_phases, min_ratio=self.min_lr_ratio)
        warmup = round(self.warmup * total_steps) if isinstance(self.warmup, float) else self.warmup
        schedule = self.schedule

        def multiplier(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            if schedule == "constant":
                return 1.0
            progress = (step - warmup) / max(1, total_steps - warmup)
            if schedule == "linear":
                return max(0.0, 1.0 - progress)
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

        return multiplier


def _pick_device(config: PreferenceConfig) -> tuple[torch.device, torch.dtype | None]:
    """The device, and the autocast dtype (None: full fp32)."""
    if config.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(config.device)
        except RuntimeError:
            raise ValueError(f"device {config.device!r} is not understood; e.g. auto, cpu, cuda") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {config.device!r} was asked for but torch sees no GPU")
    if config.precision == "fp32":
        return device, None
    bf16_ok = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if config.precision == "bf16":
        if device.type == "cuda" and not bf16_ok:
            raise ValueError("precision 'bf16' was asked for but this GPU does not support bfloat16")
        return device, torch.bfloat16
    return device, torch.bfloat16 if bf16_ok else None


class PreferenceTrainer:
    """Preference optimisation of ``policy`` against a frozen ``reference`` (a copy of the policy by default).

    Use :meth:`fit` for a whole run, or :meth:`compute_loss`/:meth:`train_step` for one batch at a time.
    """

    def __init__(self, policy: CausalLM, config: PreferenceConfig, reference: CausalLM | None = None):
        self.config = config
        self.device, self.autocast_dtype = _pick_device(config)
        self.policy = policy
        policy.module.to(self.device)
        policy.disable_dropout()
        policy.module.train()
        self.reference = reference if reference is not None else policy.frozen_copy()
        self.reference.module.to(self.device)
        self.reference.disable_dropout()
        self.reference.module.eval()
        self.reference.module.requires_grad_(False)
        if self.reference.vocab_size != policy.vocab_size:
            raise ValueError(
                f"the reference's vocabulary ({self.reference.vocab_size}) differs from the policy's "
                f"({policy.vocab_size})"
            )
        context = policy.context_length
        self.max_length = config.max_length or min(512, context)
        if self.max_length > context:
            raise ValueError(f"max_length {self.max_length} exceeds the model's context of {context} tokens")
        params = [p for p in policy.module.parameters() if p.requires_grad]
        params = list({id(p): p for p in params}.values())  # tied weights once
        if config.optimizer == "adamw":
            self.optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        else:
            self.optimizer = torch.optim.RMSprop(params, lr=config.lr, weight_decay=config.weight_decay)
        self.step = 0

    # ------------------------------------------------------------------ data
    def encode(self, pairs: Sequence[PreferencePair]) -> list[EncodedPair]:
        return encode_pairs(pairs, self.policy.tokenizer, self.max_length)

    def collate(self, encoded: Sequence[EncodedPair]) -> PreferenceBatch:
        return collate(encoded, self.policy.tokenizer.pad_id).to(self.device)

    # ------------------------------------------------------------------ one batch
    def sequence_stats(self, batch: PreferenceBatch) -> dict[str, torch.Tensor]:
        """See :func:`tactica.llm.alignment.scoring.sequence_stats`."""
        return sequence_stats(
            self.policy,
            self.reference,
            batch,
            chunk_size=self.config.chunk_size,
            autocast_dtype=self.autocast_dtype,
        )

    def compute_loss(self, batch: PreferenceBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The mean loss over the batch's pairs (with gradient) and the step metrics."""
        stats = self.sequence_stats(batch)
        b = batch.num_pairs
        chosen = {k: v[:b] for k, v in stats.items()}
        rejected = {k: v[b:] for k, v in stats.items()}
        c = self.config
        per_pair = preference_loss(
            c.loss,
            chosen["logps"],
            rejected["logps"],
            chosen["ref_logps"],
            rejected["ref_logps"],
            beta=c.beta,
            alpha=c.alpha,
            label_smoothing=c.label_smoothing,
            kl_chosen=chosen["kl"] if c.loss in KL_LOSSES else None,
            kl_rejected=rejected["kl"] if c.loss in KL_LOSSES else None,
            chosen_tokens=chosen["tokens"],
            rejected_tokens=rejected["tokens"],
        )
        # per-token negative log-likelihood of the chosen responses (RPO's extra term when sft_weight > 0)
        nll = -(chosen["logps"] / chosen["tokens"].clamp(min=1)).mean()
        loss = per_pair.mean() + c.sft_weight * nll if c.sft_weight else per_pair.mean()
        with torch.no_grad():
            reward_chosen = c.beta * (chosen["logps"] - chosen["ref_logps"])
            reward_rejected = c.beta * (rejected["logps"] - rejected["ref_logps"])
            metrics = {
                "loss": float(loss.detach()),
                "rewards/chosen": float(reward_chosen.mean()),
                "rewards/rejected": float(reward_rejected.mean()),
                "rewards/margin": float((reward_chosen - reward_rejected).mean()),
                "accuracy": float((reward_chosen > reward_rejected).float().mean()),
                "kl/chosen": float(chosen["kl"].mean()),
                "kl/rejected": float(rejected["kl"].mean()),
                "logps/chosen": float(chosen["logps"].mean()),
                "logps/rejected": float(rejected["logps"].mean()),
                "nll/chosen": float(nll),
            }
        return loss, metrics

    def train_step(self, batches: Sequence[PreferenceBatch], lr: float | None = None) -> dict[str, float]:
        """One optimiser step over ``batches`` (gradient accumulation); returns metrics averaged over them,
        weighted by pairs."""
        if lr is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        self.policy.module.train()
        self.optimizer.zero_grad(set_to_none=True)
        total = sum(b.num_pairs for b in batches)
        sums: dict[str, float] = {}
        for batch in batches:
            loss, metrics = self.compute_loss(batch)
            (loss * (batch.num_pairs / total)).backward()
            for key, value in metrics.items():
                sums[key] = sums.get(key, 0.0) + value * batch.num_pairs / total
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        grad_norm = torch.nn.utils.clip_grad_norm_(params, self.config.grad_clip)
        self.optimizer.step()
        self.step += 1
        sums["lr"] = self.optimizer.param_groups[0]["lr"]
        sums["grad_norm"] = float(grad_norm)
        return sums

    @torch.no_grad()
    def evaluate(self, encoded: Sequence[EncodedPair]) -> dict[str, float]:
        """Metrics over held-out pairs (no gradient), weighted by pairs."""
        self.policy.module.eval()
        sums: dict[str, float] = {}
        size = self.config.batch_size
        for start in range(0, len(encoded), size):
            part = encoded[start : start + size]
            _, metrics = self.compute_loss(self.collate(part))
            for key, value in metrics.items():
                sums[key] = sums.get(key, 0.0) + value * len(part) / len(encoded)
        self.policy.module.train()
        return sums

    # ------------------------------------------------------------------ a whole run
    def plan(self, num_pairs: int) -> int:
        """Optimiser steps of a run over ``num_pairs`` pairs."""
        per_step = self.config.batch_size * self.config.grad_accum
        steps_per_epoch = math.ceil(num_pairs / per_step)
        return self.config.max_steps or self.config.epochs * steps_per_epoch

    def step_batches(self, encoded: Sequence[EncodedPair], step: int) -> list[PreferenceBatch]:
        """The micro-batches of optimiser step ``step``: epochs are seeded permutations of the pairs, so a
        resumed run sees exactly the batches an uninterrupted one would."""
        c = self.config
        per_step = c.batch_size * c.grad_accum
        steps_per_epoch = math.ceil(len(encoded) / per_step)
        epoch, index = divmod(step, steps_per_epoch)
        order = np.random.default_rng([c.seed, epoch]).permutation(len(encoded))
        picks = order[index * per_step : (index + 1) * per_step]
        return [
            self.collate([encoded[i] for i in picks[s : s + c.batch_size]])
            for s in range(0, len(picks), c.batch_size)
        ]

    def fit(
        self,
        encoded: Sequence[EncodedPair],
        *,
        eval_encoded: Sequence[EncodedPair] = (),
        records: list[dict] | None = None,
        on_record: Callable[[dict], None] | None = None,
        on_checkpoint: Callable[[], None] | None = None,
        on_step: Callable[[PreferenceTrainer], None] | None = None,
        progress: bool = False,
        label: str = "align",
    ) -> list[dict]:
        """Train from :attr:`step` to the end of the run; returns the metric records (one per logged step,
        ``kind`` 'train' or 'eval').  ``on_step(trainer)`` is called after every optimiser step."""
        if not encoded:
            raise ValueError("no preference pairs to train on")
        c = self.config
        total = self.plan(len(encoded))
        multiplier = c.lr_multiplier(total)
        records = records if records is not None else []

        def log(record: dict) -> None:
            records.append(record)
            if on_record is not None:
                on_record(record)

        with StepProgress(total, label, enabled=progress, start=self.step) as bar:
            while self.step < total:
                epoch = self.step // math.ceil(len(encoded) / (c.batch_size * c.grad_accum))
                metrics = self.train_step(
                    self.step_batches(encoded, self.step), lr=c.lr * multiplier(self.step)
                )
                if self.step % c.log_every == 0 or self.step == total:
                    log({"kind": "train", "step": self.step, "epoch": epoch} | metrics)
                if eval_encoded and c.eval_every and self.step % c.eval_every == 0 and self.step < total:
                    log({"kind": "eval", "step": self.step} | self.evaluate(eval_encoded))
                if on_checkpoint is not None and c.save_every and self.step % c.save_every == 0:
                    on_checkpoint()
                if on_step is not None:
                    on_step(self)
                bar.update(self.step, f"loss {metrics['loss']:.3f} acc {metrics['accuracy']:.2f}")
        if eval_encoded:
            log({"kind": "eval", "step": self.step} | self.evaluate(eval_encoded))
        return records


@dataclass
class AlignmentResult:
    """What :func:`train_preferences` returns: the trained policy and the run summary and metric records."""

    model: CausalLM
    summary: dict[str, Any]
    records: list[dict] = field(default_factory=list)


def _as_pairs(data, source: str) -> list[PreferencePair]:
    if isinstance(data, (str, Path)):
        return load_pairs(data)
    pairs = pairs_from_records(list(data), source=source)
    if not pairs:
        raise ValueError(f"no {source}s given")
    return pairs


def _plots(out: Path, records: list[dict], loss_name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    if not train:
        return
    steps = [r["step"] for r in train]
    panels = (
        ("loss.png", f"{loss_name} loss", [("loss", "train")]),
        ("rewards.png", "implicit rewards beta*log(pi/pi_ref)",
         [("rewards/chosen", "chosen"), ("rewards/rejected", "rejected"), ("rewards/margin", "margin")]),
        ("kl.png", "sequential KL(pi_ref || pi) per response", [("kl/chosen", "chosen"), ("kl/rejected", "rejected")]),
    )  # fmt: skip
    for name, title, series in panels:
        fig, ax = plt.subplots(figsize=(6, 4))
        for key, label in series:
            ax.plot(steps, [r[key] for r in train], label=label)
        if name == "loss.png" and evals:
            ax.plot([r["step"] for r in evals], [r["loss"] for r in evals], "o-", label="held-out")
        ax.set_xlabel("optimiser step")
        ax.set_title(title)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)


def train_preferences(
    model: CausalLM | str | Path,
    pairs: str | Path | Sequence[PreferencePair | dict],
    config: PreferenceConfig | None = None,
    out_dir: str | Path | None = None,
    *,
    reference: CausalLM | str | Path | None = None,
    eval_pairs: str | Path | Sequence[PreferencePair | dict] | None = None,
    resume: bool = False,
    progress: bool = False,
) -> AlignmentResult:
    """Align ``model`` on preference ``pairs``; the policy is trained in place and returned.

    Args:
        model: a :class:`CausalLM` (see :func:`~tactica.llm.alignment.wrap_model`) or a directory
            (a PLM checkpoint or a ``transformers`` causal LM).
        pairs: a JSONL file or a sequence of :class:`PreferencePair` / ``{"prompt", "chosen", "rejected"}``.
        config: the :class:`PreferenceConfig` (defaults when ``None``).
        out_dir: the run directory (see the module docstring); ``None`` writes nothing.
        reference: the frozen reference; by default a copy of the policy before training.
        eval_pairs: held-out pairs, evaluated every ``eval_every`` steps and at the end.
        resume: continue the run in ``out_dir`` from its last checkpoint.
        progress: show a progress bar (plain lines when stdout is not a terminal).
    """
    config = config or PreferenceConfig()
    out = Path(out_dir) if out_dir is not None else None
    state_path = out / "trainer_state.pt" if out else None
    resuming = bool(out and resume and state_path.is_file())
    if out is not None and not resuming and (out / "run_config.json").is_file():
        raise FileExistsError(
            f"{out} already holds a run; resume it (resume=True, --resume) or use another directory"
        )
    if resume and out is not None and not resuming and out.exists() and any(out.iterdir()):
        raise FileNotFoundError(f"{out} holds no trainer_state.pt to resume from")

    train_set = _as_pairs(pairs, "pair")
    eval_set = _as_pairs(eval_pairs, "eval pair") if eval_pairs is not None else []
    model_source = str(model) if isinstance(model, (str, Path)) else getattr(model, "source", None)
    if resuming:
        saved = json.loads((out / "run_config.json").read_text(encoding="utf-8"))
        changed = [
            name
            for name, value in config.to_dict().items()
            if name not in _RESUMABLE and json.loads(json.dumps(value)) != saved["config"].get(name)
        ]
        if changed:
            raise ValueError(
                f"resuming {out} with different settings ({', '.join(changed)}); only "
                f"{', '.join(sorted(_RESUMABLE))} may change when a run is resumed"
            )
        policy = load_causal_lm(out / "checkpoint")
        reference = saved.get("reference")
    else:
        policy = load_causal_lm(model) if isinstance(model, (str, Path)) else model
    if isinstance(reference, (str, Path)):
        reference = load_causal_lm(reference)
    trainer = PreferenceTrainer(policy, config, reference)
    encoded = trainer.encode(train_set)
    eval_encoded = trainer.encode(eval_set) if eval_set else []
    records: list[dict] = []
    started = time.process_time()

    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if resuming:
            state = torch.load(state_path, map_location=trainer.device, weights_only=True)
            trainer.optimizer.load_state_dict(state["optimizer"])
            trainer.step = int(state["step"])
            records = list(state["records"])
        else:
            reference_source = (
                str(reference.source) if reference is not None and reference.source else model_source
            )
            if reference_source is None:  # an in-memory policy: keep its starting point to resume against
                trainer.reference.save(out / "reference")
                reference_source = str(out / "reference")
            run_config = {
                "config": config.to_dict(),
                "model": model_source,
                "reference": reference_source,
                "data": str(pairs) if isinstance(pairs, (str, Path)) else f"{len(train_set)} in-memory pairs",
                "eval_data": str(eval_pairs) if isinstance(eval_pairs, (str, Path)) else len(eval_set),
                "model_kind": policy.kind,
                "pairs": len(train_set),
                "truncated_pairs": sum(e.truncated for e in encoded),
            }
            (out / "run_config.json").write_text(json.dumps(run_config, indent=2) + "\n", encoding="utf-8")
        metrics_path = out / "metrics.jsonl"
        metrics_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    def on_record(record: dict) -> None:
        if out is not None:
            with metrics_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def checkpoint() -> None:
        policy.save(out / "checkpoint")
        torch.save(
            {"optimizer": trainer.optimizer.state_dict(), "step": trainer.step, "records": records},
            state_path,
        )

    trainer.fit(
        encoded,
        eval_encoded=eval_encoded,
        records=records,
        on_record=on_record,
        on_checkpoint=checkpoint if out is not None else None,
        progress=progress,
        label=f"align {config.loss}",
    )
    train = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    summary: dict[str, Any] = {
        "loss_type": config.loss,
        "steps": trainer.step,
        "pairs": len(train_set),
        "truncated_pairs": sum(e.truncated for e in encoded),
        "model_kind": policy.kind,
        "device": str(trainer.device),
        "cpu_seconds": round(time.process_time() - started, 2),
    }
    if train:
        window = train[-max(1, min(10, len(train))) :]
        for key in METRICS:
            summary[f"final_{key}"] = sum(r[key] for r in window) / len(window)
    if evals:
        summary |= {f"eval_{k}": v for k, v in evals[-1].items() if k not in ("kind", "step")}
    if out is not None:
        checkpoint()
        summary["run_dir"] = str(out)
        summary["checkpoint"] = str(out / "checkpoint")
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        _plots(out, records, config.loss)
    return AlignmentResult(policy, summary, records)
