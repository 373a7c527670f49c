"""The operating-system layer: what a sandboxed program's process may do, enforced by the kernel.

Every program runs in a process forked from the sandbox's process server (:mod:`tactica.sandbox.spawner`),
which was started with an empty environment and no descriptors but its control socket.  Before the program's
first line, the forked process (steps 1-2 in the server's fork, 3-5 in :func:`lock_down`):

1. is the leader of a new session and process group (the parent kills the whole group at the end);
2. keeps two pipes (requests in on fd 3, replies out on fd 4) and ``/dev/null`` on 0-2, nothing else;
3. drops to the unprivileged ``nobody`` user and no groups when the caller is root;
4. lowers its resource limits: CPU seconds, address space, no file writes, no core dumps, no new
   processes, no new descriptors;
5. installs a seccomp filter (libseccomp, through the ``pyseccomp`` bindings) that allows only what a running
   Python program needs - reading and writing its open descriptors, memory management without executable
   mappings, signals to itself only through the kernel (CPU limit), clocks, random bytes, exit - and fails every
   other system call with ``EPERM``: no ``open``/``creat``/``mkdir``/``unlink``/``rename`` (no file is read,
   created or deleted), no ``fork``/``clone``/``execve`` (no process), no ``socket``/``connect`` (no network),
   no ``kill``/``tgkill``/``pidfd_send_signal`` (no signal to the parent), no ``ptrace``/
   ``process_vm_readv`` (no other process's memory), no ``setsid``, ``ioctl``, ``mount``, ``bpf``...

The seccomp filter needs Linux with seccomp filters and libseccomp (``libseccomp2`` on Debian/Ubuntu, installed with
apt itself); :func:`prepare` builds it in the process server and proves it in a probe process.  Where it cannot
(macOS, Windows, a kernel or container without seccomp, libseccomp missing), the sandbox refuses untrusted
code unless the caller opts out with ``allow_unisolated=True`` or the environment variable
``TACTICA_SANDBOX_UNISOLATED=1``; then the program still runs in a separate process with steps 1, 2 and 4,
as the caller's user, and nothing stops it from opening files or sockets.  See ``docs/security.md``.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

from tactica._procfs import status_kib

__all__ = ["UNISOLATED_ENV", "SYSCALLS_ALLOWED", "SandboxUnavailable", "opted_out", "prepare", "lock_down"]

UNISOLATED_ENV = "TACTICA_SANDBOX_UNISOLATED"
"""Set to ``1`` to run untrusted programs where OS isolation is unavailable (Python-level checks and limits only)."""

SYSCALLS_ALLOWED = (
    # the two pipes (and /dev/null on 0-2); descriptors cannot be opened, duplicated or created
    "read",
    "write",
    "readv",
    "writev",
    "close",
    "lseek",
    "fstat",
    # memory (mmap/mprotect without PROT_EXEC: see _NO_EXEC)
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    "futex",
    # signals delivered by the kernel (SIGXCPU) and Python's own handlers
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "restart_syscall",
    # clocks, identity and randomness: read-only facts
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "getrusage",
    "getpid",
    "gettid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getrandom",
    "sched_yield",
    "exit",
    "exit_group",
)
_NO_EXEC = ("mmap", "mprotect")  # allowed only without PROT_EXEC: no new machine code after the lock-down
_NOBODY = 65534


class SandboxUnavailable(RuntimeError):
    """OS isolation for untrusted programs is unavailable here and the caller did not opt out."""


def opted_out(allow_unisolated: bool | None = None) -> bool:
    """Whether the caller accepts running untrusted programs without OS isolation."""
    if allow_unisolated is not None:
        return bool(allow_unisolated)
    return os.environ.get(UNISOLATED_ENV, "").strip() == "1"


def _build_filter():
    """The seccomp filter (not loaded yet), or a string saying why there is none."""
    if not sys.platform.startswith("linux"):
        return f"seccomp is Linux-only (this is {sys.platform})"
    try:
        import pyseccomp as seccomp
    except ImportError:
        return "the pyseccomp package is not installed (pip install pyseccomp)"
    except (OSError, AttributeError, TypeError) as exc:  # the library is missing or too old
        return f"libseccomp could not be loaded ({exc}); install libseccomp2 (apt-get install libseccomp2)"
    import mmap

    try:
        rules = seccomp.SyscallFilter(seccomp.ERRNO(errno.EPERM))
        for name in SYSCALLS_ALLOWED:
            if seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) == -1:  # a name libseccomp does not know
                continue
            if name in _NO_EXEC:
                rules.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, 0))
            else:
                rules.add_rule(seccomp.ALLOW, name)
    except (OSError, ValueError, RuntimeError) as exc:
        return f"the seccomp filter could not be built ({exc})"
    return rules


def prepare() -> tuple[Any, dict[str, Any]]:
    """Build the seccomp filter and prove it in a probe process; ``(filter or None, status)``.

    ``status`` is ``{"isolated": bool, "reason": str}``: isolated when the probe, locked down exactly as a
    program's process is, could neither create a socket nor open a file.
    """
    rules = _build_filter()
    if isinstance(rules, str):
        return None, {"isolated": False, "reason": rules}
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the probe
        code = 1
        try:
            os.close(read_end)
            _drop_privileges()
            rules.load()
            outcome = []
            for attempt in (_probe_socket, _probe_open, _probe_fork):
                try:
                    attempt()
                    outcome.append(f"{attempt.__name__[7:]} allowed")
                except PermissionError:
                    pass
            os.write(write_end, ("; ".join(outcome) or "ok").encode())
            code = 0
        except BaseException as exc:  # report why the probe could not lock itself down
            try:
                os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
            except OSError:
                pass
        finally:
            os._exit(code)
    os.close(write_end)
    message = b""
    while chunk := os.read(read_end, 4096):
        message += chunk
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    text = message.decode(errors="replace")
    if status != 0 or text != "ok":
        return None, {"isolated": False, "reason": f"the seccomp probe failed: {text or 'no answer'}"}
    return rules, {
        "isolated": True,
        "reason": "seccomp filter and resource limits, unprivileged user as root",
    }


def _probe_socket() -> None:
    import socket

    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()


def _probe_open() -> None:
    os.close(os.open("/", os.O_RDONLY))


def _probe_fork() -> None:
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)


def _drop_privileges() -> None:
    """Become ``nobody`` with no supplementary groups when running as root (irreversibly)."""
    if os.geteuid() != 0:
        return
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
        uid, gid = entry.pw_uid, entry.pw_gid
    except (ImportError, KeyError):
        uid = gid = _NOBODY
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.geteuid() == 0 or os.getuid() == 0:  # pragma: no cover - the kernel refused
        raise PermissionError("could not leave the root user")


def _address_space_bytes() -> int:
    try:
        return status_kib("VmSize") * 1024
    except (OSError, KeyError):  # not Linux: the limit counts from zero
        return 0


def _set_limits(cpu_seconds: float, memory_mb: int, max_fds: int) -> None:
    import resource

    cpu = max(1, int(cpu_seconds + 0.999))
    resource.setrlimit(
        resource.RLIMIT_CPU, (cpu, cpu + 1)
    )  # SIGXCPU at the soft limit, SIGKILL a second later
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max_fds, max_fds))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # binds users other than root
    except (ValueError, OSError, AttributeError):  # pragma: no cover - some platforms refuse
        pass
    budget = _address_space_bytes() + int(memory_mb) * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    except (ValueError, OSError):  # pragma: no cover - macOS has no address-space limit
        pass


def lock_down(cpu_seconds: float, memory_mb: int, max_fds: int, rules: Any) -> None:
    """Limits, then (with ``rules``) the unprivileged user and the seccomp filter: called once per program's
    process, after its descriptors are in place and before any of the program's code runs."""
    _set_limits(cpu_seconds, memory_mb, max_fds)
    if rules is not None:
        _drop_privileges()
        rules.load()  # also sets no_new_privs
