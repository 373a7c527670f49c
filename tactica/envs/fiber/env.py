"""``FiberStream-v1``: judge a simulated DAS stream along a buried pipeline, window by window."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.physics import OUTPUTS, Interrogator
from tactica.envs.fiber.scoring import AlarmMetrics
from tactica.envs.fiber.stream import DOMAINS, N_BINS, N_CLASSES, EventStream, WindowLabel
from tactica.envs.validation import check_seed, check_started, integral

__all__ = [
    "FiberStreamEnv",
    "OBS_LIMIT",
    "ENERGY_LIMIT",
    "channel_energy",
    "energy_bar",
    "parse_action",
    "judge",
]

#: observation bound [nano-strain / s]; measured strain rate is clipped to it (a 2 pi jump is ~7e4 at 1 kHz,
#: the strongest simulated event at the pipe ~1e6).
OBS_LIMIT = 1e7

#: upper bound of the neighbour energy summary: log10 of the observation bound.
ENERGY_LIMIT = float(np.log10(OBS_LIMIT))


def channel_energy(window: np.ndarray) -> np.ndarray:
    """Per-channel energy of a window: ``log10(max(rms, 1))`` of the strain rate, float32 in [0, 7].

    The log keeps the summary on the scale of the ansi render (ambient noise ~2-3, an event at the pipe ~5-6)
    and the floor at 1 nano-strain/s keeps a dead channel at 0 rather than -inf.
    """
    rms = np.sqrt(np.mean(np.asarray(window, dtype=np.float64) ** 2, axis=-1))
    return np.log10(np.maximum(rms, 1.0)).astype(np.float32)


_SHADES = " .:-=+*#%@"


def energy_bar(level: np.ndarray) -> str:
    """One character per channel for the ansi renders: :func:`channel_energy` from blank (0) to ``@`` (6.5+)."""
    top = len(_SHADES) - 1
    return "".join(_SHADES[min(int(v / 6.5 * top), top)] for v in level)


def parse_action(space: spaces.MultiDiscrete, action: Any, who: str = "action") -> tuple[int, int]:
    """``(class, distance bin)`` from an action of ``space``, or a ValueError naming what is accepted."""
    arr = np.asarray(action)
    if arr.shape != (2,) or not integral(arr) or not space.contains(arr.astype(space.dtype)):
        raise ValueError(
            f"{who} must be (class in 0..{space.nvec[0] - 1}, bin in 0..{space.nvec[1] - 1}), got {action!r}"
        )
    return int(arr[0]), int(arr[1])


def judge(metrics: AlarmMetrics, label: WindowLabel, pred_class: int, pred_bin: int) -> tuple[float, dict]:
    """Score one window's answer into ``metrics``: ``(reward, the truth and answer for info)``."""
    reward = metrics.update(label.kind, max(label.bin, 0), max(label.distance, 0.0), pred_class, pred_bin)
    record = {
        "truth_class": label.kind,
        "truth_bin": label.bin,
        "truth_distance": float(label.distance),
        "truth_pipe_distance": float(label.pipe_distance),
        "pred_class": pred_class,
        "pred_bin": pred_bin,
    }
    return float(reward), record


class FiberStreamEnv(gym.Env):
    """
    ## Description

    A distributed-acoustic-sensing (DAS, Phi-OTDR) interrogator watches a fibre buried beside a pipeline.
    Events happen along it: people walking, vehicles passing, manual digging and mechanical excavation, at
    radial distances of 0-30 m from the fibre, in a soil drawn at random from a domain.  The simulator
    (:mod:`tactica.envs.fiber.physics`) propagates each source through the ground (geometric spreading,
    causal frequency-dependent damping, travel time ``r / c_R``), senses axial strain over the gauge length and
    adds the interrogator's Rayleigh fading, phase noise (growing with the fibre loss down to the monitored
    stretch), laser noise, drift and phase jumps.  Every step the agent sees the next window of the stream over
    the monitored stretch and reports what is there and how far from the fibre.  Digging and excavation threaten
    the pipe; walking and vehicles are nuisances.

    ## Action Space

    ``MultiDiscrete([5, 5])``: ``(class, distance_bin)``.

    | class | meaning | | bin | radial distance |
    |---|---|---|---|---|
    | 0 | background: no alarm | | 0 | [0, 2) m |
    | 1 | walking | | 1 | [2, 5) m |
    | 2 | vehicle | | 2 | [5, 10) m |
    | 3 | manual digging (threat) | | 3 | [10, 20) m |
    | 4 | mechanical excavation (threat) | | 4 | [20, 30] m |

    The bin is ignored for class 0.

    ## Observation Space

    ``Box(-1e7, 1e7, (n_channels, window_samples), float32)``: measured strain rate in nano-strain per second,
    channels (along the fibre, ``channel_spacing`` apart) by samples (at ``pulse_rate``), clipped to the
    bounds.  Default 12 x 2000 (60 m x 2 s at 1 kHz), the layout of the BJTU data set (12 channels).  With
    ``output="intensity"``: ``Box(-65535, 65535, ...)``, the first difference of the 16-bit backscatter intensity
    (a direct-detection phi-OTDR, as the BJTU set records).

    ## Rewards

    With nearness ``w = 2 - bin / 4`` (2 at the pipe, 1 in the farthest bin): a threat named correctly in the
    right bin earns ``w``; in the wrong bin ``0.5 - 0.25 |bin error|``; naming the other threat class earns half
    of that; missing a threat costs ``3 w``; a threat alarm where there is none costs 1.5; a correctly named
    quiet or nuisance window earns 0.1.  See :func:`tactica.envs.fiber.scoring.reward`.

    ## Starting State

    ``reset(seed=...)`` draws the soil and noise of the domain, a new fading pattern and the event stream, and
    returns the first window.

    ## Episode End

    No termination. Truncation after ``episode_windows`` windows.  ``info`` carries, after every step, the
    truth of the judged window (``truth_class``, ``truth_bin``, ``truth_distance`` from the fibre and
    ``truth_pipe_distance`` from the pipe's axis, -1 for background) and the running metrics:
    ``accuracy``, ``macro_f1``, ``nar``, ``fnr``, ``false_alarms_per_km_hour``, ``distance_mae_m``,
    ``bin_accuracy``, ``total_reward``.

    ## Arguments

    ```python
    >>> import gymnasium as gym, tactica
    >>> env = gym.make("FiberStream-v1", domain="wet_clay", episode_windows=32)
    ```

    | argument | default | meaning |
    |---|---|---|
    | ``n_channels`` | 12 | channels in the window |
    | ``window_s`` | 2.0 | window length [s] |
    | ``pulse_rate`` | 1000.0 | pulse repetition rate = sample rate [Hz] |
    | ``channel_spacing`` | 5.0 | channel spacing [m] (gauge length 10 m) |
    | ``domain`` | ``"loam"`` | soil/noise domain: ``"loam"``, ``"wet_clay"``, ``"dry_sand"``, ``"gravel"``, ``"frozen"`` |
    | ``output`` | ``"phase"`` | ``"phase"`` (strain rate) or ``"intensity"`` (differenced phi-OTDR counts) |
    | ``zone_km`` | 5.0 | optical distance from the interrogator to the window's first channel [km] |
    | ``pipe_offset`` | 0.5 | horizontal offset of the fibre from the pipe's axis [m] |
    | ``episode_windows`` | 64 | windows per episode |
    | ``event_rate`` | 14400.0 | event arrivals per km-hour (about 70 % of windows hold an event) |
    | ``class_weights`` | (3, 10, 1.5, 1) | relative arrival rates of walking, vehicle, digging, excavation; the
    default evens out their share of windows (a vehicle passes in seconds, an excavator works for a minute) |
    | ``render_mode`` | ``None`` | ``"ansi"`` or ``"rgb_array"`` (a waterfall picture) |

    ## Version History

    * v0: initial release.
    * v1: waves reach the fibre ``r / c_R`` after their source (v0 rendered them 96 ms early, and sources within
      about 7 m of the fibre also showed a copy about 1 s late); causal (minimum-phase) soil damping; the phase
      noise grows with the fibre loss (0.2 dB/km) to the monitored zone, 5 km down the fibre by default; events
      draw the side of the fibre they are on, and ``info`` gives their distance from the pipe; new arguments
      ``output``, ``zone_km``, ``pipe_offset`` and three more soil domains.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}

    def __init__(
        self,
        n_channels: int = 12,
        window_s: float = 2.0,
        pulse_rate: float = K.PULSE_RATE,
        channel_spacing: float = K.CHANNEL_SPACING,
        domain: str = "loam",
        episode_windows: int = 64,
        event_rate: float = 14400.0,
        class_weights: tuple[float, ...] = (3.0, 10.0, 1.5, 1.0),
        render_mode: str | None = None,
        output: str = "phase",
        zone_km: float = K.RANGE_START / 1000.0,
        pipe_offset: float = K.PIPE_OFFSET,
    ):
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if not (isinstance(zone_km, (int, float, np.floating, np.integer)) and 0 <= zone_km < 1e3):
            raise ValueError(f"zone_km must be a distance in [0, 1000) km, got {zone_km!r}")
        if not (isinstance(pipe_offset, (int, float, np.floating, np.integer)) and 0 <= pipe_offset <= 10):
            raise ValueError(f"pipe_offset must be in [0, 10] m, got {pipe_offset!r}")
        if not isinstance(n_channels, (int, np.integer)) or n_channels < 3:
            raise ValueError(f"n_channels must be an int >= 3, got {n_channels!r}")
        if not window_s > 0 or not pulse_rate > 0:
            raise ValueError(f"window_s and pulse_rate must be > 0, got {window_s!r} and {pulse_rate!r}")
        if domain not in DOMAINS:
            raise ValueError(f"domain must be one of {sorted(DOMAINS)}, got {domain!r}")
        if not event_rate >= 0:
            raise ValueError(f"event_rate must be >= 0 (events per km-hour), got {event_rate!r}")
        if not isinstance(episode_windows, (int, np.integer)) or episode_windows < 1:
            raise ValueError(f"episode_windows must be an int >= 1, got {episode_windows!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.n_channels = int(n_channels)
        self.window_s = float(window_s)
        self.window_samples = int(round(window_s * pulse_rate))
        if self.window_samples < 16:
            raise ValueError(
                f"window_s * pulse_rate must give at least 16 samples, got {self.window_samples}"
            )
        self.interrogator = Interrogator(
            pulse_rate=float(pulse_rate), channel_spacing=float(channel_spacing), output=output
        )
        self.output = output
        self.zone_km = float(zone_km)
        self.pipe_offset = float(pipe_offset)
        self.domain = domain
        self.episode_windows = int(episode_windows)
        self.event_rate = float(event_rate)
        self.class_weights = tuple(float(w) for w in class_weights)
        if (
            len(self.class_weights) != N_CLASSES - 1
            or min(self.class_weights) < 0
            or sum(self.class_weights) <= 0
        ):
            raise ValueError(
                f"class_weights must be {N_CLASSES - 1} non-negative numbers with a positive sum"
            )
        self.render_mode = render_mode
        self.fibre_km = self.interrogator.channel_spacing * self.n_channels / 1000.0
        self.obs_limit = OBS_LIMIT if output == "phase" else float(K.INTENSITY_FULL_SCALE)
        self.observation_space = spaces.Box(
            -self.obs_limit, self.obs_limit, (self.n_channels, self.window_samples), dtype=np.float32
        )
        self.action_space = spaces.MultiDiscrete([N_CLASSES, N_BINS])
        self._stream: EventStream | None = None
        self._label: WindowLabel | None = None
        self._obs: np.ndarray | None = None
        self._metrics = AlarmMetrics(self.fibre_km, self.window_s)
        self._steps = 0
        self._last: dict[str, Any] = {}

    # ------------------------------------------------------------------------------------------- API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        check_seed(seed)
        super().reset(seed=seed)
        self._stream = self.new_stream(self.n_channels, self.np_random)
        self._metrics.reset()
        self._steps = 0
        self._last = {}
        self._advance()
        return self._obs, self._info()

    def step(self, action):
        check_started(self._stream is not None, False)
        pred_class, pred_bin = parse_action(self.action_space, action)
        r, self._last = judge(self._metrics, self._label, pred_class, pred_bin)
        self._steps += 1
        self._advance()
        truncated = self._steps >= self.episode_windows
        return self._obs, float(r), False, truncated, self._info()

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "rgb_array":
            from tactica.envs.fiber.pictures import stream_frame

            return stream_frame(self)
        if self.render_mode != "ansi":
            return None
        return self._render_text()

    # ------------------------------------------------------------------------------------------- helpers
    def new_stream(self, n_channels: int, rng: np.random.Generator) -> EventStream:
        """The event stream this env's arguments describe, over ``n_channels`` channels (``FiberSegments-v1``
        builds its whole fibre with it)."""
        return EventStream(
            n_channels,
            rng,
            domain=self.domain,
            interrogator=self.interrogator,
            event_rate=self.event_rate,
            class_weights=self.class_weights,
            range_start=self.zone_km * 1000.0,
            pipe_offset=self.pipe_offset,
        )

    def _advance(self) -> None:
        stream = self._stream
        t0 = stream.time
        data = stream.read(self.window_samples)
        self._label = stream.label(t0, stream.time)
        self._obs = np.clip(data, -self.obs_limit, self.obs_limit)

    def _info(self) -> dict[str, Any]:
        info = dict(self._last)
        info.update(self._metrics.summary())
        info["time_s"] = float(self._stream.time) if self._stream else 0.0
        return info

    def _render_text(self) -> str:
        if self._obs is None:
            return "FiberStream-v1 (not reset)"
        bar = energy_bar(channel_energy(self._obs))
        m = self._metrics.summary()
        lines = [
            f"FiberStream-v1  t={self._stream.time:7.1f} s  window {self._steps}/{self.episode_windows}",
            f"channel energy |{bar}|  (log10 rms strain rate, {self.n_channels} ch)",
        ]
        if self._last:
            truth = K.CLASS_NAMES[self._last["truth_class"]]
            pred = K.CLASS_NAMES[self._last["pred_class"]]
            lines.append(
                f"last window: truth {truth} bin {self._last['truth_bin']}, said {pred} bin "
                f"{self._last['pred_bin']}"
            )
        lines.append(
            f"acc {m['accuracy']:.2f}  macro-F1 {m['macro_f1']:.2f}  NAR {m['nar']:.2f}  FNR {m['fnr']:.2f}  "
            f"reward {m['total_reward']:.1f}"
        )
        return "\n".join(lines)
