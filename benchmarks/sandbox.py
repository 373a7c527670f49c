"""What the sandbox costs: one program, one call, one SMACProgram-v3 step, against running without it.

``python benchmarks/sandbox.py [--programs 30] [--calls 2000] [--episodes 10] [--json]``

Times are CPU seconds of every process involved (the caller, and the program's process read from
``/proc/<pid>/stat`` just before it is killed), with wall seconds beside them; the machine this ran on is
shared, so wall times include waiting for a core.  Rows:

* ``server start``: the process server's start (once per caller process: ``python -I`` plus imports);
* ``program``: ``run_program`` of a one-line program (validate, fork a locked-down process, load, one call,
  kill, reap), against starting a fresh ``python -I -c`` per program (the naive way to get a clean process);
* ``call``: one round trip in an open session (a list of 8 units' fields out, the same back), against calling
  the function in-process;
* ``SMACProgram-v3 step``: a step of ``--episodes`` battles with the hand-written program of a map, against
  playing the same program in-process with :func:`tactica.envs.smac.programs.run_policy_episodes` (no
  sandbox: what the battles themselves cost).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import gymnasium as gym

import tactica  # noqa: F401  (registers SMACProgram-v3)
from tactica.baselines.smac import load_policy, program_source
from tactica.envs.smac.programs import run_policy_episodes
from tactica.sandbox import ProgramSession, run_program, spawner
from tactica.sandbox.tasks import call_function

UNITS = [[i, "Stalker", True, 1.0, 2.0, 80.0, 80.0, 80.0, 80.0, 0.0, 0.0, 6.0, 10.0, 4.13, 0.625, ["armored"], True] for i in range(8)]  # fmt: skip
_program_cpu = [0.0]


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count_program_cpu() -> None:
    """Add each program process's CPU time to ``_program_cpu`` just before the session kills it."""
    close = ProgramSession.close

    def counting_close(self):
        if self._pid is not None:
            _program_cpu[0] += _cpu_of(self._pid)
        return close(self)

    ProgramSession.close = counting_close


def _measure(action, repeat: int) -> dict[str, float]:
    _program_cpu[0] = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    children = os.times()
    for _ in range(repeat):
        action()
    after = os.times()
    child_cpu = (after.children_user + after.children_system) - (
        children.children_user + children.children_system
    )
    return {
        "wall": (time.perf_counter() - wall) / repeat,
        "cpu": (time.process_time() - cpu + _program_cpu[0] + child_cpu) / repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=30, help="one-shot programs to time (default 30)")
    parser.add_argument("--calls", type=int, default=2000, help="round trips to time (default 2000)")
    parser.add_argument(
        "--episodes", type=int, default=10, help="battles per SMACProgram-v3 step (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    _count_program_cpu()
    rows = []

    spawner.stop_spawner()
    wall = time.perf_counter()
    server = spawner.get_spawner()
    start = {"wall": time.perf_counter() - wall, "cpu": _cpu_of(server.process.pid)}
    rows.append(("server start", start, None))

    def sandboxed():
        assert run_program("def f(x):\n    return x + 1\n", call_function, ("f", 1)).value == 2

    def fresh_interpreter():
        subprocess.run([sys.executable, "-I", "-c", "print(1 + 1)"], env={}, check=True, capture_output=True)

    rows.append(("program", _measure(sandboxed, args.programs), _measure(fresh_interpreter, args.programs)))

    namespace = {}
    exec("def f(x):\n    return x\n", namespace)
    with ProgramSession("def f(x):\n    return x\n", call_function) as session:
        session.call("f", 1)
        pid = session._pid
        before = _cpu_of(pid)
        call = _measure(lambda: session.call("f", UNITS), args.calls)
        call["cpu"] += (_cpu_of(pid) - before) / args.calls
    rows.append(("call", call, _measure(lambda: call_function(namespace, "f", UNITS), args.calls)))

    for map_name in ("3m", "3s_vs_5z"):
        env = gym.make("SMACProgram-v3", map_name=map_name, episodes_per_step=args.episodes)
        env.reset(seed=0)
        source, policy = program_source(map_name), load_policy(map_name)
        seeds = list(range(args.episodes))
        step = _measure(lambda: env.step(source), 3)  # noqa: B023
        plain = _measure(lambda: run_policy_episodes(policy, map_name, seeds), 3)  # noqa: B023
        rows.append((f"SMACProgram-v3 step, {map_name}, {args.episodes} battles", step, plain))

    if args.json:
        print(json.dumps([{"row": r, "sandbox": s, "without": w} for r, s, w in rows], indent=2))
        return
    print(f"{'':44} {'sandbox cpu':>12} {'wall':>9} {'without cpu':>12} {'wall':>9} {'cpu ratio':>9}")
    for name, ours, other in rows:
        line = f"{name:44} {ours['cpu'] * 1e3:10.2f}ms {ours['wall'] * 1e3:7.1f}ms"
        if other:
            ratio = ours["cpu"] / other["cpu"] if other["cpu"] else float("inf")
            line += f" {other['cpu'] * 1e3:10.2f}ms {other['wall'] * 1e3:7.1f}ms {ratio:9.2f}"
        print(line)
    print("'without': a fresh python -I per program; the function called in-process; the battles in-process")


if __name__ == "__main__":
    main()
