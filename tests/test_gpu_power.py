"""GPU-only checks of the NVML readers and the energy suite (run by make gpu-check)."""

from __future__ import annotations

import time

import pytest

from analysis.measure import energy_suite, power
from analysis.measure.backend import get_backend

pytestmark = pytest.mark.gpu


def test_nvml_initialises():
    ok, why = power.nvml_status()
    assert ok, why


def test_board_power_is_plausible_and_the_energy_counter_advances():
    with power.NvmlDevice(0) as dev:
        p = dev.power_w()
        limit = dev.power_limit_w()
        assert p > 5.0
        if limit is not None:
            assert p < 1.5 * limit
        e0 = dev.energy_j()
        if e0 is None:
            pytest.skip("this GPU has no NVML total-energy counter")
        time.sleep(0.5)
        assert dev.energy_j() > e0


def test_quick_energy_suite_gives_physical_per_unit_energies():
    out = energy_suite.run(get_backend("cupy"), quick=True, progress=False)
    assert out["energy_measurable"], out.get("reason")
    gemm, stream = out["gemm"], out["stream_read"]
    # Board-level bf16 on current GPUs is ~0.3-1.3 pJ/FLOP at TDP; allow a wide physical band.
    assert 1e-14 < gemm["per_unit_total_j"] < 1e-11
    assert 1e-12 < stream["per_unit_total_j"] < 1e-9  # J per byte streamed
    assert gemm["above_idle_w"] > 0 and stream["above_idle_w"] > 0
    assert gemm["mean_w"] > out["idle"]["mean_w"]
