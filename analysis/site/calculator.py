"""Exports the calculator page's formulas and catalogs, so the page cannot drift from the book.

``chapters/calculator.md`` runs in the reader's browser, offline. What it computes comes from here,
written at build time by ``make figures`` (``python -m analysis.site.calculator``; a test fails
when the committed files are stale):

* ``_static/calculator/laws.js``: each law of :data:`LAWS` printed as a JavaScript function by
  ``sympy.jscode`` from the package's own sympy expression (never a second formula typed by hand);
* ``_static/calculator/data.js`` and ``data.json``: the hardware, model and GPU-rent catalogs, as
  the numbers the laws take (bytes, bytes/s, FLOP/s, parameters, J/FLOP), with their sources.

``_static/calculator/calculator.js`` (hand-written) is only the form: it reads the inputs, looks
the numbers up and calls the printed laws. A pasted ``config.json`` is counted there for the
Llama family (``llama``, ``mistral``, ``mixtral``, ``qwen2``, ``qwen3``); the browser test checks
that count against ``ModelSpec.from_hf_config`` for every catalog config of those types, and the
calculator's outputs against the package's functions on a grid of inputs.

Adding a law is one line in :data:`LAWS` (name, expression, argument symbols, what it returns).
TPOT is chapter 1's roofline step time (``memory.DECODE_TIME``) until the serving model lands;
then its line changes to the serving law.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sympy as sp

from .. import energy, hardware, memory, models, prices, pricing, roofline
from ..errors import DefinitionError, require_instance
from ..latex import latex as reader_latex
from ..sources import ROOT
from ..units import DTYPE_BYTES
from . import pages

PAGE = ROOT / "chapters" / "calculator.md"
OUT_DIR = ROOT / "_static" / "calculator"
LAWS_JS = OUT_DIR / "laws.js"
DATA_JS = OUT_DIR / "data.js"
DATA_JSON = OUT_DIR / "data.json"

# The step time t of one decode step, as an argument of the laws that divide it among tokens.
t_step = sp.Symbol("t", positive=True)
# Cost per output token: pricing's law with the decode utilisation that a step of time t
# achieves, u_d = B (2N + aL) / (F t); it reduces to c t / B.
USD_PER_OUTPUT_TOKEN = sp.simplify(
    pricing.COST_PER_OUTPUT_TOKEN.subs(
        pricing.u_d,
        roofline.B * pricing.FLOPS_PER_OUTPUT_TOKEN / (roofline.F * t_step),
    )
)


@dataclass(frozen=True)
class Law:
    name: str  # the JavaScript function's name
    expr: sp.Expr  # the package's sympy expression
    args: tuple[sp.Symbol, ...]  # its inputs, in the order the page passes them (as an object)
    returns: str  # what it gives, with its unit


g, u, M = memory.g, memory.u, memory.M
F, W, B, L, P, k, N, a = (roofline.F, roofline.W, roofline.B, roofline.L, roofline.P) + (
    roofline.k,
    roofline.N,
    roofline.a,
)

LAWS: tuple[Law, ...] = (
    Law("kvBytes", memory.DYNAMIC_BYTES, (k, L), "KV-cache bytes of one sequence [B]"),
    Law(
        "instancesPerGroup",
        memory.CAPACITY_PER_GROUP,
        (g, u, M, P, k, L),
        "sequences whose KV fits beside one weight copy on n_g GPUs (before rounding down) [1]",
    ),
    Law(
        "criticalBatch",
        roofline.CRITICAL_BATCH_WEIGHTS,
        (F, W, roofline.b_w),
        "batch at which a weight matmul reaches the ridge, F b_w / (2 W) [sequences]",
    ),
    Law(
        "decodeStepTime",
        memory.DECODE_TIME,
        (g, F, W, N, P, k, a, B, L),
        "roofline time of one decode step of B sequences on n_g GPUs: the TPOT [s]",
    ),
    Law(
        "usdPerOutputToken",
        USD_PER_OUTPUT_TOKEN,
        (pricing.c, t_step, B),
        "rent of the group during one step over the B tokens it makes [USD]",
    ),
    Law(
        "moeWeightBytes",
        roofline.MOE_WEIGHT_BYTES,
        (roofline.P_s, roofline.P_e, roofline.E_x, roofline.k_E, B),
        "weight bytes a step of B tokens reads: shared weights, plus the routed experts they touch "
        "under uniform routing [B]",
    ),
    Law(
        "joulesPerToken",
        energy.TOKEN_ENERGY,
        (N, P, k, a, B, L, F, W, energy.P_board),
        "top-down energy of one generated token: board power x roofline step time / B [J]",
    ),
)


def _js_name(sym: sp.Symbol) -> str:
    return sp.jscode(sym)


def law_js(law: Law) -> str:
    """One law as ``NAME: ({a, b}) => expr,`` with its sympy source in a comment."""
    require_instance("law", law, Law, "a calculator Law (calculator.LAWS)")
    missing = law.expr.free_symbols - set(law.args)
    if missing:
        raise DefinitionError(
            f"law {law.name}: symbols {sorted(map(str, missing))} are not arguments"
        )
    names = ", ".join(_js_name(s) for s in law.args)
    return (
        f"  // {law.returns}\n"
        f"  // sympy: {sp.sstr(law.expr)}\n"
        f"  {law.name}: ({{{names}}}) => {sp.jscode(law.expr)},\n"
    )


def render_laws() -> str:
    """``_static/calculator/laws.js``: every law of ``LAWS`` printed by ``sympy.jscode``."""
    head = (
        "// Generated by `python -m analysis.site.calculator` (make figures) from the package's sympy\n"
        "// laws with sympy.jscode. Do not edit: a test fails when this file is stale.\n"
        "window.CALCULATOR_LAWS = {\n"
    )
    args = {law.name: [_js_name(s) for s in law.args] for law in LAWS}
    return (
        head
        + "".join(law_js(law) for law in LAWS)
        + "};\n"
        + f"window.CALCULATOR_LAW_ARGS = {json.dumps(args, sort_keys=True)};\n"
    )


def _hardware() -> dict:
    out = {}
    for acc in hardware.all_accelerators():
        tdp = acc.tdp_w
        out[acc.key] = {
            "name": acc.name,
            "mem_bytes": acc.mem_bytes,
            "mem_bandwidth": acc.mem_bandwidth,
            "peak_flops": {d: acc.peak_flops(d) for d in acc.dtypes},
            "tdp_w": tdp,
            "j_per_flop": {d: tdp / acc.peak_flops(d) for d in acc.dtypes} if tdp else {},
            "sources": {
                "mem_bytes": acc.source("mem_bytes"),
                "mem_bandwidth": acc.source("mem_bandwidth"),
            },
        }
    return out


def _models() -> dict:
    out = {}
    for spec in models.all_models():
        info = models.info(spec.name)
        out[spec.name] = {
            "name": info.display_name,
            "model_type": spec.model_type,
            "n_params": spec.n_params,
            "n_active_params": spec.n_active_params,
            "matmul_params": roofline.matmul_params(spec),
            "routed_expert_params": roofline.routed_expert_params(spec),
            "n_experts": spec.n_experts,
            "n_experts_per_tok": spec.n_experts_per_tok,
            "attention_flops_per_position": roofline.attention_flops_per_position(spec),
            "kv_elements_per_token": spec.kv_elements_per_token,
            # heads tensor parallelism can split the KV over (MLA: one latent head); beyond
            # them each GPU keeps a copy (serving.Setup.kv_replication)
            "kv_split_heads": 1 if spec.is_mla else spec.n_kv_heads,
            "sliding_window": spec.sliding_window,
            "layer_windows": list(spec.layer_windows) if spec.layer_windows else None,
            "max_context": spec.max_context,
        }
    return out


def _rents() -> dict:
    rows: dict[str, list] = {}
    for row in prices.rental_rows():
        rows.setdefault(row.gpu, []).append(
            {
                "usd_per_gpu_hour": row.usd_per_gpu_hour,
                "provider": row.provider,
                "date": row.date.isoformat(),
                "kind": row.kind,
                "source": row.source,
            }
        )
    return rows


def data() -> dict:
    """Everything the page looks up, as plain JSON."""
    return {
        "dtype_bytes": {d: float(b) for d, b in DTYPE_BYTES.items()},
        "hardware": _hardware(),
        "models": _models(),
        "rent_usd_per_gpu_hour": _rents(),
    }


def render_data_json() -> str:
    """``_static/calculator/data.json``: the catalogs the page computes from, as JSON."""
    return json.dumps(data(), indent=1, sort_keys=True) + "\n"


def render_data_js() -> str:
    """``_static/calculator/data.js``: the same catalogs as a script, for pages opened offline."""
    return (
        "// Generated by `python -m analysis.site.calculator` (make figures): the catalogs the\n"
        "// calculator looks up; the same numbers as data.json. Do not edit.\n"
        f"window.CALCULATOR_DATA = {json.dumps(data(), sort_keys=True)};\n"
    )


FORM = """```{raw} html
<div id="calculator" class="calculator">
<div class="calculator-form">
<label>Model <select id="calc-model"></select></label>
<label>Chip <select id="calc-hardware"></select></label>
<label>GPUs per copy <input id="calc-gpus" type="number" min="1" step="1" value="2"></label>
<label>Weight dtype <select id="calc-weight-dtype"></select></label>
<label>KV dtype <select id="calc-kv-dtype"></select></label>
<label>Compute dtype <select id="calc-compute-dtype"></select></label>
<label>Context (tokens) <input id="calc-context" type="number" min="1" step="1" value="8192"></label>
<label>Batch (sequences) <input id="calc-batch" type="number" min="1" step="1" value="16"></label>
<label>Rent (USD per GPU-hour) <input id="calc-rent" type="number" min="0" step="0.01"></label>
</div>
<p id="calc-rent-note" class="calculator-note"></p>
<div id="calc-config-box" class="calculator-config" hidden>
<label>config.json (Llama, Mistral, Mixtral, Qwen2)<textarea id="calc-config" spellcheck="false">{}</textarea></label>
</div>
<p id="calc-error" class="calculator-error" role="status"></p>
<table id="calc-results" class="table calculator-results"><tbody>
<tr><th>Weights</th><td class="value" data-key="weight_bytes">—</td></tr>
<tr><th>KV cache per sequence</th><td class="value" data-key="kv_bytes_per_sequence">—</td></tr>
<tr><th>Sequences that fit (instances)</th><td class="value" data-key="instances">—</td></tr>
<tr><th>Critical batch</th><td class="value" data-key="critical_batch">—</td></tr>
<tr><th>Time per output token (TPOT) at this batch</th><td class="value" data-key="tpot_s">—</td></tr>
<tr><th>Output tokens/s at this batch</th><td class="value" data-key="tokens_per_s">—</td></tr>
<tr><th>Cost per million output tokens</th><td class="value" data-key="usd_per_mtok">—</td></tr>
<tr><th>Energy per output token</th><td class="value" data-key="j_per_token">—</td></tr>
</tbody></table>
</div>
<script src="../_static/calculator/laws.js"></script>
<script src="../_static/calculator/data.js"></script>
<script src="../_static/calculator/calculator.js"></script>
```
"""


def render_page() -> str:
    """``chapters/calculator.md``: the form, the outputs and the laws it uses, in words."""
    formulas = []
    for law in LAWS:
        formulas += [
            f"`{law.name}`: {law.returns}",
            "",
            "```{math}",
            reader_latex(law.expr),
            "```",
            "",
        ]
    return "\n".join(
        [
            "# Calculator\n",
            "Pick a model from the catalog (or paste a `config.json`), a chip, the dtypes, a "
            "context length and a batch: the page shows the weight and KV-cache bytes, how many "
            "sequences fit beside one copy of the weights, the critical batch, the time per output "
            "token and the tokens/s at that batch, the cost per million output tokens at a rent "
            "from the catalog, and the energy per token. It runs in your browser, offline.\n",
            "It cannot drift from the book: its formulas are the package's own sympy laws, printed "
            "as JavaScript by `sympy.jscode` when the book is built "
            "({download}`laws.js <../_static/calculator/laws.js>`), and its numbers are the "
            "catalogs exported as JSON ({download}`data.json <../_static/calculator/data.json>`), "
            "both written by `python -m analysis.site.calculator` (`make figures`). The browser "
            "test compares its outputs with the Python package on a grid of inputs.\n",
            FORM,
            "## What it computes\n",
            "The time per output token is chapter 1's roofline time of one decode step "
            "(weights read once, every sequence's KV read, the slower of memory and arithmetic "
            "sets the time; a mixture of experts reads only the experts its batch touches): a "
            "bound that real engines approach but do not reach. Every sequence holds its context "
            "(a windowed layer at most its window). Tensor parallelism over more GPUs than a "
            "model has KV heads keeps a copy of each sequence's KV on every GPU of the group, as "
            "engines do without data-parallel attention: DeepSeek-V3's one latent head is held and "
            "read on each of 8 GPUs (chapter 2's table counts it once, as data-parallel attention "
            "serves it). The cost divides the group's rent over the step "
            "by the tokens it makes; the energy is chapter 6's top-down estimate (the board's "
            "power, its TDP, for the roofline time of the step, shared by the batch's tokens). "
            "A pasted `config.json` is counted for the Llama family (`llama`, "
            "`mistral`, `mixtral`, `qwen2`), with the same rules as "
            "`ModelSpec.from_hf_config`; other architectures are counted by that function in "
            "Python.\n",
            "## The formulas\n",
            *formulas,
        ]
    )


def rendered() -> dict:
    """Path -> text of every file this module writes."""
    return {
        PAGE: render_page(),
        LAWS_JS: render_laws(),
        DATA_JS: render_data_js(),
        DATA_JSON: render_data_json(),
    }


def main() -> int:
    """Write the page and its scripts; returns the exit status [count of failures, 0]."""
    for path, text in rendered().items():
        pages.write(path, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
