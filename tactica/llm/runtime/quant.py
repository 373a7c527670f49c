"""Quantisation for the edge runtime: int8 per output channel, int4 in groups, and dynamic int8 (W8A8).

Each quantised linear layer stores integer weights and float scales.

* ``int8`` (weight-only): symmetric, one scale per output row: ``W[i] ~= q[i] * s[i]`` with ``q`` in
  [-127, 127].  ``x @ W.T`` converts the int8 weights on the fly and keeps float32 activations: the smallest
  error and a quarter of the weight memory, but no faster than float32 (the conversion reads more bytes than
  it saves, and torch's ``_weight_int8pack_mm`` measured slower still).
* ``int4`` (weight-only): asymmetric, one (scale, offset) per group of ``group_size`` (128, 64 or 32) inputs
  of a row: ``W[i, g] ~= (q - 8) * s[i, g] + z[i, g]`` with ``q`` in [0, 15], two values packed per byte;
  PyTorch's packed-weight CPU kernel (``_weight_int4pack_mm_for_cpu``) when the build has it.
* ``int8-dynamic`` (W8A8): the same int8 weights as ``int8``, multiplied by PyTorch's quantized-engine kernel
  (fbgemm/oneDNN on x86, QNNPACK on ARM) after quantising the activations to 8 bits on the fly (one scale
  for the whole input; in decoding that is one token's row).  The integer product reads a quarter of the
  float32 bytes, so single-token decoding, which is memory-bound, runs several times faster than float32; the
  activation rounding adds error on top of ``int8``'s (measured in ``docs/plm.md``).
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

__all__ = ["DenseLinear", "Int8Linear", "Int8DynamicLinear", "Int4Linear", "quantize_linear", "QUANT_MODES"]

QUANT_MODES = (None, "int8", "int4", "int8-dynamic")


class DenseLinear:
    """A float weight [out, in]; ``__call__(x) = x @ W.T``."""

    kind = "float32"

    def __init__(self, weight: torch.Tensor):
        self.weight = weight.detach().float().contiguous()
        self.out_features, self.in_features = self.weight.shape

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """Dequantised rows (used for embedding lookups with a tied head)."""
        return self.weight[index]

    def dequantize(self) -> torch.Tensor:
        return self.weight

    @property
    def nbytes(self) -> int:
        return self.weight.numel() * self.weight.element_size()


def _has_op(name: str) -> bool:
    return hasattr(torch.ops.aten, name)


class Int8Linear(DenseLinear):
    """Symmetric per-output-channel int8 weights."""

    kind = "int8"

    def __init__(self, weight: torch.Tensor):
        weight = weight.detach().float()
        self.out_features, self.in_features = weight.shape
        self.scale = (weight.abs().amax(dim=1) / 127.0).clamp(min=1e-12).contiguous()
        self.qweight = torch.round(weight / self.scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        # Converting the int8 rows and using float GEMM measured faster on x86 CPUs than torch's
        # _weight_int8pack_mm (5-40x slower than float32 for 128-row inputs in torch 2.13), so no kernel here.
        return F.linear(x, self.qweight.to(x.dtype)) * self.scale

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return self.qweight[index].float() * self.scale[index, None]

    def dequantize(self) -> torch.Tensor:
        return self.qweight.float() * self.scale[:, None]

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

    The weights are packed once for the active quantized engine (``torch.backends.quantized.engine``);
    ``linear_dynamic`` then quantises each call's input with one scale and zero point and multiplies in
    integers.  ``reduce_range`` keeps 7-bit activations so that x86 CPUs without VNNI, whose 8-bit
    multiply-add saturates its 16-bit sums, give the same answers as those with it.

    The packed copy is the only copy of the codes kept unless ``keep_rows`` (embedding tables, whose rows are
    looked up every token); the few calls that need the codes themselves unpack them.
    """

    kind = "int8-dynamic"

    def __init__(self, weight: torch.Tensor, *, keep_rows: bool = False):
        super().__init__(weight)
        zero_points = torch.zeros(self.out_features, dtype=torch.long)
        with warnings.catch_warnings():
            # torch deprecates its quantized tensor *creation* helpers in favour of torchao; the kernels we
            # call are still the engine's own, so the warning is noise to our users.
            warnings.simplefilter("ignore", UserWarning)
            try:
                qtensor = torch._make_per_channel_quantized_tensor(
                    self.qweight, self.scale.double(), zero_points, 0
                )
                self._packed = torch.ops.quantized.linear_prepack(qtensor, None)
            except (RuntimeError, AttributeError) as exc:
                engine = torch.backends.quantized.engine
                raise ValueError(
                    f"quantisation 'int8-dynamic' needs a quantized engine with per-channel int8 linear "
                    f"kernels; this torch build's engine {engine!r} failed ({exc}); use 'int8' instead"
                ) from exc
        if not keep_rows:
            self.qweight = None

    def _codes(self) -> torch.Tensor:
        """The int8 codes [out, in]: kept, or unpacked from the engine's copy."""
        if self.qweight is not None:
            return self.qweight
        return torch.ops.quantized.linear_unpack(self._packed)[0].int_repr()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1]).float().contiguous()
        if flat.shape[0] == 1:  # decoding: the memory-bound case the integer kernel is for
            y = torch.ops.quantized.linear_dynamic(flat, self._packed, True)
        else:
            # Several rows (a prompt chunk, a perplexity window) are compute-bound, and the kernel would share
            # one activation scale across all of them; quantise each row as decoding does and multiply in
            # float, so every token sees the same rounding whether it came in a prompt or was decoded.
            y = F.linear(fake_quantize_rows(flat), self._codes().to(flat.dtype)) * self.scale
        return y.reshape(*shape[:-1], self.out_features)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return self._codes()[index].float() * self.scale[index, None]

    def dequantize(self) -> torch.Tensor:
        return self._codes().float() * self.scale[:, None]

    @property
    def nbytes(self) -> int:
        # the engine's packed copy (one byte per weight plus a column offset per output), the scales, and the
        # plain codes when they are kept for row lookups
        kept = 0 if self.qweight is None else self.qweight.numel()
        return self.out_features * self.in_features + self.out_features * 8 + kept


class Int4Linear(DenseLinear):
    """Asymmetric group-wise int4 weights, two per byte (``group_size`` inputs share a scale and offset)."""

    kind = "int4"

    def __init__(self, weight: torch.Tensor, group_size: int = 32, *, keep_packed: bool = True):
        weight = weight.detach().float()
        n, k = weight.shape
        if k % group_size:
            raise ValueError(f"int4 needs in_features ({k}) to be a multiple of group_size ({group_size})")
        self.out_features, self.in_features, self.group_size = n, k, group_size
        groups = weight.view(n, k // group_size, group_size)
        low, high = groups.amin(-1), groups.amax(-1)
        self.scales = ((high - low) / 15.0).clamp(min=1e-12)
        self.zeros = low + 8.0 * self.scales  # value of the code 8, the format torch's int4 kernel expects
        q = (
            torch.round((groups - low[..., None]) / self.scales[..., None])
            .clamp(0, 15)
            .to(torch.uint8)
            .view(n, k)
        )
        self.packed = (q[:, 0::2] | (q[:, 1::2] << 4)).contiguous()
        self._kernel_weight = None
        if _has_op("_weight_int4pack_mm_for_cpu") and _has_op("_convert_weight_to_int4pack_for_cpu"):
            try:
                self._kernel_weight = torch.ops.aten._convert_weight_to_int4pack_for_cpu(q.to(torch.int32), 1)
                self._scale_zero = torch.stack([self.scales, self.zeros], -1).transpose(0, 1).contiguous()
                probe = torch.randn(2, k, generator=torch.Generator().manual_seed(0))
                if not torch.allclose(
                    self._kernel_call(probe), F.linear(probe, self.dequantize()), atol=1e-3
                ):
                    self._kernel_weight = None
            except RuntimeError:  # shapes this build's kernel does not take: dequantise instead
                self._kernel_weight = None
        if self._kernel_weight is not None and not keep_packed:
            # the kernel's copies are the only ones kept; rows() then is unavailable
            self.packed = self.scales = self.zeros = None

    def _packed_or_raise(self) -> torch.Tensor:
        if self.packed is None:
            raise RuntimeError("this int4 layer was built with keep_packed=False; its rows are not stored")
        return self.packed

    def _kernel_call(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        y = torch.ops.aten._weight_int4pack_mm_for_cpu(
            x.reshape(-1, shape[-1]).contiguous(), self._kernel_weight, self.group_size, self._scale_zero
        )
        return y.reshape(*shape[:-1], self.out_features)

    def _unpack(self, packed, scales, zeros) -> torch.Tensor:
        n = packed.shape[0]
        q = torch.stack([packed & 0x0F, packed >> 4], dim=-1).view(n, self.in_features)
        groups = q.view(n, -1, self.group_size).float() - 8.0
        return (groups * scales[..., None] + zeros[..., None]).view(n, self.in_features)

    def dequantize(self) -> torch.Tensor:
        if self.packed is None:  # recover W from the kernel: I @ W.T
            return self._kernel_call(torch.eye(self.in_features)).T.contiguous()
        return self._unpack(self.packed, self.scales, self.zeros)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self._kernel_weight is not None:
            return self._kernel_call(x)
        return F.linear(x, self.dequantize())

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        flat = index.reshape(-1)
        out = self._unpack(self._packed_or_raise()[flat], self.scales[flat], self.zeros[flat])
        return out.view(*index.shape, self.in_features)

    @property
    def nbytes(self) -> int:
        # packed nibbles, per-group scale and offset, and the kernel's repacked copy when one is in use
        total = 0
        if self.packed is not None:
            total += self.packed.numel() + (self.scales.numel() + self.zeros.numel()) * 4
        if self._kernel_weight is not None:
            total += (
                self._kernel_weight.numel() * self._kernel_weight.element_size()
                + self._scale_zero.numel() * 4
            )
        return total


def quantize_linear(
    weight: torch.Tensor, mode: str | None, group_size: int | None = None, *, keep_rows: bool = False
) -> DenseLinear:
    """Wrap ``weight`` [out, in] as a float, int8 or int4 linear layer (``keep_rows`` for embedding tables).

    int4 uses ``group_size`` inputs per scale, by default the largest of 128, 64 and 32 that divides the
    input size (128 gives 4.5 bits per weight with the float32 scale and offset); a layer no group size fits
    is stored as int8 instead.
    """
    if mode is None or mode == "none":
        return DenseLinear(weight)
    if mode == "int8":
        return Int8Linear(weight)
    if mode == "int8-dynamic":
        return Int8DynamicLinear(weight, keep_rows=keep_rows)
    if mode == "int4":
        sizes = (group_size,) if group_size else (128, 64, 32)
        fitting = [g for g in sizes if weight.shape[1] % g == 0]
        if not fitting:
            return Int8Linear(weight)  # int4 needs whole groups; int8 keeps this layer close
        return Int4Linear(weight, fitting[0], keep_packed=keep_rows)
    raise ValueError(f"quantisation {mode!r} is not supported; accepted: none, int8, int4, int8-dynamic")
