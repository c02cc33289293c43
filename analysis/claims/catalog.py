"""The claims of the source text, one builder each, in the order the source makes them.

Every ``value`` is computed here by calling the chapters' functions; the only literals are the
source's own numbers (``claimed``) and the stated assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from .. import agents, energy, hardware, memory, models, physics, prices, pricing, roofline
from ..errors import UnknownNameError
from ..units import sci, si
from .ledger import TOPICS, VERDICTS, Claim, judged, numeric

THOUGHT_RATE = float(agents.THOUGHT_TOKENS_PER_S.value)  # the source's assumed tokens/s of thought
INSTANCE_RATE = float(memory.SOURCE_INSTANCE_TOKENS_PER_S.value)  # the article's 40 tokens/s

# ---- the registry: every builder below adds itself with @claim -------------------------------
BUILDERS: list[Callable[[], Claim]] = []
REGISTRY_API = ("claim", "ledger", "get", "by_topic", "verdict_counts")  # not builders


def claim(func: Callable[[], Claim]) -> Callable[[], Claim]:
    BUILDERS.append(func)
    return func


@cache
def ledger() -> tuple[Claim, ...]:
    """Every claim, in id order."""
    claims = tuple(sorted((build() for build in BUILDERS), key=lambda c: c.id))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {ids}")
    return claims


def get(id: str) -> Claim:
    """The claim with ``id`` (e.g. "C04"); an unknown id raises listing the known ones."""
    for c in ledger():
        if c.id == id:
            return c
    raise UnknownNameError("claim", id, [c.id for c in ledger()])


def by_topic() -> dict[str, list[Claim]]:
    """The ledger grouped by chapter, in chapter order."""
    return {topic: [c for c in ledger() if c.topic == topic] for topic in TOPICS}


def verdict_counts() -> dict[str, int]:
    return {v: sum(c.verdict == v for c in ledger()) for v in VERDICTS}


# ---- chapter 1: the asymmetry ------------------------------------------------------------------
@claim
def training_flop_bound():
    tb = roofline.llama3_training_batch()
    mfu = roofline.facts()["llama3_405b_mfu_8192gpu"]
    return judged(
        "C01",
        "transformer training can often run near full efficiency, flop limited, parallelizing over time",
        "asymmetry",
        "ch1-training",
        verdict="depends on assumptions",
        value=tb.ratio_sequence,
        unit="x critical batch (one 8K sequence)",
        why=(
            f"Flop-limited holds: one 8,192-token sequence already gives each weight read "
            f"{tb.ratio_sequence:.0f}x the H100's bf16 critical batch ({tb.critical_batch:.0f}). "
            f"'Near full efficiency' does not: Llama 3 405B ran at {float(mfu.value):.0%} MFU, "
            "lost to communication and pipeline bubbles, not to memory bandwidth."
        ),
        assumptions={
            "accelerator": "h100-sxm",
            "dtype": "bf16",
            "sequence_tokens": tb.sequence_tokens,
            "batch_tokens": tb.batch_tokens,
        },
        sources=("llama3-paper",),
    )


@claim
def k_up_to_1000():
    cases = {c.label: c for c in roofline.k_cases("h100-sxm")}
    dense = cases["bf16 compute, bf16 weights, dense"]
    sparse = cases["fp8 compute, fp8 weights, 2:4 sparse"]
    fp8 = cases["fp8 compute, fp8 weights, dense"]
    return numeric(
        "C02",
        "K is the flop/mem_bw ratio (currently up to 1000 on H100)",
        "asymmetry",
        "ch1-k-claim",
        value=dense.critical_batch,
        claimed=1000,
        unit="concurrent instances",
        why=(
            f"The instances that share a weight read at the ridge are {dense.critical_batch:.0f} on an "
            f"H100 SXM (dense, any precision whose weights match the compute). The FLOP/byte ratio "
            f"itself is {fp8.ridge_flop_per_byte:.0f} in dense fp8 and reaches "
            f"{sparse.ridge_flop_per_byte:,.0f} only with 2:4-sparse fp8 marketing peaks, which still "
            f"need just {sparse.critical_batch:.0f} instances."
        ),
        assumptions={"accelerator": "h100-sxm", "compute": "bf16 dense", "weights": "bf16"},
        order_of_magnitude=True,
        sources=("nvidia-hopper-whitepaper", "nvidia-h100-datasheet"),
    )


@claim
def batch_over_1000_for_equal_utilization():
    k = roofline.accelerator_critical_batch(hardware.get("h100-sxm"), "bf16", "bf16")
    return numeric(
        "C03",
        "inference batch sizes would be > 1000, inference flop utilization would be the same for prefill vs generation",
        "asymmetry",
        "ch1-k-claim",
        value=k,
        claimed=1000,
        unit="sequences per weight read",
        comparison="<",
        why=(
            f"Decode reaches the H100's bf16 ridge at a batch of about {k:.0f}, so batches well "
            "under 1000 already equalise prefill and decode utilization when the KV cache is small; "
            "'> 1000' is sufficient, not necessary."
        ),
        assumptions={"accelerator": "h100-sxm", "dtype": "bf16", "kv_cache": "negligible"},
        sources=("nvidia-hopper-whitepaper",),
    )


# ---- chapter 4: physics ------------------------------------------------------------------------------
@claim
def density_4n():
    density = physics.accelerator_density_per_cm2("h100-sxm")
    return numeric(
        "C20",
        "TSMC 4N is a little over 1e10 transistors/cm^2 for GPUs",
        "physics",
        "ch4-density",
        value=density,
        claimed=1e10,
        unit="transistors/cm²",
        tolerance=0.1,
        why=(
            f"GH100 averages {sci(density, 2)} transistors/cm² over its whole die: within 2% of 1e10, "
            "slightly under rather than 'a little over'. Logic-only areas are denser."
        ),
        assumptions={"die": "GH100 (H100 SXM)", "area": "whole die"},
        sources=("nvidia-hopper-whitepaper",),
    )


@claim
def switch_energy_4n():
    e1 = physics.accelerator_switching_energy_j("h100-sxm", 1.0)
    e01 = physics.accelerator_switching_energy_j("h100-sxm", 0.1)
    return numeric(
        "C21",
        "roughly 5e^-18 J switch energy assuming dense activity",
        "physics",
        "ch4-switching",
        value=e1,
        claimed=5e-18,
        unit="J per transistor switch",
        order_of_magnitude=True,
        why=(
            f"TDP over (transistors × clock) gives {sci(e1)} J at activity 1, as the source assumes; "
            f"at a more typical activity of 0.1 the same power means {sci(e01)} J per switch, 10x more."
        ),
        assumptions={
            "accelerator": "h100-sxm",
            "power_w": hardware.get("h100-sxm").tdp_w,
            "activity": 1.0,
            "clock_ghz": hardware.get("h100-sxm").clock_hz / 1e9,
            "clock_note": "estimate from the FP32 peak",
        },
        sources=("nvidia-h100-datasheet", "nvidia-hopper-whitepaper"),
    )


@claim
def density_limit():
    headroom = 5e11 / physics.accelerator_density_per_cm2("h100-sxm")
    return judged(
        "C22",
        "The practical transistor density limit ... is somewhere around ~5e11 trans/cm^2",
        "physics",
        "ch4-density",
        verdict="not checkable",
        value=None,
        claimed=5e11,
        unit="transistors/cm²",
        why=(
            f"No primary estimate of a practical density limit is in this book's sources. Taken as "
            f"stated it is {headroom:.0f}x today's GH100 average."
        ),
        assumptions={"reference_die": "GH100"},
    )


@claim
def density_headroom_1_to_2_oom():
    headroom = 5e11 / physics.accelerator_density_per_cm2("h100-sxm")
    return numeric(
        "C23",
        "So there is another 1 to 2 OOM further density scaling",
        "physics",
        "ch4-density",
        value=headroom,
        claimed=math.sqrt(10 * 100),
        unit="x density headroom",
        tolerance=math.sqrt(10) - 1,  # holds anywhere in [10x, 100x], the source's stated range
        why=(
            f"Taking the source's own 5e11/cm² limit against GH100's average gives {headroom:.0f}x "
            f"({math.log10(headroom):.1f} orders of magnitude), inside its 1–2 OOM; the limit itself "
            "is unsourced (C22)."
        ),
        assumptions={"limit": "5e11 transistors/cm² (the source's)", "today": "GH100 average"},
        sources=("nvidia-hopper-whitepaper",),
    )


@claim
def min_switch_energy():
    landauer = physics.landauer_j(300.0)
    e1 = physics.accelerator_switching_energy_j("h100-sxm", 1.0)
    return judged(
        "C24",
        "the minimal viable high speed switching energy is around ~2e^-18J",
        "physics",
        "ch4-landauer",
        verdict="depends on assumptions",
        value=2e-18 / landauer,
        claimed=None,
        unit="x Landauer limit at 300 K",
        why=(
            f"2e-18 J is {2e-18 / landauer:.0f}x kT ln 2 at 300 K, so it is no physical floor but a "
            f"reliability-and-speed estimate; against GH100 it leaves {e1 / 2e-18:.1f}x at activity 1 "
            f"but {10 * e1 / 2e-18:.0f}x at activity 0.1 — the activity factor decides how little room is left."
        ),
        assumptions={"temperature_k": 300, "reference": "GH100 at 700 W"},
        sources=("bipm-si-2019",),
    )


@claim
def j_per_flop_doable():
    best = min(physics.board_table(("fp4",)), key=lambda r: r.j_per_flop)
    limit = physics.cmos_limit_j_per_flop()
    return numeric(
        "C25",
        "Achieving 1e-15 J/flop seems doable now for low precision flops",
        "physics",
        "ch4-joules-per-flop",
        value=best.j_per_flop,
        claimed=1e-15,
        unit="J/FLOP",
        order_of_magnitude=True,
        why=(
            f"The most efficient catalog chip ({best.name}, dense fp4 at TDP) spends "
            f"{sci(best.j_per_flop)} J/FLOP at board level, {best.j_per_flop / 1e-15:.0f}x the claim; 1e-15 "
            f"J is within {1e-15 / limit:.1f}x of the published CMOS-limit estimate ({sci(limit)} J). "
            "Only a bare multiply–add datapath, without operand delivery, reaches it."
        ),
        assumptions={"power": "TDP", "precision": "fp4 dense", "level": "board"},
        sources=(*best.sources, "ho-2023-cmos-limits"),
    )


@claim
def bit_1cm():
    wire = physics.wire_energy_j(10.0)
    hbm = physics.constant("hbm2_pj_per_bit").joules
    return numeric(
        "C26",
        "pulling even a single bit from RAM just 1 cm away costs around 1e-12J",
        "physics",
        "ch4-moving-bits",
        value=wire,
        claimed=1e-12,
        unit="J/bit",
        order_of_magnitude=True,
        why=(
            f"10 mm of on-chip wire costs {sci(wire)} J per bit with random data (40 nm); a full HBM2 "
            f"access costs {sci(hbm)} J/bit, so for DRAM the claim is low by {hbm / 1e-12:.0f}x — the "
            "direction that strengthens the source's argument."
        ),
        assumptions={"wire": "40 nm on-chip, random data", "length_mm": 10},
        sources=("keckler-2011", "oconnor-2017"),
    )


@claim
def data_movement_dominates():
    acc = "h100-sxm"
    point = energy.energy_per_token("llama-3-70b", acc, 1, 4096, "bf16")
    crossover = energy.energy_crossover_batch(acc, "bf16")
    return numeric(
        "C27",
        "most of the cost is data movement",
        "physics",
        "ch4-token-energy",
        value=float(point.memory_share),
        claimed=0.5,
        unit="share of energy per token",
        comparison=">",
        why=(
            f"Bottom-up, a Llama 3 70B token at batch 1 and 4K context on an H100 spends "
            f"{float(point.memory_share):.0%} of its energy moving bytes; arithmetic takes over only "
            f"above a batch of about {float(crossover):.0f}."
        ),
        assumptions={
            "model": "llama-3-70b",
            "accelerator": acc,
            "batch": 1,
            "context": 4096,
            "dtype": "bf16",
        },
        sources=("oconnor-2017", "nvidia-h100-datasheet"),
    )


# ---- chapter 2: VRAM ----------------------------------------------------------------------------------
def _cluster_baseline():
    """The article's cluster at its own numbers, memory-bound: Llama 3 70B, bf16, 8K, 8-GPU groups."""
    gpus = memory.SOURCE_CLUSTER_GPUS.value
    speed = memory.SOURCE_INSTANCE_TOKENS_PER_S.value
    tput = memory.throughput_only_instances(gpus, memory.SOURCE_GPU_TOKENS_PER_S.value, speed)
    fits = {}
    for ctx in (8192, 32768, 131072):
        for dtype in ("bf16", "fp8"):
            lim = memory.serving_limits(
                "llama-3-70b", "h100-sxm", ctx, group_gpus=8, weight_dtype=dtype, tokens_per_s=speed
            )
            fits[(ctx, dtype)] = (gpus // 8) * lim.instances
    return gpus, speed, tput, fits


@claim
def kv_1000_tb():
    k = roofline.accelerator_critical_batch(hardware.get("h100-sxm"), "bf16", "bf16")
    return numeric(
        "C04",
        "that would be 1000 * 1TB of RAM for the KV cache",
        "vram",
        "ch2-static-dynamic",
        value=k * 1e12,
        claimed=1000 * 1e12,
        unit="bytes of KV cache",
        order_of_magnitude=True,
        why=(
            f"The arithmetic is right for K = 1000, but K on an H100 is about {k:.0f} instances (C02), so "
            f"the KV that full decode efficiency needs is {si(k * 1e12, 'B')}, not 1 PB — still "
            f"{k * 1e12 / hardware.get('h100-sxm').mem_bytes:,.0f} H100s of memory for the KV alone."
        ),
        assumptions={
            "kv_per_instance_bytes": 1e12,
            "instances": "critical batch of h100-sxm, bf16",
        },
        sources=("nvidia-hopper-whitepaper",),
    )


@claim
def h100_2000_tokens_per_s():
    fact = roofline.facts()["trtllm_llama33_70b_fp8_h100_tp2_isl1000_osl1000"]
    return numeric(
        "C05",
        "a single NVIDIA H100 GPU can run inference at a throughput of about 2000 tokens/s",
        "vram",
        "ch2-cluster",
        value=float(fact.value),
        claimed=2000,
        unit="tokens/s per GPU",
        why=(
            f"NVIDIA's TensorRT-LLM benchmark measures {float(fact.value):,.0f} tokens/s per H100 for Llama 3.3 "
            "70B in fp8 with 1,000-token prompts and outputs; with 8K prompts the same setup gives "
            f"{float(roofline.facts()['trtllm_llama33_70b_fp8_h100_tp2_isl8192_osl1024'].value):,.0f}. "
            "(The sentence is the article's, which the source answers.)"
        ),
        assumptions={
            "model": "Llama 3.3 70B fp8",
            "parallelism": "TP2",
            "prompt_tokens": 1000,
            "output_tokens": 1000,
        },
        sources=(fact.source,),
    )


@claim
def meta_cluster_24000():
    fact = roofline.facts()["meta_h100_cluster_gpus"]
    return numeric(
        "C06",
        "Meta trained Llama3 70B on a GPU cluster ... of about 24,000 GPUs",
        "vram",
        "ch2-cluster",
        value=float(fact.value),
        claimed=24000,
        unit="GPUs",
        tolerance=0.1,
        why=(
            f"Meta's two training clusters have {float(fact.value):,.0f} H100s each; the Llama 3 paper "
            f"says pre-training used up to {roofline.facts()['llama3_pretrain_max_gpus'].value:,} of them."
        ),
        assumptions={},
        sources=(fact.source, "llama3-paper"),
    )


@claim
def cluster_concurrent_instances():
    gpus, speed, tput, fits = _cluster_baseline()
    base = fits[(8192, "bf16")]
    return numeric(
        "C07",
        "the training cluster can run [24,000 × 2,000 / 40 ≈ 1.2M] concurrent instances of the resulting 70B model",
        "vram",
        "ch2-cluster",
        value=base,
        claimed=tput,
        unit="concurrent instances",
        why=(
            f"Counting throughput only gives {tput:,.0f}; counting memory and bandwidth on 8-GPU groups at "
            f"{speed:.0f} tokens/s, {base:,} fit with 8K contexts in bf16, {fits[(32768, 'bf16')]:,} at 32K and "
            f"{fits[(131072, 'bf16')]:,} at 128K. Only fp8 weights and KV at 8K ({fits[(8192, 'fp8')]:,}) reach the "
            "throughput-only count — the assumption that flips the verdict."
        ),
        assumptions={
            "model": "llama-3-70b",
            "accelerator": "h100-sxm",
            "cluster_gpus": gpus,
            "group_gpus": 8,
            "context_tokens": 8192,
            "dtype": "bf16",
            "tokens_per_s": speed,
        },
        sources=("hf-llama3-70b", "nvidia-h100-datasheet"),
    )


@claim
def vram_binds_first():
    gpus, speed, tput, fits = _cluster_baseline()
    share = fits[(8192, "bf16")] / tput
    return numeric(
        "C08",
        "it looks like VRAM is already the more important constraint",
        "vram",
        "ch2-cluster",
        value=share,
        claimed=1.0,
        unit="memory-bound instances / throughput-only instances",
        comparison="<",
        why=(
            f"At 8K context in bf16 the memory-bound count is {share:.0%} of the throughput-only count, and "
            f"{fits[(131072, 'bf16')] / tput:.1%} at 128K: VRAM binds before the article's FLOP/throughput "
            "count except for short contexts in fp8."
        ),
        assumptions={
            "model": "llama-3-70b",
            "accelerator": "h100-sxm",
            "context_tokens": 8192,
            "dtype": "bf16",
            "tokens_per_s": speed,
        },
        sources=("hf-llama3-70b", "nvidia-h100-datasheet"),
    )


@claim
def dynamic_half():
    m = models.get("llama-3-70b")
    h100 = hardware.get("h100-sxm")
    gpus_per_instance = memory.ratio_from_share(0.5) * m.weight_bytes("bf16") / h100.mem_bytes
    ctx = memory.context_for_share("llama-3-70b", 0.5)
    return judged(
        "C09",
        "if dynamic is 50% of the RAM usage then 1M concurrent instances would require almost as many GPUs",
        "vram",
        "ch2-dynamic-share",
        verdict="depends on assumptions",
        value=1e6 * gpus_per_instance,
        claimed=1e6,
        unit="GPUs for 1M instances",
        why=(
            f"With dynamic = static per instance, each instance needs its own weight-sized KV: "
            f"{gpus_per_instance:.2f} H100s per Llama 3 70B instance ({si(1e6 * gpus_per_instance)} GPUs for 1M). "
            f"'Almost as many GPUs' holds only for a model about one GPU in size; and 70B reaches a 50% share only at "
            f"{ctx:,.0f} tokens, beyond its context window."
        ),
        assumptions={
            "model": "llama-3-70b",
            "dtype": "bf16",
            "accelerator": "h100-sxm",
            "dynamic_share": 0.5,
        },
        sources=("hf-llama3-70b", "nvidia-h100-datasheet"),
    )


@claim
def hundred_t_ten_million_gpus():
    fleets = [
        memory.ratio_fleet(
            1e6, 1e14, 0.01, weight_dtype=dt, accelerator=acc, tokens_per_s=INSTANCE_RATE
        )
        for acc in ("h100-sxm", "h200", "b200")
        for dt in ("bf16", "fp8")
    ]
    base = fleets[0]
    return numeric(
        "C10",
        "~100T params ... dynamic ratio is even just 1%, then 1M concurrent instances would require on order 10M GPUs",
        "vram",
        "ch2-100t",
        value=base.gpus,
        claimed=1e7,
        unit="GPUs",
        order_of_magnitude=True,
        why=(
            f"With each instance's KV = 1% of 200 TB of bf16 weights, 1M instances need {si(base.gpus)} H100s "
            f"({base.binding} binds); across H100/H200/B200 in bf16 and fp8 the range is "
            f"{si(min(f.gpus for f in fleets))}–{si(max(f.gpus for f in fleets))}. The count is linear in the "
            "dynamic ratio, the assumption that decides it."
        ),
        assumptions={
            "params": 1e14,
            "dynamic_ratio": 0.01,
            "instances": 1e6,
            "accelerator": "h100-sxm",
            "dtype": "bf16",
            "tokens_per_s": INSTANCE_RATE,
        },
        sources=("nvidia-h100-datasheet",),
    )


@claim
def kv_fraction_small():
    ratios = {
        m.name: m.kv_cache_bytes(m.max_context) / m.weight_bytes("bf16")
        for m in models.all_models()
    }
    worst = max(ratios, key=ratios.get)
    return numeric(
        "C11",
        "most current models have a much smaller KV cache to weight RAM fraction than my simple 1:1 example",
        "vram",
        "ch2-static-dynamic",
        value=ratios[worst],
        claimed=1.0,
        unit="KV bytes / weight bytes (one sequence, full context)",
        comparison="<",
        why=(
            f"For one sequence at its full context window, the largest KV/weight ratio in the catalog is "
            f"{ratios[worst]:.0%} ({worst}); Llama 3 70B at 8K is "
            f"{models.get('llama-3-70b').kv_cache_bytes(8192) / models.get('llama-3-70b').weight_bytes('bf16'):.1%}. "
            "Summed over a batch, KV still overtakes the weights, which is the chapter's point."
        ),
        assumptions={"dtype": "bf16", "context": "each model's max_position_embeddings"},
        sources=("hf-llama3-70b",),
    )


# ---- chapter 3: prices and agents -------------------------------------------------------------------
@claim
def price_ratio_3_to_10():
    s = pricing.ratio_summary()
    return numeric(
        "C12",
        "The 3x - 10x cost ratio model providers charge",
        "pricing",
        "ch3-price-data",
        value=s.median,
        claimed=math.sqrt(3 * 10),
        unit="output price / input price",
        tolerance=math.sqrt(10 / 3) - 1,  # holds anywhere inside the source's stated 3x-10x range
        why=(
            f"Across {s.n_rows} dated list prices (2023–2025) the output/input ratio runs "
            f"{s.lowest:g}x–{s.highest:g}x with median {s.median:g}x; {s.share_in_3_to_10:.0%} of rows lie in "
            "3x–10x and none reaches 10x. Open-weight hosts charge 1x."
        ),
        assumptions={"rows": "analysis/data/prices.yaml, standard tier"},
        sources=("openai-devday-2023", "anthropic-claude3-2024"),
    )


@claim
def utilization_gap_from_prices():
    s = pricing.ratio_summary()
    return judged(
        "C13",
        "the mean ... flop utilization of the generation phase ... is perhaps 3x to 10x lower than the prefill phase",
        "pricing",
        "ch3-implied-utilization",
        verdict="depends on assumptions",
        value=s.median,
        claimed=None,
        unit="prefill utilization / decode utilization implied by the median price ratio",
        why=(
            f"If prices track cost and an output token costs as many FLOPs as an input token, the median "
            f"price ratio ({s.median:g}x) is the utilization gap. Prices are set by markets, not costs, and "
            "long contexts add attention FLOPs to each output token, so the inference is only as good as "
            "those two assumptions."
        ),
        assumptions={
            "prices_track_cost": True,
            "flops_per_output_token": "equal to per input token",
        },
    )


@claim
def source_efficiency_formula():
    intended = pricing.source_formula(0.1, 0.9, 1000)
    printed = pricing.source_formula(0.1, 0.9, 1000, as_printed=True)
    return numeric(
        "C14",
        "if the KV cache is 10% of RAM, and alu_ratio is 1000:1, generation would have max efficiency of 1%",
        "pricing",
        "ch3-source-formula",
        value=intended,
        claimed=0.01,
        unit="decode FLOP utilization",
        tolerance=0.1,
        why=(
            f"Read as ((KV + W)/KV)/R the example gives {intended:.1%}; as printed, "
            f"KV + W/KV over R, it gives {printed:.2%}. The formula is the unlimited-batch ceiling of a "
            "dense multi-head model whose one sequence's KV fills the stated share; grouped-query and "
            "latent attention, MoE and fp8 weights move it (chapter 3)."
        ),
        assumptions={"kv_share_of_ram": 0.1, "weight_share_of_ram": 0.9, "alu_ratio": 1000},
    )


@claim
def infill_30_percent_30x():
    ratio = pricing.ratio_from_utilizations(0.30, 0.01)
    return numeric(
        "C15",
        "If infill efficiency was 30%, then output tokens would presumably be priced 30x more than input tokens",
        "pricing",
        "ch3-source-formula",
        value=ratio,
        claimed=30,
        unit="output cost / input cost",
        tolerance=0.1,
        why=(
            f"Equal FLOPs per token give exactly {ratio:.0f}x. At a full 128K context each output token "
            "attends to the whole context while an input token attends to half of it on average, which "
            "raises the ratio further (chapter 3)."
        ),
        assumptions={
            "prefill_utilization": 0.30,
            "decode_utilization": 0.01,
            "flops_per_token": "equal",
        },
    )


@claim
def thought_speed_9():
    facts = roofline.facts()
    reading = float(facts["silent_reading_wpm"].value) / float(facts["words_per_token"].value) / 60
    return judged(
        "C16",
        "human thoughtspeed is roughly 9 token/s",
        "pricing",
        "ch3-worked-example",
        verdict="not checkable",
        value=reading,
        claimed=9,
        unit="tokens/s (silent reading, for comparison)",
        why=(
            f"Thought has no measured token rate. The nearest measurable rate, silent reading of "
            f"non-fiction, is {reading:.1f} tokens/s; the chapters keep {THOUGHT_RATE:g} tokens/s as the source's "
            "assumption and show the sensitivity to it."
        ),
        assumptions={
            "reading_wpm": facts["silent_reading_wpm"].value,
            "words_per_token": facts["words_per_token"].value,
        },
        sources=(facts["silent_reading_wpm"].source, facts["words_per_token"].source),
    )


def _thought(id, quote, hours, claimed, unit, **kw):
    return numeric(
        id,
        quote,
        "pricing",
        "ch3-worked-example",
        value=agents.thought_tokens(hours),
        claimed=claimed,
        unit=unit,
        why=(
            f"{THOUGHT_RATE:g} tokens/s × {hours:g} h × 3,600 s/h = {agents.thought_tokens(hours):,.0f} tokens"
            + (" (a 40-hour week)." if hours == 40 else ".")
        ),
        assumptions={"tokens_per_s": THOUGHT_RATE, "hours": hours},
        **kw,
    )


@claim
def thought_per_hour():
    return _thought("C17", "or 32K/hour", 1, 32_000, "tokens per hour", tolerance=0.05)


@claim
def thought_per_day():
    return _thought(
        "C18", "or 256K per 8 hour work day", 8, 256_000, "tokens per 8-hour day", tolerance=0.05
    )


@claim
def thought_per_week():
    return _thought(
        "C19",
        "or roughly 1M tokens per week",
        40,
        1e6,
        "tokens per 40-hour week",
        order_of_magnitude=True,
    )


@claim
def context_128k_four_hours():
    ex = agents.worked_example()
    return numeric(
        "C28",
        "GPT4-turbo ... has a max context length of 128K (roughly 4 hours)",
        "pricing",
        "ch3-worked-example",
        value=ex.context_thought_hours,
        claimed=4,
        unit=f"hours of thought at {THOUGHT_RATE:g} tokens/s",
        tolerance=0.1,
        why=f"{ex.context_tokens:,} tokens ÷ {THOUGHT_RATE:g} tokens/s = {ex.context_thought_hours:.2f} hours.",
        assumptions={"context_tokens": ex.context_tokens, "tokens_per_s": THOUGHT_RATE},
        sources=(ex.source,),
    )


@claim
def input_cost_125():
    ex = agents.worked_example()
    return numeric(
        "C29",
        "that will cost you about $1.25 for the input tokens",
        "pricing",
        "ch3-worked-example",
        value=ex.input_usd,
        claimed=1.25,
        unit="USD per request",
        tolerance=0.1,
        why=(
            f"{ex.context_tokens:,} input tokens at GPT-4 Turbo's ${prices.price(ex.model).input_usd_per_mtok:g} "
            f"per million ({prices.price(ex.model).date.isoformat()}) = ${ex.input_usd:.2f}."
        ),
        assumptions={"model": ex.model, "context_tokens": ex.context_tokens},
        sources=(ex.source,),
    )


@claim
def output_cost_003():
    ex = agents.worked_example()
    return numeric(
        "C30",
        "but only about $0.03 for the output tokens",
        "pricing",
        "ch3-worked-example",
        value=ex.output_usd,
        claimed=0.03,
        unit="USD per request",
        tolerance=0.1,
        why=f"{ex.output_tokens:,} output tokens at ${prices.price(ex.model).output_usd_per_mtok:g} per million = ${ex.output_usd:.2f}.",
        assumptions={"model": ex.model, "output_tokens": ex.output_tokens},
        sources=(ex.source,),
    )


@claim
def cost_like_human_worker():
    ex = agents.worked_example()
    return numeric(
        "C31",
        "That costs about as much as a human worker, per minute of output thought tokens",
        "pricing",
        "ch3-worked-example",
        value=ex.usd_per_thought_minute,
        claimed=ex.wage_usd_per_minute,
        unit="USD per minute of output thought (stated: a median software developer's wage)",
        order_of_magnitude=True,
        why=(
            f"${ex.input_usd + ex.output_usd:.2f} for {ex.output_thought_minutes:.2f} minutes of output "
            f"thought is ${ex.usd_per_thought_minute:.2f} per minute, against ${ex.wage_usd_per_minute:.2f} "
            "per minute for the median US software developer (BLS, May 2023): the same order, about two "
            "thirds of the wage."
        ),
        assumptions={
            "wage": "BLS OEWS May 2023 median, software developers, 2,080 h/year",
            "tokens_per_s": THOUGHT_RATE,
        },
        sources=(ex.source, "bls-oews-2023-software-developers"),
    )


@claim
def cost_linear_in_prompt():
    row = prices.price("gpt-4-turbo")

    def request_usd(context):
        return (context * row.input_usd_per_mtok + 1000 * row.output_usd_per_mtok) / 1e6

    exponent = math.log2(request_usd(128_000) / request_usd(64_000))
    return numeric(
        "C32",
        "The cost of any LLM agent today (per minute of output thought) increases linearily with input prompt length",
        "pricing",
        "ch3-agents",
        value=exponent,
        claimed=1.0,
        unit="exponent of cost in prompt length (64K→128K)",
        tolerance=0.05,
        why=(
            f"Per request, cost = prompt × input price + output × output price: doubling a 64K prompt "
            f"multiplies the GPT-4 Turbo bill by 2^{exponent:.2f}, linear up to the fixed output term."
        ),
        assumptions={"model": "gpt-4-turbo", "output_tokens": 1000},
        sources=(row.source,),
    )


@claim
def agent_cost_quadratic():
    setup = agents.example_setup()
    loop, none = setup.loop, setup.regimes[0]
    t = loop.max_steps()
    exponent = math.log2(
        agents.total_cost_usd(loop, none, t) / agents.total_cost_usd(loop, none, t // 2)
    )
    return numeric(
        "C33",
        "the cost of running a react-like LLM agent thus grows quadratically with time, vs linear for humans",
        "pricing",
        "ch3-agents",
        value=exponent,
        claimed=2.0,
        unit="exponent of total cost in steps",
        tolerance=0.1,
        why=(
            f"Re-reading the whole context each step, the bill over {t} steps grows as 2^{exponent:.2f} per "
            f"doubling of the steps (no caching; the prompt's fixed share keeps it under 2). Prompt caching "
            "and KV rent change the coefficient, not the power (chapter 3)."
        ),
        assumptions={
            "prompt_tokens": loop.prompt_tokens,
            "action_tokens": loop.action_tokens,
            "observation_tokens": loop.observation_tokens,
            "steps": t,
            "billing": "no caching",
        },
        sources=setup.sources,
    )


@claim
def rent_on_ram():
    setup = agents.example_setup()
    loop = setup.loop
    t = loop.max_steps()
    none, rent = setup.regimes[0], setup.regimes[-1]
    gap = agents.total_cost_usd(loop, none, t) / agents.total_cost_usd(loop, rent, t)
    return judged(
        "C34",
        "their true cost would be more like charging rent on RAM for every timestep",
        "pricing",
        "ch3-agents",
        verdict="depends on assumptions",
        value=gap,
        claimed=None,
        unit="no-caching bill / KV-rent bill over a full 128K agent run",
        why=(
            f"Charged as rent on the HBM its KV occupies (median H100 rental), the example agent's full run "
            f"costs {gap:.0f}x less than re-billing every input token. The gap depends on the rental price, "
            "the model's KV bytes per token and the step time — the assumptions stated in chapter 3."
        ),
        assumptions={
            "rent_usd_per_gpu_hour": setup.rent_usd_per_gpu_hour,
            "gpu": setup.rent_gpu,
            "kv_bytes_per_token": setup.kv_bytes_per_token,
            "steps": t,
        },
        sources=setup.sources,
    )


@claim
def agents_pricier_than_humans():
    setup = agents.example_setup()
    wage = agents.median_wage_usd_per_hour()
    cross = {r.label: agents.crossover_step(setup.loop, r, wage) for r in setup.regimes}
    first = cross[setup.regimes[0].label]
    return judged(
        "C35",
        "much more expensive than humans for tasks that require extensive job-specific knowledge/training",
        "pricing",
        "ch3-human-crossover",
        verdict="depends on assumptions",
        value=float(first) if first is not None else None,
        claimed=None,
        unit="agent step at which cost per minute of thought passes the median wage (no caching)",
        why=(
            f"Without caching the example agent's cost per minute of output thought passes the median "
            f"developer wage at step {first}, once its context (its 'job-specific knowledge') is large; "
            "with a 0.1x cache read or KV rent it never does inside a 128K window. Billing, not physics, "
            "decides."
        ),
        assumptions={
            "tokens_per_s": THOUGHT_RATE,
            "wage_usd_per_hour": round(wage, 2),
            "loop": f"{setup.loop.prompt_tokens}+{setup.loop.action_tokens}+{setup.loop.observation_tokens} tokens",
        },
        sources=("bls-oews-2023-software-developers",),
    )
