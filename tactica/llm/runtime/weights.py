"""Checkpoint tensors read straight from memory-mapped safetensors files, one at a time.

:class:`SafetensorsFile` maps a file copy-on-write and hands out tensors that are views of the mapping: nothing
is read until a tensor is touched, and a tensor used as stored (bf16 weights computed in bf16, int8 codes) is
never copied.  A tensor that the runtime converts (quantised at load, transposed...) is released after its
conversion with ``madvise(MADV_DONTNEED)``: its pages leave the process's resident memory (they are unmodified
file pages, re-read from disk if touched again).  So loading holds the converted weights plus one tensor in
flight, never a second full-precision copy of the model.

The header is untrusted input: its size, every dtype, shape and byte range are checked before any view is made.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import mmap
import os
import struct
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch

__all__ = [
    "SafetensorsFile",
    "WeightSource",
    "TensorDictSource",
    "SAFETENSORS_DTYPES",
    "write_safetensors",
    "keep_large_allocations_out_of_the_heap",
]

SAFETENSORS_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_MAX_HEADER = 100 << 20  # safetensors' own limit on the JSON header
_PAGE = mmap.PAGESIZE


class SafetensorsFile:
    """A safetensors file mapped into memory; :meth:`tensor` returns zero-copy views.

    Raises:
        ValueError: the file is not a well-formed safetensors file (naming what is wrong).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        size = self.path.stat().st_size
        with open(self.path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise ValueError(f"{self.path} is not a safetensors file: {size} bytes")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > min(_MAX_HEADER, size - 8):
                raise ValueError(
                    f"{self.path}: header length {header_len} does not fit the file of {size} bytes"
                )
            try:
                header = json.loads(handle.read(header_len))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"{self.path}: the safetensors header is not JSON ({exc})") from None
            if not isinstance(header, dict):
                raise ValueError(f"{self.path}: the safetensors header must be a JSON object")
            self._mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY) if size else None
        self.metadata: dict[str, str] = header.pop("__metadata__", None) or {}
        self._data_start = 8 + header_len
        data_size = size - self._data_start
        self._entries: dict[str, tuple[torch.dtype, tuple[int, ...], int, int]] = {}
        for name, entry in header.items():
            self._entries[name] = self._check_entry(name, entry, data_size)

    def _check_entry(self, name, entry, data_size) -> tuple[torch.dtype, tuple[int, ...], int, int]:
        if not isinstance(entry, dict):
            raise ValueError(f"{self.path}: header entry {name!r} is not an object")
        dtype = SAFETENSORS_DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise ValueError(f"{self.path}: tensor {name!r} has dtype {entry.get('dtype')!r}; accepted: "
                             f"{', '.join(SAFETENSORS_DTYPES)}")  # fmt: skip
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not isinstance(shape, list) or any(
            isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in shape
        ):
            raise ValueError(f"{self.path}: tensor {name!r} has an invalid shape {shape!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or any(isinstance(o, bool) or not isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_size
        ):
            raise ValueError(f"{self.path}: tensor {name!r} has byte range {offsets!r} outside the data")
        numel = 1
        for d in shape:
            numel *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        if offsets[1] - offsets[0] != numel * itemsize:
            raise ValueError(f"{self.path}: tensor {name!r} of shape {shape} ({entry['dtype']}) needs "
                             f"{numel * itemsize} bytes, its range holds {offsets[1] - offsets[0]}")  # fmt: skip
        return dtype, tuple(shape), self._data_start + offsets[0], self._data_start + offsets[1]

    def keys(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def shape(self, name: str) -> tuple[int, ...]:
        return self._entries[name][1]

    def dtype(self, name: str) -> torch.dtype:
        return self._entries[name][0]

    def nbytes(self, name: str) -> int:
        _, _, begin, end = self._entries[name]
        return end - begin

    def read_rows(self, name: str, rows: list[int]) -> torch.Tensor:
        """Copies of rows of a tensor read with ``pread``, bypassing the mapping (no readahead into resident
        memory: looking up 64 random embedding rows through the mapping made 20 MiB resident)."""
        dtype, shape, begin, end = self._entries[name]
        row_bytes = (end - begin) // max(shape[0], 1)
        out = bytearray(len(rows) * row_bytes)
        with open(self.path, "rb", buffering=0) as handle:
            for i, row in enumerate(rows):
                if not 0 <= row < shape[0]:
                    raise IndexError(f"row {row} of {name} (shape {shape})")
                out[i * row_bytes : (i + 1) * row_bytes] = os.pread(
                    handle.fileno(), row_bytes, begin + row * row_bytes
                )
        if not out:
            return torch.empty((0, *shape[1:]), dtype=dtype)
        return torch.frombuffer(out, dtype=dtype).view(len(rows), *shape[1:])

    def tensor(self, name: str) -> torch.Tensor:
        """The tensor as a view of the mapping (a private copy only if its bytes are misaligned for its dtype)."""
        dtype, shape, begin, end = self._entries[name]
        if end == begin:
            return torch.empty(shape, dtype=dtype)
        raw = torch.frombuffer(self._mmap, dtype=torch.uint8, count=end - begin, offset=begin)
        itemsize = torch.empty((), dtype=dtype).element_size()
        if begin % itemsize:  # views need aligned storage offsets; writers align, but do not trust them
            raw = raw.clone()
        return raw.view(dtype).view(shape)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        """Drop this tensor's pages (or those of its rows ``[start, end)``) from resident memory; a later access
        reads them from the file again.

        Only whole pages inside the byte range are dropped, so neighbouring tensors keep theirs.
        """
        _, shape, begin, end = self._entries[name]
        if rows is not None and shape:
            row_bytes = (end - begin) // max(shape[0], 1)
            begin, end = begin + rows[0] * row_bytes, begin + rows[1] * row_bytes
        first = -(-begin // _PAGE) * _PAGE
        last = end // _PAGE * _PAGE
        if self._mmap is not None and last > first and hasattr(self._mmap, "madvise"):
            try:
                self._mmap.madvise(mmap.MADV_DONTNEED, first, last - first)
            except (
                OSError,
                AttributeError,
                ValueError,
            ):  # a platform without it: the pages just stay resident
                pass


class WeightSource(Mapping):
    """The tensors of a checkpoint directory (``model.safetensors`` or shards with an index), memory-mapped.

    ``source[name]`` is a zero-copy view; :meth:`release` drops a converted tensor's pages.
    """

    def __init__(self, files: Mapping[str, SafetensorsFile]):
        self._where = dict(files)
        self._released: set[str] = set()

    @classmethod
    def from_directory(cls, directory: str | Path) -> WeightSource:
        directory = Path(directory)
        single = directory / "model.safetensors"
        if single.is_file():
            shard = SafetensorsFile(single)
            return cls({name: shard for name in shard.keys()})
        index = directory / "model.safetensors.index.json"
        if not index.is_file():
            raise FileNotFoundError(f"no model.safetensors or model.safetensors.index.json in {directory}")
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ValueError(f"{index} has no weight_map object")
        shards: dict[str, SafetensorsFile] = {}
        where: dict[str, SafetensorsFile] = {}
        for name, shard_name in weight_map.items():
            path = (directory / str(shard_name)).resolve()
            if path.parent != directory.resolve():  # an index may not point outside its directory
                raise ValueError(f"{index}: shard {shard_name!r} lies outside {directory}")
            if shard_name not in shards:
                shards[shard_name] = SafetensorsFile(path)
            if name not in shards[shard_name]:
                raise ValueError(f"{index}: {name!r} is not in {shard_name}")
            where[name] = shards[shard_name]
        return cls(where)

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._where[name].tensor(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def shape(self, name: str) -> tuple[int, ...]:
        return self._where[name].shape(name)

    def dtype(self, name: str) -> torch.dtype:
        return self._where[name].dtype(name)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        self._where[name].release(name, rows)
        self._released.add(name)

    def settle(self) -> None:
        """Drop again every page of the tensors released so far (call once all tensors are built).

        A page fault on a mapped file also maps the neighbouring pages that are in the page cache ("fault-around",
        up to 64 KiB), so reading one tensor or chunk maps pages of the ones released before it: with the file
        fully cached, 4 MiB of a 2-layer int4 checkpoint stayed resident that way.
        """
        for name in self._released:
            self._where[name].release(name)

    def read_rows(self, name: str, rows: list[int]) -> torch.Tensor:
        return self._where[name].read_rows(name, rows)

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data (what a fully loaded copy of the weights would hold)."""
        return sum(f.nbytes(n) for n, f in self._where.items())


class TensorDictSource(Mapping):
    """In-memory tensors (an ``nn.Module``'s ``state_dict``) with the :class:`WeightSource` interface."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]):
        self._tensors = {k: v.detach() for k, v in tensors.items()}

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._tensors[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._tensors[name].shape)

    def dtype(self, name: str) -> torch.dtype:
        return self._tensors[name].dtype

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        """Nothing to drop: the tensors belong to their module."""

    def settle(self) -> None:
        """Nothing to drop."""

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self._tensors.values())


_DTYPE_NAMES = {dtype: name for name, dtype in SAFETENSORS_DTYPES.items()}
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_malloc_pinned = False


def keep_large_allocations_out_of_the_heap(threshold: int = 1 << 17) -> bool:
    """Make glibc serve allocations of ``threshold`` bytes or more with their own memory maps (returned to the
    system when freed); returns whether the setting applied (Linux with glibc).

    glibc otherwise raises its mmap threshold after the first large block is freed and then keeps later large
    blocks in its heap, which it rarely shrinks: converting a model chunk by chunk then leaves hundreds of MiB
    of freed buffers resident (measured: 1.5x the packed int8 weights).  The default threshold, 128 KiB, is
    glibc's own starting value held fixed: a prompt's activations (hundreds of KiB each) then leave no freed
    blocks in the heap either.  The setting is process-wide and applied once, when a model is loaded from
    files; it costs a system call per large allocation.
    """
    global _malloc_pinned
    if _malloc_pinned or not sys.platform.startswith("linux"):
        return _malloc_pinned
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _malloc_pinned = bool(libc.mallopt(_M_MMAP_THRESHOLD, int(threshold)))
    except (OSError, AttributeError):  # another C library (musl...): nothing to set
        _malloc_pinned = False
    return _malloc_pinned


def write_safetensors(path: str | Path, tensors, metadata: Mapping[str, str] | None = None) -> int:
    """Write a safetensors file one tensor at a time; returns its size in bytes.

    ``tensors`` is a list of ``(name, dtype, shape, produce)``: the header is written from the dtypes and shapes
    first, then each ``produce()`` is called in turn and its tensor written and dropped, so at most one tensor is
    in memory (``safetensors.torch.save_file`` needs them all at once).  As safetensors' own writer does, the
    data is laid out without gaps, wider dtypes first (so every tensor is aligned to its element size), in the
    given order within a width.
    """
    header: dict = {"__metadata__": dict(metadata)} if metadata else {}
    offset = 0
    layout = []
    widths = {name: torch.empty((), dtype=dtype).element_size() for name, dtype, _, _ in tensors}
    for name, dtype, shape, produce in sorted(tensors, key=lambda item: -widths[item[0]]):
        numel = 1
        for d in shape:
            numel *= d
        size = numel * widths[name]
        header[name] = {
            "dtype": _DTYPE_NAMES[dtype],
            "shape": list(shape),
            "data_offsets": [offset, offset + size],
        }
        layout.append((name, dtype, tuple(shape), produce))
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(raw)))
        handle.write(raw)
        for name, dtype, shape, produce in layout:
            tensor = produce()
            if tensor.dtype != dtype or tuple(tensor.shape) != shape:
                raise ValueError(
                    f"{name}: produced {tensor.dtype} {tuple(tensor.shape)}, declared {dtype} {shape}"
                )
            if tensor.numel():
                handle.write(memoryview(tensor.contiguous().reshape(-1).view(torch.uint8).numpy()))  # no copy
            del tensor
    return 8 + len(raw) + offset
