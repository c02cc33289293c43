"""The serving model: each law's lambdified form against its function, the API, bad input."""

from __future__ import annotations

import json
import math

import pytest
import sympy as sp

from analysis import hardware, memory, models, roofline, serving
from analysis.errors import InvalidValueError, UnknownDTypeError, UnknownNameError


# ---- laws ------------------------------------------------------------------------------------------
def test_allreduce_law_is_the_ring_bus_factor():
    # nccl-tests PERFORMANCE.md: an all-reduce moves busbw = algbw x 2(n-1)/n per GPU.
    n_, bytes_, bw = 8, 1.0e9, 450.0e9
    t = serving.allreduce_time_s(n_, bytes_, bw, 0.0)
    assert t == pytest.approx(bytes_ * 2 * (n_ - 1) / n_ / bw)
    lam = sp.lambdify((serving.n, serving.A, serving.beta, serving.ell), serving.ALLREDUCE_TIME)
    assert serving.allreduce_time_s(4, 3.0e6, 9.0e11, 2e-6) == pytest.approx(
        lam(4, 3e6, 9e11, 2e-6)
    )
    assert serving.allreduce_time_s(1, 1.0e9, bw, 1e-6) == 0.0  # nothing to reduce on one GPU


def test_alltoall_law():
    lam = sp.lambdify((serving.n, serving.A, serving.beta, serving.ell), serving.ALLTOALL_TIME)
    assert serving.alltoall_time_s(8, 5e6, 9e11, 1e-6) == pytest.approx(lam(8, 5e6, 9e11, 1e-6))
    assert serving.alltoall_time_s(8, 8e6, 1e9, 0) == pytest.approx(7e6 / 1e9)


@pytest.mark.parametrize(("a", "g"), [(0.0, 3), (0.5, 1), (0.8, 4), (0.92, 3), (0.3, 0)])
def test_speculative_tokens_is_the_geometric_sum(a, g):
    # Leviathan et al. 2023 (leviathan-2023): E[tokens per step] = sum_{i=0..gamma} alpha^i.
    assert serving.spec_tokens_per_step(a, g) == pytest.approx(sum(a**i for i in range(g + 1)))


def test_speculative_law_matches_lambdified():
    lam = sp.lambdify((serving.alpha, serving.gamma), serving.SPEC_TOKENS_PER_STEP)
    assert serving.spec_tokens_per_step(0.7, 5) == pytest.approx(lam(0.7, 5))


def test_prefill_share_balances_the_pools():
    share = serving.prefill_gpu_share(3.0, 1.0)
    assert share * 3.0 == pytest.approx((1 - share) * 1.0)
    lam = sp.lambdify((serving.R_p, serving.R_d), serving.PREFILL_GPU_SHARE)
    assert share == pytest.approx(lam(3.0, 1.0))


def test_prefill_tokens_and_usd_laws():
    assert serving.prefill_tokens_per_step(64, 1000, 250) == pytest.approx(256)
    assert serving.prefill_tokens_per_step(64, 0, 250) == 0.0
    # 8 GPUs at $2/GPU-hour producing 10,000 tokens/s: $16/h / 36e6 tokens/h = $0.444 per M.
    assert serving.usd_per_million_tokens(2.0, 8, 1.0e4) == pytest.approx(16 / 36)
    lam = sp.lambdify((serving.p_hour, serving.n, serving.tok_s), serving.USD_PER_MILLION_TOKENS)
    assert serving.usd_per_million_tokens(3.1, 2, 777.0) == pytest.approx(lam(3.1, 2, 777.0))


def test_every_law_renders():
    for expr in serving.LAWS.values():
        assert serving.latex(expr)


def test_step_law_matches_step_time():
    # STEP_TIME summed over the three operator classes, evaluated from the parts step_time reports
    from tests.test_laws import step_law

    s = serving._setup("llama-3-70b", "h200", 2, "fp8", "fp8")
    st = serving.step_time(s, 64, 1, 1500, 100.0)
    assert st.total_s == pytest.approx(step_law(st, 2, "h200", 80))
    # the classes' rooflines summed lie between the roofline of the sums and the plain sum
    assert st.roofline_s >= max(st.compute_s, st.memory_s) * (1 - 1e-12)
    assert st.roofline_s <= (st.compute_s + st.memory_s) * (1 + 1e-12)


# ---- one step, from first principles -----------------------------------------------------------
def test_batch1_decode_is_the_weight_read():
    # Llama-3-70B fp8 on one H200 at batch 1: the memory term is weights + KV over eta_W W.
    s = serving._setup("llama-3-70b", "h200", 1, "fp8", "fp8")
    spec = models.get("llama-3-70b")
    st = serving.step_time(s, 1, 1, 1000, eng=serving.PLAIN)
    expect = (spec.weight_bytes("fp8") + spec.kv_bytes_per_token("fp8") * 1001) / (0.896 * 4.8e12)
    assert st.memory_s == pytest.approx(expect, rel=1e-9)
    assert st.binding == "memory"
    assert st.communication_s == 0.0


def test_tensor_parallel_splits_the_read_and_adds_communication():
    one = serving.step_time(serving._setup("llama-3-70b", "h100-sxm", 2, "fp8", "fp8"), 1, 1, 1000)
    four = serving.step_time(serving._setup("llama-3-70b", "h100-sxm", 4, "fp8", "fp8"), 1, 1, 1000)
    assert four.memory_s == pytest.approx(one.memory_s / 2, rel=0.01)
    assert four.communication_s > one.communication_s > 0


def test_moe_batch1_reads_only_touched_experts():
    s = serving._setup("deepseek-v3", "h200", 8, "fp8", "bf16")
    spec = models.get("deepseek-v3")
    st = serving.step_time(s, 1, 1, 1, eng=serving.PLAIN)
    assert st.bytes < 0.1 * spec.weight_bytes("fp8")  # 37B of 671B params active
    assert st.bytes == pytest.approx(roofline.step_weight_bytes(spec, 1, "fp8"), rel=0.01)


def test_mla_kv_is_replicated_under_tensor_parallelism():
    tp = serving._setup("deepseek-v3", "h200", 8, "fp8", "bf16")
    dp = serving._setup("deepseek-v3", "h200", 8, "fp8", "bf16", attention_dp=True)
    assert tp.kv_replication == 8 and dp.kv_replication == 1
    gqa = serving._setup("llama-3-70b", "h200", 8, "fp8", "fp8")
    assert gqa.kv_replication == 1  # 8 KV heads over 8 GPUs: each holds one


# ---- predict ------------------------------------------------------------------------------------
def test_predict_api_and_consistency():
    p = serving.predict(
        "llama-3-70b", "h200", n_gpus=1, weight_dtype="fp8", kv_dtype="fp8",
        batch=8, input_tokens=1024, output_tokens=256,
    )  # fmt: skip
    assert p.batch == 8 and p.binding in serving.BINDINGS
    assert p.output_tokens_per_s == pytest.approx(8 / p.tpot_s)
    assert p.output_tokens_per_s_per_gpu == pytest.approx(p.output_tokens_per_s)
    assert p.output_tokens_per_s_per_user == pytest.approx(1 / p.tpot_s)
    assert p.ttft_s > 0 and p.tpot_s > 0
    json.dumps(p.as_dict())


def test_batch_none_is_the_capacity_limit():
    p = serving.predict("llama-3-70b", "h100-sxm", 2, "fp8", "fp8", None, 1000, 1000)
    spec, acc = models.get("llama-3-70b"), hardware.get("h100-sxm")
    usable = float(serving.constants()["usable_memory_fraction"].value)
    cap = memory.group_limits(
        spec.weight_bytes("fp8"), spec.kv_cache_bytes(2000, "fp8"),
        group_gpus=2, mem_bytes=acc.mem_bytes, usable_fraction=usable,
    ).capacity  # fmt: skip
    assert p.batch == cap == p.max_batch
    assert (
        math.floor(
            (2 * usable * acc.mem_bytes - spec.weight_bytes("fp8"))
            / spec.kv_cache_bytes(2000, "fp8")
        )
        == cap
    )
    with pytest.raises(memory.NoRoomForKVError):
        serving.predict("llama-3-70b", "h100-sxm", 2, "fp8", "fp8", cap + 1, 1000, 1000)


def test_binding_regimes():
    small = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 1, 1024, 256)
    big = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 512, 128, 128)
    assert small.binding == "memory" and big.binding == "compute"
    b1_8 = serving.predict("deepseek-v3", "b200", 8, "fp4", "bf16", 1, 1024, 2048)
    assert b1_8.binding == "communication"


def test_speculation_pays_at_low_batch_and_not_at_high():
    kw = dict(draft_tokens=3, acceptance=0.7, draft_cost=0.05)
    low = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 1, 1024, 256)
    low_s = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 1, 1024, 256, **kw)
    assert low_s.tpot_s < 0.6 * low.tpot_s
    high = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 256, 1024, 256)
    high_s = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 256, 1024, 256, **kw)
    assert high_s.output_tokens_per_s < high.output_tokens_per_s


def test_frontier_is_pareto_and_skips_groups_that_do_not_fit():
    pts = serving.frontier("llama-3-70b", "h100-sxm", "bf16", "bf16", 1024, 256, n_gpus=(1, 2, 4))
    assert {p.n_gpus for p in pts} <= {2, 4}  # 141 GB of bf16 weights never fit one H100
    users = [p.output_tokens_per_s_per_user for p in pts]
    gpus = [p.output_tokens_per_s_per_gpu for p in pts]
    assert users == sorted(users)
    assert all(a >= b for a, b in zip(gpus, gpus[1:], strict=False))  # faster users cost GPU rate


def test_disaggregated_split():
    sp_ = serving.disaggregated_split("llama-3-70b", "h200", 8, "fp8", "fp8", 4096, 256)
    assert 0 < sp_.prefill_share < 1
    assert sp_.prefill_share * sp_.prefill_requests_per_s_per_gpu == pytest.approx(
        (1 - sp_.prefill_share) * sp_.decode_requests_per_s_per_gpu
    )


def test_usd_per_million_output_tokens():
    p = serving.predict("llama-3-70b", "h200", 1, "fp8", "fp8", 64, 1024, 256)
    assert serving.usd_per_million_output_tokens(p, 3.6) == pytest.approx(
        3.6 / 3600 / p.output_tokens_per_s * 1e6
    )


def test_cli_table_and_json(capsys):
    argv = ["--model", "llama-3-70b", "--hardware", "h200", "--n-gpus", "2", "--dtype", "fp8"]
    assert serving.main([*argv, "--input", "1024", "--output", "256"]) == 0
    assert "tok/s/user" in capsys.readouterr().out
    assert serving.main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["n_gpus"] == 2 for r in rows)
    assert serving.main(["--model", "nope", "--hardware", "h200"]) == 2
    assert "unknown model" in capsys.readouterr().err


# ---- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"model": "gpt-9"}, UnknownNameError, "known models"),
        ({"hardware": "h900"}, UnknownNameError, "known accelerators"),
        ({"batch": 0}, ValueError, "batch must be an integer >= 1"),
        ({"input_tokens": -1}, ValueError, "input_tokens must be an integer >= 0"),
        ({"output_tokens": 0}, ValueError, "output_tokens must be an integer >= 1"),
        ({"weight_dtype": "fp4"}, UnknownDTypeError, "h100-sxm"),
        ({"kv_dtype": "fp7"}, UnknownDTypeError, "allowed"),
        ({"n_gpus": 0}, ValueError, "n_gpus must be an integer >= 1"),
        ({"weight_dtype": "bf16", "n_gpus": 1}, memory.WeightsDoNotFitError, "do not fit"),
        ({"hardware": "tpu-v5e", "weight_dtype": "bf16", "kv_dtype": "bf16"}, UnknownNameError, "serving efficiencies"),
    ],
)  # fmt: skip
def test_bad_input(kwargs, error, text):
    base = dict(
        model="llama-3-70b", hardware="h100-sxm", n_gpus=2, weight_dtype="fp8", kv_dtype="fp8"
    )
    base.update(kwargs)
    with pytest.raises(error, match=text):
        serving.predict(**base)


def test_bad_speculation_input():
    with pytest.raises(ValueError, match="acceptance must be in"):
        serving.spec_tokens_per_step(1.0, 3)
    with pytest.raises(ValueError, match="needs acceptance"):
        serving.predict("llama-3-8b", "h200", 1, "fp8", "fp8", 1, draft_tokens=2)
    with pytest.raises(ValueError, match="accepted_tokens must be in"):
        serving.predict(
            "llama-3-8b", "h200", 1, "fp8", "fp8", 1, draft_tokens=2, accepted_tokens=4.0
        )
    with pytest.raises(UnknownNameError, match="MTP depth"):
        serving.mtp_accepted_tokens(9)


def test_kv_dtype_is_storage_widened_where_the_chip_lacks_it():
    # fp8 KV on an A100 (no fp8 arithmetic) is stored in fp8 and attended in the matmul dtype.
    s = serving.setup("llama-3-8b", "a100-sxm", 1, "bf16", "fp8", bound=True)
    fp8 = serving.step_time(s, 8, 1, 8192, bound=True)
    bf16 = serving.step_time(
        serving.setup("llama-3-8b", "a100-sxm", 1, "bf16", "bf16", bound=True),
        8,
        1,
        8192,
        bound=True,
    )
    assert fp8.total_s < bf16.total_s  # half the KV bytes, same arithmetic rate
    with pytest.raises(UnknownDTypeError, match="a100-sxm"):
        serving.setup("llama-3-8b", "a100-sxm", 1, "fp8", "fp8", bound=True)  # fp8 matmuls


# ---- the operator classes, the GEMM fractions and the latency-limited batch ---------------------
def test_operator_classes_add_where_attention_streams_while_matmuls_compute():
    # Llama-3-70B fp8 on one H200 at batch 512 and 1K context: the weight matmuls are
    # compute-bound (512 tokens per weight read), attention reads 512 x 1K positions of KV (86 GB)
    # and is memory-bound, so the step is the sum of the two, well above the roofline of the sums.
    s = serving._setup("llama-3-70b", "h200", 1, "fp8", "fp8")
    st = serving.step_time(s, 512, 1, 1024)
    (c_w, n_w), _, (c_a, n_a) = st.parts
    eng, eta_w = serving.engine(), serving.efficiency("h200")["bandwidth"].value
    w_rate = eta_w * eng.bandwidth_scale * 4.8e12
    assert c_w / eng.flops_scale > n_w / w_rate  # matmuls: compute-bound
    assert n_a / w_rate > c_a / eng.flops_scale  # attention: memory-bound
    assert st.roofline_s == pytest.approx(c_w / eng.flops_scale + n_a / w_rate)
    assert st.roofline_s > 1.2 * max(st.compute_s, st.memory_s)


def test_moe_experts_are_their_own_class():
    # DeepSeek-V3: 8 of 256 routed experts per token, so a token multiplies 20.4e9 routed
    # parameters of its 36.6e9 matmul parameters; at batch 4 the experts' bytes are the few
    # experts touched, the dense class reads every shared weight.
    s = serving._setup("deepseek-v3", "h200", 8, "fp8", "fp8")
    st = serving.step_time(s, 4, 1, 1000)
    (c_w, n_w), (c_e, n_e), _ = st.parts
    rate = hardware.get("h200").peak_flops("fp8") * serving.flops_efficiency("h200", "fp8")
    routed_active = 653_908_770_816 * 8 / 256
    assert c_e == pytest.approx(2 * routed_active * 4 / rate)
    assert c_w == pytest.approx(2 * (36_625_618_432 - routed_active) * 4 / rate)
    assert n_e < 0.15 * 653.9e9  # at most 32 of the 256 experts per layer are read
    assert n_w == pytest.approx(models.get("deepseek-v3").weight_bytes("fp8") - 653_908_770_816)


def test_gemm_fractions_are_the_published_measurements():
    # stas00's maximum-achievable-matmul table: H100 SXM fp8 1402.6 of 1979 TFLOP/s, B200 fp8
    # 3432.5 of 4500; DeepGEMM's B200 MXFP4 8192^3 5702 of 9000; fp16 runs at bf16's share.
    assert serving.flops_efficiency("h100-sxm", "fp8") == pytest.approx(1402.6 / 1979, abs=1e-3)
    assert serving.flops_efficiency("b200", "fp8") == pytest.approx(3432.5 / 4500, abs=1e-3)
    assert serving.flops_efficiency("b200", "fp4") == pytest.approx(5702 / 9000, abs=1e-3)
    assert serving.flops_efficiency("h100-sxm", "fp16") == serving.flops_efficiency(
        "h100-sxm", "bf16"
    )
    with pytest.raises(UnknownDTypeError, match="fp4"):
        serving.flops_efficiency("h100-sxm", "fp4")  # no fp4 GEMM on Hopper was measured


def test_latency_limited_throughput_is_the_largest_batch_within_the_limit():
    args = ("llama-3-70b", "h200", 1, "fp8", "fp8", 1024, 256)
    p = serving.max_throughput_within(*args, 0.04)
    assert p.tpot_s <= 0.04
    nxt = serving.predict(*args[:5], p.batch + 1, 1024, 256)
    assert nxt.tpot_s > 0.04
    loose = serving.max_throughput_within(*args, 10.0)
    assert loose.batch == serving.predict(*args[:5], None, 1024, 256).batch  # the cap binds
    capped = serving.max_throughput_within(*args, 10.0, engine_max_batch=64)
    assert capped.batch == 64
    with pytest.raises(InvalidValueError, match="batch 1 meets"):
        serving.max_throughput_within(*args, 1e-4)


def test_in_flight_sequences_are_the_long_ones():
    # Two request kinds, equally common: 100 prompt + 100 output tokens, and 100 + 300. A request
    # holds its slot for O steps, so the 300-token kind fills 3/4 of the slots; by hand its mean
    # context over its life is 100 + 150, the short kind's 100 + 50:
    # (100 x 150 + 300 x 250) / 400 = 225 tokens, and the room held (100 x 200 + 300 x 400) / 400
    # = 350. The outputs' mean is 200, their CV 0.5; E[IO] / (E[I] E[O]) = 1.
    ctx, held = serving.in_flight_tokens(100, 200, 0.5, 1.0)
    assert (ctx, held) == (pytest.approx(225), pytest.approx(350))
    assert serving.in_flight_tokens(100, 200) == (200, 300)  # every request alike: I + O/2, I + O
    # the longer in-flight context costs batch: fewer sequences fit
    s = serving._setup("llama-3-70b", "h200", 1, "fp8", "fp8")
    assert serving.max_batch(s, 100, 200, output_cv=0.5) < serving.max_batch(s, 100, 200)
    with pytest.raises(InvalidValueError, match="output_cv"):
        serving.in_flight_tokens(100, 200, 1e9)
