"""Hostile programs are stopped, or have no effect outside their process, on every route a program takes.

Each technique of ``tests/sandbox/hostile.py`` runs through the sandbox API (``run_program``) and through
``SMACProgram-v3.step``; each attacker payload also runs with every Python-level layer bypassed (the OS layer
alone).  After each run the test checks the outside world: no file created, changed or deleted in a
world-writable folder, no connection to a loopback listener, the canary ``OPENAI_API_KEY`` of this process
nowhere in what came back, no process left (none forked by the process server alive, none in the program's
session), this process's pid, memory and the env's reward unchanged.  Needs Linux with seccomp.
"""

from __future__ import annotations

import os
import resource
import secrets
import socket
import stat
import threading

import gymnasium as gym
import pytest

import tactica  # noqa: F401  (registers SMACProgram-v3)
from tactica.envs.smac import program_sandbox
from tactica.sandbox import Limits, ProgramSession, run_program, spawner
from tactica.sandbox.tasks import call_function
from tests.sandbox import sandbox_test_tasks
from tests.sandbox.hostile import PAYLOADS, PRELUDE, PROGRAMS, SLOW

KEY = "sk-canary-" + secrets.token_hex(12)
CANARY_TEXT = "the canary is alive\n"
LIMITS = {"cpu_seconds": 1, "wall_seconds": 4, "memory_mb": 256, "max_output_chars": 2000}
OUTPUT_OK = {"huge output in one print", "huge output in many prints"}  # may run: the output is capped
IGNORED_BY_SMAC = OUTPUT_OK | {"huge return value", "non-JSON return value"}  # SMAC ignores policy's value
MiB = 1024 * 1024


def _cases(table: dict[str, str]):
    return [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in table]


class World:
    """What a program must not touch: files, a listener, this process, the process table."""

    def __init__(self, folder):
        self.folder = folder
        folder.chmod(0o777)  # only the sandbox, not file permissions, keeps the program out
        self.canary = folder / "canary.txt"
        self.canary.write_text(CANARY_TEXT)
        self.canary.chmod(0o666)
        self.canary_mode = self.canary.stat().st_mode
        self.new = folder / "created"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0)
        self.connections: list = []
        threading.Thread(target=self._accept, daemon=True).start()
        self.pid = os.getpid()
        self.spawned: list[int] = []

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection.recv(1000))

    def fill(self, template: str) -> str:
        return template.format(
            new=self.new, canary=self.canary, dir=self.folder, port=self.port, parent=os.getpid()
        )

    def assert_untouched(self, rss_before: int, *texts: object) -> None:
        assert sorted(p.name for p in self.folder.iterdir()) == ["canary.txt"], "a file was created"
        assert self.canary.read_text() == CANARY_TEXT and self.canary.stat().st_mode == self.canary_mode
        assert self.connections == [], "a connection reached the listener"
        try:
            datagram = self.udp.recv(100)
        except BlockingIOError:
            datagram = None
        assert datagram is None, "a datagram reached the listener"
        for text in texts:
            assert KEY not in str(text), "the API key came back"
        assert os.getpid() == self.pid
        assert _rss() - rss_before < 64 * MiB, "this process's memory grew"
        server = spawner.get_spawner()
        assert server.alive()
        table = _process_table()
        assert [p for p, (ppid, _, _) in table.items() if ppid == server.process.pid] == [], (
            "a process is left"
        )
        for pid in self.spawned:
            assert pid not in table, f"the program's process {pid} is left"
            assert not [p for p, (_, pgrp, sid) in table.items() if sid == pid or pgrp == pid], (
                "a process is left"
            )


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _process_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, process group, session) of every live (non-zombie) process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))
    return table


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not spawner.get_spawner().isolated:
        pytest.skip(f"OS isolation is unavailable here: {spawner.get_spawner().reason}")
    saved = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = KEY
    spawner.stop_spawner()  # the next server starts while the key is in this process's environment
    assert spawner.get_spawner().isolated
    world = World(tmp_path_factory.mktemp("hostile"))
    # the simulator compiles its kernels on first use; compile them now, so that "this process's memory did not
    # grow" measures the programs, not the compiler
    _smac_step("def policy(view):\n    pass\n")
    yield world
    world.listener.close()
    world.udp.close()
    if saved is None:
        os.environ.pop("OPENAI_API_KEY", None)
    else:
        os.environ["OPENAI_API_KEY"] = saved


@pytest.fixture
def recorded(world, monkeypatch):
    """Records the pid of every program process the server forks during a test."""
    original = spawner.Spawner.spawn

    def spawn(self, task, config):
        pid, to_child, from_child = original(self, task, config)
        world.spawned.append(pid)
        return pid, to_child, from_child

    monkeypatch.setattr(spawner.Spawner, "spawn", spawn)
    world.spawned.clear()
    return world


def _smac_step(program: str):
    env = gym.make("SMACProgram-v3", map_name="3m", episodes_per_step=1, limits=LIMITS)
    env.reset(seed=0)
    observation, reward, _, _, info = env.step(program)
    env.close()
    return observation, reward, info


def _outcomes_only(value):
    """The schema of the bypass task's value: the list of outcome lines, nothing else."""
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise ValueError("not a list of outcome lines")
    return value


# ------------------------------------------------------------------------------------- LLM-written programs
@pytest.mark.parametrize("name", _cases(PROGRAMS))
def test_hostile_program_through_the_sandbox_api(recorded, name):
    rss = _rss()
    report = run_program(
        recorded.fill(PROGRAMS[name]),
        call_function,
        ("policy", 0),
        limits=Limits(**LIMITS),
        required=("policy",),
    )
    if name in OUTPUT_OK:
        assert len(report.stdout) <= LIMITS["max_output_chars"]
    else:
        assert not report.ok, f"{name}: ran and returned {str(report.value)[:200]}"
    recorded.assert_untouched(rss, report.message, report.stdout, report.value)


@pytest.mark.parametrize("name", _cases(PROGRAMS))
def test_hostile_program_through_smac_program_env(recorded, name):
    rss = _rss()
    observation, reward, info = _smac_step(recorded.fill(PROGRAMS[name]))
    assert reward == 0.0 and info["wins"] == 0
    if name not in IGNORED_BY_SMAC:
        assert info["error"], f"{name}: ran without an error"
    assert len(info["stdout"]) <= LIMITS["max_output_chars"]
    recorded.assert_untouched(rss, observation, info["stdout"], info["error"])


# ------------------------------------------------------------------------------------- Python layers bypassed
@pytest.mark.parametrize("name", _cases(PAYLOADS))
def test_attack_with_python_layers_bypassed_through_the_sandbox_api(recorded, name):
    rss = _rss()
    report = run_program(
        "def policy(view):\n    return 0\n",
        sandbox_test_tasks.unrestricted,
        (recorded.fill(PRELUDE + PAYLOADS[name]),),
        limits=Limits(**LIMITS),
        check=_outcomes_only,
    )
    if report.ok:
        allowed = [line for line in report.value if line.endswith(": ALLOWED")]
        assert allowed == [], f"{name}: the kernel allowed {allowed}"
    recorded.assert_untouched(rss, report.message, report.stdout, report.value)


@pytest.mark.parametrize("name", _cases(PAYLOADS))
def test_attack_with_python_layers_bypassed_through_smac_program_env(recorded, monkeypatch, name):
    monkeypatch.setattr(program_sandbox, "program_orders", sandbox_test_tasks.unrestricted_orders)
    rss = _rss()
    payload = recorded.fill(PRELUDE + PAYLOADS[name])
    # the policy gives no orders, so the battle is lost: any other reward would be forged
    observation, reward, info = _smac_step(f"PAYLOAD = {payload!r}\n\ndef policy(view):\n    pass\n")
    assert reward == 0.0 and info["wins"] == 0
    recorded.assert_untouched(rss, observation, info["stdout"], info["error"])


# ------------------------------------------------------------------------------------- specific guarantees
def test_forged_results_are_protocol_errors(recorded, monkeypatch):
    monkeypatch.setattr(program_sandbox, "program_orders", sandbox_test_tasks.unrestricted_orders)
    payload = recorded.fill(PRELUDE + PAYLOADS["forge a result"])
    _, reward, info = _smac_step(f"PAYLOAD = {payload!r}\n\ndef policy(view):\n    pass\n")
    assert reward == 0.0 and info["error_kind"] == "protocol" and "invalid value" in info["error"]


def test_a_header_promising_too_much_is_refused_before_reading(recorded):
    rss = _rss()
    report = run_program(
        "def policy(view):\n    return 0\n",
        sandbox_test_tasks.unrestricted,
        (PRELUDE + PAYLOADS["oversized message"],),
        limits=Limits(**LIMITS),
    )
    assert report.error_kind == "protocol" and "limit" in report.message
    recorded.assert_untouched(rss)


def test_output_is_cut_before_it_is_stored(recorded):
    report = run_program(
        PROGRAMS["huge output in one print"], call_function, ("policy", 0), limits=Limits(**LIMITS)
    )
    assert report.ok and report.stdout == "x" * LIMITS["max_output_chars"]


def test_the_program_process_is_unprivileged_and_has_only_its_pipes(recorded):
    """Seen from outside, through /proc, while the program's process is alive."""
    with ProgramSession("def policy(view):\n    return 0\n", call_function) as session:
        assert session.call("policy", 0) == 0
        pid = recorded.spawned[-1]
        status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines())
        _, pgrp, sid = _process_table()[pid]
        fds = sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))
        environment = open(f"/proc/{pid}/environ", "rb").read()
        seccomp = status["Seccomp"].strip()
    if os.geteuid() == 0:
        assert status["Uid"].split()[0] != "0" and status["Gid"].split()[0] != "0"
        assert status["Groups"].strip() == ""
    assert seccomp == "2" and status["NoNewPrivs"].strip() == "1"  # a seccomp filter is on
    assert pgrp == sid == pid  # its own session and process group
    assert fds == [0, 1, 2, 3, 4]  # /dev/null on 0-2 and the two pipes
    assert environment == b""  # the process server was started with an empty environment


def test_legit_programs_keep_their_results(recorded):
    from tactica.baselines.smac import program_source

    rss = _rss()
    _, reward, info = _smac_step(program_source("3m"))
    assert reward == 1.0 and info["error"] is None
    recorded.assert_untouched(rss)


def test_unisolated_hosts_refuse_untrusted_code_unless_the_user_opts_out(monkeypatch):
    from tactica.sandbox import SandboxUnavailable, isolation

    server = spawner.get_spawner()
    monkeypatch.setattr(server, "isolated", False)
    monkeypatch.setattr(server, "reason", "seccomp is Linux-only (this is darwin)")
    monkeypatch.delenv(isolation.UNISOLATED_ENV, raising=False)
    with pytest.raises(SandboxUnavailable, match=isolation.UNISOLATED_ENV):
        run_program("def policy(view):\n    return 1\n", call_function, ("policy", 0))
    with pytest.raises(SandboxUnavailable, match="allow_unisolated"):
        _smac_step("def policy(view):\n    pass\n")
    monkeypatch.setenv(isolation.UNISOLATED_ENV, "1")
    with pytest.warns(RuntimeWarning, match="WITHOUT OS isolation"):
        monkeypatch.setattr("tactica.sandbox.runner._warned_unisolated", False)
        report = run_program("def policy(view):\n    return 1\n", call_function, ("policy", 0))
    assert report.ok and report.value == 1 and report.details["isolated"] is False


def test_the_canary_file_is_world_writable(world):
    # the folder and canary are open to everyone, so the checks above test the sandbox, not permissions
    assert stat.S_IMODE(world.folder.stat().st_mode) == 0o777
    assert stat.S_IMODE(world.canary.stat().st_mode) == 0o666
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 5
