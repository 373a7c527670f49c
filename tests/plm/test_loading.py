"""Memory-lean loading: memory-mapped safetensors, bf16 compute, quantised checkpoints saved and loaded."""

from __future__ import annotations

import json
import struct

import pytest
import torch

from tactica.cli.main import main
from tactica.llm.plm import save_model
from tactica.llm.runtime import EdgeModel, PLMRuntime, SafetensorsFile, SamplingParams
from tactica.llm.runtime.convert import convert_checkpoint
from tactica.llm.runtime.quant import (
    Int4Linear,
    Int8DynamicLinear,
    Int8Linear,
    fake_quantize_rows,
    quantize_int4,
    quantize_int8,
)
from tactica.llm.runtime.weights import write_safetensors

from .conftest import random_model, tiny_config

IDS = list(range(1, 30))


@pytest.fixture(scope="module")
def model(tokenizer):
    return random_model(tiny_config(hidden_size=64, vocab_size=tokenizer.vocab_size), seed=1)


@pytest.fixture(scope="module")
def float_dir(tmp_path_factory, model, tokenizer):
    directory = tmp_path_factory.mktemp("loading") / "f32"
    save_model(model, directory)
    tokenizer.save_pretrained(directory)
    return directory


def _logits(engine):
    return engine.forward(IDS, engine.new_cache(), all_logits=True)


def test_weights_are_views_of_the_mapped_file(float_dir, model):
    engine = EdgeModel.from_pretrained(float_dir)
    name = "model.layers.0.mlp.up_proj.weight"
    mapped = engine._source._where[name]._mmap
    view = engine.layers[0].up_proj.weight
    # the engine computes straight from the file's pages: no copy was made
    base = torch.frombuffer(mapped, dtype=torch.uint8).data_ptr()
    assert base <= view.data_ptr() < base + len(mapped)
    torch.testing.assert_close(_logits(engine), _logits(EdgeModel(model)), atol=1e-5, rtol=0)


def test_a_bf16_checkpoint_runs_in_bf16_without_a_float_copy(tmp_path, float_dir, model):
    convert_checkpoint(float_dir, tmp_path / "bf16", "bfloat16")
    engine = EdgeModel.from_pretrained(tmp_path / "bf16")
    kinds = engine.memory_report().weight_bytes_by_kind
    assert engine.layers[0].q_proj.weight.dtype == torch.bfloat16
    assert kinds["bfloat16"] > 20 * kinds.get("float32", 0)  # only norms are widened
    reference = _logits(EdgeModel(model))
    rel = float((_logits(engine) - reference).norm() / reference.norm())
    assert rel < 0.03  # bf16 rounding of weights and activations
    widened = EdgeModel.from_pretrained(tmp_path / "bf16", dtype=torch.float32)
    assert widened.layers[0].q_proj.weight.dtype == torch.float32


@pytest.mark.parametrize("fmt, modes", [("int8", (None, "int8", "int8-dynamic")), ("int4", (None, "int4"))])
def test_quantised_checkpoints_load_their_codes_as_stored(tmp_path, float_dir, model, fmt, modes):
    out = tmp_path / fmt
    convert_checkpoint(float_dir, out, fmt)
    config = json.loads((out / "config.json").read_text())
    assert config["quantization_config"] == {"quant_method": "tactica", "format": fmt, "group_size": None}
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert (out / name).read_bytes() == (float_dir / name).read_bytes()
    stored = SafetensorsFile(out / "model.safetensors")
    assert (
        "model.layers.0.mlp.up_proj.weight" not in stored and "model.layers.0.mlp.up_proj.qweight" in stored
    )
    for mode in modes:
        loaded = EdgeModel.from_pretrained(out, quantize=mode)
        assert loaded.quantize == (mode or fmt)
        at_load = EdgeModel(model, quantize=mode or fmt)
        # the same codes as quantising at load time, without their float source
        torch.testing.assert_close(_logits(loaded), _logits(at_load), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="quantised to"):
        EdgeModel.from_pretrained(out, quantize="int4" if fmt == "int8" else "int8")
    with pytest.raises(ValueError, match="already quantised"):
        convert_checkpoint(out, tmp_path / "again", "int4")
    runtime = PLMRuntime.from_pretrained(out)
    assert isinstance(
        runtime.chat([{"role": "user", "content": "hi"}], SamplingParams(max_new_tokens=3)).text, str
    )


def test_quantised_files_are_smaller(tmp_path, float_dir):
    sizes = {}
    for fmt in ("bfloat16", "int8", "int4"):
        sizes[fmt] = convert_checkpoint(float_dir, tmp_path / fmt, fmt).stat().st_size
    full = (float_dir / "model.safetensors").stat().st_size
    # norms and kv_b_proj keep the source's float32 in the quantised files
    assert (
        sizes["bfloat16"] < 0.51 * full
        and sizes["int8"] < 0.4 * full
        and sizes["int4"] < 0.85 * sizes["int8"]
    )


def test_stored_codes_round_trip_exactly():
    weight = torch.randn(40, 128, generator=torch.Generator().manual_seed(0))
    codes, scales = quantize_int8(weight)
    assert torch.equal(Int8Linear(codes=codes, scales=scales).dequantize(), Int8Linear(weight).dequantize())
    packed, s4, z4 = quantize_int4(weight, 64)
    layer = Int4Linear(packed=packed, scales=s4, zeros=z4)
    assert torch.equal(layer.dequantize(), Int4Linear(weight, 64).dequantize())
    # every weight within half a step of its code (float16 scales and offsets add a few parts in 10^3)
    err = (layer.dequantize() - weight).abs().view(40, 2, 64)
    assert bool((err <= s4.float()[..., None] * 0.51 + 1e-3).all())
    dynamic = Int8DynamicLinear(codes=codes, scales=scales)
    x = torch.randn(3, 128)
    torch.testing.assert_close(dynamic(x), torch.cat([dynamic(x[i : i + 1]) for i in range(3)]))


def test_large_matrices_are_converted_in_chunks(monkeypatch):
    import tactica.llm.runtime.quant as quant

    monkeypatch.setattr(quant, "CHUNK_ELEMENTS", 512)  # 8 rows of 64 per chunk
    weight = torch.randn(50, 64, generator=torch.Generator().manual_seed(1))
    x = torch.randn(2, 64)
    for layer in (Int8Linear(weight, kernel=False), Int4Linear(weight, 32, kernel=False)):  # the float paths
        torch.testing.assert_close(layer(x), x @ layer.dequantize().T, atol=1e-4, rtol=1e-4)
    dynamic = Int8DynamicLinear(weight)
    assert len(dynamic._packed) == 7
    torch.testing.assert_close(
        dynamic(x), fake_quantize_rows(x) @ dynamic.dequantize().T, atol=1e-4, rtol=1e-4
    )
    int4 = Int4Linear(weight, 32)
    if int4._kernel:  # the kernel packs rows in groups of 16; the last 2 rows are computed apart
        assert len(int4._kernel) == 3 and int4._tail.shape == (2, 64)
        exact = x @ int4.dequantize().T
        assert float((int4(x) - exact).norm() / exact.norm()) < 1e-2  # bf16 activations


def _write_raw(path, header: dict, data: bytes = b"") -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


@pytest.mark.parametrize(
    "header, data, message",
    [
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8, "byte range"),
        ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "needs 12 bytes"),
        ({"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, "dtype"),
        ({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, "shape"),
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, "byte range"),
        ({"w": [1, 2]}, b"", "not an object"),
    ],
)
def test_malformed_safetensors_headers_are_refused(tmp_path, header, data, message):
    path = tmp_path / "bad.safetensors"
    _write_raw(path, header, data)
    with pytest.raises(ValueError, match=message):
        SafetensorsFile(path)


def test_truncated_or_foreign_files_are_refused(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"\x05")
    with pytest.raises(ValueError, match="not a safetensors file"):
        SafetensorsFile(path)
    path.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(ValueError, match="header length"):
        SafetensorsFile(path)


def test_streamed_writer_matches_safetensors(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    tensors = {"a": torch.randn(3, 5).bfloat16(), "b": torch.arange(7, dtype=torch.int8), "c": torch.randn(2)}
    items = [(k, v.dtype, tuple(v.shape), lambda v=v: v) for k, v in tensors.items()]
    write_safetensors(tmp_path / "ours.safetensors", items, {"format": "pt"})
    loaded = st.load_file(str(tmp_path / "ours.safetensors"))
    assert set(loaded) == set(tensors) and all(torch.equal(loaded[k], v) for k, v in tensors.items())
    mapped = SafetensorsFile(tmp_path / "ours.safetensors")
    assert all(torch.equal(mapped.tensor(k), v) for k, v in tensors.items())
    mapped.release("a")  # dropping a tensor's pages keeps its contents readable from the file
    assert torch.equal(mapped.tensor("a"), tensors["a"])


def test_quantize_cli(tmp_path, float_dir, capsys):
    assert main(["quantize", str(float_dir), "--out", str(tmp_path / "q"), "--format", "int4", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["out_bytes"] < info["source_bytes"]
    assert main(["quantize", str(float_dir), "--out", str(tmp_path / "q"), "--format", "int8"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (
        main(["quantize", str(tmp_path / "nowhere"), "--out", str(tmp_path / "z"), "--format", "int8"]) == 2
    )
    assert (
        main(
            [
                "quantize",
                str(float_dir),
                "--out",
                str(tmp_path / "z"),
                "--format",
                "int8",
                "--group-size",
                "64",
            ]
        )
        == 2
    )


def _mapped_kib(path) -> int:
    """Resident KiB of this process's mappings of ``path`` (Linux ``/proc/self/smaps``)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if line[:1] in "0123456789abcdef" and "-" in line.split()[0]:  # a mapping's first line
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_settle_drops_the_pages_that_reading_later_chunks_mapped_again(tmp_path):
    """A page fault also maps the cached pages around it ("fault-around"), so converting a matrix chunk by
    chunk maps back pages of the chunks released before; settle() drops them once loading is done."""
    from tactica.llm.runtime.weights import WeightSource

    path = tmp_path / "model.safetensors"
    rows, cols = 1000, 256  # rows of 1 KiB: 60-row chunks end inside 64 KiB windows
    write_safetensors(
        path, [("w", torch.float32, (rows, cols), lambda: torch.arange(rows * cols).float().view(rows, cols))]
    )
    source = WeightSource.from_directory(tmp_path)
    for start in range(0, rows, 60):  # the converter's pattern: read a chunk, release it
        end = min(start + 60, rows)
        assert float(source["w"][start:end, 0].sum()) == sum(r * cols for r in range(start, end))
        source.release("w", (start, end))
    refilled = _mapped_kib(path.resolve())
    source.settle()
    assert _mapped_kib(path.resolve()) <= 8 < refilled  # at most the pages the tensor shares with the header
    assert float(source["w"][999, 255]) == rows * cols - 1  # released pages are read from the file again
