"""Every physical constant of the DAS simulator, each with its source.

Each constant names its public source (a paper, a data set, a tool's documentation); "(ours)" marks a design
choice or an engineering estimate that no source fixes, chosen so the simulated stream looks like published field data
(events separable near the fibre, near the noise floor at 20-30 m).
"""

from __future__ import annotations

import math

# --- optics: the interrogator ------------------------------------------------------------------------------
#: vacuum speed of light [m/s] (SI definition).
SPEED_OF_LIGHT = 299_792_458.0
#: group index of standard single-mode fibre at 1550 nm (textbook value for SMF-28).
GROUP_INDEX = 1.468
#: laser wavelength [m] (DASCore ``radians_to_strain`` default, after Lindsey et al. 2020).
WAVELENGTH = 1550e-9
#: effective refractive index used in the phase-to-strain law (DASCore default).
REFRACTIVE_INDEX = 1.445
#: photo-elastic scaling factor zeta (DASCore default, Lindsey et al. 2020).
PHOTOELASTIC_ZETA = 0.79
#: default gauge length [m] (10 m is the common DAS default; BJTU used 10 m per point).
GAUGE_LENGTH = 10.0
#: default channel spacing [m] (gauge oversampled by 2, as most interrogators do; ours).
CHANNEL_SPACING = 5.0
#: default pulse repetition rate [Hz]: 1 kHz as in the HUST Efficient-DVS data set (30 km fibre).
PULSE_RATE = 1000.0
#: laser linewidth [Hz] (a 1 kHz Lorentzian, as in public discrete-scatterer phi-OTDR simulators).
LASER_LINEWIDTH = 1000.0
#: phase noise of a channel with unit fading amplitude [rad rms per sample]; DAS floors are 1e-3 to 1e-2
#: rad/sqrt(Hz) (textbook), i.e. ~0.03-0.3 rad per sample at 1 kHz; we take the quiet end (ours).
PHASE_NOISE_RAD = 0.02
#: fraction of the laser phase random walk that survives the differential (gauge) measurement as
#: common-mode noise (ours; the residual scales with the gauge delay, tiny for 10 m gauges).
LASER_COMMON_MODE_FRACTION = 0.002
#: probability per channel and sample of a 2*pi phase-unwrapping jump at unit fading amplitude; the rate grows
#: as 1/a^2 in deep fades (Rayleigh statistics, Liokumovich et al.; rate ours).
PHASE_JUMP_RATE = 2e-6
#: thermal drift: random-walk step of the per-channel phase [rad per sqrt(s)] (1/f drift; ours).
DRIFT_RAD_PER_SQRT_S = 0.05
#: time constant [s] of the Rayleigh fading pattern's slow re-draw (temperature drift of the speckle; ours).
FADING_TIME_CONSTANT = 30.0
#: smallest fading amplitude kept, so a channel never becomes infinitely noisy (ours).
FADING_FLOOR = 0.05
#: fibre attenuation [dB/km] of standard single-mode fibre at 1550 nm (ITU-T G.652 / SMF-28 data sheets: <= 0.2;
#: public discrete-scatterer phi-OTDR simulators use 0.041 /km of power, 0.18 dB/km).  Backscatter from
#: distance z comes back attenuated twice: its power by 2 * loss * z dB, its field amplitude by half that.
FIBRE_LOSS_DB_PER_KM = 0.2
#: intensity (phi-OTDR) mode: mean backscattered intensity at the interrogator end of the fibre, in ADC counts of
#: a 16-bit digitiser (the BJTU set stores uint16 intensity; level ours, a third of full scale).
INTENSITY_COUNTS = 20000.0
#: intensity full scale (uint16).
INTENSITY_FULL_SCALE = 65535.0
#: where the monitored stretch starts along the fibre by default [m]: the BJTU events were made 5.0-5.05 km and
#: 10.0-10.05 km down their fibres.
RANGE_START = 5000.0


def max_pulse_rate(fibre_length_m: float) -> float:
    """Largest pulse repetition rate [Hz] for a fibre: one round trip in flight, f_p <= c / (2 n_g L)."""
    if fibre_length_m <= 0:
        raise ValueError(f"fibre_length_m must be > 0, got {fibre_length_m}")
    return SPEED_OF_LIGHT / (2.0 * GROUP_INDEX * fibre_length_m)


def strain_per_radian(gauge_length: float = GAUGE_LENGTH) -> float:
    """Axial strain per radian of differential phase: eps = lambda / (4 pi n L_g zeta) (DASCore, Lindsey 2020)."""
    return WAVELENGTH / (4.0 * math.pi * REFRACTIVE_INDEX * gauge_length * PHOTOELASTIC_ZETA)


# --- ground propagation ------------------------------------------------------------------------------------
#: reference distance [m] at which source levels are given.
REFERENCE_DISTANCE = 1.0
#: geometric spreading exponent of Rayleigh waves from a surface point source (Haskoning vibration model).
SPREADING_POINT = 0.5
#: smallest source-to-fibre distance [m] used in the spreading law (avoids the 1/r singularity; ours).
MIN_DISTANCE = 0.25
#: fibre burial depth [m]: pipeline cables are laid ~1 m deep (HUST test bed 0.5 m).
BURIAL_DEPTH = 1.0
#: broadside sensitivity: DAS senses axial strain ~cos^2(theta); soil-cable coupling and the vertical
#: component leave a residual at theta = 90 deg (ours).
BROADSIDE_SENSITIVITY = 0.35
#: cable-to-ground strain transfer (coupling efficiency) of a cable in a duct beside the pipe (ours).
COUPLING = 0.05
#: ambient ground noise (wind, distant traffic) as strain [nano-strain rms] per channel, 1/f coloured (ours).
AMBIENT_NANOSTRAIN = 0.05


def damping_coefficient(frequency, damping_ratio: float, rayleigh_speed: float):
    """Attenuation coefficient alpha(f) = 2 pi f D / c_R [1/m] (material damping, Haskoning / Barkan form)."""
    return 2.0 * math.pi * frequency * damping_ratio / rayleigh_speed


# --- event classes, labels and source models ---------------------------------------------------------------
#: class names; index 0 is background (no alarm), as in the BJTU data set where label 0 raises no alarm.
CLASS_NAMES: tuple[str, ...] = ("background", "walking", "vehicle", "manual_digging", "mechanical_excavation")
#: classes that threaten the pipe (third-party excavation); the others are nuisance sources.
THREAT_CLASSES: tuple[int, ...] = (3, 4)
#: radial-distance bin edges [m] ([0,2), [2,5), [5,10), [10,20), >= 20 m; ours: the sDAS
#: multitask network of Wu et al., IEEE IoT-J 2024, located events at 8 or 16 discrete distances).
DISTANCE_EDGES: tuple[float, ...] = (0.0, 2.0, 5.0, 10.0, 20.0, 30.0)
#: largest radial distance the simulator places an event at [m].
MAX_DISTANCE = DISTANCE_EDGES[-1]
#: horizontal offset of the sensing cable from the pipe's axis [m]: cables are laid in the pipeline's trench,
#: beside the pipe (ours; 0.3-1 m is typical).  An event's distance from the pipe follows from its distance from
#: the fibre, its side and this offset.
PIPE_OFFSET = 0.5

#: walking cadence [Hz] 1.5-2 (step period 0.5-0.69 s, JASA 129(3) 2011).
WALK_CADENCE_HZ = (1.45, 2.0)
#: walking speed [m/s] 1-1.5 (typical walking speeds; ours).
WALK_SPEED = (1.0, 1.5)
#: seismic footstep band [Hz] 20-90 (Cress, cited in SPIE 6241).
WALK_BAND_HZ = (20.0, 90.0)
#: footstep ground-velocity peak at 1 m [m/s] (ours).
WALK_LEVEL = 6e-4

#: vehicle speed [m/s] 5-20 (ours).
VEHICLE_SPEED = (5.0, 20.0)
#: vehicle tyre/road noise is below ~50 Hz; engine firing 20-40 Hz (both ours).
VEHICLE_BAND_HZ = (2.0, 50.0)
VEHICLE_ENGINE_HZ = (20.0, 40.0)
#: vehicle ground-velocity rms at 1 m [m/s] (ours).
VEHICLE_LEVEL = 6e-4

#: manual digging: a strike every 0.8-2 s (~1-3 s in practice; ours, shortened so a 2 s window
#: holds at least one strike).
DIG_INTERVAL_S = (0.6, 1.6)
#: digging strikes are broadband impulses, several hundred Hz near the fibre; decay time [s] (ours).
DIG_DECAY_S = (0.004, 0.012)
#: strike ground-velocity peak at 1 m [m/s] (ours).
DIG_LEVEL = 3e-3

#: excavator engine fundamental [Hz] 15-40 with harmonics (ours).
EXCAVATOR_ENGINE_HZ = (15.0, 40.0)
#: bucket impacts every 1-4 s (ours).
EXCAVATOR_IMPACT_S = (1.0, 4.0)
#: excavator engine ground-velocity amplitude at 1 m [m/s] (ours).
EXCAVATOR_LEVEL = 8e-4

# --- reward (ours; after reward designs for early classification, Martinez et al., EUSIPCO 2018) ---------------------------------------------------------------
#: reward for a correct threat report with the right distance bin (times the nearness weight).
REWARD_HIT = 1.0
#: reward for the right threat class in the wrong bin, before the per-bin penalty.
REWARD_CLASS_ONLY = 0.5
#: penalty per bin of distance error.
REWARD_BIN_PENALTY = 0.25
#: penalty for a threat alarm when no threat is there.
COST_FALSE_ALARM = 1.5
#: penalty for a missed threat (times the nearness weight).
COST_MISS = 3.0
#: reward for a correct "no threat" window (quiet or a correctly named nuisance).
REWARD_CORRECT_SILENCE = 0.1
