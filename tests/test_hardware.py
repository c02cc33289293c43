"""The accelerator catalog against datasheet figures, and its handling of bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import hardware
from analysis.errors import UnknownDTypeError, UnknownNameError
from analysis.sources import bib_entries


def test_every_canonical_accelerator_is_present():
    assert tuple(hardware.catalog()) == hardware.NAMES


def test_h100_sxm_datasheet_values():
    # NVIDIA H100 datasheet / Hopper whitepaper: 989.4 dense bf16 TFLOP/s (1,979 "with sparsity"),
    # 1,978.9 dense fp8, 3.35 TB/s HBM3, 80 GB, 700 W.
    h100 = hardware.get("h100-sxm")
    assert h100.peak_flops("bf16") == pytest.approx(989.4e12)
    assert h100.peak_flops("fp8") == pytest.approx(1978.9e12)
    assert h100.mem_bandwidth == pytest.approx(3.35e12)
    assert h100.mem_bytes == pytest.approx(80e9)
    assert h100.tdp_w == 700


def test_h100_critical_intensity_matches_scaling_book():
    # JAX scaling book: 9.89e14 / 3.35e12 ~= 295 FLOP/byte.
    assert hardware.get("h100-sxm").critical_intensity("bf16") == pytest.approx(295, abs=1)


def test_a100_critical_intensity():
    # 312 TFLOP/s over 2.039 TB/s ~= 153 FLOP/byte.
    assert hardware.get("a100-sxm").critical_intensity("bf16") == pytest.approx(153, abs=1)


def test_tpu_v5e_critical_intensity_matches_scaling_book():
    # Scaling book: TPU v5e 1.97e14 / 8.2e11 ~= 240 FLOP/byte.
    assert hardware.get("tpu-v5e").critical_intensity("bf16") == pytest.approx(240, abs=2)


def test_h200_has_h100_compute_and_more_memory():
    h100, h200 = hardware.get("h100-sxm"), hardware.get("h200")
    assert h200.peak_flops("bf16") == pytest.approx(h100.peak_flops("bf16"), rel=0.001)
    assert h200.mem_bytes == pytest.approx(141e9)
    assert h200.mem_bandwidth == pytest.approx(4.8e12)


def test_mi300x_datasheet_values():
    mi = hardware.get("mi300x")
    assert mi.peak_flops("bf16") == pytest.approx(1307.4e12)
    assert mi.mem_bytes == pytest.approx(192e9)
    assert mi.mem_bandwidth == pytest.approx(5.3e12)


def test_dense_rates_are_not_sparse_marketing_numbers():
    # fp8 is at most twice bf16 on every chip: a stored "with sparsity" figure would be 4x.
    for acc in hardware.all_accelerators():
        if "fp8" in acc.flops:
            assert acc.peak_flops("fp8") <= 2.01 * acc.peak_flops("bf16"), acc.key


def test_every_value_has_a_known_source():
    keys = bib_entries()
    for acc in hardware.all_accelerators():
        for rec in [*acc.flops.values(), *acc.specs.values()]:
            assert rec.source in keys


def test_unknown_accelerator_lists_known_names():
    with pytest.raises(UnknownNameError) as err:
        hardware.get("h300")
    for name in hardware.NAMES:
        assert name in str(err.value)


def test_unknown_dtype_lists_allowed():
    with pytest.raises(UnknownDTypeError, match="allowed: fp32, tf32, bf16, fp16, fp8, int8, fp4"):
        hardware.get("h100-sxm").peak_flops("fp64")


def test_dtype_the_chip_lacks_lists_its_dtypes():
    with pytest.raises(
        UnknownDTypeError, match="'fp8' for a100-sxm; allowed: fp32, tf32, bf16, fp16, int8"
    ):
        hardware.get("a100-sxm").peak_flops("fp8")


@given(st.one_of(st.text(max_size=12), st.integers(), st.none()))
def test_random_names_raise_only_unknown_name(name):
    if name in hardware.NAMES:
        return
    with pytest.raises(UnknownNameError):
        hardware.get(name)


@given(st.sampled_from(hardware.NAMES), st.one_of(st.text(max_size=6), st.none(), st.integers()))
def test_random_dtypes_return_positive_rate_or_raise_unknown_dtype(name, dtype):
    acc = hardware.get(name)
    try:
        rate = acc.peak_flops(dtype)
    except UnknownDTypeError:
        return
    assert dtype in acc.dtypes and rate > 0


# Scale-up interconnect, against the vendors' published figures (bidirectional per chip).
SCALE_UP_DATASHEET = {
    # chip: (name, bidirectional bytes/s per chip, domain)
    "a100-sxm": ("NVLink 3", 600e9, 8),  # A100 datasheet: NVLink 600 GB/s; HGX A100 8-GPU
    "h100-sxm": ("NVLink 4", 900e9, 8),  # H100 datasheet: NVLink 900 GB/s; HGX H100 8-GPU
    "h100-pcie": ("PCIe Gen5 x16", 128e9, 8),  # H100 datasheet: PCIe Gen5 128 GB/s
    "h200": ("NVLink 4", 900e9, 8),  # H200 datasheet: NVLink 900 GB/s
    "b200": ("NVLink 5", 1.8e12, 8),  # HGX B200: 14.4 TB/s over 8 GPUs
    "mi300x": ("Infinity Fabric", 896e9, 8),  # 7 peer links x 128 GB/s
    "mi325x": ("Infinity Fabric", 896e9, 8),
    "tpu-v5e": ("ICI", 400e9, 256),  # 1,600 Gbps each way; 256-chip pod
    "tpu-v5p": ("ICI", 1200e9, 8960),  # "Bidirectional ICI bandwidth per chip 1200 GBps"; 8,960
    "tpu-v6e": ("ICI", 800e9, 256),  # "Bidirectional ICI bandwidth per chip 800 GBps"; 256
}


def test_every_chip_has_a_scale_up_record():
    assert set(SCALE_UP_DATASHEET) <= set(hardware.NAMES)
    for acc in hardware.all_accelerators():
        assert acc.scale_up_name and acc.scale_up_bandwidth > 0 and acc.scale_up_domain >= 1


@pytest.mark.parametrize("name", sorted(SCALE_UP_DATASHEET))
def test_scale_up_matches_datasheet(name):
    link, bidirectional, domain = SCALE_UP_DATASHEET[name]
    acc = hardware.get(name)
    assert acc.scale_up_name == link
    assert acc.scale_up_bandwidth == pytest.approx(bidirectional)
    assert acc.scale_up_bandwidth_per_direction == pytest.approx(bidirectional / 2)
    assert acc.scale_up_domain == domain
    assert isinstance(acc.scale_up_domain, int)


def test_nvlink4_is_450_gb_per_s_each_way():
    # Hopper: 18 NVLink 4 links x 25 GB/s each way = 450 GB/s per direction.
    assert hardware.get("h100-sxm").scale_up_bandwidth_per_direction == pytest.approx(18 * 25e9)


def test_scale_up_sources_are_known():
    keys = bib_entries()
    for acc in hardware.all_accelerators():
        for field in ("name", "bandwidth", "domain"):
            assert acc.source(f"scale_up:{field}") in keys


def test_a_chip_without_scale_up_is_rejected():
    with pytest.raises(ValueError, match="scale_up"):
        hardware._parse_scale_up(None, "hardware.yaml[x].scale_up")
    bad = {
        "name": {"value": "NVLink 4", "source": "nvidia-h100-datasheet"},
        "bandwidth": {"value": 9.0e11, "source": "nvidia-h100-datasheet"},
        "domain": {"value": 0, "source": "nvidia-h100-datasheet"},
    }
    with pytest.raises(ValueError, match="domain"):
        hardware._parse_scale_up(bad, "hardware.yaml[x].scale_up")
