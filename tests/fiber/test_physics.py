"""Physics of the DAS simulator against hand-computed numbers and the laws it implements."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tactica.envs.fiber import constants as K
from tactica.envs.fiber.physics import (
    FibreSimulator,
    Grain,
    Interrogator,
    Soil,
    directivity,
    ground_transfer,
    unit_minimum_phase,
)
from tactica.envs.fiber.sources import Event
from tactica.envs.fiber.stream import EventStream, distance_bin

FS = 1000.0


def test_phase_to_strain_and_pulse_rate_hand_values():
    # eps = lambda / (4 pi n L_g zeta) per radian: 1550e-9 / (4 pi 1.445 10 0.79) = 1.0805e-8
    assert K.strain_per_radian(10.0) == pytest.approx(1.0805e-8, rel=1e-3)
    # so 1 nano-strain is ~0.0925 rad over a 10 m gauge (DASCore's radians_to_strain gives the same)
    assert 1e-9 / K.strain_per_radian(10.0) == pytest.approx(0.09255, rel=1e-3)
    # one pulse in flight on 10 km: c / (2 n_g L) = 299792458 / (2 1.468 1e4) = 10210.9 Hz
    assert K.max_pulse_rate(10_000.0) == pytest.approx(10210.9, rel=1e-4)


def test_ground_transfer_matches_attenuation_law_by_hand():
    soil = Soil(rayleigh_speed=150.0, damping_ratio=0.03, spreading=0.5)
    # alpha(50 Hz) = 2 pi 50 0.03 / 150 = 0.0628319 /m; |H(11 m)| = 11^-0.5 exp(-0.0628319 * 10) = 0.1608527
    h = ground_transfer(50.0, 11.0, soil)
    assert abs(h) == pytest.approx(0.1608527, rel=1e-5)
    # phase: the wave left the source r / c_R = 11 / 150 s ago, i.e. 2 pi 50 11 / 150 rad at 50 Hz
    assert np.angle(h * np.exp(2j * math.pi * 50 * 11 / 150)) == pytest.approx(0.0, abs=1e-9)
    # worked number: alpha(200 Hz) costs 22 dB per extra 10 m at D = 0.03, c_R = 150 m/s
    loss_db = -20 * math.log10(abs(ground_transfer(200.0, 20.0, soil) / ground_transfer(200.0, 10.0, soil)))
    spreading_db = 20 * math.log10(math.sqrt(2.0))
    assert loss_db - spreading_db == pytest.approx(21.83, abs=0.05)


def test_directivity_axial_and_broadside():
    soil = Soil(broadside=0.35)
    assert directivity(np.array([10.0]), 0.0, soil)[0] == pytest.approx(1.0)  # along the fibre
    assert directivity(np.array([0.0]), 5.0, soil)[0] == pytest.approx(0.35)  # broadside
    assert directivity(np.array([5.0]), 5.0, soil)[0] == pytest.approx(0.35 + 0.65 * 0.5)


def _tone_amplitude(distance: float, freq: float = 40.0) -> float:
    soil = Soil(rayleigh_speed=150.0, damping_ratio=0.03, burial_depth=1.0)
    it = Interrogator(gauge_points=1).quiet()
    sim = FibreSimulator(9, soil, it, np.random.default_rng(0))
    n = 2000
    t = np.arange(n) / FS
    wave = np.sin(2 * math.pi * freq * t) * np.hanning(n)
    # the source sits exactly broadside of channel 4 (x = 20 m): the directivity is the same at every distance
    strain = sim.render_strain([Grain(0, 20.0, distance, wave)], -200, n + 1200)
    spectrum = np.abs(np.fft.rfft(strain[4]))
    return float(spectrum.max())


def test_simulated_amplitude_falls_as_the_attenuation_law_says():
    a2, a12 = _tone_amplitude(2.0), _tone_amplitude(12.0)
    r2, r12 = math.hypot(2.0, 1.0), math.hypot(12.0, 1.0)
    alpha = 2 * math.pi * 40.0 * 0.03 / 150.0
    law = (r2 / r12) ** 0.5 * math.exp(-alpha * (r12 - r2))
    assert a12 / a2 == pytest.approx(law, rel=0.02)


def _quiet_render(kind: int, distance: float, seed: int = 3, start: int = 1000, n: int = 2000) -> np.ndarray:
    soil = Soil()
    sim = FibreSimulator(12, soil, Interrogator().quiet(), np.random.default_rng(0))
    event = Event(kind=kind, start=0.0, duration=4.0, x0=30.0, distance=distance, seed=seed)
    return sim.render_strain(event.grains(FS), start, n)


def _band_fraction(x: np.ndarray, lo: float, hi: float) -> float:
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.size, 1 / FS)
    return float(power[(f >= lo) & (f <= hi)].sum() / power.sum())


def test_event_spectra_sit_in_their_bands():
    channel = 6  # broadside of x0 = 30 m
    walking = _quiet_render(1, 1.0)[channel]
    assert _band_fraction(walking, *K.WALK_BAND_HZ) > 0.9
    vehicle = _quiet_render(2, 1.0)[channel]
    assert _band_fraction(vehicle, 0.0, K.VEHICLE_BAND_HZ[1]) > 0.8
    digging = _quiet_render(3, 1.0, start=0, n=5000)[channel]  # every strike of the event, not a 2 s window
    assert (
        _band_fraction(digging, 150.0, 500.0) > 0.1
    )  # broadband strikes reach hundreds of Hz near the fibre
    excavator = _quiet_render(4, 1.0)[channel]
    power = np.abs(np.fft.rfft(excavator)) ** 2
    peak = np.fft.rfftfreq(excavator.size, 1 / FS)[np.argmax(power)]
    assert K.EXCAVATOR_ENGINE_HZ[0] <= peak <= K.EXCAVATOR_ENGINE_HZ[1]  # the engine fundamental dominates


@pytest.mark.parametrize("kind", [1, 2, 3, 4])
def test_far_event_is_weaker_and_lower_in_frequency(kind):
    def measure(strain):
        return FibreSimulator(12, Soil(), Interrogator().quiet(), np.random.default_rng(0)).measure(strain)

    near = measure(_quiet_render(kind, 2.0))
    far = measure(_quiet_render(kind, 25.0))

    def centroid(x):
        power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).sum(axis=0)
        f = np.fft.rfftfreq(x.shape[1], 1 / FS)
        return float((power * f).sum() / power.sum())

    assert np.sqrt(np.mean(far**2)) < 0.5 * np.sqrt(np.mean(near**2))
    assert centroid(far) < centroid(near)


def test_fading_sets_the_noise_of_each_channel():
    # phase noise only: strain rate = diff(phase noise) * fs / phase_scale, rms sqrt(2) sigma / a * fs / scale
    it = replace(Interrogator(), laser_linewidth=0.0, drift=0.0, jump_rate=0.0, ambient=0.0)
    sim = FibreSimulator(64, Soil(), it, np.random.default_rng(5))
    amp = sim.fading_amplitudes()
    assert np.mean(amp**2) == pytest.approx(1.0, abs=0.35)  # Rayleigh: E a^2 = 1
    rate = sim.measure(np.zeros((64, 4000)))
    scale = 1e-9 / K.strain_per_radian(it.gauge_length)
    expected = math.sqrt(2.0) * it.phase_noise / amp * FS / scale
    np.testing.assert_allclose(np.sqrt(np.mean(rate.astype(float) ** 2, axis=1)), expected, rtol=0.08)


def test_same_seed_same_stream_and_different_seed_differs():
    def run(seed):
        stream = EventStream(12, np.random.default_rng(seed), event_rate=40000.0)
        blocks = [stream.read(500) for _ in range(20)]
        return np.concatenate(blocks, axis=1), [(e.kind, e.start, e.distance) for e in stream.history]

    a, events_a = run(11)
    b, events_b = run(11)
    c, _ = run(12)
    np.testing.assert_array_equal(a, b)
    assert events_a == events_b and len(events_a) > 0
    assert not np.array_equal(a, c)


def test_block_size_does_not_change_the_signal():
    # the renderer is stateless: one 2000-sample block equals four 500-sample blocks (noise off)
    quiet = Interrogator().quiet()
    one = FibreSimulator(12, Soil(), quiet, np.random.default_rng(0))
    four = FibreSimulator(12, Soil(), quiet, np.random.default_rng(0))
    events = [
        Event(kind=3, start=0.3, duration=3.0, x0=20.0, distance=4.0, seed=1),
        Event(kind=2, start=0.0, duration=3.0, x0=5.0, distance=12.0, velocity=15.0, seed=2),
    ]
    grains = [g for e in events for g in e.grains(FS)]
    whole = one.render_strain(grains, 0, 2000)
    parts = np.concatenate([four.render_strain(grains, s, 500) for s in range(0, 2000, 500)], axis=1)
    np.testing.assert_allclose(parts, whole, atol=1e-9)
    assert np.abs(whole).max() > 0


def test_distance_bins_and_bad_input():
    assert [distance_bin(d) for d in (0.0, 1.99, 2.0, 7.0, 19.9, 20.0, 30.0)] == [0, 0, 1, 2, 3, 4, 4]
    with pytest.raises(ValueError, match="rayleigh_speed"):
        Soil(rayleigh_speed=-1.0)
    with pytest.raises(ValueError, match="kind"):
        Event(kind=0, start=0.0, duration=1.0, x0=0.0, distance=1.0)
    with pytest.raises(ValueError, match="domain"):
        EventStream(4, np.random.default_rng(0), domain="granite")


# --------------------------------------------------------------------------------------------- timing (causality)
def _point_source(distance: float, emitted: int, soil: Soil, *, gauge_points: int = 3, seed: int = 0):
    """Noise-free strain of one broadband grain emitted at sample ``emitted`` broadside of channel 8 (x = 40 m)."""
    sim = FibreSimulator(17, soil, Interrogator(gauge_points=gauge_points).quiet(), np.random.default_rng(0))
    wave = np.random.default_rng(seed).standard_normal(120) * np.exp(-np.arange(120) / 15.0)
    wave[0] = 1.0  # energy from the very first sample: the arrival is sharp
    return sim.render_strain([Grain(emitted, 40.0, distance, wave)], 0, emitted + 3000)


@pytest.mark.parametrize("distance", [0.3, 1.0, 5.0, 10.0, 30.0])
def test_point_source_first_seen_after_r_over_c_on_the_nearest_channel_and_nowhere_before(distance):
    soil = Soil(rayleigh_speed=150.0, damping_ratio=0.03, burial_depth=1.0)
    emitted = 500
    strain = _point_source(distance, emitted, soil)
    r = math.hypot(distance, soil.burial_depth)  # channel 8's centre is broadside of the source
    arrival = emitted + r / soil.rayleigh_speed * FS  # in samples
    peak = np.abs(strain).max()
    seen = np.abs(strain) > 1e-9 * peak
    first_nearest = int(np.argmax(seen[8]))
    first_anywhere = int(np.argmax(seen.any(axis=0)))
    # first seen on the nearest channel within one sample after r / c_R (delays are rounded up to a sample) ...
    assert arrival <= first_nearest < arrival + 1.0
    # ... and on no channel before that
    assert first_anywhere == first_nearest
    assert np.all(strain[:, : int(math.ceil(arrival))] == 0.0)
    # every other channel is farther from the source, so it sees the wave later
    firsts = np.array([int(np.argmax(row)) for row in seen])
    assert np.all(firsts[np.arange(17) != 8] >= first_nearest)


def test_arrivals_are_ordered_by_distance_and_nothing_precedes_the_source():
    # property test over random soils, distances and emission times: the first arrival on the nearest channel
    # grows with the source's distance, and not a single sample before the emission carries energy
    rng = np.random.default_rng(7)
    for _ in range(6):
        soil = Soil(
            rayleigh_speed=float(rng.uniform(90.0, 400.0)),
            damping_ratio=float(rng.uniform(0.01, 0.06)),
            burial_depth=float(rng.uniform(0.5, 1.5)),
        )
        emitted = int(rng.integers(50, 800))
        distances = np.sort(rng.uniform(0.0, 30.0, size=4))
        firsts = []
        for d in distances:
            strain = _point_source(float(d), emitted, soil, seed=int(rng.integers(1000)))
            assert np.abs(strain).max() > 0
            assert np.all(strain[:, :emitted] == 0.0)
            seen = np.abs(strain[8]) > 1e-9 * np.abs(strain).max()
            firsts.append(int(np.argmax(seen)))
            r = math.hypot(float(d), soil.burial_depth)
            assert firsts[-1] >= emitted + r / soil.rayleigh_speed * FS
        assert firsts == sorted(firsts), (soil, distances, firsts)


def test_a_near_burst_leaves_no_late_copy():
    # a source 0.5 m from the fibre: everything the fibre sees comes within a few hundred ms of the strike (the
    # wrapped FFT frame used to put half a burst about 1 s later)
    soil = Soil()
    strain = _point_source(0.5, 100, soil)
    energy = (strain**2).sum(axis=0)
    assert energy[100 + 400 :].sum() < 1e-6 * energy.sum()


def test_digging_strikes_show_one_energy_peak_each():
    # a manual-digging event 1 m from the fibre: each strike (and the thud of its thrown soil, 0.25-0.45 s later)
    # appears once, after it happens, and the strike count matches the grain count
    soil = Soil()
    sim = FibreSimulator(12, soil, Interrogator().quiet(), np.random.default_rng(0))
    event = Event(kind=3, start=0.0, duration=14.0, x0=30.0, distance=1.0, seed=4)
    grains = event.grains(FS)
    strain = sim.render_strain(grains, 0, 16000)
    strikes = [g for g in grains if g.waveform.size == int(0.08 * FS)]
    lag = int(math.ceil(math.hypot(1.0, soil.burial_depth) / soil.rayleigh_speed * FS))
    energy = np.convolve((strain[6] ** 2), np.ones(20), mode="same")
    for g in strikes:
        before = energy[max(g.start + lag - 60, 0) : g.start + lag - 10]
        after = energy[g.start + lag : g.start + lag + 40]
        assert after.max() > 100 * max(before.max(), 1e-30)


def test_minimum_phase_kernel_is_causal_with_the_attenuation_magnitude():
    fs, n = 1000.0, 4096
    f = np.fft.rfftfreq(n, 1 / fs)
    width = 0.004  # s
    h = np.fft.irfft(np.exp(width * (-2 * math.pi * f + 1j * unit_minimum_phase(n, fs))), n)
    np.testing.assert_allclose(
        np.abs(np.fft.rfft(h)), np.exp(-2 * math.pi * f * width), rtol=1e-9, atol=1e-12
    )
    # nothing at negative times beyond the causal tail's own wrap-round (it decays as 1 / t^2: ~(4 / 2048)^2 here)
    assert np.abs(h[-200:]).max() < 1e-4 * np.abs(h).max()
    assert np.argmax(np.abs(h)) < 10  # the pulse peaks a few samples after t = 0


# --------------------------------------------------------------------------------------------- optics
def test_phase_noise_grows_with_the_fibre_loss_down_the_fibre():
    # only phase noise, no fading: the rms strain rate of channel k scales as 1 / optical amplitude, which falls by
    # loss * z dB (the round trip halves to amplitude): at 40 km and 0.2 dB/km, 10^(-8/20) ... per channel
    it = replace(Interrogator(), laser_linewidth=0.0, drift=0.0, jump_rate=0.0, ambient=0.0, fading=False)
    near = FibreSimulator(4, Soil(), it, np.random.default_rng(1), range_start=0.0)
    far = FibreSimulator(4, Soil(), it, np.random.default_rng(1), range_start=40_000.0)
    rms = lambda sim: np.sqrt(np.mean(sim.measure(np.zeros((4, 20000))).astype(float) ** 2))  # noqa: E731
    assert far.optical[0] == pytest.approx(10 ** (-0.2 * 40 / 10), rel=1e-12)  # 8 dB of amplitude
    assert rms(far) / rms(near) == pytest.approx(10 ** (0.2 * 40 / 10), rel=0.03)
    with pytest.raises(ValueError, match="range_start"):
        FibreSimulator(4, Soil(), it, np.random.default_rng(1), range_start=-1.0)


def test_intensity_mode_by_hand():
    # fading off: the two fields are 1 and 1j, so I = P (2 + 2 cos(phi - pi/2)) = P (2 + 2 sin phi).  A phase ramp of
    # 1e-3 rad per sample from 0 changes the intensity by 2 P 1e-3 per sample: 40 counts at the fibre's start
    # (P = 20000), 40 x 10^(-2 * 0.2 * 10 / 10) = 15.9 at 10 km (the intensity falls with the round-trip power)
    it = replace(Interrogator(output="intensity").quiet(), fibre_loss=0.2)
    scale = 1e-9 / K.strain_per_radian(it.gauge_length)  # rad per nano-strain
    ramp = np.tile(1e-3 * np.arange(400) / scale, (2, 1))
    for start, step in ((0.0, 40.0), (10_000.0, 40.0 * 10 ** (-0.4))):
        sim = FibreSimulator(2, Soil(), it, np.random.default_rng(0), range_start=start)
        out = sim.measure(ramp)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out[:, 1:50], step, atol=1.0)  # whole counts: rounding within one count
    with pytest.raises(ValueError, match="output"):
        Interrogator(output="amplitude")


def test_intensity_fringes_fold_strong_events():
    # a phase swing of many radians folds into fringes: the intensity stays within its uint16 range while its
    # rate of change grows with the strain rate only up to the fringe visibility
    it = Interrogator(output="intensity").quiet()
    sim = FibreSimulator(1, Soil(), it, np.random.default_rng(0))
    scale = 1e-9 / K.strain_per_radian(it.gauge_length)
    t = np.arange(2000) / FS
    strong = sim.measure((50.0 * np.sin(2 * np.pi * 20 * t) / scale)[None])  # 50 rad swing
    level = 2 * it.intensity_counts + np.cumsum(strong[0])  # I = P (2 + 2 sin phi) starts at 2 P (phi = 0)
    assert level.min() >= -1 and level.max() <= 4 * it.intensity_counts + 1
