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


def test_stored_calibration_is_the_fit_to_the_named_subset():
    fitted = V.calibrate()
    stored = serving.engine()
    assert fitted.layer_overhead_s == pytest.approx(stored.layer_overhead_s, rel=2e-3)
    assert fitted.flops_scale == pytest.approx(stored.flops_scale, rel=2e-3)
    assert fitted.bandwidth_scale == pytest.approx(stored.bandwidth_scale, rel=2e-3)
    subset = V.calibration_subset()
    assert len(subset) < len(V.results()) / 4  # most points are held out


def test_held_out_tpot_within_a_quarter():
    s = V.summary("tpot")
    assert s.count >= 5
    assert s.median_abs_error <= 0.25


# With the binary HBM capacities (80 GB = 80 GiB) the refit on the named subset gives a held-out
# TPOT median |error| of ~24%: the goal is missed, and the chapter says so.
@pytest.mark.xfail(strict=True, reason="held-out TPOT median |error| is ~24%, above the 20% goal")
def test_held_out_tpot_meets_the_goal():
    assert V.summary("tpot").median_abs_error <= 0.20


def test_held_out_throughput_within_a_quarter():
    assert V.summary("throughput").median_abs_error <= 0.25


@pytest.mark.xfail(
    strict=True, reason="held-out throughput median |error| is ~21%, above the 20% goal"
)
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
