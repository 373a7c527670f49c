"""Offline datasets: seeded transitions collected by a stated behaviour policy, saved as ``.npz`` files.

A dataset holds, per transition, the state's features and text, the legal actions, the action, the reward,
whether the episode terminated, and the same for the next state, so an offline learner (and the prior, which
reads the texts) needs nothing else.  Texts are stored once each, as UTF-8 bytes with offsets; the file loads
with ``allow_pickle=False``.  The first ``n`` transitions of a dataset (:meth:`OfflineDataset.head`) are the
dataset of size ``n``, so a sample-efficiency curve over sizes reruns exactly from one file per seed.

Behaviour policies: ``"uniform"`` (uniform over the legal actions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tactica.agents.llm_prior.views import TextView

__all__ = ["BEHAVIOURS", "OfflineDataset", "collect", "file_digest"]

BEHAVIOURS = ("uniform",)


@dataclass
class OfflineDataset:
    features: np.ndarray  # (N, D) float32
    next_features: np.ndarray  # (N, D) float32
    actions: np.ndarray  # (N,) int64
    rewards: np.ndarray  # (N,) float32
    terminated: np.ndarray  # (N,) bool: no bootstrap from the next state
    episode_end: np.ndarray  # (N,) bool: terminated or truncated
    legal: np.ndarray  # (N, A) bool
    next_legal: np.ndarray  # (N, A) bool
    text_index: np.ndarray  # (N,) int64 into texts
    next_text_index: np.ndarray  # (N,) int64 into texts
    texts: list[str]
    meta: dict[str, Any]

    def __len__(self) -> int:
        return int(self.actions.shape[0])

    def text(self, i: int) -> str:
        return self.texts[int(self.text_index[i])]

    def next_text(self, i: int) -> str:
        return self.texts[int(self.next_text_index[i])]

    def head(self, n: int) -> OfflineDataset:
        """The first ``n`` transitions (the dataset of size ``n``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(self):
            raise ValueError(f"a dataset of {len(self)} transitions has no first {n!r}")
        n = int(n)
        meta = {**self.meta, "transitions": n, "head_of": self.meta.get("transitions", len(self))}
        return OfflineDataset(
            self.features[:n], self.next_features[:n], self.actions[:n], self.rewards[:n],
            self.terminated[:n], self.episode_end[:n], self.legal[:n], self.next_legal[:n],
            self.text_index[:n], self.next_text_index[:n], self.texts, meta,
        )  # fmt: skip

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        encoded = [t.encode("utf-8") for t in self.texts]
        offsets = np.cumsum([0] + [len(b) for b in encoded]).astype(np.int64)
        np.savez_compressed(
            path,
            features=self.features, next_features=self.next_features, actions=self.actions,
            rewards=self.rewards, terminated=self.terminated, episode_end=self.episode_end,
            legal=self.legal, next_legal=self.next_legal, text_index=self.text_index,
            next_text_index=self.next_text_index,
            text_blob=np.frombuffer(b"".join(encoded), dtype=np.uint8), text_offsets=offsets,
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )  # fmt: skip
        return path

    @classmethod
    def load(cls, path: str | Path) -> OfflineDataset:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"dataset {path} not found")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (ValueError, OSError) as exc:
            raise ValueError(f"{path} is not an LLM-prior dataset (.npz): {exc}") from None
        needed = {"features", "actions", "text_blob", "text_offsets", "meta"}
        if not needed <= set(arrays):
            raise ValueError(f"{path} is not an LLM-prior dataset: missing {sorted(needed - set(arrays))}")
        blob, offsets = arrays.pop("text_blob").tobytes(), arrays.pop("text_offsets")
        texts = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
        meta = json.loads(str(arrays.pop("meta")))
        return cls(**arrays, texts=texts, meta=meta)


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _uniform(rng: np.random.Generator) -> Callable[[np.ndarray], int]:
    return lambda legal: int(rng.choice(np.flatnonzero(legal)))


def collect(
    env_id: str,
    env_kwargs: dict[str, Any],
    view: TextView,
    size: int,
    *,
    behaviour: str = "uniform",
    seed: int = 0,
    advance: Callable[[int], None] | None = None,
) -> OfflineDataset:
    """``size`` transitions of ``behaviour`` on ``env_id``: the first episode reset with ``seed``, the next
    ones continuing the environment's generator; the behaviour draws from its own generator seeded by ``seed``."""
    from tactica.agents.llm_prior.common import make_env

    if behaviour not in BEHAVIOURS:
        raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}, got {behaviour!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"dataset size must be a positive integer, got {size!r}")
    env = make_env(env_id, env_kwargs)
    policy = _uniform(np.random.default_rng([seed, 1]))
    texts: list[str] = []
    text_ids: dict[str, int] = {}

    def text_id(text: str) -> int:
        if text not in text_ids:
            text_ids[text] = len(texts)
            texts.append(text)
        return text_ids[text]

    columns: dict[str, list] = {
        k: [] for k in OfflineDataset.__dataclass_fields__ if k not in ("texts", "meta")
    }
    observation, info = env.reset(seed=seed)
    episodes, returns, episode_return = 0, [], 0.0
    for _ in range(size):
        legal = view.legal(observation, info)
        features = view.features(observation, info)
        action = policy(legal)
        next_observation, reward, terminated, truncated, next_info = env.step(action)
        row = {
            "features": features,
            "next_features": view.features(next_observation, next_info),
            "actions": action,
            "rewards": float(reward),
            "terminated": bool(terminated),
            "episode_end": bool(terminated or truncated),
            "legal": legal,
            "next_legal": view.legal(next_observation, next_info),
            "text_index": text_id(view.text(observation)),
            "next_text_index": text_id(view.text(next_observation)),
        }
        for key, value in row.items():
            columns[key].append(value)
        episode_return += float(reward)
        if terminated or truncated:
            episodes += 1
            returns.append(episode_return)
            episode_return = 0.0
            observation, info = env.reset()
        else:
            observation, info = next_observation, next_info
        if advance is not None:
            advance(1)
    env.close()
    meta = {
        "env_id": env_id,
        "env_kwargs": env_kwargs,
        "view": view.kind,
        "action_names": list(view.action_names),
        "feature_dim": view.feature_dim,
        "behaviour": behaviour,
        "seed": seed,
        "transitions": size,
        "episodes": episodes,
        "mean_episode_return": float(np.mean(returns)) if returns else None,
    }
    return OfflineDataset(
        features=np.asarray(columns["features"], dtype=np.float32),
        next_features=np.asarray(columns["next_features"], dtype=np.float32),
        actions=np.asarray(columns["actions"], dtype=np.int64),
        rewards=np.asarray(columns["rewards"], dtype=np.float32),
        terminated=np.asarray(columns["terminated"], dtype=bool),
        episode_end=np.asarray(columns["episode_end"], dtype=bool),
        legal=np.asarray(columns["legal"], dtype=bool),
        next_legal=np.asarray(columns["next_legal"], dtype=bool),
        text_index=np.asarray(columns["text_index"], dtype=np.int64),
        next_text_index=np.asarray(columns["next_text_index"], dtype=np.int64),
        texts=texts,
        meta=meta,
    )
