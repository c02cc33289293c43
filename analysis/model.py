"""One command for any model: ``python -m analysis.model CONFIG_OR_NAME --hardware h200``.

Prints what the book computes for one model on one chip at one context: parameters, weight
bytes, KV bytes (per token and at the context, layer by layer), instances per GPU and per
8-GPU node (``memory.serving_limits``), the critical batch (``roofline``), and the decode cost
floor at the catalog's cheapest rental price (``pricing.decode_cost`` at the largest batch that
fits, at the roofline bound). ``--json`` prints the same as one JSON object.

Bad input (an unsupported ``model_type``, a missing key, an unknown chip or dtype, a model that
does not fit) prints one line naming what was wrong and what is allowed, and exits with 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from . import hardware, memory, models, prices, pricing, roofline
from .errors import (
    AnalysisError,
    ConfigError,
    UnknownDTypeError,
    UnknownNameError,
    require_count,
    require_dtype,
    require_instance,
    require_name,
    require_text,
)
from .models import ModelSpec
from .units import DTYPES

NODE_GPUS = 8
EXIT_BAD_INPUT = 2


class CliError(AnalysisError, ValueError):
    """An input the command cannot use; the message is printed as is."""


def load_model(config_or_name: str) -> ModelSpec:
    """``config_or_name``: a catalog model name, or a config.json path to build a ModelSpec from."""
    path = Path(require_text("config_or_name", config_or_name))
    if path.suffix == ".json" or path.is_file():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CliError(f"no such config file: {config_or_name}") from None
        except (OSError, json.JSONDecodeError) as err:
            raise CliError(f"cannot read {config_or_name} as JSON: {err}") from None
        return ModelSpec.from_hf_config(raw, name=path.stem if path.stem != "config" else None)
    known = models.NAMES + models.DESIGN_NAMES
    return models.get(require_name("config_or_name", config_or_name, known, kind="model"))


def _fits(spec: ModelSpec, acc, context: int, group: int, wdt: str, kdt: str) -> int | None:
    """Instances one group holds (memory.serving_limits), or None when nothing fits."""
    try:
        return memory.serving_limits(
            spec, acc, context, group_gpus=group, weight_dtype=wdt, kv_dtype=kdt
        ).instances
    except memory.InfeasibleServingError:
        return None


def _decode_floor(spec: ModelSpec, acc, context: int, wdt: str, kdt: str) -> dict:
    """Decode $/M output tokens at the cheapest rental row, on the smallest group that fits."""
    try:
        rows = prices.rental_rows(acc.key)
    except UnknownNameError as err:
        return {"available": False, "reason": f"no rental price for {acc.key} in the catalog "
                f"(rented GPUs: {', '.join(err.known)})"}  # fmt: skip
    try:
        group = memory.min_group_gpus(spec, acc, context, weight_dtype=wdt, kv_dtype=kdt)
    except memory.InfeasibleServingError as err:
        return {"available": False, "reason": str(err)}
    if spec.max_context is None or spec.max_context < context:
        # pricing checks the context against the model's window; the command has been asked
        # for this context explicitly, so the window is taken as at least that long.
        spec = dataclasses.replace(spec, max_context=max(context, spec.max_context or 0))
    row = rows[0]
    compute = memory._compute_dtype(acc, wdt, None)
    dep = pricing.Deployment(spec, acc, group, wdt, kdt, compute)
    cost = pricing.decode_cost(dep, row.usd_per_gpu_hour, context, bound=True)  # the floor
    return {
        "available": True,
        "usd_per_mtok": cost.usd_per_mtok,
        "batch": cost.batch,
        "n_gpus": group,
        "bound": cost.bound,
        "usd_per_gpu_hour": row.usd_per_gpu_hour,
        "provider": row.provider,
        "date": str(row.date),
        "source": row.source,
    }


def report(
    config_or_name: str, hardware_name: str, context: int, dtype: str = "bf16", kv_dtype=None
) -> dict:
    """Everything the command prints, as a dict of plain numbers and strings.

    ``config_or_name`` (catalog name or config.json path) on ``hardware_name`` at ``context``
    [tokens], weights in ``dtype``, KV in ``kv_dtype`` (default: ``dtype``). The keys name their
    units: bytes [bytes], parameters [params], the critical batch [sequences], the cost floor
    [USD per 1e6 tokens].
    """
    require_dtype("dtype", dtype, DTYPES)
    kv_dtype = dtype if kv_dtype is None else require_dtype("kv_dtype", kv_dtype, DTYPES)
    try:
        context = require_count("context", context)
    except AnalysisError as err:
        raise CliError(f"--context: {err} (a whole number of tokens)") from None
    spec = load_model(config_or_name)
    acc = hardware.get(
        require_name("hardware_name", hardware_name, hardware.NAMES, kind="accelerator")
    )
    compute = memory._compute_dtype(acc, dtype, None)
    per_gpu = _fits(spec, acc, context, 1, dtype, kv_dtype)
    per_node = _fits(spec, acc, context, NODE_GPUS, dtype, kv_dtype)
    return {
        "model": spec.name,
        "model_type": spec.model_type,
        "hardware": acc.key,
        "context_tokens": context,
        "weight_dtype": dtype,
        "kv_dtype": kv_dtype,
        "params_total": spec.n_params,
        "params_active": spec.n_active_params,
        "weight_bytes": spec.weight_bytes(dtype),
        "attention": spec.attention_kind,
        "windowed_layers": spec.n_windowed_layers,
        "n_layers": spec.n_layers,
        "n_experts": spec.n_experts,
        "kv_bytes_per_token": spec.kv_bytes_per_token(kv_dtype),
        "kv_bytes_at_context": spec.kv_cache_bytes(context, kv_dtype),
        "hbm_bytes_per_gpu": acc.mem_bytes,
        "instances_per_gpu": per_gpu,
        "instances_per_node": per_node,
        "node_gpus": NODE_GPUS,
        "compute_dtype": compute,
        "critical_batch": roofline.accelerator_critical_batch(acc, compute, dtype),
        "decode_cost": _decode_floor(spec, acc, context, dtype, kv_dtype),
    }


def _gb(n: float) -> str:
    return f"{n / 1e9:,.2f} GB ({n / 2**30:,.2f} GiB)"


def render(r: dict) -> str:
    """The report ``r`` (from ``report``) as aligned text lines."""
    require_instance("r", r, dict, "a report dict (model.report(...))")
    fits = "does not fit (weights + one sequence exceed one GPU)"
    node = f"{r['node_gpus']}-GPU node, one weight copy"
    lines = [
        f"{r['model']} ({r['model_type']}) on {r['hardware']}, {r['context_tokens']:,} tokens, "
        f"{r['weight_dtype']} weights, {r['kv_dtype']} KV",
        f"  parameters           {r['params_total'] / 1e9:,.2f} B total, "
        f"{r['params_active'] / 1e9:,.2f} B active per token",
        f"  weights              {_gb(r['weight_bytes'])}",
        f"  attention            {r['attention']}, {r['windowed_layers']} of {r['n_layers']} "
        "layers windowed or chunked",
        f"  KV per token         {r['kv_bytes_per_token']:,} B (all layers, short context)",
        f"  KV at context        {_gb(r['kv_bytes_at_context'])} per sequence",
        f"  instances per GPU    {fits if r['instances_per_gpu'] is None else r['instances_per_gpu']}"
        f"  (HBM {_gb(r['hbm_bytes_per_gpu'])})",
        f"  instances per node   "
        f"{'does not fit' if r['instances_per_node'] is None else r['instances_per_node']} ({node})",
        f"  critical batch       {r['critical_batch']:,.0f} sequences "
        f"({r['compute_dtype']} FLOP/s, {r['weight_dtype']} weights)",
    ]
    c = r["decode_cost"]
    if c["available"]:
        lines.append(
            f"  decode cost floor    ${c['usd_per_mtok']:,.4f} per M output tokens at batch "
            f"{c['batch']:,} on {c['n_gpus']} GPU(s), {c['bound']}-bound, "
            f"at ${c['usd_per_gpu_hour']:.2f}/GPU-h ({c['provider']}, {c['date']})"
        )
    else:
        lines.append(f"  decode cost floor    n/a: {c['reason']}")
    if r["n_experts"]:
        lines.append(
            "  note                 MoE: the decode step reads every expert "
            "(roofline.forward_step), exact only at batches that touch them all"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.model``; ``argv`` as on the command line. Returns [exit status]."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.model",
        description="Weights, KV cache, instances per GPU, critical batch and decode cost "
        "for a config.json or a catalog model.",
    )
    parser.add_argument(
        "model", help=f"a config.json path or a catalog name ({', '.join(models.NAMES)})"
    )
    parser.add_argument("--hardware", default="h200", help="catalog chip (default h200)")
    parser.add_argument("--context", type=int, default=32_768, help="tokens per sequence")
    parser.add_argument("--dtype", default="bf16", help=f"weight dtype ({', '.join(DTYPES)})")
    parser.add_argument("--kv-dtype", default=None, help="KV-cache dtype (default: --dtype)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        r = report(args.model, args.hardware, args.context, args.dtype, args.kv_dtype)
    except (CliError, ConfigError, UnknownNameError, UnknownDTypeError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(r, indent=2) if args.json else render(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
