"""Regression tests for the bad-input defects of issue 15 fixed in the ground-floor modules
(errors, units, fileio, measure CLI and backend, results, attention bytes, figures CLI).

Each test names the input the issue reported and checks the documented refusal (a typed error
naming the argument) or the documented behaviour (file modes, paths checked before measuring).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import stat
import sys
import threading
import types

import pytest

from analysis import errors, units
from analysis.errors import (
    AnalysisError,
    InvalidTypeError,
    InvalidValueError,
    UnknownDTypeError,
    UnknownNameError,
)
from analysis.fileio import atomic_write_bytes, atomic_write_json
from analysis.measure import __main__ as cli
from analysis.measure import attention, backend, results, roofline_suite
from analysis.measure.suites import SUITES, load_all

# ---- the validators -------------------------------------------------------------------------

TYPE_BAD = [None, [], b"", 1j, "", "bogus", True, False]


@pytest.mark.parametrize("value", TYPE_BAD)
def test_require_number_refuses_wrong_types_with_the_argument_name(value):
    with pytest.raises(InvalidTypeError, match=r"^width must be a real number") as exc:
        errors.require_number("width", value)
    assert isinstance(exc.value, TypeError) and isinstance(exc.value, ValueError)
    assert exc.value.argument == "width"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
def test_require_number_refuses_what_a_float_cannot_hold(value):
    with pytest.raises(InvalidValueError, match="width must be a finite number"):
        errors.require_number("width", value)


def test_huge_integer_is_shown_by_its_size_not_its_digits():
    with pytest.raises(InvalidValueError) as exc:
        errors.require_positive("n", 10**400)
    assert "integer of 401 digits" in str(exc.value) and len(str(exc.value)) < 200


def test_require_positive_keeps_its_contract():
    assert errors.require_positive("x", 2) == 2 and errors.require_positive("x", 1e308) == 1e308
    assert errors.require_positive("x", 0, allow_zero=True) == 0
    for bad in (0, -1, -1e-300):
        with pytest.raises(ValueError, match="x must be > 0"):
            errors.require_positive("x", bad)


def test_require_count():
    assert errors.require_count("n", 3) == 3 and errors.require_count("n", 8192.0) == 8192
    assert errors.require_count("n", 0, minimum=0) == 0
    for bad in (0.5, 0, -1):
        with pytest.raises(InvalidValueError, match="n must be an integer >= 1"):
            errors.require_count("n", bad)
    with pytest.raises(InvalidValueError, match="n must be a finite number"):
        errors.require_count("n", math.nan)
    for bad in (True, None, "3", [3]):
        with pytest.raises(InvalidTypeError, match="n must be an integer"):
            errors.require_count("n", bad)


def test_require_fraction_ends():
    assert errors.require_fraction("f", 0) == 0 and errors.require_fraction("f", 1) == 1
    with pytest.raises(InvalidValueError, match=r"f must be a fraction in \(0, 1\]"):
        errors.require_fraction("f", 0, open_low=True)
    for bad in (-0.1, 1.2, 1e308):
        with pytest.raises(InvalidValueError, match=r"in \[0, 1\]"):
            errors.require_fraction("f", bad)


def test_require_name_and_dtype():
    with pytest.raises(UnknownNameError, match="model: unknown model 'bogus'; known models: a, b"):
        errors.require_name("model", "bogus", ["a", "b"])
    with pytest.raises(InvalidTypeError, match="model must be one of the names a, b"):
        errors.require_name("model", None, ["a", "b"])
    with pytest.raises(UnknownDTypeError, match="kv_dtype: unknown dtype 'fp64'; allowed: bf16"):
        errors.require_dtype("kv_dtype", "fp64", ["bf16"])


def test_require_date_accepts_iso_strings_and_dates():
    assert errors.require_date("date", "2024-01-01") == dt.date(2024, 1, 1)
    assert errors.require_date("date", dt.datetime(2024, 1, 1, 5)) == dt.date(2024, 1, 1)
    with pytest.raises(InvalidValueError, match="date must be a date or an ISO date string"):
        errors.require_date("date", "yesterday")
    with pytest.raises(InvalidTypeError):
        errors.require_date("date", 20240101)


def test_require_bool():
    assert errors.require_bool("flag", False) is False
    for bad in (0, 1, "yes", None):
        with pytest.raises(InvalidTypeError, match="flag must be True or False"):
            errors.require_bool("flag", bad)


def test_require_instance_names_the_argument_and_the_type_wanted():
    row = dt.date(2024, 1, 1)
    assert errors.require_instance("day", row, dt.date, "a date") is row
    with pytest.raises(InvalidTypeError, match="row must be a prices.PriceRow, got 3 of type int"):
        errors.require_instance("row", 3, dt.date, "a prices.PriceRow")


def test_require_finite_result_refuses_an_int_beyond_the_float_range():
    # 10**400 has no float: the check must say the inputs were too large, not overflow itself.
    assert errors.require_finite_result(10**300, "n", 3) == 10**300
    with pytest.raises(
        InvalidValueError, match="n must be small enough that the result is a finite"
    ):
        errors.require_finite_result(10**400, "n", 3)
    with pytest.raises(InvalidValueError, match="n must be small enough"):
        errors.require_finite_result(math.inf, "n", 3)


def test_every_typed_error_is_an_analysis_error():
    for cls in (InvalidTypeError, InvalidValueError, UnknownDTypeError, UnknownNameError):
        assert issubclass(cls, AnalysisError)
    assert issubclass(errors.MissingConfigKeyError, AnalysisError)


# ---- units (issue 15: si(inf), si(None), thousands(1.0, -1), exact_bytes(-1, ...)) ----------


@pytest.mark.parametrize(
    "call, exc, argument",
    [
        (lambda: units.si(math.inf), InvalidValueError, "value"),
        (lambda: units.si(None), InvalidTypeError, "value"),
        (lambda: units.si(1.0, None), InvalidTypeError, "unit"),
        (lambda: units.si(1.0, "B", 0), InvalidValueError, "digits"),
        (lambda: units.thousands(1.0, -1), InvalidValueError, "decimals"),
        (lambda: units.exact_bytes(-1, "bf16"), InvalidValueError, "count"),
        (lambda: units.exact_bytes(0.5, "bf16"), InvalidValueError, "count"),
        (lambda: units.fmt_sig(math.nan), InvalidValueError, "value"),
        (lambda: units.pct(1e308), InvalidValueError, "fraction"),
        (lambda: units.dtype_bytes([]), UnknownDTypeError, "dtype"),
    ],
)
def test_units_refuse_bad_input(call, exc, argument):
    with pytest.raises(exc) as info:
        call()
    assert info.value.argument == argument and argument in str(info.value)


def test_units_still_format_published_examples():
    # The docstrings' examples (H100 SXM's 3.35 TB/s HBM3 bandwidth).
    assert units.si(3.35e12, "B/s") == "3.35 TB/s"
    assert units.thousands(327680) == "327,680" and units.pct(0.0123) == "1.2%"
    assert units.exact_bytes(3, "fp4") == 2 and units.exact_bytes(0, "bf16") == 0


# ---- attention.bytes_read(-1, ...) -----------------------------------------------------------


def test_bytes_read_refuses_negative_counts():
    with pytest.raises(InvalidValueError, match="k must be an integer >= 1, got -1"):
        attention.bytes_read(-1, 100, 10, 8, 128, 2)
    with pytest.raises(InvalidValueError, match="prefix"):
        attention.bytes_read(2, -5, 10, 8, 128, 2)
    # 2 branches x (100 + 10) tokens x 2 (K and V) x 8 heads x 128 x 2 bytes
    assert attention.bytes_read(2, 100, 10, 8, 128, 2)["per_branch"] == 2 * 110 * 2 * 8 * 128 * 2


def test_predicted_speedup_refuses_an_empty_cache():
    with pytest.raises(InvalidValueError, match="suffix"):
        attention.predicted_speedup(4, 0, 0)


# ---- files are written 0644; concurrent writers do not clobber each other ------------------


def test_atomic_writes_are_world_readable(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"x")
        atomic_write_json(tmp_path / "b.json", {"a": 1})
    finally:
        os.umask(old)
    for name in ("a.bin", "b.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_no_overwrite_write_refuses_a_file_created_meanwhile(tmp_path):
    path = tmp_path / "r.json"
    barrier = threading.Barrier(4)
    outcomes = []

    def writer(i):
        barrier.wait()
        try:
            atomic_write_bytes(path, f"{i}".encode(), overwrite=False)
            outcomes.append("ok")
        except FileExistsError:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporaries left


# ---- measurement CLI: every output path is checked before measuring ------------------------


@pytest.fixture
def fake_suites(monkeypatch):
    """Every suite replaced by one that records its call and returns at once."""
    load_all()
    calls = []

    def make(name):
        def run(backend, quick, progress):
            calls.append(name)
            return {"ok": name}

        return SUITES[name].__class__(name, "fake", run)

    for name in list(SUITES):
        monkeypatch.setitem(SUITES, name, make(name))
    return calls


def run_cli(*argv):
    return cli.main(["--no-progress", "--backend", "numpy", *argv])


def test_unwritable_out_is_refused_before_measuring(tmp_path, fake_suites, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert run_cli("--suite", "roofline", "--out", str(ro / "x.json")) == 2
    finally:
        ro.chmod(0o755)
    assert fake_suites == [] and "cannot write" in capsys.readouterr().err


def test_out_under_a_file_is_refused_before_measuring(tmp_path, fake_suites, capsys):
    (tmp_path / "file").write_text("x")
    assert run_cli("--suite", "roofline", "--out", str(tmp_path / "file" / "x.json")) == 2
    assert fake_suites == [] and "error:" in capsys.readouterr().err


def test_suite_all_checks_every_output_first(tmp_path, fake_suites, capsys):
    slug = results.device_slug(backend.get_backend("numpy"))
    (tmp_path / f"sharing-numpy-{slug}.json").write_text("{}")
    assert run_cli("--suite", "all", "--out", str(tmp_path) + "/") == 2
    assert fake_suites == []  # nothing measured, nothing written
    assert "sharing-numpy" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == [f"sharing-numpy-{slug}.json"]


def test_out_with_trailing_slash_makes_a_folder(tmp_path, fake_suites, capsys):
    out = tmp_path / "newdir"
    assert run_cli("--suite", "roofline", "--out", f"{out}/") == 0
    assert out.is_dir() and [p.name.split("-")[0] for p in out.iterdir()] == ["roofline"]
    assert f"plan: roofline (full, numpy) -> {out}/roofline-numpy-" in capsys.readouterr().out


def test_one_file_with_suite_all_is_refused(tmp_path, fake_suites, capsys):
    assert run_cli("--suite", "all", "--out", str(tmp_path / "x.json")) == 2
    err = capsys.readouterr().err
    assert "names one file" in err and "give a folder" in err
    assert fake_suites == [] and list(tmp_path.iterdir()) == []


def test_concurrent_run_to_the_same_path_keeps_both_results(tmp_path, monkeypatch, capsys):
    load_all()
    out = tmp_path / "r.json"

    def racing(backend_, quick, progress):
        out.write_text('{"other": "run"}')  # another process finishes first
        return {"mine": 1}

    monkeypatch.setitem(SUITES, "roofline", SUITES["roofline"].__class__("roofline", "x", racing))
    assert run_cli("--suite", "roofline", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "written by another run" in err
    spare = tmp_path / f"r.{os.getpid()}.json"
    assert out.read_text() == '{"other": "run"}' and '"mine": 1' in spare.read_text()


def test_results_written_by_the_cli_are_0644(tmp_path, fake_suites):
    old = os.umask(0o077)  # even under a strict umask
    try:
        assert run_cli("--suite", "sharing", "--out", str(tmp_path / "s.json")) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o644


def test_quick_roofline_is_sized_from_a_capped_cache(monkeypatch):
    """A VM reporting a host's 480 MiB L3 must not make --quick allocate gigabytes."""
    np_backend = backend.get_backend("numpy")
    monkeypatch.setattr(type(np_backend), "last_level_cache_bytes", lambda self: 480 * 2**20)
    monkeypatch.setattr(type(np_backend), "free_memory_bytes", lambda self: 2 * 2**30)
    sizes = roofline_suite.plan(np_backend, quick=True)
    assert sizes["sizing_cache_bytes"] == roofline_suite.QUICK_CACHE_CAP_BYTES
    weights = max(g["d_in"] * g["d_out"] * 4 for g in sizes["gemm"].values())
    assert sizes["stream_bytes"] + weights <= 2 * 2**30 // 4 * 2  # within free memory
    full = roofline_suite.plan(np_backend, quick=False)
    assert full["stream_bytes"] <= 2 * 2**30 // 4  # full runs are capped by free memory too


# ---- results.reference("bogus") ---------------------------------------------------------------


def test_reference_of_an_unknown_suite_names_the_known_ones():
    with pytest.raises(UnknownNameError, match="unknown suite 'bogus'; known suites: .*roofline"):
        results.reference("bogus")
    with pytest.raises(UnknownNameError, match="backend_name"):
        results.reference("roofline", "tpu")
    assert results.reference("roofline", "cupy") is None or results.reference("roofline", "cupy")


# ---- CuPy that imports but cannot run ----------------------------------------------------------


def fake_cupy(is_available, props):
    cp = types.ModuleType("cupy")
    cuda = types.SimpleNamespace(
        is_available=is_available,
        Device=lambda: types.SimpleNamespace(id=0),
        runtime=types.SimpleNamespace(getDeviceProperties=props, memGetInfo=lambda: (1, 2)),
    )
    cp.cuda = cuda  # type: ignore[attr-defined]
    return cp


class CUDARuntimeError(RuntimeError):
    pass


def broken_query(device_id):
    raise CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")


def test_cupy_whose_device_queries_fail_falls_back_to_numpy_with_the_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(lambda: True, broken_query))
    chosen = backend.get_backend(None)
    assert chosen.name == "numpy" and "cudaErrorInsufficientDriver" in chosen.note
    with pytest.raises(backend.BackendUnavailableError, match="cudaErrorInsufficientDriver"):
        backend.get_backend("cupy")


def test_cupy_whose_is_available_raises_shows_the_driver_error(monkeypatch, capsys, tmp_path):
    def raising():
        raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(raising, broken_query))
    out = tmp_path / "x.json"
    assert cli.main(["--suite", "roofline", "--backend", "cupy", "--out", str(out)]) == 2
    assert "cudaErrorNoDevice" in capsys.readouterr().err and not out.exists()


def test_unknown_backend_is_a_typed_error():
    with pytest.raises(UnknownNameError, match="known backends: numpy, cupy"):
        backend.get_backend("tpu")


# ---- python -m analysis.figures --only bogus ------------------------------------------------


def test_figures_cli_unknown_id_is_a_clean_error(tmp_path, capsys):
    from analysis.figures.__main__ import main

    assert main(["--out", str(tmp_path), "--only", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --only: unknown figure 'bogus'") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_numpy_scalars_and_zero_d_arrays_are_numbers():
    import numpy as np

    assert units.si(np.array(3.35e12), "B/s") == "3.35 TB/s" == units.si(np.float64(3.35e12), "B/s")
    assert units.thousands(np.int64(327680)) == "327,680"
    for bad in (np.array([1.0]), np.array(True), np.True_):
        with pytest.raises(InvalidTypeError, match="value must be a real number"):
            units.si(bad)
