"""Every law is checked against the function that chapters call: one derivation, many uses.

A law is a module-level sympy expression (an UPPER_CASE name, or an entry of an UPPER_CASE dict
of expressions) in one of the law modules. Each one either has a CHECK here (the law evaluated
by ``subs`` at sample values, beside the public function at the same values) or is listed in
PARTS with the checked law that contains it. A new law without either fails
``test_every_law_is_checked``.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable

import pytest
import sympy as sp

from analysis import (
    agents,
    energy,
    hardware,
    memory,
    models,
    physics,
    pricing,
    roofline,
    serving,
    sharing,
)

LAW_MODULES = (
    "roofline",
    "memory",
    "sharing",
    "physics",
    "energy",
    "pricing",
    "agents",
    "serving",
)


def _laws() -> dict[str, sp.Basic]:
    found: dict[str, sp.Basic] = {}
    for name in LAW_MODULES:
        try:
            mod = importlib.import_module(f"analysis.{name}")
        except ModuleNotFoundError:
            continue
        named = []
        for attr, value in vars(mod).items():
            if not attr.isupper() or attr.startswith("_"):
                continue
            if isinstance(value, sp.Basic) and not isinstance(value, sp.Symbol | sp.Number):
                found[f"{name}.{attr}"] = value
                named.append(value)
        for attr, value in vars(mod).items():
            if (
                attr.isupper()
                and not attr.startswith("_")
                and isinstance(value, dict)
                and value
                and all(isinstance(v, sp.Basic) for v in value.values())
            ):
                for key, expr in value.items():
                    if not any(expr is law for law in named):  # an index of named laws
                        found[f"{name}.{attr}[{key}]"] = expr
    return found


def ev(expr: sp.Basic, **values: float) -> float:
    """The law itself, evaluated exactly by substitution (independent of its lambdify form)."""
    syms = {s.name: s for s in expr.free_symbols}
    missing = set(syms) - set(values)
    assert not missing, f"no sample value for {missing} in {expr}"
    return float(expr.subs({syms[n]: sp.nsimplify(v) for n, v in values.items() if n in syms}))


H100 = hardware.get("h100-sxm")
L8B = models.get("llama-3-8b")
F_H100, W_H100 = H100.peak_flops("bf16"), H100.mem_bandwidth


def _forward(T: int, L: int, B: int = 16):
    step = roofline.forward_step(L8B, B, T, L)
    values = dict(
        N=roofline.matmul_params(L8B),
        P=L8B.weight_bytes("bf16"),
        k=L8B.kv_bytes_per_token("bf16"),
        a=roofline.attention_flops_per_position(L8B),
        B=B,
        T_new=T,
        L=L8B.cached_tokens(L),
    )
    return step, values


def _limit_b(expr: sp.Basic, **values: float) -> float:
    """The B -> oo limit of a law at the other sample values, by sympy.limit (no huge B)."""
    syms = {s.name: s for s in expr.free_symbols}
    fixed = {syms[n]: sp.nsimplify(v) for n, v in values.items() if n in syms and n != "B"}
    return float(sp.limit(expr.subs(fixed), syms["B"], sp.oo))


def _capacity_case():
    lim = memory.group_limits(
        1.0e11, 2.0e9, group_gpus=4, mem_bytes=H100.mem_bytes, usable_fraction=0.9
    )
    law = ev(memory.CAPACITY_PER_GROUP, n_g=4, u=0.9, M_gpu=H100.mem_bytes, P=1.0e11, k=2.0e9, L=1)
    return math.floor(law), lim.capacity


def _bandwidth_case():
    lim = memory.group_limits(
        1.0e11,
        2.0e9,
        group_gpus=4,
        mem_bytes=H100.mem_bytes,
        tokens_per_s=20.0,
        bandwidth=W_H100,
        kv_step_bytes=2.0e9,
    )
    law = ev(memory.BANDWIDTH_PER_GROUP, n_g=4, W=W_H100, v=20.0, P=1.0e11, k=2.0e9, L=0)
    return math.floor(law), lim.bandwidth


def _compute_case():
    lim = memory.group_limits(
        1.0e9,
        1.0e6,
        group_gpus=2,
        mem_bytes=H100.mem_bytes,
        tokens_per_s=2000.0,
        bandwidth=1.0e16,
        peak_flops=F_H100,
        flops_per_token=1.4e11,
    )
    law = ev(memory.COMPUTE_PER_GROUP, n_g=2, F=F_H100, v=2000.0, N=0.7e11, a=0, L=0)
    return math.floor(law), lim.compute


def _ratio_fleet_case():
    fl = memory.ratio_fleet(1.0e6, 7.0e10, 0.01, tokens_per_s=40.0)
    static = 7.0e10 * 2
    law = ev(
        memory.RATIO_FLEET_GPUS_LIMIT,
        N_inst=1.0e6,
        r_KV=0.01,
        P=static,
        u=1.0,
        M_gpu=H100.mem_bytes,
        v=40.0,
        W=W_H100,
    )
    return law, fl.gpus


# ---- agents: one loop, one regime of each kind (prices in USD per million tokens)
LOOP = agents.AgentLoop(2000, 300, 1000)
REGIME = {
    "none": agents.Regime("none", 10.0, 30.0),
    "cache": agents.Regime("cache", 10.0, 30.0, cached_fraction=0.1, write_fraction=1.25),
    "rent": agents.Regime(
        "rent", 10.0, 30.0, usd_per_byte_s=2.5e-15, kv_bytes_per_token=3.2e5, step_s=2.0
    ),
}
STEPS = 20


def _agent_values(kind: str, steps: int = STEPS) -> dict[str, float]:
    r = REGIME[kind]
    return dict(
        n_p=LOOP.prompt_tokens,
        n_a=LOOP.action_tokens,
        n_o=LOOP.observation_tokens,
        pi_in=r.input_usd_per_mtok / 1e6,
        pi_out=r.output_usd_per_mtok / 1e6,
        h=r.cached_fraction,
        w=r.write_fraction,
        rho=r.usd_per_byte_s,
        kappa=r.kv_bytes_per_token,
        Delta=r.step_s,
        T=steps,
    )


def _total_cost_case(kind: str):
    return (
        ev(agents.TOTAL_COST[kind], **_agent_values(kind)),
        agents.total_cost_usd(LOOP, REGIME[kind], STEPS),
    )


def _quadratic_case(kind: str):
    """The T^2 coefficient is half the bill's second difference over steps (the bill is quadratic)."""
    bill = [agents.total_cost_usd(LOOP, REGIME[kind], t) for t in (STEPS - 1, STEPS, STEPS + 1)]
    values = _agent_values(kind)
    values.pop("T")
    return ev(agents.QUADRATIC_COEFF[kind], **values), (bill[2] - 2 * bill[1] + bill[0]) / 2


def _rent_values() -> tuple[dict[str, float], agents.RentVsReprefill]:
    setup = agents.example_setup()
    rent = setup.regimes[-1]
    values = dict(
        pi_pre=setup.prefill_usd_per_mtok / 1e6,
        rho=rent.usd_per_byte_s,
        kappa=rent.kv_bytes_per_token,
        Delta=setup.step_s,
        tau=setup.tool_wait_s,
    )
    return values, agents.rent_vs_reprefill(setup)


# ---- energy: llama-3-8b on an H100 at 700 W
def _energy_case(field: str, law: sp.Basic):
    e = energy.energy_per_token(L8B, "h100-sxm", 48, 4096, power_w=700.0, bound=True)
    values = dict(
        N=roofline.matmul_params(L8B),
        P=L8B.weight_bytes("bf16"),
        k=L8B.kv_bytes_per_token("bf16"),
        a=roofline.attention_flops_per_position(L8B),
        B=48,
        L=L8B.cached_tokens(4096),
        F=F_H100,
        W=W_H100,
        P_board=700.0,
    )
    return ev(law, **values), float(getattr(e, field))


def _energy_step_case():
    # four H100s in tensor parallel, each at 700 W, for the serving model's step time
    e = energy.energy_per_token(L8B, "h100-sxm", 48, 4096, power_w=700.0, n_gpus=4)
    setup = serving.setup(L8B, "h100-sxm", 4)
    step = serving.step_time(setup, 48, 1, 4096).total_s
    law = ev(energy.TOKEN_ENERGY_STEP, n_g=4, P_board=700.0, t_step=step, B=48)
    return law, float(e.total_j)


# ---- pricing: llama-3-8b on one H100, 16 sequences of 1000 tokens
DEP = pricing.Deployment.of("llama-3-8b", "h100-sxm")
CTX, BATCH, RENT = 1000, 16, 2.5


def _dep_values(**extra: float) -> dict[str, float]:
    v = pricing.law_inputs(DEP)
    return dict(
        N=v["N"],
        a=v["a"],
        k=v["k"],
        R=v["R"],
        P=DEP.weight_bytes,
        B=BATCH,
        L=CTX,
        M=DEP.mem_bytes,
        F=DEP.peak_flops,
        **extra,
    )


def _decode():
    return pricing.decode_cost(DEP, RENT, CTX, batch=BATCH)


def _prefill():
    return pricing.prefill_cost(DEP, RENT, CTX, batch=BATCH)


def _util_mb_values(share: float = 0.6) -> dict[str, float]:
    v = _dep_values(s=share)
    return v


def _util_mb_function(share: float = 0.6) -> float:
    v = pricing.law_inputs(DEP)
    return pricing.decode_utilization_memory_bound(share, v["N"], v["a"], v["k"], CTX, v["R"])


def _cost_ratio_memory_bound_case():
    pre = _prefill()
    v = pricing.law_inputs(DEP)
    law = ev(pricing.COST_RATIO_MEMORY_BOUND, **_dep_values(s=0.6, u_p=pre.utilization))
    fn = pricing.ratio_from_utilizations(
        pre.utilization, _util_mb_function(0.6), v["N"], v["a"], CTX
    )
    return law, fn


# ---- roofline: MoE and MLA
MIXTRAL = models.get("mixtral-8x7b")
DSV3 = models.get("deepseek-v3")


def _moe_weight_bytes_case(tokens: int = 3):
    routed = roofline.exact_bytes(roofline.routed_expert_params(MIXTRAL), "bf16")
    law = ev(
        roofline.MOE_WEIGHT_BYTES,
        P_s=MIXTRAL.weight_bytes("bf16") - routed,
        P_e=routed,
        N_E=MIXTRAL.n_experts,
        k_E=MIXTRAL.n_experts_per_tok,
        B=tokens,
    )
    return law, roofline.step_weight_bytes(MIXTRAL, tokens, "bf16")


def _mla_values() -> dict[str, float]:
    return dict(
        r=DSV3.kv_lora_rank,
        d_rope=DSV3.qk_rope_head_dim,
        d_nope=DSV3.qk_nope_head_dim,
        d_v=DSV3.v_head_dim,
    )


# ---- serving: llama-3-8b on two H100s
def step_law(st, n_gpus: int, acc: str, n_layers: int) -> float:
    """STEP_TIME summed over the operator classes, evaluated by substitution from ``st.parts``."""
    eng = serving.engine()
    law = serving.STEP_TIME.subs(serving.K_op, len(st.parts)).doit()
    values = {
        serving.n: n_gpus,
        serving.kappa_F: eng.flops_scale,
        serving.kappa_W: eng.bandwidth_scale,
        serving.eta_W: serving.efficiency(acc)["bandwidth"].value,
        serving.W: hardware.get(acc).mem_bandwidth,
        serving.T_comm: st.communication_s,
        serving.t_0: serving.constants()["step_overhead_s"].value,
        serving.n_L: n_layers,
        serving.t_L: eng.layer_overhead_s,
    }
    for i, (c, b) in enumerate(st.parts, start=1):
        values[serving.C_k[i]], values[serving.N_k[i]] = c, b
    return float(law.subs({k: sp.nsimplify(v) for k, v in values.items()}))


def _step_time_case():
    s = serving._setup("llama-3-8b", "h100-sxm", 2, "bf16", "bf16")
    st = serving.step_time(s, 32, 1, 2048.0, 512.0, None, 1024)
    # the parts from first principles: a dense model's matmuls read every weight once and run
    # at the bf16 GEMM fraction of the peak; it has no routed experts
    rate = F_H100 * serving.flops_efficiency("h100-sxm", "bf16")
    tokens = 32 + 512
    (c_w, n_w), (c_e, n_e), _ = st.parts
    assert c_w == pytest.approx(2 * roofline.matmul_params(L8B) * tokens / rate)
    assert n_w == pytest.approx(L8B.weight_bytes("bf16"))
    assert c_e == n_e == 0.0
    return step_law(st, 2, "h100-sxm", L8B.n_layers), st.total_s


def _step_bound_case():
    """The roofline bound of a step: its FLOPs at the dense peak against its bytes at W."""
    s = serving.setup("llama-3-70b", "h200", 4, "fp8", "fp8", bound=True)
    st = serving.step_time(s, 64, 1, 1000, bound=True)
    c_s = 2 * roofline.matmul_params(models.get("llama-3-70b")) * 64 / 1.979e15
    c_s += (st.flops - 2 * roofline.matmul_params(models.get("llama-3-70b")) * 64) / 1.979e15
    return ev(serving.STEP_BOUND, C=c_s, N_byte=st.bytes, n=4, W=4.8e12), st.total_s


def _mean_context_case(I_tok: int = 1024, O_tok: int = 256, batch: int = 8):
    """A static batch decodes O - 1 steps at the mean context: its latency beside the law's."""
    s = serving._setup("llama-3-8b", "h100-sxm", 1, "bf16", "bf16")
    ctx = ev(serving.MEAN_CONTEXT, I=I_tok, O=O_tok)
    prefill = serving.step_time(s, 0, 1, 0, float(batch * I_tok), None, I_tok).total_s
    decode = serving.step_time(s, batch, 1, ctx, 0.0).total_s
    fn = serving.static_batch_latency_s(
        "llama-3-8b", "h100-sxm", 1, "bf16", "bf16", batch, I_tok, O_tok
    )
    return prefill + (O_tok - 1) * decode, fn


CHECKS: dict[str, Callable[[], tuple[float, float]]] = {
    # ---- roofline
    "roofline.ROOFLINE_TIME": lambda: (
        ev(roofline.ROOFLINE_TIME, N_flop=3e12, N_byte=2e9, F=F_H100, W=W_H100),
        roofline.roofline_time_s(3e12, 2e9, F_H100, W_H100),
    ),
    "roofline.ADDITIVE_TIME": lambda: (
        ev(roofline.ADDITIVE_TIME, N_flop=3e12, N_byte=2e9, F=F_H100, W=W_H100),
        roofline.additive_time_s(3e12, 2e9, F_H100, W_H100),
    ),
    "roofline.RIDGE_INTENSITY": lambda: (
        ev(roofline.RIDGE_INTENSITY, F=F_H100, W=W_H100),
        H100.critical_intensity("bf16"),
    ),
    "roofline.MATMUL_INTENSITY": lambda: (
        ev(roofline.MATMUL_INTENSITY, B=64, d=4096, f=14336, b_w=2, b_a=2),
        float(roofline.matmul_intensity(64, 4096, 14336, "bf16", "bf16")),
    ),
    "roofline.CRITICAL_BATCH": lambda: (
        ev(roofline.CRITICAL_BATCH, F=F_H100, W=W_H100, d=8192, f=28672, b_w=2, b_a=2),
        roofline.critical_batch(F_H100, W_H100, "bf16", 8192, 28672, "bf16"),
    ),
    "roofline.CRITICAL_BATCH_WEIGHTS": lambda: (
        ev(roofline.CRITICAL_BATCH_WEIGHTS, F=F_H100, W=W_H100, b_w=2),
        roofline.critical_batch(F_H100, W_H100, "bf16"),
    ),
    # The ceiling is the B -> oo limit, taken symbolically of the checked MATMUL_INTENSITY.
    "roofline.MATMUL_INTENSITY_CEILING": lambda: (
        ev(roofline.MATMUL_INTENSITY_CEILING, d=4096, f=14336, b_a=2),
        _limit_b(roofline.MATMUL_INTENSITY, d=4096, f=14336, b_w=2, b_a=2),
    ),
    "roofline.FORWARD_FLOPS": lambda: (
        ev(roofline.FORWARD_FLOPS, **_forward(4, 1000)[1]),
        _forward(4, 1000)[0].flops,
    ),
    "roofline.FORWARD_BYTES": lambda: (
        ev(roofline.FORWARD_BYTES, **_forward(4, 1000)[1]),
        _forward(4, 1000)[0].bytes,
    ),
    "roofline.FORWARD_INTENSITY": lambda: (
        ev(roofline.FORWARD_INTENSITY, **_forward(4, 1000)[1]),
        _forward(4, 1000)[0].intensity,
    ),
    "roofline.DECODE_INTENSITY": lambda: (
        ev(roofline.DECODE_INTENSITY, **_forward(1, 2000)[1]),
        _forward(1, 2000)[0].intensity,
    ),
    "roofline.PREFILL_INTENSITY": lambda: (
        ev(roofline.PREFILL_INTENSITY, **_forward(512, 0)[1]),
        _forward(512, 0)[0].intensity,
    ),
    # The ceiling is the B -> oo limit of the checked DECODE_INTENSITY, taken symbolically.
    "roofline.DECODE_INTENSITY_CEILING": lambda: (
        ev(roofline.DECODE_INTENSITY_CEILING, **_forward(1, 2000)[1]),
        _limit_b(roofline.DECODE_INTENSITY, **_forward(1, 2000)[1]),
    ),
    "roofline.ATTENTION_DECODE_INTENSITY": lambda: (
        ev(roofline.ATTENTION_DECODE_INTENSITY, g=L8B.gqa_group, h_d=L8B.head_dim, b_kv=2),
        roofline.decode_attention_intensity(L8B),
    ),
    "roofline.MFU": lambda: (
        ev(roofline.MFU, F_achieved=4.3e14, F=F_H100),
        roofline.mfu(4.3e14, F_H100),
    ),
    "roofline.RUN_UTILIZATION_OF_TOTAL": lambda: (
        ev(roofline.RUN_UTILIZATION_OF_TOTAL, C=3.8e25, n_gpu=1, t_run=3.0e7 * 3600, F=F_H100),
        roofline.run_utilization(3.8e25, 3.0e7, F_H100),
    ),
    "roofline.RUN_UTILIZATION": lambda: (
        ev(roofline.RUN_UTILIZATION, N=4.05e11, D=1.56e13, n_gpu=1, t_run=3.0e7 * 3600, F=F_H100),
        roofline.run_utilization(6 * 4.05e11 * 1.56e13, 3.0e7, F_H100),
    ),
    # ---- memory
    "memory.CAPACITY_PER_GROUP": _capacity_case,
    "memory.BANDWIDTH_PER_GROUP": _bandwidth_case,
    "memory.COMPUTE_PER_GROUP": _compute_case,
    "memory.DYNAMIC_SHARE": lambda: (
        ev(memory.DYNAMIC_SHARE, B=3, P=1.4e11, k=3.2e5, L=8192),
        memory.dynamic_share(1.4e11, 3.2e5 * 8192, 3),
    ),
    "memory.CONTEXT_FOR_SHARE": lambda: (
        ev(
            memory.CONTEXT_FOR_SHARE,
            delta=0.3,
            P=L8B.weight_bytes("bf16"),
            k=L8B.kv_bytes_per_token("bf16"),
        ),
        memory.context_for_share(L8B, 0.3),
    ),
    "memory.CROSSOVER_SPEED_LONG_CONTEXT": lambda: (
        ev(memory.CROSSOVER_SPEED_LONG_CONTEXT, W=W_H100, u=0.9, M_gpu=H100.mem_bytes),
        memory.crossover_speed("h100-sxm", 0.9),
    ),
    "memory.CAPACITY_GPUS_PER_INSTANCE": lambda: (
        ev(memory.CAPACITY_GPUS_PER_INSTANCE, k=1.0e12, L=1, u=1.0, M_gpu=H100.mem_bytes),
        memory.kv_only_gpus(1, 1.0e12),
    ),
    "memory.RATIO_FLEET_GPUS_LIMIT": _ratio_fleet_case,
    # ---- sharing
    "sharing.TREE_SAVING": lambda: (
        ev(sharing.TREE_SAVING.doit(), L_p=1000, b=3, H=4, m=50),
        sharing.tree_saving(1000, 3, 4, 50),
    ),
    "sharing.TREE_TOKENS_SHARED": lambda: (
        ev(sharing.TREE_TOKENS_SHARED.doit(), L_p=1000, b=3, H=4, m=50),
        sharing.tree_tokens(1000, 3, 4, 50)[0],
    ),
    "sharing.TREE_TOKENS_UNSHARED": lambda: (
        ev(sharing.TREE_TOKENS_UNSHARED, L_p=1000, b=3, H=4, m=50),
        sharing.tree_tokens(1000, 3, 4, 50)[1],
    ),
    "sharing.FAN_SAVING": lambda: (
        ev(sharing.FAN_SAVING, L_p=2000, n=8, U=300),
        sharing.fan_saving(2000, 8, 300),
    ),
    "sharing.TREE_GAIN": lambda: (
        ev(sharing.TREE_GAIN.doit(), L_p=1000, b=3, H=4, m=50),
        sharing.tree_gain(1000, 3, 4, 50, block_tokens=1).concurrency_gain,
    ),
    "sharing.FAN_CONCURRENCY_GAIN": lambda: (
        ev(sharing.FAN_CONCURRENCY_GAIN, L_p=2000, n=8, U=300),
        sharing.tree_gain(2000, 8, 1, 300, block_tokens=1).concurrency_gain,
    ),
    # ---- physics
    "physics.LANDAUER": lambda: (
        ev(physics.LANDAUER, k_B=1.380649e-23, T_K=300.0),
        physics.landauer_j(300.0),
    ),
    "physics.DENSITY_PER_CM2": lambda: (
        ev(physics.DENSITY_PER_CM2, N_tr=8.0e10, A_mm2=814.0),
        physics.transistor_density_per_cm2(8.0e10, 814.0),
    ),
    "physics.SWITCH_ENERGY": lambda: (
        ev(physics.SWITCH_ENERGY, P_board=700.0, N_tr=8.0e10, f_clk=1.98e9, alpha=0.1),
        physics.switching_energy_j(700.0, 8.0e10, 1.98e9, 0.1),
    ),
    "physics.ENERGY_PER_FLOP": lambda: (
        ev(physics.ENERGY_PER_FLOP, P_board=700.0, F=F_H100),
        physics.energy_per_flop_j(700.0, F_H100),
    ),
    "physics.GAP": lambda: (
        ev(physics.GAP, E=3.0e-12, E_ref=2.0e-16),
        physics.gap(3.0e-12, 2.0e-16),
    ),
    # ---- roofline: MoE and MLA
    "roofline.EXPERTS_TOUCHED": lambda: (
        ev(roofline.EXPERTS_TOUCHED, N_E=8, k_E=2, B=3),
        roofline.expected_experts_touched(8, 2, 3),
    ),
    "roofline.EXPERTS_TOUCHED_MAX": lambda: (
        ev(roofline.EXPERTS_TOUCHED_MAX, N_E=256, k_E=8, B=5),
        roofline.experts_touched_bounds(256, 8, 5)[1],
    ),
    "roofline.WEIGHT_READ_COMPLETE_BATCH": lambda: (
        ev(roofline.WEIGHT_READ_COMPLETE_BATCH, N_E=256, k_E=8, q_E=0.95),
        roofline.weight_read_complete_batch(256, 8, 0.95),
    ),
    "roofline.MOE_WEIGHT_BYTES": _moe_weight_bytes_case,
    "roofline.MOE_CRITICAL_BATCH": lambda: (
        ev(roofline.MOE_CRITICAL_BATCH, F=F_H100, W=W_H100, b_w=2, N_E=256, k_E=8),
        roofline.moe_critical_batch(F_H100, W_H100, "bf16", 256, 8),
    ),
    "roofline.MLA_DECODE_FLOPS_PER_HEAD": lambda: (
        ev(roofline.MLA_DECODE_FLOPS_PER_HEAD, **_mla_values()) * DSV3.n_layers * DSV3.n_heads,
        roofline.attention_flops_per_position(DSV3),
    ),
    "roofline.MLA_PREFILL_FLOPS_PER_HEAD": lambda: (
        ev(roofline.MLA_PREFILL_FLOPS_PER_HEAD, **_mla_values()) * DSV3.n_layers * DSV3.n_heads,
        roofline.attention_flops_per_position_prefill(DSV3),
    ),
    "roofline.MLA_PREFILL_SAVING": lambda: (
        ev(roofline.MLA_PREFILL_SAVING, **_mla_values()),
        roofline.mla_decode_flops_per_position(DSV3)
        / roofline.attention_flops_per_position_prefill(DSV3),
    ),
    # ---- energy
    "energy.TOKEN_ENERGY": lambda: _energy_case("total_j", energy.TOKEN_ENERGY),
    "energy.TOKEN_BYTES": lambda: _energy_case("bytes_per_token", energy.TOKEN_BYTES),
    "energy.TOKEN_FLOPS": lambda: _energy_case("flops_per_token", energy.TOKEN_FLOPS),
    "energy.MEMORY_TIME": lambda: _energy_case("memory_s", energy.MEMORY_TIME),
    "energy.COMPUTE_TIME": lambda: _energy_case("compute_s", energy.COMPUTE_TIME),
    "energy.STEP_TIME": lambda: _energy_case("step_s", energy.STEP_TIME),
    "energy.MEMORY_SHARE": lambda: _energy_case("memory_share", energy.MEMORY_SHARE),
    "energy.TOKEN_ENERGY_STEP": _energy_step_case,
    "energy.ENERGY_CROSSOVER_BATCH": lambda: (
        ev(energy.ENERGY_CROSSOVER_BATCH, F=F_H100, W=W_H100, b_w=2),
        energy.energy_crossover_batch("h100-sxm", "bf16"),
    ),
    # ---- pricing
    "pricing.DECODE_FLOPS": lambda: (ev(pricing.DECODE_FLOPS, **_dep_values()), _decode().flops),
    "pricing.DECODE_BYTES": lambda: (ev(pricing.DECODE_BYTES, **_dep_values()), _decode().bytes),
    "pricing.PREFILL_FLOPS": lambda: (
        ev(pricing.PREFILL_FLOPS, **_dep_values()),
        _prefill().flops,
    ),
    "pricing.PREFILL_BYTES": lambda: (
        ev(pricing.PREFILL_BYTES, **_dep_values()),
        _prefill().bytes,
    ),
    "pricing.FLOPS_PER_OUTPUT_TOKEN": lambda: (
        ev(pricing.FLOPS_PER_OUTPUT_TOKEN, **_dep_values()),
        _decode().flops / _decode().tokens_per_step,
    ),
    "pricing.FLOPS_PER_INPUT_TOKEN": lambda: (
        ev(pricing.FLOPS_PER_INPUT_TOKEN, **_dep_values()),
        _prefill().flops / _prefill().tokens_per_step,
    ),
    "pricing.BATCH_FROM_MEMORY": lambda: (
        math.floor(ev(pricing.BATCH_FROM_MEMORY, **_dep_values())),
        DEP.max_batch(CTX),
    ),
    "pricing.DECODE_INTENSITY_CEILING": lambda: (
        ev(pricing.DECODE_INTENSITY_CEILING, **_dep_values()),
        pricing.decode_utilization_ceiling(DEP, CTX) * DEP.ridge,
    ),
    "pricing.DECODE_UTILIZATION_MEMORY_BOUND": lambda: (
        ev(pricing.DECODE_UTILIZATION_MEMORY_BOUND, **_util_mb_values()),
        _util_mb_function(),
    ),
    "pricing.COST_PER_INPUT_TOKEN": lambda: (
        ev(
            pricing.COST_PER_INPUT_TOKEN,
            **_dep_values(c=pricing.usd_per_s(RENT), u_p=_prefill().utilization),
        ),
        _prefill().usd_per_token,
    ),
    "pricing.COST_PER_OUTPUT_TOKEN": lambda: (
        ev(
            pricing.COST_PER_OUTPUT_TOKEN,
            **_dep_values(c=pricing.usd_per_s(RENT), u_d=_decode().utilization),
        ),
        _decode().usd_per_token,
    ),
    "pricing.COST_RATIO": lambda: (
        ev(pricing.COST_RATIO, **_dep_values(u_p=_prefill().utilization, u_d=0.05)),
        pricing.ratio_from_utilizations(
            _prefill().utilization,
            0.05,
            pricing.law_inputs(DEP)["N"],
            pricing.law_inputs(DEP)["a"],
            CTX,
        ),
    ),
    "pricing.COST_RATIO_MEMORY_BOUND": _cost_ratio_memory_bound_case,
    "pricing.SOURCE_PRINTED": lambda: (
        ev(pricing.SOURCE_PRINTED, KV_RAM=40e9, W_RAM=140e9, R=295.0),
        pricing.source_formula(40e9, 140e9, 295.0, as_printed=True),
    ),
    "pricing.SOURCE_INTENDED": lambda: (
        ev(pricing.SOURCE_INTENDED, KV_RAM=40e9, W_RAM=140e9, R=295.0),
        pricing.source_formula(40e9, 140e9, 295.0),
    ),
    # The ceiling in the source's terms is the intended formula (an identity the module asserts).
    "pricing.CEILING_IN_SOURCE_TERMS": lambda: (
        ev(pricing.CEILING_IN_SOURCE_TERMS, KV_RAM=40e9, W_RAM=140e9, R=295.0),
        pricing.source_formula(40e9, 140e9, 295.0),
    ),
    # ---- agents
    "agents.TOTAL_COST[none]": lambda: _total_cost_case("none"),
    "agents.TOTAL_COST[cache]": lambda: _total_cost_case("cache"),
    "agents.TOTAL_COST[rent]": lambda: _total_cost_case("rent"),
    "agents.QUADRATIC_COEFF[none]": lambda: _quadratic_case("none"),
    "agents.QUADRATIC_COEFF[cache]": lambda: _quadratic_case("cache"),
    "agents.QUADRATIC_COEFF[rent]": lambda: _quadratic_case("rent"),
    "agents.TOTAL_INPUT_TOKENS": lambda: (
        ev(agents.TOTAL_INPUT_TOKENS, n_p=2000, n_a=300, n_o=1000, T=STEPS),
        agents.total_input_tokens(LOOP, STEPS),
    ),
    "agents.INPUT_TOKENS_STEP": lambda: (
        ev(agents.INPUT_TOKENS_STEP, n_p=2000, n_a=300, n_o=1000, t=7),
        agents.simulate(LOOP, REGIME["none"], 7).input_tokens
        - agents.simulate(LOOP, REGIME["none"], 6).input_tokens,
    ),
    "agents.REPREFILL_OVER_HOLD": lambda: (
        ev(agents.REPREFILL_OVER_HOLD, **_rent_values()[0]),
        _rent_values()[1].at_cost,
    ),
    "agents.KV_HOLD_USD_PER_TOKEN_STEP": lambda: (
        ev(
            agents.KV_HOLD_USD_PER_TOKEN_STEP,
            **{k: v for k, v in _rent_values()[0].items() if k != "pi_pre"},
        ),
        _rent_values()[1].hold_usd_per_mtok / 1e6,
    ),
    "agents.HOLD_BREAKEVEN_S": lambda: (
        ev(agents.HOLD_BREAKEVEN_S, **_rent_values()[0]),
        _rent_values()[1].breakeven_hold_s,
    ),
    # ---- serving
    "serving.ALLREDUCE_TIME": lambda: (
        ev(serving.ALLREDUCE_TIME, n=8, A=1.6e7, beta=4.5e11, ell=1e-6),
        serving.allreduce_time_s(8, 1.6e7, 4.5e11, 1e-6),
    ),
    "serving.ALLTOALL_TIME": lambda: (
        ev(serving.ALLTOALL_TIME, n=8, A=1.6e7, beta=4.5e11, ell=1e-6),
        serving.alltoall_time_s(8, 1.6e7, 4.5e11, 1e-6),
    ),
    "serving.STEP_TIME": _step_time_case,
    # one operator class: the larger of its FLOP time and its byte time at the achievable rates
    "serving.OPERATOR_TIME": lambda: (
        ev(
            serving.OPERATOR_TIME,
            C=0.01,
            N_byte=4e10,
            n=2,
            kappa_F=0.8,
            kappa_W=0.6,
            eta_W=0.9,
            W=3.35e12,
        ),
        max(0.01 / (2 * 0.8), 4e10 / (2 * 0.6 * 0.9 * 3.35e12)),
    ),
    "serving.STEP_BOUND": _step_bound_case,
    # varied lengths: at c_O = 0 and rho = 1 the in-flight context is the mean context I + O/2
    "serving.IN_FLIGHT_CONTEXT": lambda: (
        ev(serving.IN_FLIGHT_CONTEXT, I=800, O=3700, c_O=1.25, rho=0.79),
        serving.in_flight_tokens(800, 3700, 1.25, 0.79)[0],
    ),
    "serving.IN_FLIGHT_RESERVED": lambda: (
        ev(serving.IN_FLIGHT_RESERVED, I=800, O=3700, c_O=0.0, rho=1.0),
        800 + 3700,
    ),
    "serving.SPEC_TOKENS_PER_STEP": lambda: (
        ev(serving.SPEC_TOKENS_PER_STEP, alpha=0.7, gamma=4),
        serving.spec_tokens_per_step(0.7, 4),
    ),
    "serving.PREFILL_TOKENS_PER_STEP": lambda: (
        ev(serving.PREFILL_TOKENS_PER_STEP, B=64, I=1024, O=256),
        serving.prefill_tokens_per_step(64, 1024, 256),
    ),
    "serving.MEAN_CONTEXT": _mean_context_case,
    "serving.PREFILL_GPU_SHARE": lambda: (
        ev(serving.PREFILL_GPU_SHARE, R_p=3.0, R_d=1.2),
        serving.prefill_gpu_share(3.0, 1.2),
    ),
    "serving.USD_PER_MILLION_TOKENS": lambda: (
        ev(serving.USD_PER_MILLION_TOKENS, p=2.5, n=8, tok_s=5000.0),
        serving.usd_per_million_tokens(2.5, 8, 5000.0),
    ),
}

# Laws that are parts of a checked law (or its display form): the law whose check covers each.
PARTS: dict[str, str] = {
    "roofline.ATTAINABLE_FLOPS": "roofline.ROOFLINE_TIME (the same roofline, as a rate)",
    "roofline.MATMUL_FLOPS": "roofline.MATMUL_INTENSITY (its numerator)",
    "roofline.MATMUL_BYTES": "roofline.MATMUL_INTENSITY (its denominator)",
    "roofline.TRAINING_FLOPS": "roofline.RUN_UTILIZATION (its numerator, 6 N D)",
    "memory.DYNAMIC_BYTES": "memory.CAPACITY_PER_GROUP (its denominator, k L)",
    "memory.DECODE_FLOPS": "roofline.FORWARD_FLOPS at T = 1",
    "memory.DECODE_BYTES": "roofline.FORWARD_BYTES at T = 1",
    "memory.DECODE_TIME": "roofline.ROOFLINE_TIME with FORWARD_* at T = 1 on g GPUs",
    "memory.MAX_SPEED": "memory.BANDWIDTH_PER_GROUP (its B = 0 bound, g W / P)",
    "memory.FLEET_GPUS": "memory.CAPACITY_PER_GROUP and memory.BANDWIDTH_PER_GROUP (their min)",
    "memory.BANDWIDTH_GPUS_PER_INSTANCE": "memory.RATIO_FLEET_GPUS_LIMIT (its bandwidth term)",
    "memory.FLEET_GPUS_LIMIT": "memory.RATIO_FLEET_GPUS_LIMIT (the same limit before k = rho P / L)",
    "memory.CROSSOVER_SPEED": "memory.CROSSOVER_SPEED_LONG_CONTEXT (its L -> oo limit)",
    "sharing.TREE_GAIN_LIMIT": "sharing.TREE_GAIN (its b -> oo limit)",
    "sharing.FAN_SAVING_LIMIT": "sharing.FAN_SAVING (its n -> oo limit, checked in test_sharing)",
    "physics.WIRE_ENERGY": "physics.wire_energy_j (array form, checked in test_physics)",
    "pricing.DECODE_INTENSITY_FULL": "pricing.DECODE_UTILIZATION_MEMORY_BOUND (it times 1 / R)",
    "pricing.DECODE_UTILIZATION": "pricing.DECODE_UTILIZATION_MEMORY_BOUND (capped at 1)",
    "pricing.SOURCE_CASE[a]": "pricing.CEILING_IN_SOURCE_TERMS (a substitution in it, a = k)",
    "pricing.SOURCE_CASE[N]": "pricing.CEILING_IN_SOURCE_TERMS (a substitution in it, N = P/2)",
}


def test_every_law_is_checked():
    laws = _laws()
    unchecked = sorted(set(laws) - set(CHECKS) - set(PARTS))
    assert not unchecked, f"laws with neither a CHECK nor a PARTS entry: {unchecked}"
    stale = sorted((set(CHECKS) | set(PARTS)) - set(laws))
    assert not stale, f"CHECKS/PARTS name laws that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_law_equals_function(name):
    law_value, function_value = CHECKS[name]()
    assert math.isfinite(law_value) and law_value != 0
    assert function_value == pytest.approx(law_value, rel=1e-9), name
