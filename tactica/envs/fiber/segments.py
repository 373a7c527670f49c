"""``FiberSegments-v1``: one long DAS fibre split into contiguous segments, one PettingZoo agent per segment."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.env import (
    ENERGY_LIMIT,
    FiberStreamEnv,
    channel_energy,
    energy_bar,
    judge,
    parse_action,
)
from tactica.envs.fiber.scoring import AlarmMetrics
from tactica.envs.fiber.stream import EventStream, WindowLabel
from tactica.envs.validation import check_agents, check_seed, check_started

__all__ = ["FiberSegmentsEnv", "ENERGY_LIMIT", "channel_energy"]


class FiberSegmentsEnv(ParallelEnv):
    """
    ## Description

    The multi-agent variant of ``FiberStream-v1``: one fibre of ``n_segments * channels_per_segment`` channels
    is simulated as a single seeded :class:`~tactica.envs.fiber.stream.EventStream` (the same simulator, soil
    and event process), and split into ``n_segments`` contiguous segments of ``channels_per_segment``
    channels, as a long pipeline is split between interrogators or operator desks.  Agent ``segment_i``
    watches segment ``i`` and judges, every window, whether a threat (manual digging, mechanical excavation)
    or a nuisance (walking, vehicle) is happening *in its segment* and how far from the fibre.  Waves travel
    along the ground (up to 120 m), so an event near a boundary also shows on the neighbour's channels: the
    neighbour must stay silent about it, which the optional neighbour energy summary helps with.

    Ownership: segment ``i`` owns the fibre positions ``[b_i, b_{i+1})`` with ``b_0 = 0``, ``b_N`` the fibre
    end (the last segment is closed) and the inner boundaries midway between the last channel of one segment
    and the first channel of the next, ``b_i = (i * channels_per_segment - 0.5) * channel_spacing``.  An event
    belongs to the segment that holds its position at the centre of the window (walkers and vehicles cross
    boundaries); a point exactly on a boundary belongs to the segment on its right.  Each segment's truth is
    :meth:`EventStream.label` restricted to its stretch, so one event is the truth of exactly one segment.

    ## Action Space

    Per agent ``MultiDiscrete([5, 5])``: ``(class, distance_bin)``, as in ``FiberStream-v1`` (class 0 =
    background / no alarm, 1 walking, 2 vehicle, 3 manual digging, 4 mechanical excavation; bins [0, 2),
    [2, 5), [5, 10), [10, 20), [20, 30] m; the bin is ignored for class 0).

    ## Observation Space

    With ``neighbours=True`` (default) a ``Dict``:

    * ``"window"``: ``Box(-1e7, 1e7, (channels_per_segment, window_samples), float32)``, the segment's own
      measured strain rate [nano-strain / s], exactly the observation ``FiberStream-v1`` gives for a fibre of
      that many channels;
    * ``"neighbours"``: ``Box(0, 7, (2, channels_per_segment), float32)``: the per-channel energy
      (:func:`channel_energy`, log10 rms) of the left (row 0) and right (row 1) neighbour segment's window, each
      row ordered along the fibre; zeros at the fibre ends.

    With ``neighbours=False`` the observation is the ``"window"`` Box alone, so single-agent ``FiberStream-v1``
    recognisers (``fiber-cusum``, ``fiber-fusion``) can be run per segment unchanged.

    ## Rewards

    Per agent, the ``FiberStream-v1`` reward (:func:`tactica.envs.fiber.scoring.reward`) of its judgement
    against its own segment's truth: with nearness ``w = 2 - bin / 4``, a threat named correctly in the right
    bin earns ``w``, in the wrong bin ``0.5 - 0.25 |bin error|`` (half of that for the other threat class); a
    missed threat costs ``3 w``; a threat alarm where the segment has no threat costs 1.5 (also when the threat
    is in the neighbour's segment); a correctly named quiet or nuisance window earns 0.1.  There is no shared
    reward: summing the agents' rewards gives the fibre's total.

    ## Starting State

    ``reset(seed=...)`` seeds ``self.np_random``; the stream draws the soil and noise of the domain, the fading
    pattern and the event process from it, and the first window of every segment is returned.  The same seed
    gives the same trajectory.

    ## Episode End

    No termination; every agent is truncated after ``episode_windows`` windows (then ``agents`` is empty).
    ``infos[agent]`` carries after every step the truth of the judged window in the agent's segment
    (``truth_class``, ``truth_bin``, ``truth_distance``, ``truth_position`` along the fibre, -1 for
    background), its action, its segment ``[start_m, end_m)``, the running metrics of its segment
    (``accuracy``, ``macro_f1``, ``nar``, ``fnr``, ``false_alarms_per_km_hour``, ``distance_mae_m``,
    ``bin_accuracy``, ``total_reward``, ``windows``) and, under ``"fibre"``, the same metrics over every
    segment-window of the whole fibre (``windows`` there counts segment-windows; false alarms per km-hour use
    the whole fibre's length).

    ## Arguments

    ```python
    >>> import tactica
    >>> env = tactica.make_parallel("FiberSegments-v1", n_segments=4, domain="wet_clay")
    ```

    | argument | default | meaning |
    |---|---|---|
    | ``n_segments`` | 4 | segments = agents ``segment_0`` ... ``segment_{n-1}`` along the fibre |
    | ``channels_per_segment`` | 12 | channels per segment (60 m at 5 m spacing) |
    | ``window_s`` | 2.0 | window length [s] |
    | ``pulse_rate`` | 1000.0 | pulse repetition rate = sample rate [Hz] |
    | ``channel_spacing`` | 5.0 | channel spacing [m] (gauge length 10 m) |
    | ``domain`` | ``"loam"`` | soil/noise domain, as in ``FiberStream-v1`` (five domains) |
    | ``output`` | ``"phase"`` | ``"phase"`` or ``"intensity"``, as in ``FiberStream-v1`` |
    | ``zone_km`` | 5.0 | optical distance from the interrogator to the fibre's first channel [km] |
    | ``pipe_offset`` | 0.5 | horizontal offset of the fibre from the pipe's axis [m] |
    | ``episode_windows`` | 64 | windows per episode |
    | ``event_rate`` | 14400.0 | event arrivals per km-hour (as ``FiberStream-v1``; arrivals within 240 m of an
    active event are dropped, so a short fibre holds one event at a time) |
    | ``class_weights`` | (3, 10, 1.5, 1) | relative arrival rates of walking, vehicle, digging, excavation |
    | ``neighbours`` | ``True`` | add the neighbour energy summary (Dict observation) |
    | ``render_mode`` | ``None`` | ``"ansi"`` or ``"rgb_array"`` (a waterfall picture) |

    ## Version History

    * v0: initial release.
    * v1: the simulator changes of ``FiberStream-v1`` (waves arrive ``r / c_R`` after their source, causal
      damping, noise growing with the fibre loss to ``zone_km``, sides of the fibre and ``truth_pipe_distance``
      in ``infos``); new arguments ``output``, ``zone_km``, ``pipe_offset``.
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "name": "FiberSegments-v1",
        "is_parallelizable": True,
        "render_fps": 1,
    }

    def __init__(
        self,
        n_segments: int = 4,
        channels_per_segment: int = 12,
        window_s: float = 2.0,
        pulse_rate: float = K.PULSE_RATE,
        channel_spacing: float = K.CHANNEL_SPACING,
        domain: str = "loam",
        episode_windows: int = 64,
        event_rate: float = 14400.0,
        class_weights: tuple[float, ...] = (3.0, 10.0, 1.5, 1.0),
        neighbours: bool = True,
        render_mode: str | None = None,
        output: str = "phase",
        zone_km: float = K.RANGE_START / 1000.0,
        pipe_offset: float = K.PIPE_OFFSET,
    ):
        if not isinstance(n_segments, (int, np.integer)) or isinstance(n_segments, bool) or n_segments < 1:
            raise ValueError(f"n_segments must be an int >= 1, got {n_segments!r}")
        if not isinstance(neighbours, (bool, np.bool_)):
            raise TypeError(f"neighbours must be a bool, got {neighbours!r}")
        # One segment is configured exactly like a FiberStream-v1 of that many channels: reuse its argument
        # checks, interrogator geometry and spaces instead of restating them.
        self._segment = FiberStreamEnv(
            n_channels=channels_per_segment,
            window_s=window_s,
            pulse_rate=pulse_rate,
            channel_spacing=channel_spacing,
            domain=domain,
            episode_windows=episode_windows,
            event_rate=event_rate,
            class_weights=class_weights,
            render_mode=render_mode,
            output=output,
            zone_km=zone_km,
            pipe_offset=pipe_offset,
        )
        seg = self._segment
        self.n_segments = int(n_segments)
        self.channels_per_segment = seg.n_channels
        self.n_channels = self.n_segments * self.channels_per_segment
        self.window_s = seg.window_s
        self.window_samples = seg.window_samples
        self.interrogator = seg.interrogator
        self.domain = seg.domain
        self.episode_windows = seg.episode_windows
        self.event_rate = seg.event_rate
        self.class_weights = seg.class_weights
        self.neighbours = bool(neighbours)
        self.render_mode = render_mode
        spacing = self.interrogator.channel_spacing
        self.length_m = spacing * (self.n_channels - 1)
        inner = [(i * self.channels_per_segment - 0.5) * spacing for i in range(1, self.n_segments)]
        #: ownership boundaries b_0 .. b_N [m]: segment i owns [b_i, b_{i+1}) (the last one closed)
        self.boundaries = np.array([0.0, *inner, self.length_m])
        self.segment_km = seg.fibre_km  # channels_per_segment * spacing / 1000, as FiberStream-v1 counts it

        self.possible_agents = [f"segment_{i}" for i in range(self.n_segments)]
        self.agents: list[str] = []
        window_space = seg.observation_space
        if self.neighbours:
            observation = spaces.Dict(
                {
                    "window": window_space,
                    "neighbours": spaces.Box(
                        0.0, ENERGY_LIMIT, (2, self.channels_per_segment), dtype=np.float32
                    ),
                }
            )
        else:
            observation = window_space
        self._observation_spaces = {a: observation for a in self.possible_agents}
        self._action_spaces = {a: seg.action_space for a in self.possible_agents}
        self.np_random, _ = seeding.np_random(None)
        self._stream: EventStream | None = None
        self._windows: list[np.ndarray] = []
        self._labels: list[WindowLabel] = []
        self._metrics = [AlarmMetrics(self.segment_km, self.window_s) for _ in self.possible_agents]
        # every segment-window is one judgement over segment_km: fed all of them, exposure = fibre km x hours
        self._fibre_metrics = AlarmMetrics(self.segment_km, self.window_s)
        self._last: list[dict[str, Any]] = [{} for _ in self.possible_agents]
        self._steps = 0

    # ------------------------------------------------------------------------------------------- spaces
    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_spaces[self._check_agent(agent)]

    def action_space(self, agent: str) -> spaces.MultiDiscrete:
        return self._action_spaces[self._check_agent(agent)]

    def _check_agent(self, agent: str) -> str:
        if agent not in self._action_spaces:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")
        return agent

    # ------------------------------------------------------------------------------------------- geometry
    def segment_channels(self, index: int) -> range:
        """The fibre channels of segment ``index``."""
        c = self.channels_per_segment
        return range(index * c, (index + 1) * c)

    def segment_of(self, position: float) -> int:
        """Index of the segment that owns fibre ``position`` [m] (see the ownership rule above)."""
        if not 0.0 <= position <= self.length_m:
            raise ValueError(f"position must be in [0, {self.length_m}] m, got {position!r}")
        index = int(np.searchsorted(self.boundaries, position, side="right")) - 1
        return min(index, self.n_segments - 1)

    def _label(self, index: int, t0: float, t1: float) -> WindowLabel:
        lo, hi = float(self.boundaries[index]), float(self.boundaries[index + 1])
        if index < self.n_segments - 1:
            hi = math.nextafter(hi, -math.inf)  # label() takes a closed stretch; ownership is half-open
        return self._stream.label(t0, t1, lo, hi)

    # ------------------------------------------------------------------------------------------- API
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        check_seed(seed)
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self._stream = self._segment.new_stream(self.n_channels, self.np_random)
        for metrics in (*self._metrics, self._fibre_metrics):
            metrics.reset()
        self._last = [{} for _ in self.possible_agents]
        self._steps = 0
        self.agents = list(self.possible_agents)
        self._advance()
        return self._observations(), self._infos()

    def step(self, actions: dict[str, Any]):
        check_started(self._stream is not None, not self.agents)
        if not isinstance(actions, dict):
            raise TypeError(f"actions must be a dict agent -> action, got {type(actions).__name__}")
        check_agents(actions, self.agents, self.possible_agents)
        missing = sorted(set(self.agents) - set(actions))
        unknown = sorted(set(actions) - set(self.agents))
        if missing or unknown:
            raise ValueError(
                f"actions must name every live agent {self.agents}; missing {missing}, unknown {unknown}"
            )
        rewards = {}
        for index, agent in enumerate(self.possible_agents):
            pred_class, pred_bin = parse_action(
                self._action_spaces[agent], actions[agent], f"action of {agent}"
            )
            label = self._labels[index]
            rewards[agent], record = judge(self._metrics[index], label, pred_class, pred_bin)
            judge(self._fibre_metrics, label, pred_class, pred_bin)
            self._last[index] = {**record, "truth_position": float(label.position)}
        self._steps += 1
        self._advance()
        done = self._steps >= self.episode_windows
        observations, infos = self._observations(), self._infos()
        terminations = {a: False for a in self.possible_agents}
        truncations = {a: done for a in self.possible_agents}
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "rgb_array":
            from tactica.envs.fiber.pictures import segments_frame

            return segments_frame(self)
        if self.render_mode != "ansi":
            return None
        return self._render_text()

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------------------------------- helpers
    def _advance(self) -> None:
        stream = self._stream
        t0 = stream.time
        limit = self._segment.obs_limit
        data = np.clip(stream.read(self.window_samples), -limit, limit)
        c = self.channels_per_segment
        self._windows = [data[i * c : (i + 1) * c].copy() for i in range(self.n_segments)]
        self._labels = [self._label(i, t0, stream.time) for i in range(self.n_segments)]

    def _observations(self) -> dict[str, Any]:
        if not self.neighbours:
            return {a: self._windows[i] for i, a in enumerate(self.possible_agents)}
        energy = [channel_energy(w) for w in self._windows]
        zero = np.zeros(self.channels_per_segment, dtype=np.float32)
        out = {}
        for i, agent in enumerate(self.possible_agents):
            left = energy[i - 1] if i > 0 else zero
            right = energy[i + 1] if i + 1 < self.n_segments else zero
            out[agent] = {"window": self._windows[i], "neighbours": np.stack([left, right])}
        return out

    def _infos(self) -> dict[str, dict[str, Any]]:
        fibre = self._fibre_metrics.summary()
        time_s = float(self._stream.time)
        infos = {}
        for i, agent in enumerate(self.possible_agents):
            info = dict(self._last[i])
            info.update(self._metrics[i].summary())
            info["segment"] = (float(self.boundaries[i]), float(self.boundaries[i + 1]))
            info["time_s"] = time_s
            info["fibre"] = dict(fibre)
            infos[agent] = info
        return infos

    def _render_text(self) -> str:
        if self._stream is None:
            return "FiberSegments-v1 (not reset)"
        lines = [
            f"FiberSegments-v1  t={self._stream.time:7.1f} s  window {self._steps}/{self.episode_windows}  "
            f"{self.n_segments} segments x {self.channels_per_segment} ch  (log10 rms strain rate)"
        ]
        for i, agent in enumerate(self.possible_agents):
            bar = energy_bar(channel_energy(self._windows[i]))
            lo, hi = self.boundaries[i], self.boundaries[i + 1]
            line = f"{agent:>11} [{lo:6.1f}, {hi:6.1f}) m |{bar}|"
            last = self._last[i]
            if last:
                line += (
                    f"  truth {K.CLASS_NAMES[last['truth_class']]} bin {last['truth_bin']}, said "
                    f"{K.CLASS_NAMES[last['pred_class']]} bin {last['pred_bin']}"
                )
            lines.append(line)
        m = self._fibre_metrics.summary()
        lines.append(
            f"fibre: acc {m['accuracy']:.2f}  macro-F1 {m['macro_f1']:.2f}  NAR {m['nar']:.2f}  "
            f"FNR {m['fnr']:.2f}  reward {m['total_reward']:.1f}"
        )
        return "\n".join(lines)
