"""Measurement harness: kernels against NumPy references, CUDA sources, sizes, and the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from analysis.errors import UnknownDTypeError
from analysis.measure import __main__ as cli
from analysis.measure import get_backend, kernels, roofline_suite, time_fn
from analysis.measure.backend import Backend
from analysis.measure.suites import SUITES, load_all

NP = get_backend("numpy")


# ---- bf16 bit patterns (hand-checkable) ------------------------------------------------------
@pytest.mark.parametrize(("value", "bits"), [
    (1.0, 0x3F80), (-2.0, 0xC000), (0.0, 0x0000),
    (1 + 1 / 256, 0x3F80),  # halfway between 0x3F80 and 0x3F81: ties to even
    (1 + 3 / 256, 0x3F82),  # halfway between 0x3F81 and 0x3F82: ties to even
    (1 + 1.5 / 256, 0x3F81),  # above halfway: rounds up
])  # fmt: skip
def test_bf16_rounding(value, bits):
    got = kernels.to_bf16_bits(np, np.array([value], np.float32))
    assert got.dtype == np.uint16 and int(got[0]) == bits


def test_bf16_round_trip_error_is_within_half_ulp():
    x = np.random.default_rng(0).standard_normal(10_000).astype(np.float32)
    back = kernels.from_bf16_bits(np, kernels.to_bf16_bits(np, x))
    assert np.all(np.abs(back - x) <= np.abs(x) * 2.0**-8)  # 8 significant bits


# ---- kernels on the NumPy backend -------------------------------------------------------------
def test_stream_read_sums_every_element():
    x = (
        np.random.default_rng(1).standard_normal(1_000_003).astype(np.float32)
    )  # odd size, all chunks
    assert kernels.read_sum(NP, x) == pytest.approx(
        float(x.sum(dtype=np.float64)), rel=1e-5, abs=1e-2
    )


def test_copy_copies():
    src = np.random.default_rng(2).standard_normal(12_345).astype(np.float32)
    dst = np.zeros_like(src)
    kernels.copy(NP, src, dst)()
    np.testing.assert_array_equal(dst, src)
    with pytest.raises(ValueError, match="equal shapes"):
        kernels.copy(NP, src, np.zeros(3, np.float32))


def test_gemm_matches_float64_reference():
    x = kernels.random_matrix(NP, (7, 64), "fp32", seed=3)
    w = kernels.random_matrix(NP, (64, 33), "fp32", seed=4)
    got = kernels.gemm(NP, x, w, "fp32")()
    np.testing.assert_allclose(
        got, x.astype(np.float64) @ w.astype(np.float64), rtol=1e-4, atol=1e-4
    )


def test_gemm_rejects_bad_input():
    x, w = np.ones((2, 3), np.float32), np.ones((4, 5), np.float32)
    with pytest.raises(ValueError, match=r"\(B x d\) and \(d x f\)"):
        kernels.gemm(NP, x, w, "fp32")
    with pytest.raises(UnknownDTypeError, match="fp32"):
        kernels.gemm(NP, np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), "bf16")
    with pytest.raises(UnknownDTypeError):
        kernels.random_matrix(NP, (2, 2), "fp64")


def test_time_fn_repeats_and_rejects_bad_counts():
    calls = []
    timing = time_fn(lambda: calls.append(1), NP, repeats=4, warmup=2)
    assert len(calls) == 6 and len(timing.times_s) == 4 and timing.median_s >= 0
    with pytest.raises(ValueError, match="repeats"):
        time_fn(lambda: None, NP, repeats=0)


# ---- CUDA sources --------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "filename"), sorted(kernels.CUDA_SOURCES.items()))
def test_cuda_source_names_its_kernel(name, filename):
    text = (kernels.CUDA_DIR / filename).read_text()
    assert f'extern "C" __global__ void {name}(' in text


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not on PATH")
@pytest.mark.parametrize(("name", "filename", "vector_op"), [
    ("stream_read_f4", "stream_read.cu", "ld.global.cs.v4.f32"),
    ("copy_f4", "copy.cu", "st.global.cs.v4.f32"),
])  # fmt: skip
def test_cuda_sources_compile_to_16_byte_accesses(tmp_path, name, filename, vector_op):
    ptx = tmp_path / f"{name}.ptx"
    proc = subprocess.run(
        ["nvcc", "--ptx", "-arch=sm_90", str(kernels.CUDA_DIR / filename), "-o", str(ptx)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    text = ptx.read_text()
    assert f".entry {name}(" in text
    assert vector_op in text  # float4: one 16-byte load/store per instruction


# ---- sizes ----------------------------------------------------------------------------------
class FakeCPU(Backend):
    """The NumPy backend with a fixed cache and free memory, so sizes do not depend on this host."""

    def __init__(self, free_bytes: int = 20 * 10**9):
        super().__init__("numpy", np)
        self.free_bytes = free_bytes

    def last_level_cache_bytes(self) -> int:
        return 32 * 2**20

    def free_memory_bytes(self) -> int:
        return self.free_bytes


def test_cpu_plan_sizes_from_the_device():
    llc = 32 * 2**20
    for quick in (False, True):
        sizes = roofline_suite.plan(FakeCPU(), quick)
        assert sizes["stream_bytes"] == (4 if quick else 8) * llc
        for dtype, shape in sizes["gemm"].items():
            assert shape["d_in"] * shape["d_out"] * roofline_suite.DTYPE_BYTES[dtype] >= 4 * llc
    full = roofline_suite.plan(FakeCPU(), False)
    assert full["batches"] == [2**i for i in range(13)]  # 1 ... 4096
    assert full["gemm"]["fp32"] == {
        "d_in": 6144,
        "d_out": 6144,
    }  # ceil(sqrt(4 * 32 MiB / 4) / 512) * 512


def test_plan_caps_the_stream_array_to_free_memory():
    sizes = roofline_suite.plan(FakeCPU(free_bytes=400 * 2**20), False)
    assert sizes["stream_bytes"] == 100 * 2**20  # a quarter of free memory


class FakeGPU(Backend):
    """Just enough of a CuPy backend to plan sizes (no GPU is touched)."""

    def __init__(self):
        super().__init__("cupy", np)

    def last_level_cache_bytes(self) -> int:
        return 50 * 2**20  # an H100/H200-class L2

    def free_memory_bytes(self) -> int:
        return 140 * 10**9


def test_gpu_plan():
    sizes = roofline_suite.plan(FakeGPU(), False)
    assert sizes["batches"][0] == 1 and sizes["batches"][-1] == 16384
    assert set(sizes["gemm"]) == {"fp16", "bf16", "fp32"}
    for dtype, shape in sizes["gemm"].items():
        assert shape["d_in"] * shape["d_out"] * roofline_suite.DTYPE_BYTES[dtype] >= 8 * 50 * 2**20


# ---- the suite and the CLI ------------------------------------------------------------------
TINY = {
    "last_level_cache_bytes": 1 << 20, "stream_bytes": 1 << 16, "gemm": {"fp32": {"d_in": 64, "d_out": 48}},
    "batches": [1, 2, 8], "peak_n": 32, "repeats": 3, "warmup": 1, "rule": "tiny (test)",
}  # fmt: skip


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(roofline_suite, "plan", lambda backend, quick: TINY)


def test_suite_result_shape(tiny):
    out = roofline_suite.run(NP, True, False)
    assert out["stream_read"]["bytes_per_s"] > 0 and out["copy"]["bytes_moved"] == 2 * (1 << 16)
    assert out["peak"]["fp32"]["flops"] == 2 * 32**3
    points = out["gemm"]["fp32"]["points"]
    assert [p["batch"] for p in points] == [1, 2, 8]
    assert all(len(p["timing"]["times_s"]) == 3 for p in points)
    assert points[2]["flops"] == 2 * 8 * 64 * 48


def test_out_of_memory_is_recorded_not_raised(tiny, monkeypatch):
    real = roofline_suite.random_matrix

    def fake(backend, shape, dtype, seed=0):
        if shape == (8, 64):
            raise MemoryError("simulated")
        return real(backend, shape, dtype, seed)

    monkeypatch.setattr(roofline_suite, "random_matrix", fake)
    points = roofline_suite.run(NP, True, False)["gemm"]["fp32"]["points"]
    assert [p["batch"] for p in points] == [1, 2, 8]
    assert "out of memory" in points[2]["error"] and "timing" in points[1]


@pytest.mark.parametrize("argv", [
    ["--suite", "nope"], [], ["--suite", "roofline", "--backend", "tpu"], ["--suite", "roofline", "--bogus"],
])  # fmt: skip
def test_cli_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_cli_cupy_without_gpu(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("analysis.measure.backend.cuda_available", lambda: False)
    assert (
        cli.main(["--suite", "roofline", "--backend", "cupy", "--out", str(tmp_path / "x.json")])
        == 2
    )
    assert "no usable CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_cli_writes_then_refuses_to_overwrite(tmp_path, tiny, capsys):
    out = tmp_path / "r.json"
    assert (
        cli.main(
            [
                "--suite",
                "roofline",
                "--quick",
                "--no-progress",
                "--backend",
                "numpy",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert doc["suite"] == "roofline" and doc["provenance"]["backend"] == "numpy"
    assert doc["provenance"]["device"]["name"] and doc["provenance"]["date_utc"]
    before = out.read_bytes()
    assert cli.main(["--suite", "roofline", "--quick", "--no-progress", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_bytes() == before
    assert (
        cli.main(
            ["--suite", "roofline", "--quick", "--no-progress", "--out", str(out), "--overwrite"]
        )
        == 0
    )


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    load_all()

    def interrupted(backend, quick, progress):
        raise KeyboardInterrupt

    monkeypatch.setitem(
        SUITES, "roofline", SUITES["roofline"].__class__("roofline", "x", interrupted)
    )
    out = tmp_path / "r.json"
    assert cli.main(["--suite", "roofline", "--no-progress", "--out", str(out)]) == 130
    assert list(tmp_path.iterdir()) == []  # no file, no temporary
    assert "nothing written" in capsys.readouterr().err
