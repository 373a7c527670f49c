"""ARIES: rounds of preference training and self-refinement (Zeng et al. 2025, arXiv 2502.05605).

Each round

1. **collects** self-refinement data: for every prompt an initial answer ``y_0`` and ``N`` successive
   refinements ``y_1 .. y_N``, each produced from the question, the previous answer and the refinement template
   (:func:`~tactica.llm.alignment.refine.refinement_messages`);
2. **selects** one pair per prompt, by rules (no reward model) or by a reward model / verifier;
3. **trains** on two kinds of pairs built from it: the direct pair ``x -> y_w > y_l`` (better direct answers)
   and the refinement pair ``(x, y_l, template) -> y_w > y_l`` (turn the worse answer into the better one),
   with the reference reset to the policy at the start of the round.

The paper names rule-based selection without publishing its rules; the rules here are **our design**: the
chosen answer is the last refinement ``y_N`` and the rejected one the initial answer ``y_0``, and the pair is
kept only if both answers ended with an end token (not cut at the length limit), they differ, their length
ratio lies within ``length_ratio``, and ``y_N`` passes the task's format rule when one is given.  Reward
selection scores every ``y_i`` and pairs the best (the latest among equals) with the worst (the earliest among
equals), skipping prompts whose answers all score the same.

``method="iterative_dpo"`` is the baseline the paper compares with: the same number of samples per prompt
(``N + 1``), all direct answers, paired by the reward, trained with direct pairs only.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tactica.llm.alignment.data import EncodedPair, write_pairs
from tactica.llm.alignment.generation import Sample, generate
from tactica.llm.alignment.models import CausalLM, load_causal_lm
from tactica.llm.alignment.progress import StepProgress
from tactica.llm.alignment.refine import REFINE_TEMPLATE, refinement_messages
from tactica.llm.alignment.trainer import PreferenceConfig, PreferenceTrainer

__all__ = ["AriesConfig", "AriesResult", "run_aries", "refine_chain", "select_pair"]

Messages = list[dict]
RewardFn = Callable[[int, str], float]  # (prompt index, answer text) -> score


@dataclass
class AriesConfig:
    """Settings of an ARIES (or iterative-DPO) run; ``train`` configures each round's preference training."""

    rounds: int = 3
    refine_steps: int = 2  # N: refinements after the initial answer, when collecting
    selection: str = "rule"  # 'rule' or 'reward'
    method: str = "aries"  # 'aries' or 'iterative_dpo'
    prompts_per_round: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 64
    refinement_pairs: bool = True  # ARIES: also train (x, y_l, template) -> y_w > y_l
    length_ratio: tuple[float, float] = (0.5, 2.0)  # rule-based selection: len(y_N)/len(y_0) bounds
    template: str = REFINE_TEMPLATE
    seed: int = 0
    batch_size: int = 128  # generation batch
    train: PreferenceConfig = field(default_factory=PreferenceConfig)

    def __post_init__(self) -> None:
        if isinstance(self.train, dict):
            self.train = PreferenceConfig.from_dict(self.train)
        for name in ("rounds", "prompts_per_round", "max_new_tokens", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(self.refine_steps, int) or self.refine_steps < 1:
            raise ValueError(f"refine_steps must be a positive int, got {self.refine_steps!r}")
        if self.selection not in ("rule", "reward"):
            raise ValueError(f"selection {self.selection!r} is not supported; accepted: rule, reward")
        if self.method not in ("aries", "iterative_dpo"):
            raise ValueError(f"method {self.method!r} is not supported; accepted: aries, iterative_dpo")
        if self.method == "iterative_dpo" and self.selection == "rule":
            raise ValueError("iterative_dpo pairs independent samples, so it needs selection='reward'")
        if not 0.0 < self.temperature <= 2.0:
            raise ValueError(f"temperature must lie in (0, 2], got {self.temperature}")
        low, high = self.length_ratio
        if not 0 < low <= 1 <= high:
            raise ValueError(f"length_ratio must be (low <= 1 <= high), got {self.length_ratio}")
        refinement_messages([{"role": "user", "content": "q"}], "a", self.template)  # validates the template

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class AriesResult:
    """The final policy and one record per round (round 0 is the starting model's evaluation)."""

    model: CausalLM
    rounds: list[dict] = field(default_factory=list)


def _encode_prompt(lm: CausalLM, messages: Messages) -> list[int]:
    return lm.tokenizer.encode_chat(messages, add_generation_prompt=True)


def refine_chain(
    lm: CausalLM,
    prompts: Sequence[Messages],
    steps: int,
    *,
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_new_tokens: int = 64,
    seed: int = 0,
    batch_size: int = 128,
    template: str = REFINE_TEMPLATE,
    direct_only: bool = False,
) -> list[list[Sample]]:
    """For every prompt, the initial answer and ``steps`` successive refinements (``direct_only``: ``steps + 1``
    independent direct answers instead).  Returns ``[prompt][0..steps]`` samples."""
    chains: list[list[Sample]] = [[] for _ in prompts]
    direct_ids = [_encode_prompt(lm, p) for p in prompts]
    for step in range(steps + 1):
        if step == 0 or direct_only:
            inputs = direct_ids
        else:
            inputs = [
                _encode_prompt(lm, refinement_messages(p, lm.tokenizer.decode(chain[-1].ids), template))
                for p, chain in zip(prompts, chains)
            ]
        samples = generate(
            lm,
            inputs,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed * 1000 + step,
            batch_size=batch_size,
        )
        for chain, sample in zip(chains, samples):
            chain.append(sample)
    return chains


def select_pair(
    chain: Sequence[Sample],
    texts: Sequence[str],
    selection: str,
    *,
    scores: Sequence[float] | None = None,
    length_ratio: tuple[float, float] = (0.5, 2.0),
    rule: Callable[[str], bool] | None = None,
) -> tuple[int, int] | None:
    """``(chosen index, rejected index)`` within a chain of answers, or ``None`` to skip the prompt (see the
    module docstring for the rules)."""
    if selection == "reward":
        if scores is None:
            raise ValueError("reward selection needs scores")
        best = max(scores)
        worst = min(scores)
        if best == worst:
            return None
        chosen = max(i for i, s in enumerate(scores) if s == best)
        rejected = min(i for i, s in enumerate(scores) if s == worst)
        return chosen, rejected
    first, last = chain[0], chain[-1]
    if not (first.finished and last.finished) or texts[0].strip() == texts[-1].strip():
        return None
    ratio = max(1, len(last.ids)) / max(1, len(first.ids))
    if not length_ratio[0] <= ratio <= length_ratio[1]:
        return None
    if rule is not None and not rule(texts[-1]):
        return None
    return len(chain) - 1, 0


def run_aries(
    model: CausalLM | str | Path,
    prompts: Sequence[Messages],
    config: AriesConfig | None = None,
    *,
    reward_fn: RewardFn | None = None,
    rule: Callable[[str], bool] | None = None,
    evaluate: Callable[[CausalLM, int], dict] | None = None,
    out_dir: str | Path | None = None,
    progress: bool = False,
) -> AriesResult:
    """Run ARIES (or iterative DPO) for ``config.rounds`` rounds.

    Args:
        model: the starting policy (:class:`CausalLM` or a model directory); trained in place.
        prompts: the pool of questions, as chat messages ending with the user's turn; each round draws
            ``prompts_per_round`` of them in a seeded order.
        reward_fn: ``(prompt index, answer) -> score`` for ``selection='reward'`` (a reward model or verifier).
        rule: an optional format rule an answer must pass to be chosen by rule-based selection.
        evaluate: ``(model, round) -> metrics``, called before the first round and after every round.
        out_dir: writes ``aries_config.json``, ``round_K/pairs.jsonl`` (the selected pairs, as chat pairs),
            ``rounds.jsonl`` and the final ``checkpoint/``.
    """
    import numpy as np

    config = config or AriesConfig()
    if config.selection == "reward" and reward_fn is None:
        raise ValueError("selection='reward' needs a reward_fn (a reward model or verifier)")
    if not prompts:
        raise ValueError("ARIES needs at least one prompt")
    for i, p in enumerate(prompts):
        if not isinstance(p, list) or not p or p[-1].get("role") != "user":
            raise ValueError(f"prompt {i} must be a list of chat messages ending with the user's question")
    policy = load_causal_lm(model) if isinstance(model, (str, Path)) else model
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        if (out / "aries_config.json").is_file():
            raise FileExistsError(f"{out} already holds an ARIES run; use another directory")
        out.mkdir(parents=True, exist_ok=True)
        (out / "aries_config.json").write_text(
            json.dumps(config.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
    rounds: list[dict] = []

    def record(entry: dict) -> None:
        rounds.append(entry)
        if out is not None:
            with (out / "rounds.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")

    if evaluate is not None:
        record({"round": 0, "eval": evaluate(policy, 0)})
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(prompts))
    cursor = 0
    direct_only = config.method == "iterative_dpo"
    with StepProgress(config.rounds, f"{config.method} ({config.selection})", enabled=progress) as bar:
        for k in range(1, config.rounds + 1):
            started = time.process_time()
            picks = [int(order[(cursor + j) % len(order)]) for j in range(config.prompts_per_round)]
            cursor += config.prompts_per_round
            batch = [prompts[i] for i in picks]
            chains = refine_chain(
                policy,
                batch,
                config.refine_steps,
                temperature=config.temperature,
                top_p=config.top_p,
                max_new_tokens=config.max_new_tokens,
                seed=config.seed * 100 + k,
                batch_size=config.batch_size,
                template=config.template,
                direct_only=direct_only,
            )
            encoded: list[EncodedPair] = []
            text_pairs: list[dict] = []
            kept = refine_kept = 0
            mean_scores = []
            for index, messages, chain in zip(picks, batch, chains):
                texts = [policy.tokenizer.decode(s.ids) for s in chain]
                scores = [reward_fn(index, t) for t in texts] if reward_fn is not None else None
                if scores is not None:
                    mean_scores.append(scores)
                pick = select_pair(
                    chain,
                    texts,
                    config.selection,
                    scores=scores,
                    length_ratio=config.length_ratio,
                    rule=rule,
                )
                if pick is None:
                    continue
                win, lose = pick
                chosen, rejected = chain[win].with_end(), chain[lose].with_end()
                kept += 1
                encoded.append(EncodedPair(_encode_prompt(policy, messages), chosen, rejected))
                text_pairs.append(_chat_pair(messages, texts[win], texts[lose]))
                if config.method == "aries" and config.refinement_pairs:
                    refine_prompt = refinement_messages(messages, texts[lose], config.template)
                    encoded.append(EncodedPair(_encode_prompt(policy, refine_prompt), chosen, rejected))
                    text_pairs.append(_chat_pair(refine_prompt, texts[win], texts[lose]))
                    refine_kept += 1
            entry: dict[str, Any] = {
                "round": k,
                "prompts": len(batch),
                "samples": len(batch) * (config.refine_steps + 1),
                "selected_prompts": kept,
                "pairs": len(encoded),
                "refinement_pairs": refine_kept,
            }
            if mean_scores:
                arr = np.asarray(mean_scores, dtype=float)
                entry["collect_score_by_step"] = arr.mean(axis=0).round(4).tolist()
            if out is not None:
                write_pairs(out / f"round_{k}" / "pairs.jsonl", text_pairs)
            if encoded:
                trainer = PreferenceTrainer(policy, config.train, reference=policy.frozen_copy())
                records = trainer.fit(encoded, label=f"round {k}")
                train = [r for r in records if r["kind"] == "train"]
                entry["train"] = {
                    "steps": trainer.step,
                    "loss": train[-1]["loss"],
                    "accuracy": train[-1]["accuracy"],
                    "kl/chosen": train[-1]["kl/chosen"],
                    "kl/rejected": train[-1]["kl/rejected"],
                }
            entry["cpu_seconds"] = round(time.process_time() - started, 2)
            if evaluate is not None:
                entry["eval"] = evaluate(policy, k)
            record(entry)
            bar.update(k, f"pairs {len(encoded)}")
    if out is not None:
        policy.save(out / "checkpoint")
    return AriesResult(policy, rounds)


def _chat_pair(prompt: Messages, chosen: str, rejected: str) -> dict:
    return {
        "prompt": prompt,
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }
