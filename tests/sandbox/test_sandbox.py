"""Hostile programs are stopped with a clear report; they never crash the caller or touch the file system."""

import os

import pytest

from tactica.sandbox import Limits, ProgramRejected, run_program, validate_source
from tactica.sandbox.tasks import call_function
from tests.sandbox import sandbox_test_tasks

FAST = Limits(cpu_seconds=1, wall_seconds=4, memory_mb=200)


def run(source, argument=1, limits=FAST):
    return run_program(source, call_function, ("policy", argument), limits=limits, required=("policy",))


def test_a_good_program_runs_and_returns():
    report = run(
        "import math\n\ndef policy(x):\n    print('hi', x)\n    return math.sqrt(x) + sum(i for i in range(3))",
        16,
    )
    assert report.ok and report.value == 7.0 and report.stdout == "hi 16\n"


def test_syntax_error_is_reported_with_its_line_without_a_process():
    report = run("def policy(x):\n    return (x +\n")
    assert not report.ok and report.error_kind == "syntax" and report.line is not None
    assert report.wall_seconds == 0.0


def test_missing_policy_is_reported():
    report = run("def act(x):\n    return 1")
    assert report.error_kind == "missing" and "policy" in report.message


def test_runtime_error_reports_the_program_line():
    report = run("def policy(x):\n    y = 0\n    return x / y")
    assert report.error_kind == "runtime" and report.line == 3 and "ZeroDivisionError" in report.message


def test_infinite_loop_is_stopped_by_the_cpu_limit():
    report = run("def policy(x):\n    while True:\n        x += 1")
    assert not report.ok and report.error_kind in ("cpu", "timeout")
    assert "limit" in report.message


def test_sleeping_program_is_stopped_by_the_wall_limit():
    # no time.sleep is available, so block on a huge computation that the CPU limit would also stop
    limits = Limits(cpu_seconds=30, wall_seconds=1.5, memory_mb=200)
    report = run("def policy(x):\n    while True:\n        pass", limits=limits)
    assert report.error_kind == "timeout" and report.wall_seconds < 10


def test_memory_bomb_is_stopped():
    report = run("def policy(x):\n    blocks = []\n    while True:\n        blocks.append([0] * 10**6)")
    assert not report.ok and report.error_kind in ("memory", "crash")
    report = run("def policy(x):\n    return 'a' * (10**10)")
    assert report.error_kind == "memory"


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("def policy(x):\n    return ().__class__.__bases__[0].__subclasses__()", "__class__"),
        ("def policy(x):\n    return getattr(x, '__cl' + 'ass__')", "getattr"),
        ("def policy(x):\n    return '{0.__class__}'.format(x)", "format"),
        ("def policy(x):\n    g = (i for i in [1])\n    return g.gi_frame.f_back.f_globals", "gi_frame"),
        ("def policy(x):\n    return open('/etc/passwd').read()", "open"),
        (
            "import socket\n\ndef policy(x):\n    return socket.create_connection(('example.com', 80))",
            "socket",
        ),
        ("import os\n\ndef policy(x):\n    return os.fork()", "'os'"),
        ("def policy(x):\n    return __import__('os').system('true')", "__import__"),
        ("def policy(x):\n    return eval('1+1')", "eval"),
        ("def policy(x):\n    exec('import os')", "exec"),
        ("def policy(x):\n    return globals()", "globals"),
        ("class A:\n    pass\n\ndef policy(x):\n    return A", "class"),
        ("from os import path\n\ndef policy(x):\n    return path", "'os'"),
        ("def policy(x):\n    return __builtins__", "__builtins__"),
    ],
)
def test_escape_attempts_are_rejected_before_running(source, fragment):
    report = run(source)
    assert not report.ok and report.error_kind == "forbidden"
    assert fragment in report.message and report.line is not None


def test_program_cannot_write_files(tmp_path):
    target = tmp_path / "pwned.txt"
    # even a write attempted through an allowed module fails: no open(), and the child may not write files
    report = run(f"def policy(x):\n    f = open({str(target)!r}, 'w')\n    return f")
    assert report.error_kind == "forbidden"
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_runtime_import_guard_and_missing_builtins():
    # names removed from the builtins fail at run time too (if the AST check were bypassed)
    report = run("def policy(x):\n    return len(x)", 5)
    assert report.error_kind == "runtime" and "TypeError" in report.message


def test_caller_survives_a_crash_in_the_task():
    report = run_program("def policy(x):\n    return 1", sandbox_test_tasks.crash, limits=FAST)
    assert report.error_kind == "crash" and "exit code 3" in report.message


def test_the_task_must_be_importable_by_name():
    def local(namespace):
        return 1

    with pytest.raises(TypeError, match="module-level function"):
        run_program("def policy(x):\n    return 1", local, limits=FAST)


def test_validate_source_raises_a_value_error():
    with pytest.raises(ProgramRejected) as info:
        validate_source("import subprocess")
    assert isinstance(info.value, ValueError) and "allowed modules" in str(info.value)
    with pytest.raises(ValueError, match="cpu_seconds"):
        Limits(cpu_seconds=0)


def test_a_programs_own_syntax_warnings_do_not_reach_the_caller():
    """Random or LLM-written text may hold invalid escape sequences; compiling it must not warn in the caller."""
    import warnings

    from tactica.sandbox.validate import compile_program

    source = 'label = "a\\/b"\n\ndef policy(view):\n    return label\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_program(source, required=("policy",))
