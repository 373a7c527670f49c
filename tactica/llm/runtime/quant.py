"""Weight formats of the edge runtime: float (float32 or bf16), int8 per output channel, int4 in groups, and
dynamic int8 (W8A8).

Each linear layer holds its weights in one format and computes ``x @ W.T`` with float32 activations in and out.

* float: ``DenseLinear`` keeps the stored dtype.  A bf16 weight is multiplied in bf16 (the activations are
  rounded to bf16 for the product), so a bf16 checkpoint runs from its own bytes without a float32 copy; on
  CPUs without bf16 instructions PyTorch converts inside the kernel, which costs little for one-token decoding
  (memory-bound) and about 3x for long prompts (measured in ``docs/plm.md``).  float16 weights are widened to
  float32 (CPU half-precision products are slow or missing).
* ``int8`` (weight-only): symmetric, one scale per output row: ``W[i] ~= q[i] * s[i]`` with ``q`` in
  [-127, 127].  Computed from the codes in place by PyTorch's ``_weight_int8pack_mm`` with bf16 activations
  (as fast as a float32 product, where converting the codes costs 18x), the float32 scales applied after;
  without that kernel, by converting rows to float in chunks (never a float copy of the whole matrix).
* ``int4`` (weight-only): asymmetric, one (scale, offset) per group of ``group_size`` (128, 64 or 32) inputs
  of a row: ``W[i, g] ~= (q - 8) * s[i, g] + z[i, g]`` with ``q`` in [0, 15], two values packed per byte; the
  scales and offsets are float16 values.  PyTorch's packed-weight CPU kernel (``_weight_int4pack_mm_for_cpu``)
  in its bf16 form (bf16 activations and scales, 15x faster than its float32 form on an AVX2 CPU) when the
  build has it, else chunked dequantisation.
* ``int8-dynamic`` (W8A8): the same int8 weights, multiplied by PyTorch's quantized-engine kernel
  (fbgemm/oneDNN on x86, QNNPACK on ARM) after rounding each input row to 8 bits (one scale per row).  The
  integer product reads a quarter of the float32 bytes, so decoding, which is memory-bound, runs several times
  faster than float32.  Every input row is quantised on its own, in decoding, in a batch of concurrent
  requests and in a prompt, so a token's logits do not depend on what it was computed with.

Large matrices (the vocabulary projection) are converted and packed in row chunks of about
:data:`CHUNK_ELEMENTS` weights, so neither loading nor a forward pass ever materialises a float copy of them.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = [
    "DenseLinear",
    "Int8Linear",
    "Int8DynamicLinear",
    "Int4Linear",
    "quantize_linear",
    "quantize_int8",
    "quantize_int4",
    "int4_group_size",
    "fake_quantize_rows",
    "QUANT_MODES",
    "CHUNK_ELEMENTS",
]

QUANT_MODES = (None, "int8", "int4", "int8-dynamic")
# weights converted per chunk (float transients of 16 MiB at most)
CHUNK_ELEMENTS = 1 << 22
# up to this many input rows, int8-dynamic runs its integer kernel row by row
ROW_KERNEL_ROWS = 64


_local = threading.local()


def _scratch(dtype: torch.dtype, rows: int, cols: int) -> torch.Tensor:
    """A reusable per-thread buffer [rows, cols] for chunk conversions.

    Converting chunk after chunk into fresh tensors leaves glibc's heap holding every freed 16 MiB block (its
    dynamic mmap threshold moves such blocks into the heap, which it rarely gives back): a single pass over a
    vocabulary projection then kept a gigabyte resident.  One buffer per thread and dtype avoids the churn.
    """
    buffers = _local.__dict__.setdefault("buffers", {})
    buffer = buffers.get(dtype)
    if buffer is None or buffer.numel() < rows * cols:
        with torch.inference_mode(False):  # a normal tensor, writable in and out of inference mode
            buffer = buffers[dtype] = torch.empty(max(rows * cols, CHUNK_ELEMENTS), dtype=dtype)
    return buffer[: rows * cols].view(rows, cols)


def _chunk_rows(out_features: int, in_features: int) -> int:
    return max(1, min(out_features, CHUNK_ELEMENTS // max(in_features, 1)))


def _row_ranges(out_features: int, in_features: int):
    step = _chunk_rows(out_features, in_features)
    return [(start, min(start + step, out_features)) for start in range(0, out_features, step)]


class DenseLinear:
    """A float weight [out, in] in float32 or bf16; ``__call__(x) = x @ W.T`` with float32 ``x`` and result."""

    def __init__(self, weight: torch.Tensor):
        weight = weight.detach()
        if weight.dtype not in (torch.float32, torch.bfloat16):
            weight = weight.float()
        self.weight = weight if weight.is_contiguous() else weight.contiguous()
        self.out_features, self.in_features = self.weight.shape

    @property
    def kind(self) -> str:
        return "bfloat16" if self.weight.dtype == torch.bfloat16 else "float32"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight.dtype == torch.float32:
            return F.linear(x, self.weight)
        return F.linear(x.to(self.weight.dtype), self.weight).float()

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """Float32 rows (embedding lookups with a tied head)."""
        return self.weight[index].float()

    def dequantize(self) -> torch.Tensor:
        return self.weight.float()

    @property
    def nbytes(self) -> int:
        return self.weight.numel() * self.weight.element_size()


# ---------------------------------------------------------------------------------------------- int8
def quantize_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-row int8: ``(codes int8 [out, in], scales float32 [out])``, computed in row chunks."""
    out_features, in_features = weight.shape
    codes = torch.empty(out_features, in_features, dtype=torch.int8)
    scales = torch.empty(out_features, dtype=torch.float32)
    for start, end in _row_ranges(out_features, in_features):
        rows = weight[start:end].float()
        scale = (rows.abs().amax(dim=1) / 127.0).clamp(min=1e-12)
        codes[start:end] = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8)
        scales[start:end] = scale
    return codes, scales


class Int8Linear(DenseLinear):
    """Symmetric per-output-channel int8 weights (from a float weight, or from stored codes and scales)."""

    kind = "int8"

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        *,
        codes: torch.Tensor | None = None,
        scales: torch.Tensor | None = None,
        kernel: bool = True,
    ):
        if weight is not None:
            codes, scales = quantize_int8(weight.detach())
        if codes is None or scales is None or codes.dtype != torch.int8 or codes.dim() != 2:
            raise ValueError("Int8Linear needs a float weight, or int8 codes [out, in] with their scales")
        if scales.shape != (codes.shape[0],):
            raise ValueError(
                f"int8 scales of shape {tuple(scales.shape)} do not match codes {tuple(codes.shape)}"
            )
        self.qweight = codes
        self.scale = scales.float()
        self.out_features, self.in_features = codes.shape
        self._ones = None  # unit scales for PyTorch's int8 kernel; ours are applied in float32 afterwards
        # the kernel reads rows in blocks of 8 values and crashes (segfault, torch 2.13) on other row lengths
        if kernel and _has_op("_weight_int8pack_mm") and codes.is_contiguous() and self.in_features % 16 == 0:
            # It also reads a little past the last row: on an AVX-512 BF16 CPU (an AMD EPYC) that crossed the end
            # of a checkpoint's file mapping and crashed, so the kernel only ever sees codes in process memory.
            self._ones = torch.ones(self.out_features, dtype=torch.bfloat16)
            probe = torch.randn(2, self.in_features, generator=torch.Generator().manual_seed(0))
            rows = codes[: min(self.out_features, 64)].clone()  # a copy of a few rows; the rest stay unread
            expected = F.linear(probe, rows.float()) * self.scale[: len(rows)]
            try:
                got = (
                    torch.ops.aten._weight_int8pack_mm(
                        probe.to(torch.bfloat16), rows, self._ones[: len(rows)]
                    ).float()
                    * self.scale[: len(rows)]
                )
                if float((got - expected).norm()) > 2e-2 * float(expected.norm()) + 1e-6:
                    self._ones = None
            except RuntimeError:  # a build whose kernel does not take these shapes: convert rows instead
                self._ones = None
            if self._ones is not None:
                self.qweight = codes.clone()

    def _kernel_call(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features).to(torch.bfloat16)
        y = torch.ops.aten._weight_int8pack_mm(flat, self.qweight, self._ones).float() * self.scale
        return y.reshape(*x.shape[:-1], self.out_features)

    def _codes(self, start: int = 0, end: int | None = None) -> torch.Tensor:
        return self.qweight[start:end]

    def _float_rows(self, start: int, end: int, dtype: torch.dtype) -> torch.Tensor:
        """Rows [start, end) of the codes as ``dtype``, in the thread's scratch buffer (valid until the next call)."""
        out = _scratch(dtype, end - start, self.in_features)
        out.copy_(self._codes(start, end))
        return out

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self._ones is not None:
            return self._kernel_call(x)
        parts = [
            F.linear(x, self._float_rows(start, end, x.dtype)) * self.scale[start:end]
            for start, end in _row_ranges(self.out_features, self.in_features)
        ]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return self._codes()[index].float() * self.scale[index, None]

    def dequantize(self) -> torch.Tensor:
        return self._codes().float() * self.scale[:, None]

    def state(self) -> dict[str, torch.Tensor]:
        """The tensors a quantised checkpoint stores for this layer."""
        return {"qweight": self._codes().contiguous(), "scales": self.scale}

    @property
    def nbytes(self) -> int:
        return self.qweight.numel() + self.scale.numel() * 4


def fake_quantize_rows(x: torch.Tensor, levels: int = 128) -> torch.Tensor:
    """Round each row of ``x`` [rows, features] to ``levels`` codes as PyTorch's dynamic quantisation does.

    The range is the row's min and max widened to include 0 (so 0 stays exact); the scale spreads it over
    ``levels - 1`` steps and the zero point is the code of 0.  128 levels is the ``reduce_range`` setting
    :class:`Int8DynamicLinear`'s kernel uses.
    """
    low = x.amin(dim=-1, keepdim=True).clamp(max=0.0)
    high = x.amax(dim=-1, keepdim=True).clamp(min=0.0)
    scale = ((high - low) / (levels - 1)).clamp(min=torch.finfo(x.dtype).tiny)
    zero_point = torch.round(-low / scale).clamp(0, levels - 1)
    codes = (torch.round(x / scale) + zero_point).clamp(0, levels - 1)
    return (codes - zero_point) * scale


class Int8DynamicLinear(Int8Linear):
    """Int8 weights (as :class:`Int8Linear`) times dynamically quantised 8-bit activations (W8A8).

    The weights are packed for the active quantized engine (``torch.backends.quantized.engine``) in row chunks;
    ``linear_dynamic`` then quantises each input row with its own scale and zero point and multiplies in
    integers.  ``reduce_range`` keeps 7-bit activations so that x86 CPUs without VNNI, whose 8-bit multiply-add
    saturates its 16-bit sums, give the same answers as those with it.

    The packed copy is the only copy of the codes kept unless ``keep_rows`` (embedding tables, whose rows are
    looked up every token; codes given as a memory-mapped view cost nothing while unused).  ``after_chunk(start,
    end)`` is called once rows [start, end) are packed (the loader drops their file pages there).  More than
    :data:`ROW_KERNEL_ROWS` input rows (long prompts) are rounded the same way and multiplied in float.
    """

    kind = "int8-dynamic"

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        *,
        codes: torch.Tensor | None = None,
        scales: torch.Tensor | None = None,
        keep_rows: bool = False,
        after_chunk: Callable[[int, int], None] | None = None,
    ):
        super().__init__(weight, codes=codes, scales=scales, kernel=False)
        self._packed = []
        with warnings.catch_warnings():
            # torch deprecates its quantized tensor *creation* helpers in favour of torchao; the kernels we
            # call are still the engine's own, so the warning is noise to our users.
            warnings.simplefilter("ignore", UserWarning)
            for start, end in _row_ranges(self.out_features, self.in_features):
                try:
                    qtensor = torch._make_per_channel_quantized_tensor(
                        self.qweight[start:end].contiguous(),
                        self.scale[start:end].double(),
                        torch.zeros(end - start, dtype=torch.long),
                        0,
                    )
                    self._packed.append((start, end, torch.ops.quantized.linear_prepack(qtensor, None)))
                    del qtensor
                except (RuntimeError, AttributeError) as exc:
                    engine = torch.backends.quantized.engine
                    raise ValueError(
                        f"quantisation 'int8-dynamic' needs a quantized engine with per-channel int8 linear "
                        f"kernels; this torch build's engine {engine!r} failed ({exc}); use 'int8' instead"
                    ) from exc
                if after_chunk is not None:
                    after_chunk(start, end)
        if not keep_rows:
            self.qweight = None

    def _codes(self, start: int = 0, end: int | None = None) -> torch.Tensor:
        """The int8 codes of rows [start, end): kept, or unpacked from the engine's copies."""
        if self.qweight is not None:
            return self.qweight[start:end]
        end = self.out_features if end is None else end
        parts = []
        for chunk_start, chunk_end, packed in self._packed:
            if chunk_end <= start or chunk_start >= end:
                continue
            codes = torch.ops.quantized.linear_unpack(packed)[0].int_repr()
            parts.append(codes[max(start, chunk_start) - chunk_start : min(end, chunk_end) - chunk_start])
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def _kernel_row(self, row: torch.Tensor) -> torch.Tensor:
        parts = [torch.ops.quantized.linear_dynamic(row, packed, True) for _, _, packed in self._packed]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1]).float().contiguous()
        if flat.shape[0] <= ROW_KERNEL_ROWS:  # decoding and batched decoding: the memory-bound case
            rows = [self._kernel_row(flat[i : i + 1]) for i in range(flat.shape[0])]
            y = rows[0] if len(rows) == 1 else torch.cat(rows)
        else:
            # a long prompt is compute-bound: round every row as the kernel would and multiply in float
            rounded = fake_quantize_rows(flat)
            y = torch.cat(
                [
                    F.linear(rounded, self._float_rows(start, end, flat.dtype)) * self.scale[start:end]
                    for start, end in _row_ranges(self.out_features, self.in_features)
                ],
                dim=-1,
            )
        return y.reshape(*shape[:-1], self.out_features)

    @property
    def nbytes(self) -> int:
        # the engine's packed copy (one byte per weight plus a column offset per output), the scales, and the
        # plain codes when they are kept for row lookups
        kept = 0 if self.qweight is None else self.qweight.numel()
        return self.out_features * self.in_features + self.out_features * 8 + kept


# ---------------------------------------------------------------------------------------------- int4
def int4_group_size(in_features: int, preferred: int | None = None) -> int | None:
    """The int4 group size for rows of ``in_features``: ``preferred`` if it divides them, else the largest of
    128, 64 and 32 that does; ``None`` when none does."""
    sizes = (preferred,) if preferred else (128, 64, 32)
    fitting = [g for g in sizes if in_features % g == 0]
    return fitting[0] if fitting else None


def quantize_int4(weight: torch.Tensor, group_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Asymmetric group-wise int4: ``(packed uint8 [out, in/2], scales float16 [out, groups], zeros float16)``.

    ``zeros`` is the value of the code 8 (the format torch's int4 kernel expects); scales and zeros are rounded to
    float16 first and the codes chosen against the rounded values.  Computed in row chunks.
    """
    out_features, in_features = weight.shape
    if in_features % group_size:
        raise ValueError(
            f"int4 needs in_features ({in_features}) to be a multiple of group_size ({group_size})"
        )
    groups = in_features // group_size
    packed = torch.empty(out_features, in_features // 2, dtype=torch.uint8)
    scales = torch.empty(out_features, groups, dtype=torch.float16)
    zeros = torch.empty(out_features, groups, dtype=torch.float16)
    for start, end in _row_ranges(out_features, in_features):
        rows = weight[start:end].float().view(end - start, groups, group_size)
        low, high = rows.amin(-1), rows.amax(-1)
        scale = ((high - low) / 15.0).clamp(min=1e-6).half().float()
        zero = (low + 8.0 * scale).half().float()
        q = (
            torch.round((rows - (zero - 8.0 * scale)[..., None]) / scale[..., None])
            .clamp(0, 15)
            .to(torch.uint8)
        )
        q = q.view(end - start, in_features)
        packed[start:end] = q[:, 0::2] | (q[:, 1::2] << 4)
        scales[start:end] = scale.half()
        zeros[start:end] = zero.half()
    return packed, scales, zeros


def _has_op(name: str) -> bool:
    return hasattr(torch.ops.aten, name)


class Int4Linear(DenseLinear):
    """Asymmetric group-wise int4 weights, two per byte (``group_size`` inputs share a scale and offset).

    Built from a float weight or from stored ``packed``/``scales``/``zeros``.  With PyTorch's int4 kernel the
    packed codes are repacked for it in row chunks (``after_chunk(start, end)`` is called after each);
    ``keep_packed=False`` then drops the plain packed codes (the layer can no longer look up rows), which is what
    a projection needs.
    """

    kind = "int4"

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        group_size: int = 32,
        *,
        packed: torch.Tensor | None = None,
        scales: torch.Tensor | None = None,
        zeros: torch.Tensor | None = None,
        keep_packed: bool = True,
        kernel: bool = True,
        after_chunk: Callable[[int, int], None] | None = None,
    ):
        if weight is not None:
            packed, scales, zeros = quantize_int4(weight.detach(), group_size)
        if packed is None or scales is None or zeros is None or packed.dtype != torch.uint8:
            raise ValueError(
                "Int4Linear needs a float weight, or packed uint8 codes with their scales and zeros"
            )
        n, half = packed.shape
        k = half * 2
        if scales.shape != zeros.shape or scales.dim() != 2 or scales.shape[0] != n or k % scales.shape[1]:
            raise ValueError(f"int4 scales {tuple(scales.shape)} / zeros {tuple(zeros.shape)} do not match "
                             f"codes {tuple(packed.shape)}")  # fmt: skip
        self.out_features, self.in_features = n, k
        self.group_size = k // scales.shape[1]
        self.packed, self.scales, self.zeros = packed, scales, zeros
        self._kernel: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._tail: torch.Tensor | None = None  # rows past the kernel's multiple of 16, dequantised
        covered = n - n % 16  # the kernel packs groups of 16 rows
        if (
            kernel
            and covered
            and _has_op("_weight_int4pack_mm_for_cpu")
            and _has_op("_convert_weight_to_int4pack_for_cpu")
        ):
            # chunks of CHUNK_ELEMENTS codes; every buffer is allocated once, and each persistent piece is at least
            # 1 MiB for real matrices, so no small temporaries fragment the heap between them
            step = max(16, CHUNK_ELEMENTS // k // 16 * 16)
            rows_max = min(step, covered)
            codes_buffer = torch.empty(rows_max * k, dtype=torch.int32)  # the unpacked codes of one chunk
            nibbles = torch.empty(rows_max * (k // 2), dtype=torch.uint8)
            groups = self.scales.shape[1]
            try:
                for start in range(0, covered, step):
                    end = min(start + step, covered)
                    rows = end - start
                    codes = codes_buffer[: rows * k].view(rows, k)
                    half = nibbles[: rows * (k // 2)].view(rows, k // 2)
                    torch.bitwise_and(self.packed[start:end], 0x0F, out=half)
                    codes[:, 0::2] = half
                    torch.bitwise_right_shift(self.packed[start:end], 4, out=half)
                    codes[:, 1::2] = half
                    weight_chunk = torch.ops.aten._convert_weight_to_int4pack_for_cpu(codes, 1)
                    # the kernel's bf16 form (bf16 activations, bf16 scales): 15x faster than its float32 form
                    scale_zero = torch.empty(groups, rows, 2, dtype=torch.bfloat16)
                    scale_zero[..., 0] = self.scales[start:end].T
                    scale_zero[..., 1] = self.zeros[start:end].T
                    self._kernel.append((weight_chunk, scale_zero))
                    if after_chunk is not None:
                        after_chunk(start, end)
                del codes_buffer, nibbles
                if covered < n:
                    self._tail = self._unpack(covered, n)
                probe = torch.randn(2, k, generator=torch.Generator().manual_seed(0))
                rows = min(n, 64)
                expected = F.linear(probe, self._unpack(0, rows))
                got = self._kernel_call(probe)[:, :rows]
                if float((got - expected).norm()) > 2e-2 * float(expected.norm()) + 1e-6:
                    self._kernel, self._tail = [], None
            except RuntimeError:  # shapes this build's kernel does not take: dequantise instead
                self._kernel, self._tail = [], None
        if self._kernel and not keep_packed:
            self.packed = None  # the kernel's copies are the only ones kept; rows() is then unavailable

    def _codes(self, start: int, end: int) -> torch.Tensor:
        p = self.packed[start:end]
        return torch.stack([p & 0x0F, p >> 4], dim=-1).view(end - start, self.in_features)

    def _unpack(self, start: int, end: int) -> torch.Tensor:
        if self.packed is None:
            raise RuntimeError("this int4 layer was built with keep_packed=False; its rows are not stored")
        groups = self._codes(start, end).view(end - start, -1, self.group_size).float() - 8.0
        out = groups * self.scales[start:end].float()[..., None] + self.zeros[start:end].float()[..., None]
        return out.view(end - start, self.in_features)

    def _kernel_call(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        low = flat.to(torch.bfloat16)
        # each chunk's bf16 result is widened straight into its columns of one output: no float copies of the
        # parts and no concatenation (a prompt's activations are the largest transients of a forward pass)
        y = torch.empty(flat.shape[0], self.out_features, dtype=torch.float32)
        start = 0
        for weight, scale_zero in self._kernel:
            part = torch.ops.aten._weight_int4pack_mm_for_cpu(low, weight, self.group_size, scale_zero)
            y[:, start : start + part.shape[1]] = part
            start += part.shape[1]
            del part
        if self._tail is not None:
            y[:, start:] = F.linear(flat.float(), self._tail)
        return y.reshape(*shape[:-1], self.out_features)

    def dequantize(self) -> torch.Tensor:
        if self.packed is None:  # recover W from the kernel: I @ W.T
            return self._kernel_call(torch.eye(self.in_features)).T.contiguous()
        return self._unpack(0, self.out_features)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self._kernel:
            return self._kernel_call(x)
        parts = [F.linear(x, self._unpack(s, e)) for s, e in _row_ranges(self.out_features, self.in_features)]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        flat = index.reshape(-1)
        if self.packed is None:
            raise RuntimeError("this int4 layer was built with keep_packed=False; its rows are not stored")
        p = self.packed[flat]
        q = torch.stack([p & 0x0F, p >> 4], dim=-1).view(len(flat), -1, self.group_size).float() - 8.0
        out = q * self.scales[flat].float()[..., None] + self.zeros[flat].float()[..., None]
        return out.view(*index.shape, self.in_features)

    def state(self) -> dict[str, torch.Tensor]:
        if self.packed is None:
            raise RuntimeError("this int4 layer was built with keep_packed=False; its codes are not stored")
        return {"qweight": self.packed.contiguous(), "scales": self.scales, "zeros": self.zeros}

    @property
    def nbytes(self) -> int:
        # the kernel's repacked copy when in use (plain codes kept beside it serve row lookups and saving, and
        # are views of the checkpoint file when loaded from one), else the packed nibbles and their scales
        total = 0
        if self.packed is not None and not self._kernel:
            total += self.packed.numel() + (self.scales.numel() + self.zeros.numel()) * 2
        for weight, scale_zero in self._kernel:
            total += weight.numel() * weight.element_size() + scale_zero.numel() * scale_zero.element_size()
        if self._tail is not None:
            total += self._tail.numel() * 4
        return total


def quantize_linear(
    weight: torch.Tensor, mode: str | None, group_size: int | None = None, *, keep_rows: bool = False
) -> DenseLinear:
    """Wrap ``weight`` [out, in] as a float, int8 or int4 linear layer (``keep_rows`` for embedding tables).

    int4 uses ``group_size`` inputs per scale, by default the largest of 128, 64 and 32 that divides the
    input size (128 gives 4.25 bits per weight with the float16 scale and offset); a layer no group size fits
    is stored as int8 instead.
    """
    if mode is None or mode == "none":
        return DenseLinear(weight)
    if mode == "int8":
        return Int8Linear(weight)
    if mode == "int8-dynamic":
        return Int8DynamicLinear(weight, keep_rows=keep_rows)
    if mode == "int4":
        size = int4_group_size(weight.shape[1], group_size)
        if size is None:
            return Int8Linear(weight)  # int4 needs whole groups; int8 keeps this layer close
        return Int4Linear(weight, size, keep_packed=keep_rows)
    raise ValueError(f"quantisation {mode!r} is not supported; accepted: none, int8, int4, int8-dynamic")
