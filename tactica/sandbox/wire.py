"""The messages between the parent and a sandboxed program: length-prefixed JSON, never pickle.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.  The reading side states the
largest frame it accepts and refuses a longer one from its header, before reading the body; the parent also
gives every read a deadline, so a child that sends a header and then nothing, or trickles bytes, is stopped
on time.  Decoding accepts plain JSON only (no ``NaN``/``Infinity``, no integers of thousands of digits, no
nesting deep enough to exhaust the stack): whatever the child sends, the parent gets a JSON value or a
:class:`WireError`.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

__all__ = ["WireError", "encode", "decode", "send", "receive", "read_frame", "write_frame"]

_HEADER = struct.Struct(">I")


class WireError(Exception):
    """A frame broke the protocol (too large, not JSON, cut short) or did not arrive before the deadline."""

    def __init__(self, message: str, *, timeout: bool = False, closed: bool = False):
        super().__init__(message)
        self.timeout = timeout
        self.closed = closed


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _bounded_int(text: str) -> int:
    if len(text) > 100:  # int() of a long digit string costs quadratic time
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def encode(value: Any) -> bytes:
    """``value`` as a frame (raises ``ValueError``/``TypeError`` if it is not plain, finite JSON data)."""
    body = json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def decode(body: bytes) -> Any:
    """The JSON value of a frame's body, or :class:`WireError`."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant, parse_int=_bounded_int)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"malformed message: {type(exc).__name__}: {str(exc)[:200]}") from None


# --------------------------------------------------------------------------- blocking side (the child)
def write_frame(fd: int, value: Any) -> None:
    """Write one frame to ``fd`` (blocking)."""
    view = memoryview(encode(value))
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int, max_bytes: int) -> Any | None:
    """Read one frame from ``fd`` (blocking); ``None`` at end of file before a header."""
    header = _read_exact(fd, _HEADER.size, None, allow_eof=True)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        raise WireError(f"message of {size} bytes is over the {max_bytes}-byte limit")
    return decode(_read_exact(fd, size, None))


# --------------------------------------------------------------------------- deadline side (the parent)
def send(fd: int, value: Any, deadline: float) -> None:
    """Write one frame to the non-blocking ``fd`` before ``deadline`` (a ``time.monotonic()`` value)."""
    view = memoryview(encode(value))
    while view:
        _wait(fd, select.POLLOUT, deadline, "sending to the program")
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise WireError("the program's process closed its input", closed=True) from None


def receive(fd: int, max_bytes: int, deadline: float) -> Any:
    """Read one frame from the non-blocking ``fd`` before ``deadline``, refusing one over ``max_bytes``."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > max_bytes:
        raise WireError(f"the program's process sent a {size}-byte message; the limit is {max_bytes}")
    return decode(_read_exact(fd, size, deadline))


def _wait(fd: int, events: int, deadline: float, doing: str) -> None:
    poller = select.poll()
    poller.register(fd, events)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireError(f"timed out {doing}", timeout=True)
        if poller.poll(max(1, int(left * 1000))):
            return


def _read_exact(fd: int, size: int, deadline: float | None, allow_eof: bool = False) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < size:
        if deadline is not None:
            _wait(fd, select.POLLIN, deadline, "waiting for the program's reply")
        try:
            chunk = os.read(fd, min(size - got, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            if allow_eof and got == 0:
                return None
            raise WireError("the program's process closed its output", closed=True)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
