"""The serving model against published, measured serving results."""

from __future__ import annotations

import pytest

from analysis import models, serving
from analysis import serving_validation as V
from analysis.sources import bib_entries


def test_at_least_twenty_sourced_records_spanning_the_space():
    rs = V.results()
    assert len(rs) >= 20
    assert {"h100-sxm", "h200", "b200", "mi300x"} <= {r.gpu for r in rs}
    assert set(V.KIND) == {r.metric for r in rs}  # every metric is exercised
    assert any(r.batch == 1 for r in rs) and any(r.batch is None or r.batch >= 1024 for r in rs)

    assert any(models.get(r.model).n_experts for r in rs)  # MoE
    assert any(not models.get(r.model).n_experts for r in rs)  # dense
    keys = bib_entries()
    assert all(r.source in keys for r in rs)


def test_transcription_matches_an_independent_copy():
    # facts.md, from the same TensorRT-LLM tables: 2xH100 Llama-3.3-70B FP8 128/128 ~3,190
    # tokens/s per GPU; 1xH200 128/128 ~3,803.
    h100 = V.get("trtllm-llama-3-70b-h100-sxm-tp2-fp8-128-128")
    assert h100.value / h100.n_gpus == pytest.approx(3190, abs=1)
    assert V.get("trtllm-llama-3-70b-h200-tp1-fp8-128-128").value == 3803


def test_oracle_latency_is_consistent_with_its_throughput_column():
    # Oracle's table: batch 1 -> 36 tokens/s and 3.530 s for 128 output tokens (128 / 3.53 = 36).
    r = V.get("oracle-mi300x-405b-fp8-tp8-b1-latency")
    assert r.output_tokens / r.value == pytest.approx(36, abs=0.5)


def test_lmsys_pools_are_the_per_node_numbers_times_the_nodes():
    # LMSYS 2025-05-05, profile tables: decode 22,282 tokens/s per node on 9 nodes at batch 256
    # per device; prefill 50,302 tokens/s per node on 4 nodes at 16,384 tokens per device (4,096
    # per prompt).
    dec = V.get("lmsys-dsv3-h100-dp72ep72-decode-b256x72-kv2000")
    assert (dec.value, dec.n_gpus, dec.batch) == (22_282 * 9, 9 * 8, 256 * 9 * 8)
    pre = V.get("lmsys-dsv3-h100-dp32ep32-prefill-16k-per-gpu-4k")
    assert (pre.value, pre.n_gpus) == (50_302 * 4, 4 * 8)
    assert pre.batch * pre.input_tokens == 16_384 * pre.n_gpus
    # the decode pool's prediction is the batch over one decode step at the KV length, by hand
    s = V.serving.setup("deepseek-v3", "h100-sxm", 72, "fp8", "bf16", attention_dp=True)
    step = V.serving.step_time(s, dec.batch, 1, 2000.5).total_s
    assert V.predict_result(dec)[0] == pytest.approx(dec.batch / step)


@pytest.mark.parametrize("family", serving.engine_families())
def test_stored_calibration_is_the_fit_to_the_named_subset(family):
    fitted = V.calibrate(family=family)
    stored = serving.engine(family)
    assert fitted.layer_overhead_s == pytest.approx(stored.layer_overhead_s, rel=2e-3)
    assert fitted.flops_scale == pytest.approx(stored.flops_scale, rel=2e-3)
    assert fitted.bandwidth_scale == pytest.approx(stored.bandwidth_scale, rel=2e-3)
    # each family's subset comes from that family's engine only
    assert {V.get(i).family for i in V.calibration_subset(family)} == {family}


def test_most_points_are_held_out():
    assert len(V.calibration_subset()) < len(V.results()) / 4
    # and every family with its own constants has held-out points to be judged on
    for family in serving.engine_families():
        held = [r for r in V.results() if r.family == family and r.id not in V.calibration_subset()]
        assert len(held) >= 10, family


def test_engine_families_follow_the_engine_string():
    assert V.engine_family("vLLM 0.9.0.2 (ROCm 6.4.1)") == "vllm"
    assert V.engine_family("TensorRT-LLM 1.0 (PyTorch backend)") == "tensorrt-llm"
    assert V.engine_family("NVIDIA NIM 1.8.0 (AIPerf)") == "tensorrt-llm"
    assert V.engine_family("SGLang (PD disaggregation)") == "sglang"
    assert serving.engine("sglang") == serving.engine("tensorrt-llm")  # the stand-in
    assert serving.engine() == serving.engine(serving.DEFAULT_ENGINE)
    with pytest.raises(ValueError, match="engine"):
        V.engine_family("llama.cpp")


def test_mlperf_records_are_the_published_system_totals():
    # MLPerf v5.1, B200-SXM-180GBx8_TRT llama2-70b-99 Offline: 'Tokens per second: 101527' over
    # eight TP1 instances; DeepSeek-R1 Offline: 33379 tokens/s at 8.93431 samples/s, i.e. 3736
    # output tokens per sample; every system is one node of eight GPUs.
    r = V.get("mlperf-v51-llama2-70b-offline-b200-tp1x8")
    assert (r.value, r.n_gpus * r.replicas) == (101527.0, 8)
    ds = V.get("mlperf-v51-deepseek-r1-offline-b200-adp8ep8")
    assert ds.output_tokens == round(33379 / 8.93431)
    assert all(x.n_gpus * x.replicas == 8 for x in V.results() if x.id.startswith("mlperf-"))
    # a Server point is predicted within its limits: MLPerf Llama 2 70B Server, TPOT 200 ms
    s = V.get("mlperf-v51-llama2-70b-server-mi300x-tp1x8")
    assert (s.tpot_limit_s, s.ttft_limit_s) == (0.2, 2.0)
    p = serving.max_throughput_within(
        s.model, s.gpu, 1, s.weight_dtype, s.kv_dtype, s.input_tokens, s.output_tokens, 0.2, 2.0,
        engine_max_batch=s.engine_max_batch, engine_constants=serving.engine("vllm"), **s.spread,
    )  # fmt: skip
    assert p.tpot_s <= 0.2 and p.ttft_s <= 2.0 and p.batch <= s.engine_max_batch
    assert V.predict_result(s)[0] == pytest.approx(p.output_tokens_per_s * 8)


def test_held_out_tpot_within_a_quarter():
    s = V.summary("tpot")
    assert s.count >= 5
    assert s.median_abs_error <= 0.25


def test_held_out_tpot_meets_the_goal():
    assert V.summary("tpot").median_abs_error <= 0.20


def test_held_out_throughput_within_a_quarter():
    assert V.summary("throughput").median_abs_error <= 0.25


def test_held_out_throughput_meets_the_goal():
    assert V.summary("throughput").median_abs_error <= 0.20


def test_calibration_improves_on_the_plain_model():
    for kind in ("tpot", "throughput"):
        assert V.summary(kind).median_abs_error < V.summary(kind, plain=True).median_abs_error


def test_table_rows():
    rows = V.table()
    assert len(rows) == len(V.results())
    assert sum(r["fitted"] for r in rows) == len(V.calibration_subset())
    assert all(r["regime"] in (*serving.BINDINGS, "speculative") for r in rows)


def test_cli_summary(capsys):
    assert V.main([]) == 0
    out = capsys.readouterr().out
    assert "held-out" in out and "plain" in out
