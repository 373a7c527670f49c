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

__all__ = ["FrameReader", "WireError", "decode", "encode", "write_frame"]

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


class FrameReader:
    """Reads frames from one descriptor through a buffer (one ``read`` call per frame when data is waiting).

    With a ``deadline`` the descriptor must be non-blocking: the reader waits with ``poll`` only when no data
    is there, and gives up at the deadline.  The buffer never holds more than one frame plus one read.
    """

    CHUNK = 1 << 16

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = bytearray()

    def read(self, max_bytes: int, deadline: float | None = None, *, eof_ok: bool = False) -> Any:
        """The next frame's value; ``None`` at a clean end of file when ``eof_ok``."""
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise WireError("timed out waiting for the program's reply", timeout=True)
            if len(self.buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self.buffer)
                if size > max_bytes:
                    raise WireError(f"the other side sent a {size}-byte message; the limit is {max_bytes}")
                end = _HEADER.size + size
                if len(self.buffer) >= end:
                    body = bytes(self.buffer[_HEADER.size : end])
                    del self.buffer[:end]
                    return decode(body)
                want = end - len(self.buffer)
            else:
                want = _HEADER.size - len(self.buffer)
            try:
                chunk = os.read(self.fd, max(want, self.CHUNK))
            except BlockingIOError:
                _wait(self.fd, select.POLLIN, deadline, "waiting for the program's reply")
                continue
            if not chunk:
                if eof_ok and not self.buffer:
                    return None
                raise WireError("the other side closed the pipe", closed=True)
            self.buffer += chunk


def write_frame(fd: int, value: Any, deadline: float | None = None) -> None:
    """Write one frame to ``fd``: blocking, or (``deadline`` given, non-blocking ``fd``) before ``deadline``."""
    view = memoryview(encode(value))
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            _wait(fd, select.POLLOUT, deadline, "sending to the program")
        except (BrokenPipeError, ConnectionResetError):
            raise WireError("the other side closed the pipe", closed=True) from None


def _wait(fd: int, events: int, deadline: float | None, doing: str) -> None:
    poller = select.poll()
    poller.register(fd, events)
    while True:
        if deadline is None:
            poller.poll()
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireError(f"timed out {doing}", timeout=True)
        if poller.poll(max(1, int(left * 1000))):
            return
