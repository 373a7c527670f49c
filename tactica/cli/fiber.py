"""``tactica fiber``: the DAS pipeline monitor.

``tactica fiber monitor`` simulates a long fibre, screens every channel with the CUSUM detector, classifies
flagged zones with the shipped fusion network, prints alarms as they happen and ends with the real-time factor.
Exit status 0, or 1 when ``--min-rtf`` is given and the run was slower.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle

from tactica.cli.common import (
    CLIError,
    add_commands,
    describe_error,
    existing_file,
    non_negative_int,
    positive_float,
    print_json,
)

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "fiber",
        help="distributed acoustic sensing along a pipeline: stream monitor",
        description="Tools for the simulated fibre-optic (DAS / phi-OTDR) pipeline stream.",
        epilog="example (about 5 s):\n  tactica fiber monitor --km 1 --duration 20",
    )
    sub = add_commands(parser, "fiber_command", "SUBCOMMAND")
    mon = sub.add_parser(
        "monitor",
        help="process a long simulated stream window by window and print alarms as they happen",
        description="Simulate a fibre of --km kilometres at --pulse-rate Hz for --duration seconds of events, "
        "screen it with the energy CUSUM detector and classify flagged zones with the fusion network. Prints "
        "each alarm (time, position, class, radial distance, confidence, and the simulator's truth) and the "
        "real-time factor (stream seconds per second of work; > 1 is faster than real time).",
        epilog="examples:\n  tactica fiber monitor --km 1 --duration 20        (about 5 s)\n"
        "  tactica fiber monitor --km 2 --duration 60 --json        (about 20 s)",
    )
    mon.add_argument("--km", type=float, default=2.0, help="fibre length in km (default 2)")
    mon.add_argument(
        "--duration", type=positive_float, default=60.0, help="stream seconds to process (default 60)"
    )
    mon.add_argument("--pulse-rate", type=float, default=1000.0, help="pulse rate = sample rate in Hz")
    mon.add_argument(
        "--domain",
        default="loam",
        help="soil/noise domain: loam, wet_clay, dry_sand, gravel or frozen (default loam); the network is the "
        "domain's fine-tuned one where shipped (wet_clay), the loam-trained one otherwise",
    )
    mon.add_argument(
        "--event-rate", type=float, default=60.0, help="event arrivals per km per hour (default 60)"
    )
    mon.add_argument("--seed", type=non_negative_int, default=0, help="seed of the stream")
    mon.add_argument(
        "--weights",
        type=existing_file,
        default=None,
        help="fusion checkpoint (default: the shipped one for --domain)",
    )
    mon.add_argument(
        "--no-network", action="store_true", help="report detector alarms only (no classification)"
    )
    mon.add_argument(
        "--min-rtf", type=float, default=None, help="exit 1 if the real-time factor is below this"
    )
    mon.add_argument(
        "--json", action="store_true", help="print one JSON document at the end instead of lines"
    )
    mon.set_defaults(func=run_monitor)


def _validate(args: argparse.Namespace) -> None:
    from tactica.envs.fiber.constants import max_pulse_rate
    from tactica.envs.fiber.stream import DOMAINS

    if not (args.km > 0 and math.isfinite(args.km)) or args.km > 100:
        raise CLIError(f"--km must be in (0, 100], got {args.km}")
    if not args.duration > 0:
        raise CLIError(f"--duration must be > 0, got {args.duration}")
    if not args.pulse_rate > 0:
        raise CLIError(f"--pulse-rate must be > 0, got {args.pulse_rate}")
    if args.pulse_rate > max_pulse_rate(args.km * 1000):
        raise CLIError(
            f"--pulse-rate {args.pulse_rate:g} Hz is above the one-pulse-in-flight limit "
            f"{max_pulse_rate(args.km * 1000):.0f} Hz for a {args.km:g} km fibre"
        )
    if args.domain not in DOMAINS:
        raise CLIError(f"--domain must be one of {sorted(DOMAINS)}, got {args.domain!r}")
    if args.event_rate < 0:
        raise CLIError(f"--event-rate must be >= 0, got {args.event_rate}")


def run_monitor(args: argparse.Namespace) -> int:
    _validate(args)
    import numpy as np
    import torch

    from tactica.agents.fiber.classical import CusumDetector
    from tactica.agents.fiber.monitor import Monitor
    from tactica.agents.fiber.recognizer import WEIGHTS_DIR, Recognizer, weights_for_domain
    from tactica.envs.fiber.physics import Interrogator
    from tactica.envs.fiber.stream import EventStream

    torch.set_num_threads(1)
    interrogator = Interrogator(pulse_rate=args.pulse_rate)
    n_channels = int(round(args.km * 1000 / interrogator.channel_spacing)) + 1
    stream = EventStream(
        n_channels,
        np.random.default_rng(args.seed),
        domain=args.domain,
        interrogator=interrogator,
        event_rate=args.event_rate,
    )
    cusum_path = WEIGHTS_DIR / f"cusum_{args.domain}.npz"
    detector = CusumDetector.load(cusum_path) if cusum_path.exists() else CusumDetector(fs=args.pulse_rate)
    detector.fs = args.pulse_rate
    recognizer = None
    if not args.no_network:
        weights = args.weights or weights_for_domain(args.domain)
        try:
            recognizer = Recognizer.load(weights)
        except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, AttributeError) as exc:
            reason = (
                "not a PyTorch weights file"
                if isinstance(exc, pickle.UnpicklingError)
                else describe_error(exc)
            )
            raise CLIError(f"--weights {weights}: not a tactica fusion checkpoint ({reason})") from None
    monitor = Monitor(stream, recognizer, detector)
    windows = max(int(math.ceil(args.duration / monitor.window_s)), 1)
    alarms = []
    for _ in range(windows):
        for alarm in monitor.step():
            alarms.append(alarm)
            if not args.json:
                truth = alarm.as_dict()
                print(
                    f"t={alarm.time_s:7.1f} s  x={alarm.position_m:8.1f} m  {alarm.name:<22} "
                    f"{alarm.distance_range:<9} p={alarm.confidence:.2f}   "
                    f"(truth: {truth['truth_class']}"
                    + (f" at {alarm.truth_distance:.1f} m)" if alarm.truth_kind else ")"),
                    flush=True,
                )
    stats = monitor.stats.as_dict()
    events = [e for e in stream.history if e.start < stream.time]
    stats["events_in_stream"] = len(events)
    stats["fibre_km"] = args.km
    stats["channels"] = n_channels
    if args.json:
        print_json({"alarms": [a.as_dict() for a in alarms], "summary": stats})
    else:
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in stats.items()}))
        print(
            f"real-time factor {stats['real_time_factor']:.2f} (simulation included), "
            f"{stats['real_time_factor_without_simulation']:.2f} (screening + classification only), "
            f"{stats['cpu_real_time_factor']:.2f} per CPU second"
        )
    if args.min_rtf is not None and stats["real_time_factor"] < args.min_rtf:
        return 1
    return 0
