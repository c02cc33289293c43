"""The accelerator catalog against datasheet figures, and its handling of bad input."""

from __future__ import annotations

import math

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
    # 1,978.9 dense fp8, 3.35 TB/s HBM3, 80 GB (= 80 GiB: HBM is built in binary sizes), 700 W.
    h100 = hardware.get("h100-sxm")
    assert h100.peak_flops("bf16") == pytest.approx(989.4e12)
    assert h100.peak_flops("fp8") == pytest.approx(1978.9e12)
    assert h100.mem_bandwidth == pytest.approx(3.35e12)
    assert h100.mem_bytes == 80 * 2**30 == 85_899_345_920
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
    assert h200.mem_bytes == 141 * 2**30
    assert h200.mem_bandwidth == pytest.approx(4.8e12)


def test_mi300x_datasheet_values():
    mi = hardware.get("mi300x")
    assert mi.peak_flops("bf16") == pytest.approx(1307.4e12)
    assert mi.mem_bytes == 192 * 2**30  # AMD's ROCm table: "192 GiB"
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


# Capacity is binary (vendors' "GB" of HBM is GiB); usable capacity is what the driver reports.
PHYSICAL_GIB = {
    "a100-sxm": 80, "h100-sxm": 80, "h100-pcie": 80, "h200": 141, "b200": 180,
    "mi300x": 192, "mi325x": 256, "tpu-v5e": 16, "tpu-v5p": 96, "tpu-v6e": 32,
}  # fmt: skip
DRIVER_REPORTED_BYTES = {
    "a100-sxm": 81_920 * 2**20,  # nvidia-smi 81920MiB (Modal PR 2797)
    "h100-sxm": 81_559 * 2**20,  # nvidia-smi 81559MiB (NCCL issue 1264)
    "h200": 143_771 * 2**20,  # nvidia-smi 143771MiB (SGLang issue 3196)
    "b200": 183_359 * 2**20,  # nvidia-smi 183359MiB (TensorRT-LLM issue 10278)
    "mi300x": 196_592 * 2**20,  # hipDeviceProp 196592 MiB = 206,141,652,992 B
    "tpu-v5p": 95 * 2**30,  # Google: "HBM capacity per chip (GiB) 95" of 96 GiB physical
}


@pytest.mark.parametrize("name", sorted(PHYSICAL_GIB))
def test_physical_capacity_is_binary(name):
    assert hardware.get(name).mem_bytes == PHYSICAL_GIB[name] * 2**30


def test_h100_80gb_is_85_9_decimal_gigabytes():
    # The 7% that decimal GB understated: 80 GiB / 80 GB = 1.0737.
    assert hardware.get("h100-sxm").mem_bytes / 80e9 == pytest.approx(1.073741824)


@pytest.mark.parametrize("name", sorted(DRIVER_REPORTED_BYTES))
def test_usable_capacity_matches_driver_report(name):
    acc = hardware.get(name)
    assert acc.usable_mem_known
    assert acc.usable_mem_bytes == DRIVER_REPORTED_BYTES[name]
    assert acc.usable_mem_bytes <= acc.mem_bytes


def test_usable_capacity_falls_back_to_physical_where_unknown():
    for acc in hardware.all_accelerators():
        if not acc.usable_mem_known:
            assert acc.usable_mem_bytes == acc.mem_bytes, acc.key
        assert 0.95 * acc.mem_bytes <= acc.usable_mem_bytes <= acc.mem_bytes, acc.key


def test_b200_note_says_gib_not_gb():
    note = hardware.get("b200").specs["mem_bytes"].note
    assert "178.35 GiB" in note and "178.35 GB of" not in note


def test_usable_above_physical_is_rejected():
    raw = {
        "name": "x", "vendor": "y", "year": 2024,
        "peak_flops": {"bf16": {"value": 1.0e12, "source": "nvidia-h100-datasheet"}},
        **{f: {"value": None, "source": "nvidia-h100-datasheet"} for f in hardware.SPEC_FIELDS},
        "mem_bytes": {"value": 100, "source": "nvidia-h100-datasheet"},
        "mem_bandwidth": {"value": 1.0e12, "source": "nvidia-h100-datasheet"},
        "usable_mem_bytes": {"value": 101, "source": "nvidia-h100-datasheet"},
        "scale_up": {
            "name": {"value": "NVLink 4", "source": "nvidia-h100-datasheet"},
            "bandwidth": {"value": 9.0e11, "source": "nvidia-h100-datasheet"},
            "domain": {"value": 8, "source": "nvidia-h100-datasheet"},
        },
    }  # fmt: skip
    with pytest.raises(ValueError, match="usable_mem_bytes"):
        hardware._parse("x", raw)


# ---- the 2026 chips, each against its vendor's table (dense = sparse / 2 where NVIDIA lists sparse)
NEW_CHIP_DATASHEET = {
    # chip: {dtype: dense FLOP/s}, physical GiB, bandwidth B/s
    "h100-nvl": ({"bf16": 1671e12 / 2, "fp8": 3341e12 / 2}, 94, 3.9e12),  # H100 datasheet, NVL
    "b300": ({"bf16": 36e15 / 8 / 2, "fp8": 72e15 / 8 / 2, "fp4": 105e15 / 8}, 288, 8e12),  # HGX
    "gb200": (
        {"bf16": 360e15 / 72 / 2, "fp8": 720e15 / 72 / 2, "fp4": 1440e15 / 72 / 2},
        186,
        8e12,
    ),
    "gb300": ({"bf16": 180e15 / 72, "fp8": 360e15 / 72, "fp4": 1080e15 / 72}, 288, 8e12),
    "mi350x": ({"bf16": 2306.9e12, "fp8": 4613.7e12, "fp4": 18.45e15 / 2}, 288, 8e12),
    "mi355x": ({"bf16": 2516.6e12, "fp8": 5033.2e12, "fp4": 20.1e15 / 2}, 288, 8e12),
    "tpu-v7": ({"bf16": 2307e12, "fp8": 4614e12}, 192, 7.38e12),  # Google TPU7x table
    "gaudi3": ({"bf16": 1835e12, "fp8": 1835e12}, 128, 3.67e12),  # Intel, Hot Chips 2024
    "groq-lpu": ({"fp16": 188e12, "int8": 750e12}, None, 80e12),  # 230 MB SRAM, 80 TB/s
}


@pytest.mark.parametrize("name", sorted(NEW_CHIP_DATASHEET))
def test_new_chip_matches_datasheet(name):
    rates, gib, bandwidth = NEW_CHIP_DATASHEET[name]
    acc = hardware.get(name)
    for dtype, rate in rates.items():
        assert acc.peak_flops(dtype) == pytest.approx(rate, rel=0.003), dtype
    if gib is not None:
        assert acc.mem_bytes == gib * 2**30
    assert acc.mem_bandwidth == pytest.approx(bandwidth)


def test_canonical_names_of_the_2026_catalog():
    for name in ("b300", "gb200", "gb300", "mi355x", "mi350x", "tpu-v7", "gaudi3", "h100-nvl"):
        assert name in hardware.NAMES


def test_fp4_where_the_chip_has_it():
    for name in ("b200", "b300", "gb200", "gb300", "mi350x", "mi355x"):
        acc = hardware.get(name)
        assert "fp4" in acc.dtypes
        assert acc.peak_flops("fp4") > acc.peak_flops("fp8"), name


def test_sram_design_has_capacity_in_megabytes_and_bandwidth_in_tens_of_tb():
    lpu, h100 = hardware.get("groq-lpu"), hardware.get("h100-sxm")
    assert lpu.mem_bytes == 230e6  # 230 MB of on-die SRAM
    assert lpu.mem_bandwidth / h100.mem_bandwidth > 20  # 80 TB/s against 3.35 TB/s
    assert h100.mem_bytes / lpu.mem_bytes > 350  # 80 GiB against 230 MB


NEW_CHIP_SCALE_UP = {
    "h100-nvl": ("NVLink 4 bridge", 600e9, 2),  # NVLink bridge pairs, 600 GB/s
    "b300": ("NVLink 5", 1.8e12, 8),
    "gb200": ("NVLink 5", 1.8e12, 72),  # 130 TB/s per NVL72 rack / 72
    "gb300": ("NVLink 5", 1.8e12, 72),
    "mi350x": ("Infinity Fabric", 7 * 153.6e9, 8),
    "mi355x": ("Infinity Fabric", 7 * 153.6e9, 8),
    "tpu-v7": ("ICI", 1.2e12, 9216),  # "Bidirectional ICI bandwidth per chip 1200"; 9,216 per pod
    "gaudi3": ("RoCE v2 (200GbE)", 21 * 200e9 * 2 / 8, 8),  # 21 of 24 200GbE ports in-node
    "groq-lpu": ("Groq chip-to-chip (C2C)", 480e9, 8),  # Linley: 480 GB/s total; 8 per node
}


@pytest.mark.parametrize("name", sorted(NEW_CHIP_SCALE_UP))
def test_new_chip_scale_up(name):
    link, bidirectional, domain = NEW_CHIP_SCALE_UP[name]
    acc = hardware.get(name)
    assert (acc.scale_up_name, acc.scale_up_domain) == (link, domain)
    assert acc.scale_up_bandwidth == pytest.approx(bidirectional)


# NVIDIA's rack pages: GB200 NVL72 1,440 PF FP4 / 720 FP8 / 360 BF16 with sparsity, 13.4 TB HBM3e
# (72 x 186 GB), 576 TB/s, 130 TB/s NVLink; GB300 NVL72 1,080 PF FP4 dense, 20.7 TB (72 x 288 GB).
RACK_PUBLISHED = {
    "gb200-nvl72": {"fp4": 1440e15 / 2, "fp8": 720e15 / 2, "bf16": 360e15 / 2, "gib": 13_392},
    "gb300-nvl72": {"fp4": 1080e15, "fp8": 360e15, "bf16": 180e15, "gib": 20_736},
}


@pytest.mark.parametrize("name", sorted(RACK_PUBLISHED))
def test_rack_totals_match_nvidia_rack_figures(name):
    pub, r = RACK_PUBLISHED[name], hardware.rack(name)
    assert r.n_gpus == 72
    for dtype in ("fp4", "fp8", "bf16"):
        assert r.peak_flops(dtype) == pytest.approx(pub[dtype]), dtype
    assert r.mem_bytes == pub["gib"] * 2**30
    assert r.mem_bandwidth == pytest.approx(576e12)
    assert r.scale_up_bandwidth == pytest.approx(130e12, rel=0.01)  # 72 x 1.8 = 129.6 TB/s


def test_rack_is_72_times_its_gpu():
    r = hardware.rack("gb200-nvl72")
    assert r.mem_bytes == 72 * hardware.get("gb200").mem_bytes
    assert r.peak_flops("fp8") == 72 * hardware.get("gb200").peak_flops("fp8")


def test_unknown_rack_lists_known_racks():
    with pytest.raises(UnknownNameError, match="gb200-nvl72"):
        hardware.rack("gb100-nvl36")


# ---- chapter 2's SRAM comparison, by hand from published numbers
def test_sram_smallest_group_is_weights_plus_one_kv_over_230_mb():
    from analysis.figures import ch2_vram

    # Llama-3-70B fp8: 70,553,706,496 weight bytes; KV 163,840 B/token x 8,192 tokens.
    need = 70_553_706_496 + 163_840 * 8192
    assert ch2_vram.smallest_group("groq-lpu") == math.ceil(need / 230e6) == 313
    assert ch2_vram.smallest_group("h100-sxm") == 1  # 80 GiB holds the 70.6 GB copy alone


def test_sram_instances_per_chip_limit_is_capacity_over_one_kv():
    from analysis.figures import ch2_vram

    kv = 163_840 * 8192  # 1.34 GB per 8K-token sequence in fp8
    assert ch2_vram.sram_chips_per_instance_limit("groq-lpu") == pytest.approx(kv / 230e6)  # 5.84
    assert 1 / ch2_vram.sram_chips_per_instance_limit("h100-sxm") == pytest.approx(
        80 * 2**30 / kv
    )  # 64 sequences per H100
    assert ch2_vram.sram_per_chip("groq-lpu", 312) is None  # one instance does not fit
    assert ch2_vram.sram_per_chip("groq-lpu", 313) == pytest.approx(1 / 313)
