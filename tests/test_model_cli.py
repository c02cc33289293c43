"""``python -m analysis.model``: numbers derived by hand from the config, and clean errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from analysis import hardware, model
from analysis.sources import DATA_DIR

GPT_OSS_120B = DATA_DIR / "models" / "gpt-oss-120b.json"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = model.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_for_a_config_path(capsys):
    code, out, _ = run(
        capsys, str(GPT_OSS_120B), "--hardware", "h200", "--context", "32768", "--json"
    )
    assert code == 0
    r = json.loads(out)
    # Model card (arXiv:2508.10925): 116.83B parameters.
    assert r["params_total"] == pytest.approx(116.83e9, abs=0.005e9)
    assert r["weight_bytes"] == 2 * r["params_total"]
    # 36 layers x 2 x 8 KV heads x 64 x 2 B = 73,728 B per token; at 32K the 18 sliding layers
    # hold 128 tokens: 2,048 B x (18 x 32,768 + 18 x 128).
    assert r["kv_bytes_per_token"] == 73_728
    assert r["kv_bytes_at_context"] == 2048 * (18 * 32_768 + 18 * 128)
    assert r["windowed_layers"] == 18


def test_instances_follow_the_capacity_law(capsys):
    # Llama 3.1 8B in bf16: 8,030,261,248 x 2 B of weights; 32 layers x 8 x 128 x 2 x 2 B =
    # 131,072 B of KV per token. Instances = floor((HBM - weights) / KV per sequence).
    code, out, _ = run(capsys, "llama-3.1-8b", "--hardware", "h200", "--context", "32768", "--json")
    assert code == 0
    r = json.loads(out)
    weights, kv = 8_030_261_248 * 2, 131_072 * 32_768
    hbm = hardware.get("h200").mem_bytes
    assert r["instances_per_gpu"] == math.floor((hbm - weights) / kv)
    assert r["instances_per_node"] == math.floor((8 * hbm - weights) / kv)


def test_fp8_halves_weight_and_kv_bytes(capsys):
    _, out, _ = run(capsys, "qwen3-8b", "--context", "4096", "--dtype", "fp8", "--json")
    r = json.loads(out)
    # Qwen3-8B: 36 layers x 8 KV heads x 128 x 2 (K, V) x 1 B in fp8.
    assert r["kv_bytes_per_token"] == 36 * 8 * 128 * 2
    assert r["weight_bytes"] == r["params_total"]


def test_critical_batch_is_the_chips_ridge_times_weight_bytes(capsys):
    # Weights-dominated limit B* = F b_w / (2 W): H200 dense bf16 FLOP/s and HBM bandwidth.
    _, out, _ = run(capsys, "llama-3.1-70b", "--hardware", "h200", "--json")
    acc = hardware.get("h200")
    expected = acc.peak_flops("bf16") * 2 / (2 * acc.mem_bandwidth)
    assert json.loads(out)["critical_batch"] == pytest.approx(expected)


def test_decode_floor_uses_a_rental_row_or_says_there_is_none(capsys):
    _, out, _ = run(capsys, "llama-3.1-8b", "--hardware", "h200", "--json")
    cost = json.loads(out)["decode_cost"]
    assert cost["available"] and cost["usd_per_mtok"] > 0 and cost["usd_per_gpu_hour"] > 0
    _, out, _ = run(capsys, "llama-3.1-8b", "--hardware", "tpu-v5e", "--json")
    cost = json.loads(out)["decode_cost"]
    if not cost["available"]:
        assert "no rental price for tpu-v5e" in cost["reason"]


def test_text_report_names_every_quantity(capsys):
    code, out, _ = run(capsys, "gpt-oss-20b")
    assert code == 0
    for label in ("parameters", "weights", "KV per token", "KV at context", "instances per GPU",
                  "instances per node", "critical batch", "decode cost floor"):  # fmt: skip
        assert label in out


def test_unsupported_model_type_exits_2_naming_the_supported_set(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mamba", "hidden_size": 768}))
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == ""
    assert "'mamba'" in err and "qwen3_moe" in err and "gpt_oss" in err and "llama4" in err
    assert "Traceback" not in err


def test_missing_key_exits_2_naming_the_key(capsys, tmp_path):
    cfg = json.loads(GPT_OSS_120B.read_text())
    del cfg["num_local_experts"]
    path = tmp_path / "gpt-oss.json"
    path.write_text(json.dumps(cfg))
    code, _, err = run(capsys, str(path))
    assert code == 2 and "'num_local_experts'" in err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["no-such-model"], "known models"),
        (["qwen3-8b", "--hardware", "h900"], "known accelerators"),
        (["qwen3-8b", "--dtype", "fp12"], "allowed: fp32"),
        (["qwen3-8b", "--context", "0"], "--context"),
        (["missing.json"], "no such config file"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_runs_as_a_module_without_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "analysis.model", "qwen3-8b", "--hardware", "h200", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["params_total"] == pytest.approx(8.2e9, rel=0.005)
    bad = subprocess.run(
        [sys.executable, "-m", "analysis.model", "qwen3-8b", "--hardware", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
