"""Real-time factor of the DAS simulator, the screening detector and the recognition network on one core.

``python benchmarks/fiber.py [--km 10] [--pulse-rate 1000] [--seconds 20] [--json]``

Prints, for a fibre of ``--km`` km at ``--pulse-rate`` Hz (5 m channels):

* the simulator alone (events, ground propagation, interrogator noise) in stream seconds per wall second;
* the CUSUM screening of every channel;
* the fusion network classifying every 12-channel zone of the fibre (what a network without a detector in
  front would have to do) and classifying one batch of zones;
* the end-to-end monitor (simulate, screen, classify flagged zones) as deployed systems run it.

A real-time factor above 1 means faster than real time.  There is no peer DAS simulator that installs offline,
so the script reports our own figures; the ratio that matters is end-to-end time over stream time.
"""

from __future__ import annotations

import os

# one core: set before numpy / torch load their thread pools
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tactica.agents.fiber.classical import CusumDetector  # noqa: E402
from tactica.agents.fiber.monitor import Monitor  # noqa: E402
from tactica.agents.fiber.recognizer import WEIGHTS_DIR, Recognizer, shipped_weights  # noqa: E402
from tactica.envs.fiber.physics import Interrogator  # noqa: E402
from tactica.envs.fiber.stream import EventStream  # noqa: E402


def _stream(km: float, pulse_rate: float, seed: int, event_rate: float) -> EventStream:
    it = Interrogator(pulse_rate=pulse_rate)
    n = int(round(km * 1000 / it.channel_spacing)) + 1
    return EventStream(n, np.random.default_rng(seed), interrogator=it, event_rate=event_rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--km", type=float, default=10.0)
    parser.add_argument("--pulse-rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="stream seconds per measurement")
    parser.add_argument("--event-rate", type=float, default=60.0, help="events per km-hour")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", default=None, help="fusion checkpoint (default: the shipped loam one)")
    parser.add_argument("--detector", default=None, help="CUSUM .npz (default: the shipped loam one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    window_s = 2.0
    windows = max(int(round(args.seconds / window_s)), 1)
    samples = int(window_s * args.pulse_rate)
    results: dict[str, float] = {}

    # 1. simulator alone
    stream = _stream(args.km, args.pulse_rate, args.seed, args.event_rate)
    blocks = []
    tic, cpu = time.perf_counter(), time.process_time()
    for _ in range(windows):
        blocks.append(stream.read(samples))
    sim_s = time.perf_counter() - tic
    results["simulator_rtf"] = windows * window_s / sim_s
    results["simulator_cpu_rtf"] = windows * window_s / (time.process_time() - cpu)
    results["channels"] = stream.n_channels
    results["samples_per_s"] = stream.n_channels * windows * samples / sim_s

    # 2. screening alone
    detector = CusumDetector.load(args.detector or WEIGHTS_DIR / "cusum_loam.npz")
    tic, cpu = time.perf_counter(), time.process_time()
    for block in blocks:
        detector.update(block)
    results["screening_rtf"] = windows * window_s / (time.perf_counter() - tic)
    results["screening_cpu_rtf"] = windows * window_s / (time.process_time() - cpu)

    # 3. the network on every zone (no detector in front) and per zone
    recognizer = Recognizer.load(args.weights or shipped_weights("loam"))
    zone = 12
    n_zones = stream.n_channels // zone
    zones = blocks[0][: n_zones * zone].reshape(n_zones, zone, samples)
    recognizer.predict(zones[:8])  # warm-up
    tic, cpu = time.perf_counter(), time.process_time()
    recognizer.predict(zones)
    every, every_cpu = time.perf_counter() - tic, time.process_time() - cpu
    results["network_every_zone_rtf"] = window_s / every
    results["network_every_zone_cpu_rtf"] = window_s / every_cpu
    results["network_cpu_ms_per_zone"] = 1e3 * every_cpu / n_zones

    # 4. end to end: simulate, screen, classify flagged zones
    monitor = Monitor(_stream(args.km, args.pulse_rate, args.seed, args.event_rate), recognizer, detector)
    for _ in range(windows):
        monitor.step()
    st = monitor.stats
    results["end_to_end_rtf"] = st.real_time_factor()
    results["end_to_end_cpu_rtf"] = st.cpu_real_time_factor()
    results["end_to_end_rtf_without_simulation"] = st.real_time_factor(False)
    results["zones_classified_per_window"] = st.zones / max(st.windows, 1)

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"fibre {args.km:g} km, {results['channels']} channels at {args.pulse_rate:g} Hz, one core")
    print("real-time factor = stream seconds per second of work; CPU = this process's CPU time (one core),")
    print("wall = elapsed time (lower when other processes share the machine)")
    print(f"{'stage':<36}{'CPU RTF':>9}{'wall RTF':>10}")
    rows = [
        ("simulator", "simulator"),
        ("CUSUM screening, every channel", "screening"),
        ("network on every 12-channel zone", "network_every_zone"),
        ("end to end (detector + network)", "end_to_end"),
    ]
    for label, key in rows:
        print(f"{label:<36}{results[key + '_cpu_rtf']:>9.2f}{results[key + '_rtf']:>10.2f}")
    print(
        f"simulator {results['samples_per_s'] / 1e6:.2f} M samples/s wall; network "
        f"{results['network_cpu_ms_per_zone']:.2f} CPU ms per zone ({n_zones} zones); "
        f"{results['zones_classified_per_window']:.1f} zones classified per window end to end"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
