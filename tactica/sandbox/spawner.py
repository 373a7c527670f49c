"""The sandbox's process server: a clean process that forks one locked-down process per program.

Starting a fresh interpreter per program costs a third of a second of imports; forking the caller would hand
the program a copy of the caller's memory (API keys, open connections, the caller's globals).  So each caller
process starts, on first use, one server with ``python -I`` (isolated mode), an empty environment, the root
directory as working directory, its own session, and no descriptor but a Unix socket to the caller.  The server
imports what programs need, builds and proves the seccomp filter (:func:`tactica.sandbox.isolation.prepare`),
then answers two requests, each a JSON line:

* ``spawn`` (with the two pipe ends of the new program passed as ``SCM_RIGHTS``): fork; the child becomes a
  session leader, moves the pipes to fds 3 and 4, closes every other descriptor, locks itself down and serves
  the program (:func:`tactica.sandbox.child.run_worker`); the server answers with its pid.
* ``reap``: wait (briefly) for a program's process and report how it ended.

The server never runs a program's code, never reads a program's messages, and kills every process it forked
when the caller's end of the socket closes (the caller exited, or was killed).
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["Spawner", "get_spawner", "stop_spawner", "zygote_main"]

_BOOT = """\
import os, sys
os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
sys.path.insert(0, sys.argv[1])
from tactica.sandbox.spawner import zygote_main
zygote_main(int(sys.argv[2]))
"""
_START_SECONDS = 120.0  # imports on a loaded machine
_REQUEST_SECONDS = 30.0


def _send_line(sock: socket.socket, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
    data = (json.dumps(message) + "\n").encode()
    sent = socket.send_fds(sock, [data], list(fds)) if fds else sock.send(data)
    if sent < len(data):
        sock.sendall(data[sent:])


def _recv_line(sock: socket.socket, buffer: bytearray) -> tuple[dict[str, Any] | None, list[int]]:
    fds: list[int] = []
    while b"\n" not in buffer:
        data, new_fds, _flags, _addr = socket.recv_fds(sock, 65536, 4)
        fds += new_fds
        if not data:
            return None, fds
        buffer += data
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return json.loads(line), fds


# ----------------------------------------------------------------------------------------- the server
def zygote_main(control_fd: int) -> None:
    """The server's loop (runs in the process :class:`Spawner` starts)."""
    sock = socket.socket(fileno=control_fd)
    buffer = bytearray()
    try:
        import tactica.sandbox.child  # noqa: F401  (preloads the allowed modules for every program)
        from tactica.sandbox.isolation import prepare

        rules, status = prepare()
    except BaseException as exc:  # report why the server cannot work, then stop
        _send_line(sock, {"ready": False, "reason": f"{type(exc).__name__}: {exc}"})
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 2)  # nothing the server or a program does reaches the caller's stderr pipe
    os.close(devnull)
    _send_line(sock, {"ready": True, **status})
    live: set[int] = set()
    try:
        while True:
            request, fds = _recv_line(sock, buffer)
            if request is None:
                break
            if request.get("op") == "spawn":
                _send_line(sock, _spawn(request, fds, sock, rules, live))
            elif request.get("op") == "reap":
                _send_line(sock, _reap(int(request["pid"]), float(request["timeout"]), live))
            else:
                for fd in fds:
                    os.close(fd)
                _send_line(sock, {"error": f"unknown request {request.get('op')!r}"})
    except (OSError, ValueError):  # the caller is gone or talks nonsense
        pass
    finally:
        for pid in live:
            _kill_group(pid)
        for pid in live:
            _reap(pid, 1.0, set())


def _spawn(request: dict[str, Any], fds: list[int], sock: socket.socket, rules: Any, live: set[int]) -> dict:
    try:
        if len(fds) != 2:
            raise ValueError(f"a spawn request carries 2 descriptors, got {len(fds)}")
        task = _resolve(request["task"])
        config = request["config"]
    except Exception as exc:
        for fd in fds:
            os.close(fd)
        return {"error": f"{type(exc).__name__}: {exc}"}
    pid = os.fork()
    if pid == 0:
        try:
            _become_program_process(sock, fds)
            from tactica.sandbox.child import run_worker

            run_worker(task, config, rules)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    live.add(pid)
    return {"pid": pid}


def _become_program_process(sock: socket.socket, fds: list[int]) -> None:
    """In the forked child: own session and process group; the two pipes on fds 3 and 4, nothing above."""
    from tactica.sandbox.child import REPLY_FD, REQUEST_FD

    os.setsid()
    sock.close()
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]
    os.dup2(high[0], REQUEST_FD, inheritable=False)
    os.dup2(high[1], REPLY_FD, inheritable=False)
    os.closerange(REPLY_FD + 1, 1 << 16)
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)


def _resolve(reference: str):
    import importlib

    module_name, _, qualname = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{reference} is not callable")
    return target


def _reap(pid: int, timeout: float, live: set[int]) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            live.discard(pid)
            return {"status": "unknown"}
        if done:
            live.discard(pid)
            if os.WIFSIGNALED(status):
                return {"status": "signaled", "signal": os.WTERMSIG(status)}
            return {"status": "exited", "code": os.waitstatus_to_exitcode(status)}
        if time.monotonic() >= deadline:
            return {"status": "running"}
        time.sleep(0.0005)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ----------------------------------------------------------------------------------------- the caller's side
class Spawner:
    """The caller's handle on its process server (one per caller process: :func:`get_spawner`)."""

    def __init__(self):
        import tactica

        root = str(Path(tactica.__file__).resolve().parent.parent)
        if os.name != "posix" or not hasattr(socket, "send_fds"):
            raise OSError(
                f"the sandbox needs a POSIX system with fork and descriptor passing (this is {sys.platform})"
            )
        if not sys.executable:
            raise OSError("the Python executable is unknown (sys.executable is empty)")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lock = threading.Lock()
        self.sock = ours
        self.buffer = bytearray()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, root, str(theirs.fileno())],
                env={},
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        hello = self._request(None, timeout=_START_SECONDS)
        self.process.stderr.close()  # the server moved its stderr to /dev/null once ready
        if not hello.get("ready"):
            self.close()
            raise OSError(f"the sandbox's process server could not start: {hello.get('reason')}")
        self.isolated = bool(hello.get("isolated"))
        self.reason = str(hello.get("reason", ""))

    def _request(self, message: dict | None, *, timeout: float, fds: tuple[int, ...] = ()) -> dict[str, Any]:
        with self.lock:
            self.sock.settimeout(timeout)
            try:
                if message is not None:
                    _send_line(self.sock, message, fds)
                reply, extra = _recv_line(self.sock, self.buffer)
            except (OSError, ValueError) as exc:
                reply, extra = None, []
                failure = f"{type(exc).__name__}: {exc}"
            else:
                failure = "it closed its socket"
        for fd in extra:
            os.close(fd)
        if reply is None:
            if self.process.poll() is None:  # hung or out of step: this server is not used again
                self.process.kill()
                self.process.wait()
            detail = ""
            if self.process.stderr and not self.process.stderr.closed:
                lines = self.process.stderr.read().decode(errors="replace").strip().splitlines()
                detail = f"; last words: {lines[-1]}" if lines else ""
            raise OSError(f"the sandbox's process server failed ({failure}{detail})")
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, task: str, config: dict[str, Any]) -> tuple[int, int, int]:
        """Fork a program process; ``(pid, request fd to write, reply fd to read)``, both non-blocking."""
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            reply = self._request(
                {"op": "spawn", "task": task, "config": config},
                timeout=_REQUEST_SECONDS,
                fds=(request_read, reply_write),
            )
        except BaseException:
            os.close(request_write)
            os.close(reply_read)
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        if "pid" not in reply:
            os.close(request_write)
            os.close(reply_read)
            raise OSError(f"the sandbox's process server could not fork: {reply.get('error')}")
        os.set_blocking(request_write, False)
        os.set_blocking(reply_read, False)
        return int(reply["pid"]), request_write, reply_read

    def reap(self, pid: int, timeout: float) -> dict[str, Any]:
        """How the program process ``pid`` ended (``{"status": "running"}`` if it has not after ``timeout``)."""
        return self._request(
            {"op": "reap", "pid": pid, "timeout": timeout}, timeout=timeout + _REQUEST_SECONDS
        )

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_spawner: Spawner | None = None
_spawner_pid: int | None = None
_spawner_lock = threading.Lock()


def get_spawner() -> Spawner:
    """This process's server, started on first use (and again if it died or this process was forked)."""
    global _spawner, _spawner_pid
    with _spawner_lock:
        if _spawner is None or _spawner_pid != os.getpid() or not _spawner.alive():
            if _spawner is not None and _spawner_pid == os.getpid():
                _spawner.close()
            _spawner = Spawner()
            _spawner_pid = os.getpid()
        return _spawner


def stop_spawner() -> None:
    """Stop this process's server (it kills the program processes it forked); the next use starts a new one."""
    global _spawner
    with _spawner_lock:
        if _spawner is not None and _spawner_pid == os.getpid():
            _spawner.close()
        _spawner = None


def _close_at_exit() -> None:
    if _spawner is not None and _spawner_pid == os.getpid():
        _spawner.close()


def _forget_after_fork() -> None:
    """A forked caller must not share its parent's server socket (their requests would interleave)."""
    global _spawner
    if _spawner is not None:
        try:
            _spawner.sock.close()
        except OSError:
            pass
    _spawner = None


atexit.register(_close_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
