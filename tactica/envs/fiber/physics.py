"""The DAS physics: ground propagation to a buried fibre and a phase-measuring interrogator.

Two layers:

1. **Ground.**  A source is a list of :class:`Grain` s, short ground-velocity waveforms emitted at one place and
   time (a footstep, a shovel strike, 256 ms of engine noise).  Each grain travels to every point of the fibre as a
   Rayleigh wave: geometric spreading ``(r0 / r) ** gamma``, frequency-dependent material damping
   ``exp(-alpha(f) (r - r0))`` with ``alpha(f) = 2 pi f D / c_R``, and it arrives ``r / c_R`` after it was emitted.
   Damping that grows with frequency cannot be zero-phase and causal at once (Kramers-Kronig): the simulator
   renders the minimum-phase damping filter with that magnitude (high frequencies arrive first, low ones a
   little later, as in constant-Q soils), so no energy reaches a point of the fibre before ``r / c_R``.  The fibre
   senses axial strain, ``v / c_R`` times the cable coupling and a directivity ``kappa + (1 - kappa) cos^2(theta)``,
   and averages it over the gauge length.
2. **Interrogator.**  Strain becomes differential phase (``eps = lambda dphi / (4 pi n L_g zeta)``); each channel
   has a Rayleigh-fading amplitude that sets its noise (``sigma / a``), a slowly drifting fading pattern, phase
   noise, common-mode laser noise, thermal drift and rare 2 pi unwrapping jumps in deep fades.  Light going to a
   channel z metres down the fibre and back loses ``2 * loss * z`` dB, so the noise grows along the fibre.  Two
   outputs: ``"phase"`` (phase-demodulating DAS) gives strain rate in nano-strain per second; ``"intensity"``
   (direct-detection phi-OTDR, as in the BJTU data set) gives the first difference of the backscattered
   intensity in 16-bit ADC counts, where each channel is the interference of two Rayleigh fields,
   ``I = P(z) (|z1|^2 + |z2|^2 + 2 |z1||z2| cos(phi + psi)) + detector noise``: a random, fading sensitivity to the
   phase ``phi``, linear for weak events and folded into fringes for strong ones.  Channels x samples.

Nothing here draws from a global random generator: every random draw comes from the ``numpy.random.Generator``
handed in, so a seeded caller gets a reproducible stream.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sp_fft
from scipy import signal as sp_signal

from tactica.envs.fiber import constants as K

__all__ = [
    "Soil",
    "Interrogator",
    "Grain",
    "ground_transfer",
    "directivity",
    "FibreSimulator",
    "REACH",
    "OUTPUTS",
    "response_span",
]

#: interrogator outputs: phase-demodulated strain rate, or direct-detection intensity (differenced counts).
OUTPUTS = ("phase", "intensity")

#: along-fibre reach [m] of one source: beyond it the wave is below the ambient noise and is not computed (ours).
REACH = 120.0
# time rendered after a grain's last arrival: a fixed margin plus this many widths D (r - r0) / c_R of the causal
# damping kernel, which then holds > 99.5 % of the kernel's energy (measured on the minimum-phase kernel)
_TAIL_S = 0.05
_TAIL_WIDTHS = 10.0


@dataclass(frozen=True)
class Soil:
    """Ground between the sources and the fibre.

    Attributes:
        rayleigh_speed: Rayleigh-wave speed c_R [m/s] (loose sand ~100, stiff clay ~300).
        damping_ratio: material damping ratio D (loss factor eta = 2 D); 0.01-0.06 for soils.
        spreading: geometric spreading exponent gamma (0.5 for Rayleigh waves from a point source).
        burial_depth: fibre depth below the surface [m].
        coupling: fraction of the ground strain that reaches the fibre core.
        broadside: residual sensitivity to waves arriving broadside (theta = 90 deg).
    """

    rayleigh_speed: float = 150.0
    damping_ratio: float = 0.03
    spreading: float = K.SPREADING_POINT
    burial_depth: float = K.BURIAL_DEPTH
    coupling: float = K.COUPLING
    broadside: float = K.BROADSIDE_SENSITIVITY

    def __post_init__(self) -> None:
        _positive("rayleigh_speed", self.rayleigh_speed)
        _positive("coupling", self.coupling)
        if not 0.0 <= self.damping_ratio < 0.5:
            raise ValueError(f"damping_ratio must be in [0, 0.5), got {self.damping_ratio}")
        if not 0.0 <= self.spreading <= 2.0:
            raise ValueError(f"spreading must be in [0, 2], got {self.spreading}")
        if self.burial_depth < 0:
            raise ValueError(f"burial_depth must be >= 0, got {self.burial_depth}")
        if not 0.0 <= self.broadside <= 1.0:
            raise ValueError(f"broadside must be in [0, 1], got {self.broadside}")


@dataclass(frozen=True)
class Interrogator:
    """A phase-demodulating DAS interrogator (Phi-OTDR).

    Attributes:
        pulse_rate: pulse repetition rate = output sample rate [Hz]; at most ``c / (2 n_g L)`` for a fibre of
            length L.
        channel_spacing: distance between channel centres [m].
        gauge_length: length over which each channel averages strain [m].
        gauge_points: points per gauge used for the average (1: a point sensor).
        phase_noise: phase noise of a channel with unit fading amplitude [rad rms per sample].
        laser_linewidth: laser linewidth [Hz]; its phase random walk leaks in as common-mode noise.
        common_mode_fraction: fraction of the laser phase walk that survives the differential measurement.
        drift: thermal phase drift [rad per sqrt(s)].
        jump_rate: 2 pi jump probability per sample at unit fading amplitude (grows as 1 / a^2).
        fading: draw Rayleigh fading amplitudes (``False``: every channel has amplitude 1).
        fading_time_constant: time constant of the fading pattern's drift [s].
        ambient: ambient ground strain noise [nano-strain rms].
        fibre_loss: fibre attenuation [dB/km]; the round trip to distance z costs ``2 * fibre_loss * z`` dB of power.
        output: ``"phase"`` (strain rate, nano-strain / s) or ``"intensity"`` (differenced ADC counts).
        intensity_counts: intensity mode: mean backscatter at the fibre's start [ADC counts].
    """

    pulse_rate: float = K.PULSE_RATE
    channel_spacing: float = K.CHANNEL_SPACING
    gauge_length: float = K.GAUGE_LENGTH
    gauge_points: int = 3
    phase_noise: float = K.PHASE_NOISE_RAD
    laser_linewidth: float = K.LASER_LINEWIDTH
    common_mode_fraction: float = K.LASER_COMMON_MODE_FRACTION
    drift: float = K.DRIFT_RAD_PER_SQRT_S
    jump_rate: float = K.PHASE_JUMP_RATE
    fading: bool = True
    fading_time_constant: float = K.FADING_TIME_CONSTANT
    ambient: float = K.AMBIENT_NANOSTRAIN
    fibre_loss: float = K.FIBRE_LOSS_DB_PER_KM
    output: str = "phase"
    intensity_counts: float = K.INTENSITY_COUNTS

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        _positive("intensity_counts", self.intensity_counts)
        _positive("pulse_rate", self.pulse_rate)
        _positive("channel_spacing", self.channel_spacing)
        _positive("gauge_length", self.gauge_length)
        _positive("fading_time_constant", self.fading_time_constant)
        if not isinstance(self.gauge_points, (int, np.integer)) or self.gauge_points < 1:
            raise ValueError(f"gauge_points must be an int >= 1, got {self.gauge_points!r}")
        for name in (
            "phase_noise",
            "laser_linewidth",
            "common_mode_fraction",
            "drift",
            "jump_rate",
            "ambient",
            "fibre_loss",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @property
    def strain_per_radian(self) -> float:
        """Axial strain per radian of differential phase for this gauge length."""
        return K.strain_per_radian(self.gauge_length)

    def quiet(self) -> Interrogator:
        """The same geometry with every noise source off (for tests and noise-free references)."""
        from dataclasses import replace

        return replace(
            self,
            phase_noise=0.0,
            laser_linewidth=0.0,
            drift=0.0,
            jump_rate=0.0,
            fading=False,
            ambient=0.0,
            fibre_loss=0.0,
        )

    def optical_amplitude(self, distance_m) -> np.ndarray:
        """Field amplitude of the backscatter from ``distance_m`` metres down the fibre, relative to its start:
        the round trip costs ``2 * fibre_loss * z`` dB of power, i.e. ``fibre_loss * z`` dB of amplitude."""
        return 10.0 ** (-self.fibre_loss * np.asarray(distance_m, dtype=float) / 1000.0 / 10.0)


@dataclass(frozen=True)
class Grain:
    """One piece of a source: a ground-velocity waveform [m/s at 1 m] emitted at ``start`` (a sample index at
    the interrogator's rate), at along-fibre position ``x`` [m] and radial distance ``distance`` [m]."""

    start: int
    x: float
    distance: float
    waveform: np.ndarray = field(repr=False)


def ground_transfer(frequency, r, soil: Soil) -> np.ndarray:
    """Complex Rayleigh-wave transfer from the source to distance ``r`` [m], with zero-phase damping.

    ``(r0 / r) ** gamma * exp(-alpha(f) max(r - r0, 0)) * exp(-2 pi i f r / c_R)`` with ``r0`` = 1 m (the source
    level's reference distance); ``r`` is clipped below at 0.25 m in the spreading term.  Broadcasts ``frequency``
    against ``r``.  This is the attenuation law; :class:`FibreSimulator` renders its causal (minimum-phase) form.
    """
    f = np.asarray(frequency, dtype=float)
    r = np.asarray(r, dtype=float)
    spreading = (K.REFERENCE_DISTANCE / np.maximum(r, K.MIN_DISTANCE)) ** soil.spreading
    damped = np.maximum(r - K.REFERENCE_DISTANCE, 0.0)
    exponent = -(2.0 * math.pi * f / soil.rayleigh_speed) * (soil.damping_ratio * damped + 1j * r)
    return spreading * np.exp(exponent)


def damping_width(r, soil: Soil) -> np.ndarray:
    """Time scale [s] of the damping kernel at distance ``r``: ``D max(r - r0, 0) / c_R``.

    The damping ``exp(-2 pi |f| w)`` of :func:`ground_transfer` is, as a filter, a pulse of width ``w``."""
    return (
        soil.damping_ratio
        * np.maximum(np.asarray(r, dtype=float) - K.REFERENCE_DISTANCE, 0.0)
        / soil.rayleigh_speed
    )


def response_span(soil: Soil, fs: float) -> int:
    """Most samples after a grain's emission in which any of its waves can still reach a point of the fibre
    within :data:`REACH` (the delay to the farthest point plus the causal damping tail), not counting the grain's
    own length."""
    far = math.hypot(REACH + 10.0, K.MAX_DISTANCE + 5.0)  # a gauge's half-length and the burial depth on top
    return int(
        math.ceil((far / soil.rayleigh_speed + _TAIL_S + _TAIL_WIDTHS * float(damping_width(far, soil))) * fs)
    )


_MIN_PHASE: dict[tuple[int, float], np.ndarray] = {}


def unit_minimum_phase(nfft: int, fs: float) -> np.ndarray:
    """Phase [rad per second of width] of the minimum-phase filter with log-magnitude ``-2 pi |f|`` on the FFT
    grid of ``nfft`` points at rate ``fs`` (rfft bins).

    The minimum-phase filter with magnitude ``exp(-2 pi |f| w)`` is ``exp(w (-2 pi |f| + i phi(f)))``: its log is
    linear in ``w``, so one phase serves every width.  Computed by folding the real cepstrum (Oppenheim & Schafer,
    ch. 13); the grid's band is the interrogator's, so the dispersion this implies depends weakly on the pulse
    rate (the delay of low frequencies grows with the log of the band).
    """
    key = (int(nfft), float(fs))
    hit = _MIN_PHASE.get(key)
    if hit is not None:
        return hit
    n = int(nfft)
    log_magnitude = -2.0 * math.pi * np.abs(np.fft.fftfreq(n, 1.0 / fs))
    cepstrum = np.fft.ifft(log_magnitude).real
    folded = np.zeros(n)
    folded[0] = cepstrum[0]
    folded[1 : (n + 1) // 2] = 2.0 * cepstrum[1 : (n + 1) // 2]
    if n % 2 == 0:
        folded[n // 2] = cepstrum[n // 2]
    phase = np.fft.fft(folded).imag[: n // 2 + 1]
    if len(_MIN_PHASE) >= 64:
        _MIN_PHASE.clear()
    _MIN_PHASE[key] = phase
    return phase


def directivity(along: np.ndarray, radial: float | np.ndarray, soil: Soil) -> np.ndarray:
    """Axial-strain sensitivity ``kappa + (1 - kappa) cos^2(theta)`` for a wave arriving at horizontal angle
    theta to the fibre (``cos theta = along / sqrt(along^2 + radial^2)``)."""
    along = np.asarray(along, dtype=float)
    horizontal2 = along**2 + np.asarray(radial, dtype=float) ** 2
    cos2 = np.divide(along**2, horizontal2, out=np.ones_like(along), where=horizontal2 > 0)
    return soil.broadside + (1.0 - soil.broadside) * cos2


class FibreSimulator:
    """Renders events on a fibre of ``n_channels`` channels and measures them with an interrogator.

    The simulator keeps the interrogator's slow state (fading pattern, last phase sample, ambient filter) so
    consecutive calls to :meth:`measure` form one continuous stream; :meth:`render_strain` is stateless.

    Args:
        n_channels: number of channels.
        soil: the ground.
        interrogator: the interrogator.
        rng: the generator every noise draw comes from.
        origin: along-fibre position of channel 0 [m] in the coordinates of the sources.
        range_start: optical distance from the interrogator to channel 0 [m]: sets the fibre loss each channel's
            light has suffered, so the noise of channel k grows with ``range_start + k * channel_spacing``.
    """

    def __init__(
        self,
        n_channels: int,
        soil: Soil,
        interrogator: Interrogator,
        rng: np.random.Generator,
        origin: float = 0.0,
        range_start: float = 0.0,
    ):
        if not isinstance(n_channels, (int, np.integer)) or n_channels < 1:
            raise ValueError(f"n_channels must be an int >= 1, got {n_channels!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.n_channels = int(n_channels)
        self.soil = soil
        self.interrogator = interrogator
        self.rng = rng
        self.origin = float(origin)
        if not (math.isfinite(range_start) and range_start >= 0):
            raise ValueError(f"range_start must be a distance >= 0 [m], got {range_start!r}")
        self.range_start = float(range_start)
        self.positions = self.origin + interrogator.channel_spacing * np.arange(self.n_channels)
        #: optical amplitude of each channel's backscatter (1 at the interrogator)
        self.optical = interrogator.optical_amplitude(
            self.range_start + interrogator.channel_spacing * np.arange(self.n_channels)
        )
        gp = interrogator.gauge_points
        # offsets of the gauge points around a channel centre (midpoint rule over the gauge)
        self._gauge_offsets = (
            np.arange(gp) + 0.5
        ) / gp * interrogator.gauge_length - interrogator.gauge_length / 2
        self._phase_scale = 1e-9 / interrogator.strain_per_radian  # rad per nano-strain
        lowpass = sp_signal.butter(1, 20.0, fs=interrogator.pulse_rate)
        self._ambient_filter = (np.asarray(lowpass[0]), np.asarray(lowpass[1]))
        # scale so the ambient strain has rms ``interrogator.ambient`` after low-pass and spatial smoothing
        impulse = np.zeros(4096)
        impulse[0] = 1.0
        power = float(np.sum(sp_signal.lfilter(*self._ambient_filter, impulse) ** 2))
        smoothing = 0.375 if self.n_channels > 2 else 1.0
        self._ambient_gain = interrogator.ambient / math.sqrt(power * smoothing) * self._phase_scale
        self._state_ready = False
        self._cache: dict[tuple, tuple[int, np.ndarray]] = {}

    # ------------------------------------------------------------------------------------------- ground
    def render_strain(self, grains: Iterable[Grain], start: int, n_samples: int) -> np.ndarray:
        """Noise-free axial strain [nano-strain], shape (n_channels, n_samples), for samples
        ``start .. start + n_samples - 1`` from every grain whose wave reaches the fibre in that span.

        Causal: a grain emitted at sample ``s`` puts nothing on a channel before ``s`` plus the travel time
        ``r / c_R`` to the nearest point of that channel's gauge (rounded up to a whole sample)."""
        n_samples = int(n_samples)
        out = np.zeros((self.n_channels, n_samples))
        spacing = self.interrogator.channel_spacing
        span = response_span(self.soil, self.interrogator.pulse_rate)
        end = start + n_samples
        for g in grains:
            length = len(g.waveform)
            if g.start >= end or g.start + length + span <= start:
                continue
            lo = max(0, int(math.floor((g.x - REACH - self.origin) / spacing)))
            hi = min(self.n_channels, int(math.ceil((g.x + REACH - self.origin) / spacing)) + 1)
            if lo >= hi:
                continue
            nfft, response, silent = self._response(g.x, g.distance, lo, hi, length)
            spectrum = np.fft.rfft(g.waveform, nfft)
            waves = np.fft.irfft(spectrum[None, :] * response, nfft)
            # the causal kernel's last 1e-5 that wraps round the FFT frame lands before the arrival: drop it
            waves[silent] = 0.0
            a, b = max(g.start, start), min(g.start + nfft, end)  # waves[:, 0] is the emission sample
            if a < b:
                out[lo:hi, a - start : b - start] += waves[:, a - g.start : b - g.start]
        return out

    def _response(
        self, x: float, distance: float, lo: int, hi: int, length: int
    ) -> tuple[int, np.ndarray, np.ndarray]:
        """FFT length, the (channel x frequency) response of channels ``lo:hi`` to a grain at (x, distance), and
        the mask of each channel's samples before its first arrival (relative to the emission sample).

        Stationary sources emit many grains from one place, so responses are cached by geometry.
        """
        key = (x, distance, lo, hi, length)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        soil, fs = self.soil, self.interrogator.pulse_rate
        sub = (self.positions[lo:hi, None] + self._gauge_offsets[None, :]).ravel()
        along = sub - x
        r = np.sqrt(along**2 + distance**2 + soil.burial_depth**2)
        # whole-sample delays, rounded up: a wave is never rendered before it can arrive
        delay = np.ceil(r / soil.rayleigh_speed * fs - 1e-9).astype(np.int64)
        width = damping_width(r, soil)
        tail = int(math.ceil((_TAIL_S + _TAIL_WIDTHS * float(width.max())) * fs))
        nfft = sp_fft.next_fast_len(length + int(delay.max()) + tail, real=True)
        freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
        # v / c_R is the axial strain of a plane wave; coupling and directivity scale what the core sees
        gain = soil.coupling * directivity(along, distance, soil) / soil.rayleigh_speed * 1e9
        spreading = (K.REFERENCE_DISTANCE / np.maximum(r, K.MIN_DISTANCE)) ** soil.spreading
        damping = -2.0 * math.pi * freqs + 1j * unit_minimum_phase(nfft, fs)  # causal damping per unit width
        exponent = width[:, None] * damping[None, :] - 2j * math.pi * (delay[:, None] / fs) * freqs[None, :]
        response = np.exp(exponent) * (spreading * gain)[:, None]
        gp = self.interrogator.gauge_points
        # averaging the sub-points of each gauge commutes with the inverse FFT, so do it in frequency
        response = response.reshape(hi - lo, gp, -1).mean(axis=1)
        first = delay.reshape(hi - lo, gp).min(axis=1)
        silent = np.arange(nfft)[None, :] < first[:, None]
        if len(self._cache) >= 256:
            self._cache.clear()
        self._cache[key] = (nfft, response, silent)
        return nfft, response, silent

    # ------------------------------------------------------------------------------------------- interrogator
    def reset_state(self) -> None:
        """Start a fresh interrogator state (new fading pattern) drawn from :attr:`rng`."""
        c = self.n_channels
        z = self.rng.standard_normal((c, 2)) @ np.array([1.0, 1j]) / math.sqrt(2.0)
        self._fading = z if self.interrogator.fading else np.ones(c, dtype=complex)
        self._last_phase = np.zeros(c, dtype=np.float32)
        self._ambient_zi = np.zeros((c, 1), dtype=np.float32)
        if self.interrogator.output == "intensity":
            # the second Rayleigh field each channel's backscatter interferes with, and the phase walk so far
            partner = self.rng.standard_normal((c, 2)) @ np.array([1.0, 1j]) / math.sqrt(2.0)
            self._partner = partner if self.interrogator.fading else np.full(c, 1j, dtype=complex)
            self._walk = np.zeros(c)
            self._last_counts: np.ndarray | None = None
        self._state_ready = True
        self._warm_up = True

    def fading_amplitudes(self) -> np.ndarray:
        """Current Rayleigh fading amplitude of each channel (1 everywhere when fading is off)."""
        if not self._state_ready:
            self.reset_state()
        return np.maximum(np.abs(self._fading), K.FADING_FLOOR)

    def measure(self, strain: np.ndarray) -> np.ndarray:
        """Turn a noise-free strain block [nano-strain] into the interrogator's output, float32 (channels x samples):
        strain rate [nano-strain / s] in ``"phase"`` mode, differenced intensity [ADC counts] in ``"intensity"``.

        Consecutive calls continue one stream: the last sample, fading pattern and filter state carry over.
        """
        strain = np.asarray(strain, dtype=float)
        if strain.ndim != 2 or strain.shape[0] != self.n_channels:
            raise ValueError(f"strain must have shape ({self.n_channels}, n_samples), got {strain.shape}")
        if not self._state_ready:
            self.reset_state()
        it = self.interrogator
        rng = self.rng
        c, n = strain.shape
        f32 = np.float32
        # noise is drawn and summed in float32 (half the cost); a phase sample is at most ~1e3 rad, so float32
        # keeps ~1e-4 rad, well under the 0.01-0.04 rad phase noise
        phase = (strain * self._phase_scale).astype(f32)
        if it.ambient > 0:
            white = rng.standard_normal((c, n), dtype=f32)
            # spatially correlated ground noise: neighbouring channels share half their noise
            if c > 2:
                white[1:-1] = 0.5 * white[1:-1] + 0.25 * (white[:-2] + white[2:])
            ambient, self._ambient_zi = sp_signal.lfilter(
                *self._ambient_filter, white, axis=1, zi=self._ambient_zi
            )
            phase += (ambient * self._ambient_gain).astype(f32)
        out = self._intensity(phase) if it.output == "intensity" else self._phase_rate(phase, strain)
        if it.fading:
            # the speckle pattern drifts: an AR(1) walk of the complex field keeps E|z|^2 = 1
            rho = math.exp(-n / it.pulse_rate / it.fading_time_constant)
            fresh = rng.standard_normal((c, 2)) @ np.array([1.0, 1j]) / math.sqrt(2.0)
            self._fading = rho * self._fading + math.sqrt(1.0 - rho * rho) * fresh
            if it.output == "intensity":
                fresh = rng.standard_normal((c, 2)) @ np.array([1.0, 1j]) / math.sqrt(2.0)
                self._partner = rho * self._partner + math.sqrt(1.0 - rho * rho) * fresh
        return out

    def _phase_rate(self, phase: np.ndarray, strain: np.ndarray) -> np.ndarray:
        """Phase mode: phase noise (fading- and loss-dependent), differencing, drift, laser noise, 2 pi jumps."""
        it, rng = self.interrogator, self.rng
        c, n = phase.shape
        fs = it.pulse_rate
        f32 = np.float32
        # a faded or far (attenuated) channel returns less light, so its phase is noisier
        amp = self.fading_amplitudes() * self.optical
        if it.phase_noise > 0:
            phase += rng.standard_normal((c, n), dtype=f32) * (it.phase_noise / amp).astype(f32)[:, None]
        if self._warm_up:
            # a fresh stream has no previous sample: take one with the same signal and independent noise
            self._warm_up = False
            noise = rng.standard_normal(c, dtype=f32) * (it.phase_noise / amp).astype(f32)
            self._last_phase = (strain[:, 0] * self._phase_scale).astype(f32) + noise
        increments = np.empty_like(phase)
        increments[:, 0] = phase[:, 0] - self._last_phase
        np.subtract(phase[:, 1:], phase[:, :-1], out=increments[:, 1:])
        self._last_phase = phase[:, -1].copy()
        increments += self._phase_walk_steps(c, n)
        if it.jump_rate > 0:
            rates = np.minimum(it.jump_rate / amp**2, 0.01) * n
            counts = rng.poisson(rates)
            for ch in np.flatnonzero(counts):
                where = rng.integers(0, n, size=counts[ch])
                increments[ch, where] += rng.choice((-2.0 * math.pi, 2.0 * math.pi), size=counts[ch])
        increments *= f32(fs / self._phase_scale)
        return increments

    def _phase_walk_steps(self, c: int, n: int) -> np.ndarray | float:
        """Per-sample phase steps of the thermal drift (per channel) and the laser's common-mode walk."""
        it, rng = self.interrogator, self.rng
        f32 = np.float32
        dt = 1.0 / it.pulse_rate
        steps: np.ndarray | float = 0.0
        if it.drift > 0:
            steps = rng.standard_normal((c, n), dtype=f32) * f32(it.drift * math.sqrt(dt))
        if it.laser_linewidth > 0 and it.common_mode_fraction > 0:
            step = math.sqrt(2.0 * math.pi * it.laser_linewidth * dt) * it.common_mode_fraction
            steps = steps + rng.standard_normal(n, dtype=f32)[None, :] * f32(step)
        return steps

    def _intensity(self, phase: np.ndarray) -> np.ndarray:
        """Intensity mode: two-field interference of each channel's backscatter, detector noise, 16-bit counts,
        first difference along time (the drift and laser walks enter the phase, not its rate)."""
        it, rng = self.interrogator, self.rng
        c, n = phase.shape
        walk = self._phase_walk_steps(c, n)
        if not isinstance(walk, float):
            walk = np.cumsum(walk, axis=1, dtype=np.float64) + self._walk[:, None]
            self._walk = walk[:, -1].copy()
            phase = phase + walk
        z1, z2 = self._fading, self._partner
        power = it.intensity_counts * self.optical**2  # intensity falls with the round-trip power loss
        level = (power * (np.abs(z1) ** 2 + np.abs(z2) ** 2))[:, None]
        swing = (power * 2.0 * np.abs(z1) * np.abs(z2))[:, None]
        offset = np.angle(z1 * np.conj(z2))[:, None]
        counts = level + swing * np.cos(phase + offset)
        if it.phase_noise > 0:
            # detector noise, the same at every channel: sized so a unit-fading channel at the fibre's start has
            # the phase mode's phase noise (an intensity swing of intensity_counts per radian)
            counts += rng.standard_normal((c, n)) * (it.phase_noise * it.intensity_counts)
        counts = np.clip(np.rint(counts), 0.0, K.INTENSITY_FULL_SCALE)
        if self._warm_up or self._last_counts is None:
            self._warm_up = False
            self._last_counts = counts[:, 0].copy()
        out = np.empty((c, n), dtype=np.float32)
        out[:, 0] = counts[:, 0] - self._last_counts
        np.subtract(counts[:, 1:], counts[:, :-1], out=out[:, 1:])
        self._last_counts = counts[:, -1].copy()
        return out

    def simulate(self, grains: Sequence[Grain], start: int, n_samples: int) -> np.ndarray:
        """Render and measure in one call: measured strain rate [nano-strain / s], (n_channels, n_samples)."""
        return self.measure(self.render_strain(grains, start, n_samples))


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and value > 0):
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
