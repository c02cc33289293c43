"""The serving model against published, measured serving results (``serving_results.yaml``).

Each record is predicted from its own configuration (model, GPU, count, precision, batch,
lengths). Two models are checked: the plain one (sourced constants only, ``serving.PLAIN``) and
the calibrated one, whose three engine constants (``serving.Engine``) are fitted to the named
subset ``calibration_subset()`` and to nothing else; its error is reported on the other points.
The error of a point is predicted / measured - 1 on the quantity the source states: tokens/s of
the group for throughput points, tokens/s per user (1 / TPOT) or a batch's wall time for
latency points.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import hardware, models, serving
from .errors import (
    CatalogError,
    InvalidTypeError,
    InvalidValueError,
    require_bool,
    require_instance,
    require_name,
)
from .sources import check_source

FIELDS = (
    "id", "model", "checkpoint", "gpu", "n_gpus", "parallelism", "weight_dtype", "kv_dtype",
    "batch", "input_tokens", "output_tokens", "engine", "date", "metric", "value", "source",
)  # fmt: skip
# Which kind of error each metric speaks to: the time per output token, or the throughput.
KIND = {
    "output_tokens_per_s": "throughput",
    "tokens_per_s_per_user": "tpot",
    "batch_latency_s": "tpot",
    "static_output_tokens_per_s_per_gpu": "throughput",
    "ttft_s": "ttft",
    "decode_output_tokens_per_s": "throughput",  # a disaggregated decode pool, no prefill
    "prefill_input_tokens_per_s": "throughput",  # a disaggregated prefill pool
    # the most output tokens/s whose TPOT and TTFT stay within limits (MLPerf Server, Interactive)
    "output_tokens_per_s_within_slo": "throughput",
}
SLOWER_IS_LARGER = ("batch_latency_s", "ttft_s")  # metrics in seconds, not tokens/s


@dataclass(frozen=True)
class Result:
    """One published measurement."""

    id: str
    model: str
    checkpoint: str
    gpu: str
    n_gpus: int
    parallelism: str
    weight_dtype: str
    kv_dtype: str
    batch: int | None
    input_tokens: int
    output_tokens: int
    engine: str
    date: str
    metric: str
    value: float
    source: str
    attention_dp: bool = False
    mtp_layers: int = 0
    engine_max_batch: int | None = None  # the engine's own cap on concurrent sequences
    replicas: int = 1  # model instances in the measured system, each on n_gpus (data parallel)
    tpot_limit_s: float | None = None  # latency limits of an *_within_slo metric [s]
    ttft_limit_s: float | None = None
    dataset: str | None = None  # a key of the YAML's datasets: the spread of the request lengths
    note: str | None = None

    @property
    def spread(self) -> dict[str, float]:
        """``output_cv`` and ``io_ratio`` [1] of the record's dataset (none: every request alike)."""
        if self.dataset is None:
            return {}
        d = datasets()[self.dataset]
        return {"output_cv": float(d["output_cv"]), "io_ratio": float(d["io_ratio"])}

    @property
    def kind(self) -> str:
        """What the metric measures (from ``KIND``)."""
        return KIND[self.metric]

    @property
    def family(self) -> str:
        """The engine family whose constants predict this result (``engine_family``)."""
        return engine_family(self.engine)


# Which engine family an engine string belongs to: the first name it contains, in this order.
FAMILY_OF = (
    ("vLLM", "vllm"),
    ("SGLang", "sglang"),
    ("TensorRT-LLM", "tensorrt-llm"),
    ("NIM", "tensorrt-llm"),
)


def engine_family(engine: str) -> str:
    """The engine family (``serving.engine``'s names) of a result's ``engine`` string."""
    require_instance("engine", engine, str, "an engine name such as 'vLLM 0.7.3'")
    for name, family in FAMILY_OF:
        if name.lower() in engine.lower():
            return family
    raise InvalidValueError(
        "engine", engine, f"an engine naming one of {[n for n, _ in FAMILY_OF]}"
    )


def _parse(raw: dict, i: int) -> Result:
    where = f"serving_results.yaml:results[{i}]"
    missing = [f for f in FIELDS if f not in raw]
    if missing:
        raise CatalogError(f"{where}: missing {missing}")
    if raw["metric"] not in KIND:
        raise CatalogError(f"{where}: metric {raw['metric']!r} not in {list(KIND)}")
    check_source(raw["source"], where)
    if raw.get("engine_max_batch") is not None:
        check_source(raw["engine_max_batch_source"], f"{where}.engine_max_batch")
    models.get(raw["model"])
    hardware.get(raw["gpu"])
    try:
        engine_family(str(raw["engine"]))
    except InvalidValueError as e:
        raise CatalogError(f"{where}: {e}") from None
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CatalogError(f"{where}: value must be a positive number, got {value!r}")
    fields = {f: raw[f] for f in FIELDS}
    fields["date"] = str(fields["date"])
    fields["value"] = float(value)
    replicas = raw.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise CatalogError(f"{where}: replicas must be a whole number >= 1, got {replicas!r}")
    limits = {k: raw.get(k) for k in ("tpot_limit_s", "ttft_limit_s")}
    if raw["metric"] == "output_tokens_per_s_within_slo" and limits["tpot_limit_s"] is None:
        raise CatalogError(f"{where}: a {raw['metric']} record needs tpot_limit_s")
    for k, v in limits.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or v <= 0):
            raise CatalogError(f"{where}: {k} must be a positive number of seconds, got {v!r}")
    if raw.get("dataset") is not None and raw["dataset"] not in datasets():
        raise CatalogError(f"{where}: dataset {raw['dataset']!r} not in {list(datasets())}")
    return Result(
        **fields,
        dataset=raw.get("dataset"),
        attention_dp=bool(raw.get("attention_dp", False)),
        mtp_layers=int(raw.get("mtp_layers", 0)),
        engine_max_batch=raw.get("engine_max_batch"),
        replicas=replicas,
        tpot_limit_s=limits["tpot_limit_s"],
        ttft_limit_s=limits["ttft_limit_s"],
        note=raw.get("note"),
    )


@cache
def datasets() -> dict[str, dict]:
    """Request-length statistics of the benchmark datasets (the YAML's ``datasets``), checked."""
    out = serving._data().get("datasets", {})
    for key, d in out.items():
        where = f"serving_results.yaml:datasets.{key}"
        check_source(d.get("source"), where)
        for k in ("mean_input_tokens", "output_cv", "io_ratio"):
            v = d.get(k)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise CatalogError(f"{where}.{k}: a number >= 0 is required, got {v!r}")
    return out


@cache
def results() -> tuple[Result, ...]:
    """Every published measurement, in file order; ids are unique."""
    raw = serving._data()["results"]
    out = tuple(_parse(r, i) for i, r in enumerate(raw))
    ids = [r.id for r in out]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        raise CatalogError(f"serving_results.yaml: duplicate ids {dup}")
    return out


def get(result_id: str) -> Result:
    """The published measurement ``result_id``; UnknownNameError lists the known ids."""
    ids = [r.id for r in results()]
    return results()[ids.index(require_name("result_id", result_id, ids, kind="serving result"))]


@dataclass(frozen=True)
class Check:
    result: Result
    predicted: float
    regime: str  # the binding part of the predicted step

    @property
    def ratio(self) -> float:
        """predicted / measured [unitless]."""
        return self.predicted / self.result.value

    @property
    def error(self) -> float:
        """Signed relative error [1] of the prediction."""
        return self.ratio - 1.0

    @property
    def speed_ratio(self) -> float:
        """Predicted over measured *speed* [1]: above 1 the model is too fast, whatever the metric
        (a time's ratio inverted)."""
        return 1.0 / self.ratio if self.result.metric in SLOWER_IS_LARGER else self.ratio


def predict_result(r: Result, eng: serving.Engine | None = None) -> tuple[float, str]:
    """The model's value for ``r``'s metric (in its unit: [s] or [tokens/s]), and the regime of its step.

    ``eng``: the engine constants (default: the stored calibration of ``r``'s engine family;
    ``serving.PLAIN``: none).
    """
    require_instance("r", r, Result, "a serving Result (serving_validation.get(id))")
    if eng is not None:
        require_instance("eng", eng, serving.Engine, "a serving.Engine or None (the stored one)")
    else:
        eng = serving.engine(r.family)
    if r.metric in ("batch_latency_s", "static_output_tokens_per_s_per_gpu"):
        value = serving.static_batch_latency_s(
            r.model, r.gpu, r.n_gpus, r.weight_dtype, r.kv_dtype,
            r.batch, r.input_tokens, r.output_tokens, engine_constants=eng,
        )  # fmt: skip
        if r.batch is None:  # a static batch is always stated; the loader checks it
            raise CatalogError(f"{r.id}: a {r.metric} record needs a batch")
        if r.metric == "static_output_tokens_per_s_per_gpu":
            value = r.batch * r.output_tokens / value / r.n_gpus
        p = serving.predict(
            r.model, r.gpu, r.n_gpus, r.weight_dtype, r.kv_dtype, r.batch,
            r.input_tokens, r.output_tokens, engine_constants=eng,
        )  # fmt: skip
        return value, p.binding
    if r.metric in ("decode_output_tokens_per_s", "prefill_input_tokens_per_s"):
        if r.batch is None:
            raise CatalogError(f"serving_results.yaml {r.id}: a {r.metric} record needs a batch")
        s = serving.setup(r.model, r.gpu, r.n_gpus, r.weight_dtype, r.kv_dtype,
                          attention_dp=r.attention_dp)  # fmt: skip
        if r.metric == "decode_output_tokens_per_s":  # decode steps only, at the mean context
            ctx = r.input_tokens + r.output_tokens / 2
            st = serving.step_time(s, r.batch, 1, ctx, 0.0, eng)
            return r.batch / st.total_s, st.binding
        tokens = float(r.batch * r.input_tokens)  # whole prompts, nothing cached
        st = serving.step_time(s, 0, 1, 0, tokens, eng, r.input_tokens)
        return tokens / st.total_s, st.binding
    if r.metric == "output_tokens_per_s_within_slo":
        assert r.tpot_limit_s is not None  # the loader requires it
        p = serving.max_throughput_within(
            r.model, r.gpu, r.n_gpus, r.weight_dtype, r.kv_dtype, r.input_tokens,
            r.output_tokens, r.tpot_limit_s, r.ttft_limit_s, engine_max_batch=r.engine_max_batch,
            attention_dp=r.attention_dp, engine_constants=eng, **r.spread,
        )  # fmt: skip
        return p.output_tokens_per_s * r.replicas, p.binding
    spec_kw = {}
    if r.mtp_layers:
        spec_kw = {
            "draft_tokens": r.mtp_layers,
            "accepted_tokens": serving.mtp_accepted_tokens(r.mtp_layers),
        }
    kw: dict[str, Any] = dict(
        attention_dp=r.attention_dp, engine_constants=eng, **spec_kw, **r.spread
    )
    args = (r.model, r.gpu, r.n_gpus, r.weight_dtype, r.kv_dtype)
    p = serving.predict(*args, r.batch, r.input_tokens, r.output_tokens, **kw)
    if r.batch is None and r.engine_max_batch and p.batch > r.engine_max_batch:
        p = serving.predict(*args, r.engine_max_batch, r.input_tokens, r.output_tokens, **kw)
    regime = "speculative" if r.mtp_layers else p.binding
    if r.metric == "output_tokens_per_s":
        return p.output_tokens_per_s * r.replicas, regime
    if r.metric == "ttft_s":
        return p.ttft_s, regime
    return p.output_tokens_per_s_per_user, regime


def checks(plain: bool = False, one_engine: bool = False) -> tuple[Check, ...]:
    """Every published point beside its prediction (``plain``: sourced constants only;
    ``one_engine``: every point with the default engine family's constants, whatever ran it)."""
    return _checks(require_bool("plain", plain), require_bool("one_engine", one_engine))


@cache
def _checks(plain: bool, one_engine: bool = False) -> tuple[Check, ...]:
    eng = serving.PLAIN if plain else (serving.engine() if one_engine else None)
    out = []
    for r in results():
        value, regime = predict_result(r, eng)
        out.append(Check(r, value, regime))
    return tuple(out)


# ---- calibration --------------------------------------------------------------------------------
def calibration_subset(family: str | None = None) -> tuple[str, ...]:
    """The ids engine ``family``'s constants are fitted to (the YAML's ``calibration.families``);
    ``None``: every family's, the points that are not held out."""
    fams = serving.engine_families()
    names = (
        fams if family is None else (require_name("family", family, fams, kind="engine family"),)
    )
    ids = tuple(i for f in names for i in serving._data()["calibration"]["families"][f]["subset"])
    for i in ids:
        get(i)
    return ids


def _loss(params: tuple[float, float, float], subset: tuple[Result, ...]) -> float:
    log_t, log_f, log_w = params
    f, w = math.exp(log_f), math.exp(log_w)
    if f > 1 or w > 1:  # a serving step cannot beat its microbenchmarks
        return math.inf
    eng = serving.Engine(math.exp(log_t), f, w)
    return sum(math.log(predict_result(r, eng)[0] / r.value) ** 2 for r in subset)


def _nelder_mead(fun, x0, step=0.5, iters=300, tol=1e-10):
    """A plain, deterministic Nelder-Mead minimizer (no SciPy dependency)."""
    pts = [list(x0)] + [
        [x + (step if j == i else 0.0) for j, x in enumerate(x0)] for i in range(len(x0))
    ]
    vals = [fun(p) for p in pts]
    for _ in range(iters):
        order = sorted(range(len(pts)), key=vals.__getitem__)
        pts, vals = [pts[i] for i in order], [vals[i] for i in order]
        if abs(vals[-1] - vals[0]) < tol:
            break
        centroid = [sum(p[j] for p in pts[:-1]) / (len(pts) - 1) for j in range(len(x0))]
        refl = [c + (c - w) for c, w in zip(centroid, pts[-1], strict=True)]
        fr = fun(refl)
        if fr < vals[0]:
            exp_ = [c + 2 * (c - w) for c, w in zip(centroid, pts[-1], strict=True)]
            fe = fun(exp_)
            pts[-1], vals[-1] = (exp_, fe) if fe < fr else (refl, fr)
        elif fr < vals[-2]:
            pts[-1], vals[-1] = refl, fr
        else:
            con = [c + 0.5 * (w - c) for c, w in zip(centroid, pts[-1], strict=True)]
            fc = fun(con)
            if fc < vals[-1]:
                pts[-1], vals[-1] = con, fc
            else:
                best = pts[0]
                pts = [best] + [
                    [b + 0.5 * (x - b) for b, x in zip(best, p, strict=True)] for p in pts[1:]
                ]
                vals = [vals[0]] + [fun(p) for p in pts[1:]]
    i = min(range(len(pts)), key=vals.__getitem__)
    return pts[i], vals[i]


def calibrate(
    ids: tuple[str, ...] | None = None, family: str = serving.DEFAULT_ENGINE
) -> serving.Engine:
    """Fit the three engine constants to the points ``ids`` (default: engine ``family``'s named subset)."""
    if ids is not None and (not isinstance(ids, tuple | list) or not ids):
        raise InvalidTypeError("ids", ids, "a non-empty tuple of serving result ids, or None")
    known = [r.id for r in results()]
    for i in ids or ():
        require_name("ids", i, known, kind="serving result")
    subset = tuple(get(i) for i in (ids or calibration_subset(family)))
    x0 = (math.log(5e-5), math.log(0.7), math.log(0.8))
    (log_t, log_f, log_w), _ = _nelder_mead(lambda p: _loss(p, subset), x0)
    return serving.Engine(math.exp(log_t), math.exp(log_f), math.exp(log_w))


@dataclass(frozen=True)
class Summary:
    kind: str
    count: int
    median_abs_error: float
    worst_abs_error: float
    worst_id: str
    within_20pct: int


def summary(
    kind: str | None = None, *, held_out: bool = True, plain: bool = False,
    one_engine: bool = False, source: str | None = None,
) -> Summary:  # fmt: skip
    """Median and worst |error| over the checks of one ``kind`` ("tpot", "throughput") or all.

    ``held_out``: only the points outside the calibration subsets; ``plain``: the uncalibrated
    model (then every point counts as held out); ``one_engine``: one set of engine constants
    (the default family's, fitted on its subset alone) for every point, whatever engine ran it;
    ``source``: only the points of that source key.
    """
    if kind is not None:
        require_name("kind", kind, sorted(set(KIND.values())), kind="check kind")
    require_bool("held_out", held_out)
    require_bool("plain", plain)
    require_bool("one_engine", one_engine)
    if source is not None:
        require_name("source", source, sorted({r.source for r in results()}), kind="result source")
    fitted = calibration_subset(serving.DEFAULT_ENGINE) if one_engine else calibration_subset()
    skip = set() if (plain or not held_out) else set(fitted)
    pool = [
        c for c in checks(plain, one_engine and not plain)
        if (kind is None or c.result.kind == kind) and c.result.id not in skip
        and (source is None or c.result.source == source)
    ]  # fmt: skip
    if not pool:
        raise InvalidValueError("kind", kind, "a kind with checks outside the calibration subset")
    errs = [abs(c.error) for c in pool]
    worst = max(pool, key=lambda c: abs(c.error))
    return Summary(
        kind or "all",
        len(pool),
        statistics.median(errs),
        abs(worst.error),
        worst.result.id,
        sum(e <= 0.20 for e in errs),
    )


def by_source() -> list[dict]:
    """Held-out median |error| per source and kind, for the chapter's breakdown table."""
    fitted = set(calibration_subset())
    rows = []
    for src in dict.fromkeys(r.source for r in results()):
        for kind in ("tpot", "throughput", "ttft"):
            if any(r.source == src and r.kind == kind and r.id not in fitted for r in results()):
                s = summary(kind, source=src)
                rows.append({"source": src, "kind": kind, "count": s.count,
                             "median_abs_error": s.median_abs_error,
                             "worst_abs_error": s.worst_abs_error})  # fmt: skip
    return rows


def table() -> list[dict]:
    """Rows for the chapter's validation table (calibrated model; plain model beside it).

    ``pred/meas`` and ``plain pred/meas`` are speed ratios (``Check.speed_ratio``: above 1 the
    model is too fast, for times as for rates); ``n`` is the GPUs of one model instance and
    ``replicas`` the instances the measured value covers.
    """
    rows = []
    fitted = set(calibration_subset())
    for c, plain in zip(checks(), checks(plain=True), strict=True):
        r = c.result
        rows.append(
            {
                "id": r.id,
                "model": r.model,
                "gpu": r.gpu,
                "n": r.n_gpus,
                "replicas": r.replicas,
                "precision": f"{r.weight_dtype}/{r.kv_dtype}",
                "batch": "max" if r.batch is None else r.batch,
                "in/out": f"{r.input_tokens}/{r.output_tokens}",
                "metric": r.metric,
                "measured": r.value,
                "predicted": c.predicted,
                "pred/meas": c.speed_ratio,
                "plain pred/meas": plain.speed_ratio,
                "regime": c.regime,
                "fitted": c.result.id in fitted,
                "source": r.source,
            }
        )
    return rows


# ---- command line ---------------------------------------------------------------------------------
def write_calibration(eng: serving.Engine, family: str = serving.DEFAULT_ENGINE) -> None:
    """Store ``eng`` as engine ``family``'s ``values`` in the YAML (comments and layout kept)."""
    import re

    require_instance("eng", eng, serving.Engine, "a serving.Engine (calibrate())")
    family = require_name("family", family, serving.engine_families(), kind="engine family")
    from .fileio import atomic_write_bytes
    from .sources import DATA_DIR

    path = DATA_DIR / "serving_results.yaml"
    text = path.read_text(encoding="utf-8")
    block = (
        "      values:\n"
        f"        layer_overhead_s: {eng.layer_overhead_s:.4e}\n"
        f"        flops_scale: {eng.flops_scale:.4f}\n"
        f"        bandwidth_scale: {eng.bandwidth_scale:.4f}\n"
    )
    pattern = rf"(\n    {re.escape(family)}:\n(?:      [^\n]*\n|        [^\n]*\n)*?)      values:\n(?:        \w+: [^\n]*\n){{3}}"
    new, count = re.subn(pattern, lambda m: m.group(1) + block, text)
    if count != 1:
        raise CatalogError(f"{path.name}: expected one values block for {family}, found {count}")
    atomic_write_bytes(path, new.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.serving_validation [--write]`` (``argv``): the validation summary; ``--write``
    refits the engine constants to the named subset and stores them (after a catalog change)."""
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m analysis.serving_validation", description=main.__doc__
    )
    ap.add_argument("--write", action="store_true", help="refit and store the engine constants")
    args = ap.parse_args(argv)
    if args.write:
        for family in serving.engine_families():
            eng = calibrate(family=family)
            write_calibration(eng, family)
            print(f"stored {family}: {eng}")
        return 0
    for kind in ("tpot", "throughput"):
        for plain in (False, True):
            s = summary(kind, plain=plain)
            label = "plain" if plain else "held-out"
            print(
                f"{kind:10s} {label:8s} n={s.count:3d} median |err| {s.median_abs_error:6.1%} "
                f"worst {s.worst_abs_error:6.1%} ({s.worst_id})"
            )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
