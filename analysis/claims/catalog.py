"""The claims of the source text, one builder each, in the order the source makes them.

Every ``value`` is computed here by calling the chapters' functions; the only literals are the
source's own numbers (``claimed``) and the stated assumptions.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from functools import cache

from .. import agents, energy, hardware, memory, models, physics, prices, pricing, roofline, sources
from ..errors import ConfigError, DefinitionError, UnknownNameError
from ..units import sci, si
from .ledger import TOPICS, VERDICTS, Claim, judged, numeric

# The plausible ranges the sensitivity rule sweeps (low end first). Adding a chip to a range is
# one word here; a chip without the dtype a builder needs gives no point (None), not an error.
CHIPS = ("h100-sxm", "h200", "b200", "mi300x")
# What "K" can mean on one chip: (compute dtype, weight dtype, 2:4 sparse), low to high FLOP/s.
PEAKS = {
    "bf16 dense": ("bf16", "bf16", False),
    "fp8 dense": ("fp8", "fp8", False),
    "fp8 2:4 sparse": ("fp8", "fp8", True),
}
THOUGHT_RATE = float(agents.THOUGHT_TOKENS_PER_S.value)  # the source's assumed tokens/s of thought
INSTANCE_RATE = float(memory.SOURCE_INSTANCE_TOKENS_PER_S.value)  # the article's 40 tokens/s
# "architecture" (issue 19): where a claim rests on the bytes of state one instance carries, the
# designs of ``analysis.designs`` replace the source's per-instance figure by what their
# representative model holds at ARCH_CONTEXT tokens (bf16 KV), ordered least state first.
STATED = "as stated"  # the base point of an architecture range: the source's own figure
ARCH_CONTEXT = 131_072
# "price date": OpenAI's flagship list price at successive dates, the source's GPT-4 Turbo first.
FLAGSHIPS = ("gpt-4-turbo", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14")


def _designs():
    from .. import designs  # designs reads C04 for its verdicts: import it when first used

    return designs


@cache
def _arch_state_bytes(key: str) -> float:
    """Bytes one sequence of design ``key``'s representative model holds at ARCH_CONTEXT."""
    d = _designs()
    return float(d.hold_bytes(d.design(key).model, ARCH_CONTEXT))


@cache
def _architectures() -> tuple[str, ...]:
    """The design keys, ordered by the state one sequence holds at ARCH_CONTEXT (least first)."""
    return tuple(sorted((x.key for x in _designs().DESIGNS), key=_arch_state_bytes))


def _arch_model(key: str) -> str:
    return _designs().design(key).model


def _extremes(values: dict[str, float | None]) -> tuple[str, float, str, float]:
    """(key, value) of the smallest and of the largest feasible value in ``values``."""
    ok = {k: v for k, v in values.items() if v is not None}
    lo, hi = min(ok, key=ok.__getitem__), max(ok, key=ok.__getitem__)
    return lo, ok[lo], hi, ok[hi]


def _flagship_label(model: str) -> str:
    return f"{prices.price(model).date.isoformat()} {model}"


PRICE_DATES = {_flagship_label(m): m for m in FLAGSHIPS}

# ---- the registry: every builder below adds itself with @claim -------------------------------
BUILDERS: list[Callable[[], Claim]] = []
REGISTRY_API = ("claim", "ledger", "get", "by_topic", "verdict_counts")  # not builders


def claim(func: Callable[[], Claim]) -> Callable[[], Claim]:
    """Register ``func`` as a claim builder (``BUILDERS``); returns it unchanged."""
    BUILDERS.append(func)
    return func


@cache
def ledger() -> tuple[Claim, ...]:
    """Every claim, in id order."""
    claims = tuple(sorted((build() for build in BUILDERS), key=lambda c: c.id))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise DefinitionError(f"duplicate claim ids in {ids}")
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
    """Claims per verdict [claims]."""
    return {v: sum(c.verdict == v for c in ledger()) for v in VERDICTS}


# ---- chapter 1: the asymmetry ------------------------------------------------------------------
@claim
def training_flop_bound():
    tb = roofline.llama3_training_batch()
    mfu = sources.facts()["llama3_405b_mfu_8192gpu"]

    def per_critical_batch(accelerator, dtype):
        if dtype not in hardware.get(accelerator).flops:
            return None
        return roofline.llama3_training_batch(accelerator, dtype).ratio_sequence

    return judged(
        "C01",
        "transformer training can often run near full efficiency, flop limited, parallelizing over time",
        "asymmetry",
        "ch1-training",
        verdict="depends on assumptions",
        value=tb.ratio_sequence,
        recompute=per_critical_batch,
        base={"accelerator": "h100-sxm", "dtype": "bf16"},
        ranges={"accelerator": CHIPS, "dtype": ("bf16", "fp8")},
        bound=(">", 1.0),  # flop-limited: one sequence gives each weight read > the critical batch
        unit="x critical batch (one 8K sequence)",
        why=(
            f"Flop-limited holds: one 8,192-token sequence already gives each weight read "
            f"{tb.ratio_sequence:.0f}x the H100's bf16 critical batch ({tb.critical_batch:.0f}). "
            f"'Near full efficiency' does not: Llama 3 405B ran at {float(mfu.value):.0%} MFU, "
            "lost to communication and pipeline bubbles, not to memory bandwidth."
        ),
        assumptions={
            "sequence_tokens": tb.sequence_tokens,
            "batch_tokens": tb.batch_tokens,
        },
        sources=("llama3-paper",),
    )


@claim
def k_up_to_1000():
    def ridge(accelerator, peak):
        comp, _, sparse = PEAKS[peak]
        acc = hardware.get(accelerator)
        if comp not in acc.flops:
            return None
        return acc.peak_flops(comp) * (2 if sparse else 1) / acc.mem_bandwidth

    base = {"accelerator": "h100-sxm", "peak": "bf16 dense"}
    return numeric(
        "C02",
        "K is the flop/mem_bw ratio (currently up to 1000 on H100)",
        "asymmetry",
        "ch1-k-claim",
        recompute=ridge,
        base=base,
        ranges={"peak": tuple(PEAKS), "accelerator": CHIPS},
        claimed=1000,
        unit="FLOP per byte (peak FLOP/s / HBM bytes/s)",
        why=(
            f"K, read as the source defines it (FLOP/s over bytes/s), is {ridge(**base):.0f} FLOP/byte "
            f"for the H100's dense bf16 peak, {ridge('h100-sxm', 'fp8 dense'):.0f} for dense fp8 and "
            f"{ridge('h100-sxm', 'fp8 2:4 sparse'):,.0f} only for the 2:4-sparse fp8 marketing peak: "
            "'up to 1000' is reached by sparse fp8 FLOP/s alone, which no dense decode uses."
        ),
        assumptions={},
        order_of_magnitude=True,
        sources=("nvidia-hopper-whitepaper", "nvidia-h100-datasheet"),
    )


DENSE = "dense"
# "routing": the base model's dense layers, or a mixture of experts routing each token to a few
# experts (uniform routing, roofline.step_weight_bytes), from the densest routing to the sparsest.
ROUTED = ("mixtral-8x7b", "qwen3-30b-a3b", "deepseek-v3")


def _utilization_ratio(model, accelerator, context, routing=DENSE, batch=1000, dtype="bf16"):
    """Decode FLOP utilization at ``batch`` over prefill's, each min(1, intensity / ridge)."""
    spec = models.get(model if routing == DENSE else routing)
    acc = hardware.get(accelerator)
    ridge = acc.peak_flops(dtype) / acc.mem_bandwidth
    dec = roofline.forward_step(spec, batch, 1, context, dtype, dtype)
    pre = roofline.forward_step(spec, 1, max(context, 4096), 0, dtype, dtype)
    return min(1.0, dec.intensity / ridge) / min(1.0, pre.intensity / ridge)


def _routing_label(model: str) -> str:
    spec = models.get(model)
    k, e = spec.n_experts_per_tok, spec.n_experts
    return f"{model} ({k} of {e} experts, {1000 * k / e:.0f} tokens each)"


@claim
def batch_over_1000_for_equal_utilization():
    base = {"model": "llama-3-70b", "accelerator": "h100-sxm", "context": 0, "routing": DENSE}
    at_8k = _utilization_ratio("llama-3-70b", "h100-sxm", 8192)
    routed = {m: _utilization_ratio("llama-3-70b", "h100-sxm", 0, m) for m in ROUTED}
    return numeric(
        "C03",
        "inference batch sizes would be > 1000, inference flop utilization would be the same for prefill vs generation",
        "asymmetry",
        "ch1-k-claim",
        recompute=_utilization_ratio,
        base=base,
        ranges={
            "context": (0, 1024, 8192, 32768),
            "accelerator": CHIPS,
            "routing": (DENSE, *ROUTED),
        },
        claimed=1.0,
        unit="decode / prefill FLOP utilization at batch 1000",
        why=(
            "Tested as stated: at a batch of 1000, Llama 3 70B's decode step on an H100 (bf16) reaches "
            f"{_utilization_ratio(**base):.0%} of prefill's roofline utilization when the KV cache is "
            f"negligible, as the source's K argument assumes, but {at_8k:.0%} at 8K context, where each "
            "sequence's own KV read, which batching never shares, caps the step's intensity. With "
            "routed experts a batch of 1000 spreads over the experts, so each expert's read is "
            "shared by batch × k / E tokens, not 1000: at negligible KV, "
            + ", ".join(f"{_routing_label(m)} {v:.0%}" for m, v in routed.items())
            + "."
        ),
        assumptions={"batch": 1000, "dtype": "bf16", "prefill_prompt_tokens": "max(context, 4096)"},
        sources=(
            "nvidia-hopper-whitepaper",
            "hf-llama3-70b",
            *dict.fromkeys(models.info(m).config_source.source for m in ROUTED),
        ),
    )


# ---- chapter 6: physics ------------------------------------------------------------------------------
@claim
def density_4n():
    density = physics.accelerator_density_per_cm2("h100-sxm")
    on_4n = [a for a in hardware.NAMES if hardware.get(a).process == "TSMC 4N"]
    with_area = [a for a in on_4n if hardware.get(a).die_area_mm2 is not None]
    dies = {(hardware.get(a).die_area_mm2, hardware.get(a).transistors) for a in with_area}
    no_area = [
        a for a in hardware.NAMES if a not in with_area and "4N" in (hardware.get(a).process or "")
    ]
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
        unswept=(
            f"No second die to vary: the catalog's TSMC 4N chips with a published area "
            f"({', '.join(with_area)}) share "
            + ("one die" if len(dies) == 1 else f"{len(dies)} dies")
            + f"; {', '.join(no_area)} (4N-family) publish no die area."
        ),
    )


@claim
def switch_energy_4n():
    h100 = hardware.get("h100-sxm")

    def switch_j(power_share):
        return physics.accelerator_switching_energy_j(
            "h100-sxm", 1.0, power_w=power_share * h100.tdp_w
        )

    e01 = physics.accelerator_switching_energy_j("h100-sxm", 0.1)
    return numeric(
        "C21",
        "roughly 5e^-18 J switch energy assuming dense activity",
        "physics",
        "ch4-switching",
        recompute=switch_j,
        base={"power_share": 1.0},
        ranges={"power_share": (0.5, 1.0)},
        claimed=5e-18,
        unit="J per transistor switch",
        order_of_magnitude=True,
        why=(
            f"TDP over (transistors × clock) gives {sci(switch_j(1.0))} J at activity 1, as the source "
            f"assumes; charging only half the TDP to logic (the rest to HBM, I/O, leakage) gives "
            f"{sci(switch_j(0.5))} J. Outside the source's assumption, at a more typical activity of 0.1 "
            f"the same power means {sci(e01)} J per switch, 10x more."
        ),
        assumptions={
            "accelerator": "h100-sxm",
            "power_w": h100.tdp_w,
            "activity": 1.0,
            "clock_ghz": h100.clock_hz / 1e9,
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
        unswept="Not checkable: no source here estimates a practical density limit to vary.",
    )


@claim
def density_headroom_1_to_2_oom():
    headroom = 5e11 / physics.accelerator_density_per_cm2("h100-sxm")
    return judged(
        "C23",
        "So there is another 1 to 2 OOM further density scaling",
        "physics",
        "ch4-density",
        verdict="not checkable",
        value=headroom,
        claimed=math.sqrt(10 * 100),
        unit="x density headroom (the source's limit / GH100)",
        why=(
            f"The arithmetic follows from the source's own limit: 5e11/cm² over GH100's average is "
            f"{headroom:.0f}x ({math.log10(headroom):.1f} orders of magnitude), inside '1 to 2 OOM'. "
            "But it rests entirely on C22, a limit no source here supports, so the headroom is no "
            "more checkable than the limit it divides."
        ),
        assumptions={"limit": "5e11 transistors/cm² (the source's, C22)", "today": "GH100 average"},
        sources=("nvidia-hopper-whitepaper",),
        unswept="Not checkable: it divides C22's limit, which no source here supports.",
    )


@claim
def min_switch_energy():
    landauer = physics.landauer_j(300.0)
    stated = 2e-18

    def room(accelerator, activity):
        return float(physics.accelerator_switching_energy_j(accelerator, activity)) / stated

    base = {"accelerator": "h100-sxm", "activity": 1.0}
    return judged(
        "C24",
        "the minimal viable high speed switching energy is around ~2e^-18J",
        "physics",
        "ch4-landauer",
        verdict="depends on assumptions",
        value=None,
        claimed=None,
        recompute=room,
        base=base,
        ranges={"activity": (0.1, 0.2, 0.5, 1.0), "accelerator": ("a100-sxm", "h100-sxm")},
        bound=(">", 1.0),  # a minimum: today's switch must spend more than it
        unit="x the stated minimum (energy per switch at board power / 2e-18 J)",
        why=(
            f"2e-18 J is {stated / landauer:.0f}x kT ln 2 at 300 K, so it is no physical floor but a "
            f"reliability-and-speed estimate; against GH100 it leaves {room(**base):.1f}x at activity 1 "
            f"but {room('h100-sxm', 0.1):.0f}x at activity 0.1 — the activity factor decides how little "
            "room is left."
        ),
        assumptions={"temperature_k": 300, "reference": "GH100 at 700 W", "stated_j": stated},
        sources=(
            "bipm-si-2019",
            *dict.fromkeys(
                hardware.get(a).source(f)
                for a in ("a100-sxm", "h100-sxm")
                for f in ("tdp_w", "transistors")
            ),
        ),
    )


@claim
def j_per_flop_doable():
    def board_j_per_flop(accelerator, precision):
        acc = hardware.get(accelerator)
        if precision not in acc.flops or acc.tdp_w is None:
            return None
        return physics.accelerator_j_per_flop(accelerator, precision)

    limit = physics.cmos_limit_j_per_flop()
    base = {"accelerator": "b200", "precision": physics.CMOS_LIMIT_DTYPE}
    best = board_j_per_flop(**base)
    return numeric(
        "C25",
        "Achieving 1e-15 J/flop seems doable now for low precision flops",
        "physics",
        "ch4-joules-per-flop",
        recompute=board_j_per_flop,
        base=base,
        ranges={"precision": ("fp4", "fp8", "bf16"), "accelerator": CHIPS},
        claimed=1e-15,
        unit="J/FLOP at board level (TDP / dense peak)",
        order_of_magnitude=True,
        why=(
            f"The most efficient catalog chip (B200, dense fp4 at TDP) spends {sci(best)} J/FLOP at "
            f"board level: 1e-15 understates it {best / 1e-15:.0f}x, and every lower-precision or "
            "older reading is further off, so the verdict does not depend on precision at board level. "
            f"Like with like, in FP4, 1e-15 J is {1e-15 / limit:.1f}x the published CMOS-limit estimate "
            f"({sci(limit)} J/FLOP): near the limit, not 'doable now'; only a bare multiply-add "
            "datapath without operand delivery reaches it."
        ),
        assumptions={"power": "TDP", "level": "board"},
        sources=(
            *dict.fromkeys(hardware.get("b200").source(f) for f in ("tdp_w", "flops:fp4")),
            "ho-2023-cmos-limits",
        ),
    )


MEMORY_BIT_ENERGY = {  # reading 'a bit from RAM' as a full DRAM access, low to high
    "HBM2 (O'Connor 2017)": "hbm2_pj_per_bit",
    "HBM (Dally 2023)": "hbm_access_dally_2023_pj_per_bit",
    "DDR (Horowitz, 45 nm)": "dram_read_64b_low_j",
}


def _dram_bit_j(memory: str) -> float:
    q = physics.constant(MEMORY_BIT_ENERGY[memory])
    return q.joules / 64 if q.unit == "J" else q.joules  # the DDR figure is per 64-bit access


@claim
def bit_1cm():
    wire = physics.wire_energy_j(10.0)
    base = {"memory": "HBM2 (O'Connor 2017)"}
    hbm = _dram_bit_j(**base)
    return numeric(
        "C26",
        "pulling even a single bit from RAM just 1 cm away costs around 1e-12J",
        "physics",
        "ch4-moving-bits",
        recompute=_dram_bit_j,
        base=base,
        ranges={"memory": tuple(MEMORY_BIT_ENERGY)},
        claimed=1e-12,
        unit="J/bit (one DRAM access)",
        order_of_magnitude=True,
        why=(
            f"A bit from RAM is a DRAM access: {sci(hbm)} J/bit for HBM2, so 1e-12 J reads the DRAM "
            f"figure {hbm / 1e-12:.1f}x low (and {_dram_bit_j('DDR (Horowitz, 45 nm)') / 1e-12:.0f}x low "
            f"for 45 nm-era DDR). 1e-12 J matches only the 10 mm of on-chip wire ({sci(wire)} J/bit), "
            "not the memory at its end. The error runs the way that strengthens the source's argument."
        ),
        assumptions={"distance_mm": 10},
        sources=("oconnor-2017", "dally-2023-aha", "horowitz-2014", "keckler-2011"),
    )


def _memory_share(model, accelerator, batch, context, architecture=STATED, dtype="bf16"):
    if architecture != STATED:  # the design's representative model in place of ``model``
        model = _arch_model(architecture)
    acc = hardware.get(accelerator)
    if dtype not in acc.flops or acc.tdp_w is None:
        return None
    e = energy.energy_per_token(model, accelerator, batch, context, dtype, bound=True)
    return float(e.memory_share)


@claim
def data_movement_dominates():
    base = {
        "model": "llama-3-70b",
        "accelerator": "h100-sxm",
        "batch": 1,
        "context": 1024,
        "architecture": STATED,
    }
    flip = energy.batch_for_memory_share("llama-3-70b", "h100-sxm", 1024, bound=True)
    never = energy.batch_for_memory_share("llama-3-70b", "h100-sxm", 8192, bound=True)
    return numeric(
        "C27",
        "most of the cost is data movement",
        "physics",
        "ch4-token-energy",
        recompute=_memory_share,
        base=base,
        ranges={
            "batch": (1, 16, 256, 1024, 4096),
            "context": (0, 1024, 8192, 32768),
            "model": ("llama-3-8b", "llama-3-70b", "llama-3.1-405b"),
            "accelerator": CHIPS,
            "architecture": _architectures(),
        },
        claimed=0.5,
        unit="share of a token's energy charged to moving bytes (top-down)",
        comparison=">",
        why=(
            f"Top-down (board power x roofline step time), a Llama 3 70B token on an H100 at batch 1 "
            f"and 1K context is {_memory_share(**base):.0%} data movement. Not only at batch 1: "
            f"memory keeps the majority up to a batch of about {flip:,.0f} at 1K context (chapter 1's "
            "critical batch, shifted by the KV read), and "
            + (
                "at every batch from 8K context on, where each sequence's KV outweighs its arithmetic."
                if never is None
                else f"up to about {never:,.0f} at 8K."
            )
        ),
        assumptions={"dtype": "bf16", "power": "TDP", "model_of_energy": "top-down"},
        sources=("nvidia-h100-datasheet", "hf-llama3-70b"),
    )


# ---- chapter 2: VRAM ----------------------------------------------------------------------------------
DEPLOYMENT = {"dtype": "fp8", "context": 8192}  # the one stated deployment of C05, C07, C08


def _cluster_instances(dtype: str, context: int) -> int:
    """Memory- and bandwidth-bound instances of Llama 3 70B on the article's 24,000 H100s."""
    speed = memory.SOURCE_INSTANCE_TOKENS_PER_S.value
    lim = memory.serving_limits(
        "llama-3-70b", "h100-sxm", context, group_gpus=8, weight_dtype=dtype, tokens_per_s=speed
    )
    return (int(memory.SOURCE_CLUSTER_GPUS.value) // 8) * lim.instances


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
    stated_bytes = 1e12  # the source's "1TB of KV cache" per instance

    def kv_bytes(accelerator, peak, architecture):
        comp, wt, sparse = PEAKS[peak]
        acc = hardware.get(accelerator)
        if comp not in acc.flops:
            return None
        per_instance = stated_bytes if architecture == STATED else _arch_state_bytes(architecture)
        return roofline.accelerator_critical_batch(acc, comp, wt, sparse=sparse) * per_instance

    base = {"accelerator": "h100-sxm", "peak": "bf16 dense", "architecture": STATED}
    k = kv_bytes(**base) / stated_bytes
    lo, lo_v, hi, hi_v = _extremes(
        {a: kv_bytes("h100-sxm", "bf16 dense", a) for a in _architectures()}
    )
    return numeric(
        "C04",
        "that would be 1000 * 1TB of RAM for the KV cache",
        "vram",
        "ch2-static-dynamic",
        recompute=kv_bytes,
        base=base,
        ranges={"peak": tuple(PEAKS), "accelerator": CHIPS, "architecture": _architectures()},
        claimed=1000 * 1e12,
        unit="bytes of KV cache (critical batch x 1 TB)",
        order_of_magnitude=True,
        why=(
            f"The arithmetic is right for K = 1000, but the instances that share one weight read at the "
            f"ridge are the critical batch: {k:.0f} on an H100 for any dense precision whose weights "
            f"match the compute, {kv_bytes('h100-sxm', 'fp8 2:4 sparse', STATED) / 1e12:.0f} only with "
            f"the sparse fp8 peak (C02). At {k:.0f} the KV is {si(k * 1e12, 'B')}, still "
            f"{k * 1e12 / hardware.get('h100-sxm').mem_bytes:,.0f} H100s of memory for the KV alone. "
            f"With today's designs in place of the 1 TB per instance, {k:.0f} sequences of "
            f"{ARCH_CONTEXT:,} tokens hold {si(lo_v, 'B')} ({lo}) to {si(hi_v, 'B')} ({hi}), "
            f"{1e15 / hi_v:.1f}x to {1e15 / lo_v:,.0f}x below the claim."
        ),
        assumptions={"kv_per_instance_bytes": stated_bytes, "architecture_context": ARCH_CONTEXT},
        sources=("nvidia-hopper-whitepaper",),
    )


def _trtllm_h100_tokens_per_s(prompt_tokens: int) -> float:
    osl = {1000: 1000, 8192: 1024}[prompt_tokens]
    key = f"trtllm_llama33_70b_fp8_h100_tp2_isl{prompt_tokens}_osl{osl}"
    return float(sources.facts()[key].value)


@claim
def h100_2000_tokens_per_s():
    fact = sources.facts()["trtllm_llama33_70b_fp8_h100_tp2_isl1000_osl1000"]
    base = {"prompt_tokens": 1000}
    return numeric(
        "C05",
        "a single NVIDIA H100 GPU can run inference at a throughput of about 2000 tokens/s",
        "vram",
        "ch2-cluster",
        recompute=_trtllm_h100_tokens_per_s,
        base=base,
        ranges={"prompt_tokens": (1000, 8192)},
        claimed=2000,
        unit="output tokens/s per GPU (measured)",
        why=(
            f"The deployment this chapter states for the article's cluster: Llama 3.3 70B with fp8 "
            f"weights on H100s, TP2. NVIDIA's TensorRT-LLM benchmark measures "
            f"{_trtllm_h100_tokens_per_s(1000):,.0f} tokens/s per GPU with 1,000-token prompts and "
            f"outputs, {_trtllm_h100_tokens_per_s(8192):,.0f} with 8K prompts. (The sentence is the "
            "article's, which the source answers.)"
        ),
        assumptions={
            "model": "Llama 3.3 70B",
            "weights": "fp8",
            "parallelism": "TP2",
            "output_tokens": "1000 (1024 with 8K prompts)",
        },
        sources=(fact.source,),
    )


@claim
def meta_cluster_24000():
    facts = sources.facts()
    fact, used = facts["meta_h100_cluster_gpus"], facts["llama3_pretrain_max_gpus"]
    counts = {  # what "a GPU cluster of about 24,000 GPUs" counts, fewest first
        "GPUs Llama 3 405B's pre-training used": float(used.value),
        "GPUs in one of Meta's clusters": float(fact.value),
    }

    def gpus(count):
        return counts[count]

    return numeric(
        "C06",
        "Meta trained Llama3 70B on a GPU cluster ... of about 24,000 GPUs",
        "vram",
        "ch2-cluster",
        recompute=gpus,
        base={"count": "GPUs in one of Meta's clusters"},
        ranges={"count": tuple(counts)},
        claimed=24000,
        unit="GPUs",
        tolerance=0.1,
        why=(
            f"Meta's two training clusters have {float(fact.value):,.0f} H100s each; the Llama 3 paper "
            f"says pre-training used up to {used.value:,} of them."
        ),
        assumptions={},
        sources=(fact.source, used.source),
    )


@claim
def cluster_concurrent_instances():
    gpus, speed, tput, fits = _cluster_baseline()
    return numeric(
        "C07",
        "the training cluster can run [24,000 × 2,000 / 40 ≈ 1.2M] concurrent instances of the resulting 70B model",
        "vram",
        "ch2-cluster",
        recompute=_cluster_instances,
        base=DEPLOYMENT,
        ranges={"dtype": ("fp8", "bf16"), "context": (8192, 32768, 131072)},
        claimed=tput,
        unit="concurrent instances",
        why=(
            f"Counting throughput only gives {tput:,.0f}. Counting memory and bandwidth on 8-GPU groups "
            f"at {speed:.0f} tokens/s, in the deployment that C05's 2,000 tokens/s was measured in (fp8 "
            f"weights and KV), {fits[(8192, 'fp8')]:,} fit at 8K context, {fits[(32768, 'fp8')]:,} at 32K "
            f"and {fits[(131072, 'fp8')]:,} at 128K; in bf16, {fits[(8192, 'bf16')]:,} at 8K."
        ),
        assumptions={
            "model": "llama-3-70b",
            "accelerator": "h100-sxm",
            "cluster_gpus": gpus,
            "group_gpus": 8,
            "tokens_per_s": speed,
        },
        sources=("hf-llama3-70b", "nvidia-h100-datasheet"),
    )


@claim
def vram_binds_first():
    gpus, speed, tput, fits = _cluster_baseline()

    def share(dtype, context):
        return _cluster_instances(dtype, context) / tput

    return numeric(
        "C08",
        "it looks like VRAM is already the more important constraint",
        "vram",
        "ch2-cluster",
        recompute=share,
        base=DEPLOYMENT,
        ranges={"dtype": ("fp8", "bf16"), "context": (8192, 32768, 131072)},
        claimed=1.0,
        unit="memory-bound instances / throughput-only instances",
        comparison="<",
        why=(
            f"In the stated deployment (fp8, as C05 was measured) the memory-bound count is "
            f"{share('fp8', 8192):.0%} of the throughput-only count at 8K context and "
            f"{share('fp8', 131072):.1%} at 128K; in bf16 {share('bf16', 8192):.0%} at 8K. VRAM binds "
            "before the article's throughput count at every context above the shortest."
        ),
        assumptions={"model": "llama-3-70b", "accelerator": "h100-sxm", "tokens_per_s": speed},
        sources=("hf-llama3-70b", "nvidia-h100-datasheet"),
    )


@claim
def dynamic_half():
    share = 0.5  # the source's "dynamic is 50% of the RAM usage"

    def gpus(model, accelerator, architecture):
        if architecture == STATED:  # each instance's KV = share / (1 - share) x the weights
            per_instance = memory.ratio_from_share(share) * models.get(model).weight_bytes("bf16")
        else:  # the premise replaced by what the design's own sequence holds
            per_instance = _arch_state_bytes(architecture)
        return 1e6 * per_instance / hardware.get(accelerator).mem_bytes

    base = {"model": "llama-3-70b", "accelerator": "h100-sxm", "architecture": STATED}
    ctx = memory.context_for_share("llama-3-70b", share)
    lo, lo_v, hi, hi_v = _extremes(
        {a: gpus("llama-3-70b", "h100-sxm", a) for a in _architectures()}
    )
    return numeric(
        "C09",
        "if dynamic is 50% of the RAM usage then 1M concurrent instances would require almost as many GPUs",
        "vram",
        "ch2-dynamic-share",
        recompute=gpus,
        base=base,
        ranges={
            "model": ("llama-3-8b", "llama-3-70b", "llama-3.1-405b"),
            "accelerator": CHIPS,
            "architecture": _architectures(),
        },
        claimed=1e6,
        unit="GPUs for 1M instances (KV only)",
        why=(
            f"With dynamic = static per instance, each instance needs its own weight-sized KV: "
            f"{gpus(**base) / 1e6:.2f} H100s per Llama 3 70B instance ({si(gpus(**base))} GPUs for 1M). "
            f"'Almost as many GPUs' holds only for a model about one GPU in size; and 70B reaches a 50% "
            f"share only at {ctx:,.0f} tokens, beyond its context window. Without the premise, 1M "
            f"sequences of {ARCH_CONTEXT:,} tokens need {si(lo_v)} ({lo}) to {si(hi_v)} ({hi}) H100s "
            "of KV."
        ),
        assumptions={"dtype": "bf16", "dynamic_share": share, "architecture_context": ARCH_CONTEXT},
        sources=("hf-llama3-70b", "nvidia-h100-datasheet"),
    )


def _arch_dynamic_ratio(key: str) -> float:
    """State at ARCH_CONTEXT over bf16 weights of design ``key``'s model [unitless]."""
    return _arch_state_bytes(key) / models.get(_arch_model(key)).weight_bytes("bf16")


@claim
def hundred_t_ten_million_gpus():
    ratio = 0.01  # the source's "dynamic ratio is even just 1%"

    def gpus(accelerator, dtype, architecture):
        if dtype not in hardware.get(accelerator).flops:
            return None
        r = ratio if architecture == STATED else _arch_dynamic_ratio(architecture)
        fleet = memory.ratio_fleet(
            1e6, 1e14, r, weight_dtype=dtype, accelerator=accelerator, tokens_per_s=INSTANCE_RATE
        )
        return float(fleet.gpus)

    base = {"accelerator": "h100-sxm", "dtype": "bf16", "architecture": STATED}
    fleet = memory.ratio_fleet(
        1e6, 1e14, ratio, weight_dtype="bf16", accelerator="h100-sxm", tokens_per_s=INSTANCE_RATE
    )
    values = [gpus(a, d, STATED) for a in CHIPS for d in ("bf16", "fp8")]
    lo, lo_r, hi, hi_r = _extremes({a: _arch_dynamic_ratio(a) for a in _architectures()})
    return numeric(
        "C10",
        "~100T params ... dynamic ratio is even just 1%, then 1M concurrent instances would require on order 10M GPUs",
        "vram",
        "ch2-100t",
        recompute=gpus,
        base=base,
        ranges={"accelerator": CHIPS, "dtype": ("bf16", "fp8"), "architecture": _architectures()},
        claimed=1e7,
        unit="GPUs",
        order_of_magnitude=True,
        why=(
            f"With each instance's KV = 1% of 200 TB of bf16 weights, 1M instances need "
            f"{si(gpus(**base))} H100s ({fleet.binding} binds); across {', '.join(CHIPS)} in bf16 and "
            f"fp8 the range is {si(min(v for v in values if v))}–{si(max(v for v in values if v))}. "
            f"The count is linear in the dynamic ratio, the assumption that decides it: today's "
            f"designs hold {lo_r:.2%} ({lo}) to {hi_r:.1%} ({hi}) of their own weights per "
            f"{ARCH_CONTEXT:,}-token sequence (a 100T model of the same design would hold a smaller "
            f"share), {si(gpus('h100-sxm', 'bf16', lo))} to {si(gpus('h100-sxm', 'bf16', hi))} H100s."
        ),
        assumptions={
            "params": 1e14,
            "dynamic_ratio": ratio,
            "instances": 1e6,
            "tokens_per_s": INSTANCE_RATE,
            "architecture_context": ARCH_CONTEXT,
        },
        sources=("nvidia-h100-datasheet",),
    )


def _kv_weight_ratio(spec: models.ModelSpec, weight_dtype: str) -> float:
    """One sequence's bf16 KV at the model's full context over its weights [unitless]."""
    if spec.max_context is None:
        raise ConfigError(f"{spec.name}: no max_position_embeddings, so no full context to size")
    return spec.kv_cache_bytes(spec.max_context) / spec.weight_bytes(weight_dtype)


@claim
def kv_fraction_small():
    def median_ratio(weight_dtype, architecture):
        if architecture != STATED:  # every current model of this design
            return _kv_weight_ratio(models.get(_arch_model(architecture)), weight_dtype)
        ratios = sorted(_kv_weight_ratio(m, weight_dtype) for m in models.all_models())
        n = len(ratios)
        return ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2

    base = {"weight_dtype": "bf16", "architecture": STATED}
    ratios = {m.name: _kv_weight_ratio(m, "bf16") for m in models.all_models()}
    worst = max(ratios, key=ratios.__getitem__)
    over = sorted(n for n, r in ratios.items() if r >= 1)
    l70 = models.get("llama-3-70b")
    return numeric(
        "C11",
        "most current models have a much smaller KV cache to weight RAM fraction than my simple 1:1 example",
        "vram",
        "ch2-static-dynamic",
        recompute=median_ratio,
        base=base,
        ranges={"weight_dtype": ("bf16", "fp8"), "architecture": _architectures()},
        claimed=1.0,
        unit="median KV bytes / weight bytes over the catalog (one sequence, full context)",
        comparison="<",
        why=(
            f"'Most' is the median: for one sequence at its full context window, the catalog's "
            f"{len(ratios)} models have a median KV/weight ratio of {median_ratio(**base):.1%}, and "
            f"{len(ratios) - len(over)} of {len(ratios)} are below 1:1"
            + (f" ({', '.join(over)} is not)" if len(over) == 1 else "")
            + (f" ({', '.join(over)} are not)" if len(over) > 1 else "")
            + f"; the largest is {ratios[worst]:.0%} ({worst}); Llama 3 70B at 8K is "
            f"{l70.kv_cache_bytes(8192) / l70.weight_bytes('bf16'):.1%}. Summed over a batch, KV "
            "still overtakes the weights, which is the chapter's point."
        ),
        assumptions={"kv_dtype": "bf16", "context": "each model's max_position_embeddings"},
        sources=("hf-llama3-70b",),
    )


# ---- chapter 5: prices and agents -------------------------------------------------------------------
ALL_DATES = "every date"
EVERY_TIER = "every tier"


def _price_years() -> tuple[int, ...]:
    return tuple(sorted({r.date.year for r in prices.api_prices()}))


def _median_price_ratio(price_date: object = ALL_DATES, tiers: str = "standard") -> float:
    """Median output/input list-price ratio of the rows dated in ``price_date`` (a year)."""
    rows = [r for r in prices.api_prices() if price_date == ALL_DATES or r.date.year == price_date]
    return pricing.ratio_summary(rows, tiers=None if tiers == EVERY_TIER else (tiers,)).median


PRICE_RANGES = {"price_date": _price_years, "tiers": lambda: ("standard", EVERY_TIER)}


@claim
def price_ratio_3_to_10():
    s = pricing.ratio_summary()
    years = {y: _median_price_ratio(y) for y in _price_years()}
    reach = "none reaches" if not s.n_at_or_above_10 else f"{s.n_at_or_above_10} reach"
    return numeric(
        "C12",
        "The 3x - 10x cost ratio model providers charge",
        "pricing",
        "ch3-price-data",
        recompute=_median_price_ratio,
        base={"price_date": ALL_DATES, "tiers": "standard"},
        ranges={k: f() for k, f in PRICE_RANGES.items()},
        claimed=math.sqrt(3 * 10),
        unit="output price / input price",
        tolerance=math.sqrt(10 / 3) - 1,  # holds anywhere inside the source's stated 3x-10x range
        why=(
            f"Across {s.n_rows} dated list prices ({min(years)}–{max(years)}) the output/input ratio "
            f"runs {s.lowest:.3g}x–{s.highest:.3g}x with median {s.median:.3g}x; {s.share_in_3_to_10:.0%} of "
            f"rows lie in 3x–10x and {reach} 10x. Open-weight hosts charge 1x. By year the median "
            "is " + ", ".join(f"{v:.3g}x in {y}" for y, v in years.items()) + "."
        ),
        assumptions={"rows": "analysis/data/prices.yaml"},
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
        value=None,
        recompute=_median_price_ratio,
        base={"price_date": ALL_DATES, "tiers": "standard"},
        ranges={k: f() for k, f in PRICE_RANGES.items()},
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


def _ridges() -> dict[str, float]:
    """Peak FLOP/s over HBM bytes/s for each chip and reading of the peak, lowest first."""
    out = {}
    for a in CHIPS:
        acc = hardware.get(a)
        for peak, (comp, _, sparse) in PEAKS.items():
            if comp in acc.flops:
                out[f"{a} {peak}"] = acc.peak_flops(comp) * (2 if sparse else 1) / acc.mem_bandwidth
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


@claim
def source_efficiency_formula():
    stated_ratio = 1000
    ridges = _ridges()

    def ceiling(alu_ratio):
        r = stated_ratio if alu_ratio == STATED else ridges[alu_ratio]
        return pricing.source_formula(0.1, 0.9, r)

    intended = ceiling(STATED)
    printed = pricing.source_formula(0.1, 0.9, stated_ratio, as_printed=True)
    return numeric(
        "C14",
        "if the KV cache is 10% of RAM, and alu_ratio is 1000:1, generation would have max efficiency of 1%",
        "pricing",
        "ch3-source-formula",
        recompute=ceiling,
        base={"alu_ratio": STATED},
        ranges={"alu_ratio": tuple(ridges)},
        claimed=0.01,
        unit="decode FLOP utilization",
        tolerance=0.1,
        why=(
            f"Read as ((KV + W)/KV)/R the example gives {intended:.1%}; as printed, "
            f"KV + W/KV over R, it gives {printed:.2%}. The formula is the unlimited-batch ceiling of a "
            "dense multi-head model whose one sequence's KV fills the stated share; grouped-query and "
            "latent attention, MoE and fp8 weights move it (chapter 5). The ratio R = 1000 is C02's K, "
            "which today's chips reach only as a sparse fp8 peak: with each chip's own ratio the "
            f"ceiling runs {ceiling(next(iter(ridges))):.1%} to {ceiling(next(reversed(ridges))):.2%}."
        ),
        assumptions={"kv_share_of_ram": 0.1, "weight_share_of_ram": 0.9, "alu_ratio_stated": 1000},
        sources=tuple(
            dict.fromkeys(
                hardware.get(a).source(f)
                for a in CHIPS
                for f in ("mem_bandwidth", *(f"flops:{c}" for c in ("bf16", "fp8")))
                if f == "mem_bandwidth" or f.split(":")[1] in hardware.get(a).flops
            )
        ),
    )


def _cost_ratio(model: str, context: int) -> float:
    """Output / input cost per token at 30% prefill and 1% decode utilization [dimensionless].

    A decode token at context L costs 2N + a L FLOPs; a prompt token of an L-token prompt
    attends to L/2 positions on average, 2N + a L / 2.
    """
    spec = models.get(model)
    n2, a_pos = 2 * roofline.matmul_params(spec), roofline.attention_flops_per_position(spec)
    flops_ratio = (n2 + a_pos * context) / (n2 + a_pos * context / 2)
    return pricing.ratio_from_utilizations(0.30, 0.01) * flops_ratio


@claim
def infill_30_percent_30x():
    ratio = pricing.ratio_from_utilizations(0.30, 0.01)
    base = {"model": "llama-3-70b", "context": 0}
    return numeric(
        "C15",
        "If infill efficiency was 30%, then output tokens would presumably be priced 30x more than input tokens",
        "pricing",
        "ch3-source-formula",
        recompute=_cost_ratio,
        base=base,
        ranges={
            "context": (0, 8192, 32768, 131072),
            "model": ("llama-3-8b", "llama-3-70b", "llama-3.1-405b"),
        },
        claimed=30,
        unit="output cost / input cost",
        tolerance=0.1,
        why=(
            f"30% / 1% = {ratio:.0f}x, but the 1% is C14's ceiling under C14's own assumption (a dense "
            "multi-head model whose one sequence's KV fills 10% of memory), and equal FLOPs per token "
            "hold only at short context. With attention counted, an output token at 128K context costs "
            "2N + aL FLOPs against 2N + aL/2 for a prompt token, and Llama 3 70B's ratio is "
            f"{_cost_ratio('llama-3-70b', 131072):.0f}x."
        ),
        assumptions={
            "prefill_utilization": 0.30,
            "decode_utilization": "0.01 (C14's ceiling)",
        },
        sources=("hf-llama3-70b",),
    )


@claim
def thought_speed_9():
    facts = sources.facts()
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
        unswept="Not checkable: no measurement of a rate of thought exists to vary.",
    )


RESTATES_C16 = (
    "A unit conversion of C16's stated rate: the book adds no assumption to vary, and the rate "
    "itself is not checkable (C16)."
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
    return _thought(
        "C17", "or 32K/hour", 1, 32_000, "tokens per hour", tolerance=0.05, unswept=RESTATES_C16
    )


@claim
def thought_per_day():
    return _thought(
        "C18",
        "or 256K per 8 hour work day",
        8,
        256_000,
        "tokens per 8-hour day",
        tolerance=0.05,
        unswept=RESTATES_C16,
    )


@claim
def thought_per_week():
    def per_week(days_per_week):
        return agents.thought_tokens(8 * days_per_week)

    return numeric(
        "C19",
        "or roughly 1M tokens per week",
        "pricing",
        "ch3-worked-example",
        recompute=per_week,
        base={"days_per_week": 5},
        ranges={"days_per_week": (5, 7)},
        claimed=1e6,
        unit="tokens per week of 8-hour days",
        order_of_magnitude=True,
        why=(
            f"{THOUGHT_RATE:g} tokens/s × 8 h × 5 days × 3,600 s/h = {per_week(5):,.0f} tokens (a "
            f"40-hour week); thinking every day of the week gives {per_week(7):,.0f}."
        ),
        assumptions={"tokens_per_s": THOUGHT_RATE, "hours_per_day": 8},
    )


QUOTE_FIXES = (
    "The quote fixes every input (GPT-4 Turbo, its full {window:,}-token window, 1,000 output "
    "tokens, its one list price in the catalog); the book adds no assumption to vary."
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
        unswept=RESTATES_C16,
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
        unswept=QUOTE_FIXES.format(window=ex.context_tokens),
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
        unswept=QUOTE_FIXES.format(window=ex.context_tokens),
    )


def _usd_per_thought_minute(price_date: str) -> float:
    return agents.worked_example(PRICE_DATES[price_date]).usd_per_thought_minute


@claim
def cost_like_human_worker():
    ex = agents.worked_example()
    base = {"price_date": _flagship_label(ex.model)}
    later = {d: _usd_per_thought_minute(d) for d in PRICE_DATES}
    return numeric(
        "C31",
        "That costs about as much as a human worker, per minute of output thought tokens",
        "pricing",
        "ch3-worked-example",
        recompute=_usd_per_thought_minute,
        base=base,
        ranges={"price_date": tuple(PRICE_DATES)},
        claimed=ex.wage_usd_per_minute,
        unit="USD per minute of output thought (stated: a median software developer's wage)",
        order_of_magnitude=True,
        why=(
            f"${ex.input_usd + ex.output_usd:.2f} for {ex.output_thought_minutes:.2f} minutes of output "
            f"thought is ${ex.usd_per_thought_minute:.2f} per minute, against ${ex.wage_usd_per_minute:.2f} "
            "per minute for the median US software developer (BLS, May 2023): the same order, about "
            f"{ex.usd_per_thought_minute / ex.wage_usd_per_minute:.0%} of the wage. The same request at "
            "OpenAI's later flagship prices costs "
            + ", ".join(f"${v:.2f} ({d})" for d, v in later.items() if d != base["price_date"])
            + " per minute."
        ),
        assumptions={
            "wage": "BLS OEWS May 2023 median, software developers, 2,080 h/year",
            "tokens_per_s": THOUGHT_RATE,
            "context_tokens": ex.context_tokens,
            "output_tokens": ex.output_tokens,
        },
        sources=(
            *dict.fromkeys(prices.price(m).source for m in FLAGSHIPS),
            "bls-oews-2023-software-developers",
        ),
    )


@claim
def cost_linear_in_prompt():
    def exponent(price_date):
        row = prices.price(PRICE_DATES[price_date])

        def request_usd(context):
            return (context * row.input_usd_per_mtok + 1000 * row.output_usd_per_mtok) / 1e6

        return math.log2(request_usd(128_000) / request_usd(64_000))

    base = {"price_date": _flagship_label("gpt-4-turbo")}
    return numeric(
        "C32",
        "The cost of any LLM agent today (per minute of output thought) increases linearily with input prompt length",
        "pricing",
        "ch3-agents",
        recompute=exponent,
        base=base,
        ranges={"price_date": tuple(PRICE_DATES)},
        claimed=1.0,
        unit="exponent of cost in prompt length (64K→128K)",
        tolerance=0.05,
        why=(
            f"Per request, cost = prompt × input price + output × output price: doubling a 64K prompt "
            f"multiplies the GPT-4 Turbo bill by 2^{exponent(**base):.2f}, linear up to the fixed "
            "output term."
        ),
        assumptions={"model": "gpt-4-turbo", "output_tokens": 1000},
        sources=tuple(dict.fromkeys(prices.price(m).source for m in FLAGSHIPS)),
    )


def _steps_exponent(loop: agents.AgentLoop, regime: agents.Regime) -> float:
    """log2 of the total bill over a full window's steps against half as many [unitless]."""
    t = loop.max_steps()
    if t is None:
        raise ConfigError(f"the agent loop {loop} has no context window to fill")
    return math.log2(
        agents.total_cost_usd(loop, regime, t) / agents.total_cost_usd(loop, regime, t // 2)
    )


@claim
def agent_cost_quadratic():
    setup = agents.example_setup()
    loop, none = setup.loop, setup.regimes[0]
    t = loop.max_steps()

    def exponent(prompt_tokens, observation_tokens):
        shaped = dataclasses.replace(
            loop, prompt_tokens=prompt_tokens, observation_tokens=observation_tokens
        )
        return _steps_exponent(shaped, none)

    base = {"prompt_tokens": loop.prompt_tokens, "observation_tokens": loop.observation_tokens}
    cached = {r.label: _steps_exponent(loop, r) for r in setup.regimes[1:]}
    return numeric(
        "C33",
        "the cost of running a react-like LLM agent thus grows quadratically with time, vs linear for humans",
        "pricing",
        "ch3-agents",
        recompute=exponent,
        base=base,
        ranges={"prompt_tokens": (500, 2_000, 8_000), "observation_tokens": (250, 750, 2_000)},
        claimed=2.0,
        unit="exponent of total cost in steps",
        tolerance=0.1,
        why=(
            f"Re-reading the whole context each step, the bill over {t} steps grows as "
            f"2^{exponent(**base):.2f} per doubling of the steps (no caching; the prompt's fixed share "
            "keeps it under 2). The 'more sophisticated algorithms' the quote sets aside lower the "
            "power inside a 128K window: "
            + ", ".join(f"{label} 2^{v:.2f}" for label, v in cached.items())
            + " (chapter 5)."
        ),
        assumptions={
            "action_tokens": loop.action_tokens,
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
    rents = sorted(r.usd_per_gpu_hour for r in prices.rental_rows(setup.rent_gpu))

    def gap(rent_usd_per_gpu_hour, tool_wait_s):
        s = agents.example_setup(rent_usd_per_gpu_hour, tool_wait_s)
        return agents.total_cost_usd(loop, s.regimes[0], t) / agents.total_cost_usd(
            loop, s.regimes[-1], t
        )

    base = {"rent_usd_per_gpu_hour": setup.rent_usd_per_gpu_hour, "tool_wait_s": setup.tool_wait_s}
    return judged(
        "C34",
        "their true cost would be more like charging rent on RAM for every timestep",
        "pricing",
        "ch3-agents",
        verdict="depends on assumptions",
        value=None,
        recompute=gap,
        base=base,
        ranges={
            "rent_usd_per_gpu_hour": (rents[0], setup.rent_usd_per_gpu_hour, rents[-1]),
            "tool_wait_s": tuple(sorted({*agents.TOOL_WAIT_S_RANGE, setup.tool_wait_s})),
        },
        claimed=None,
        unit="no-caching bill / KV-rent bill over a full 128K agent run",
        why=(
            f"Charged as rent on the HBM its KV occupies (median H100 rental), the example agent's full run "
            f"costs {gap(**base):.0f}x less than re-billing every input token. The gap depends on the "
            "rental price, the model's KV bytes per token and the time the KV is held (the step and "
            "the tool wait) — the assumptions stated in chapter 5."
        ),
        assumptions={
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

    def crossover(price_date):
        row = prices.price(PRICE_DATES[price_date])
        step = agents.crossover_step(setup.loop, agents.no_cache(row), wage)
        return None if step is None else float(step)

    later = {d: crossover(d) for d in PRICE_DATES}
    never = [d for d, v in later.items() if v is None]
    return judged(
        "C35",
        "much more expensive than humans for tasks that require extensive job-specific knowledge/training",
        "pricing",
        "ch3-human-crossover",
        verdict="depends on assumptions",
        value=None,
        recompute=crossover,
        base={"price_date": _flagship_label(setup.row.model)},
        ranges={"price_date": tuple(PRICE_DATES)},
        claimed=None,
        unit="agent step at which cost per minute of thought passes the median wage (no caching)",
        why=(
            f"Without caching the example agent's cost per minute of output thought passes the median "
            f"developer wage at step {first}, once its context (its 'job-specific knowledge') is large; "
            "with a 0.1x cache read or KV rent it never does inside a 128K window"
            + (f", nor at OpenAI's flagship prices of {', '.join(never)}" if never else "")
            + ". Billing and the price date, not physics, decide."
        ),
        assumptions={
            "tokens_per_s": THOUGHT_RATE,
            "wage_usd_per_hour": round(wage, 2),
            "loop": f"{setup.loop.prompt_tokens}+{setup.loop.action_tokens}+{setup.loop.observation_tokens} tokens",
        },
        sources=(
            *dict.fromkeys(prices.price(m).source for m in FLAGSHIPS),
            "bls-oews-2023-software-developers",
        ),
    )
