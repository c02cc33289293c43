// The calculator page (chapters/calculator.md). Hand-written: the form, the look-ups and the
// display. Every formula it evaluates is in laws.js, printed from the package's sympy laws by
// `python -m analysis.site.calculator`; every number it looks up is in data.js (the catalogs).
// window.bookCalculator.compute(inputs) is what the page shows and what the browser test
// compares with the Python package.
(function () {
  "use strict";
  const LAWS = window.CALCULATOR_LAWS;
  const DATA = window.CALCULATOR_DATA;
  // model_types whose config.json this page can count (the package's Llama-family parser)
  const CONFIG_TYPES = ["llama", "mistral", "mixtral", "qwen2"];

  function need(cfg, key, fallback) {
    const v = cfg[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new Error(`config.json has no "${key}", which counting the parameters needs`);
    }
    if (typeof fallback === "boolean") {
      if (typeof v !== "boolean") throw new Error(`config key "${key}" must be true or false`);
      return v;
    }
    if (!Number.isInteger(v) || v <= 0) throw new Error(`config key "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  // The same counts as analysis.models.ModelSpec.from_hf_config for the Llama family.
  function modelFromConfig(cfg) {
    if (typeof cfg !== "object" || cfg === null || Array.isArray(cfg)) throw new Error("config.json must be a JSON object");
    const type = cfg.model_type;
    if (!CONFIG_TYPES.includes(type)) {
      throw new Error(`model_type ${JSON.stringify(type)} is not counted here; this page counts ${CONFIG_TYPES.join(", ")} (the Python package, ModelSpec.from_hf_config, counts more)`);
    }
    const d = need(cfg, "hidden_size"), h = need(cfg, "num_attention_heads");
    const kvh = need(cfg, "num_key_value_heads", h);
    let hd = cfg.head_dim;
    if (hd === undefined || hd === null) {
      if (d % h) throw new Error(`hidden_size ${d} is not divisible by num_attention_heads ${h}`);
      hd = d / h;
    } else hd = need(cfg, "head_dim");
    if (h % kvh) throw new Error(`num_attention_heads (${h}) must be a multiple of num_key_value_heads (${kvh})`);
    const layers = need(cfg, "num_hidden_layers"), ff = need(cfg, "intermediate_size");
    const vocab = need(cfg, "vocab_size"), ctx = need(cfg, "max_position_embeddings");
    const tied = need(cfg, "tie_word_embeddings", false);
    const attnBias = need(cfg, "attention_bias", false), mlpBias = need(cfg, "mlp_bias", false);
    const qkvBias = type === "qwen2" || attnBias;
    let window = cfg.sliding_window === undefined || cfg.sliding_window === null ? null : need(cfg, "sliding_window");
    if (type === "qwen2" && !need(cfg, "use_sliding_window", false)) window = null;
    const moe = type === "mixtral";
    const experts = moe ? need(cfg, "num_local_experts") : 0;
    const perTok = moe ? need(cfg, "num_experts_per_tok") : 0;
    if (moe && !(perTok > 0 && perTok <= experts)) throw new Error(`experts per token (${perTok}) must be in 1..${experts}`);
    const mlp = (w) => 3 * d * w + (mlpBias ? 2 * w + d : 0);
    const qOut = h * hd, kvOut = kvh * hd;
    const attention = layers * (d * qOut + 2 * d * kvOut + qOut * d + (qkvBias ? qOut + 2 * kvOut : 0) + (attnBias ? d : 0));
    const embedding = vocab * d, norms = (2 * layers + 1) * d, head = tied ? 0 : vocab * d;
    const dense = moe ? 0 : layers * mlp(ff);
    const routed = (n) => (moe ? layers * n * mlp(ff) + layers * d * experts : 0);
    const total = embedding + attention + norms + dense + routed(experts) + head;
    const active = embedding + attention + norms + dense + routed(perTok) + head;
    return {
      name: String(cfg._name_or_path || type),
      model_type: type,
      n_params: total,
      n_active_params: active,
      matmul_params: active - embedding + (tied ? vocab * d : 0),
      attention_flops_per_position: layers * h * (2 * hd + 2 * hd),
      kv_elements_per_token: 2 * layers * kvh * hd,
      kv_split_heads: kvh,
      sliding_window: window,
      max_context: ctx,
      // routed experts' weights (not their router), as roofline.routed_expert_params counts them
      routed_expert_params: moe ? layers * experts * mlp(ff) : 0,
      n_experts: experts,
      n_experts_per_tok: perTok,
    };
  }

  const bytesOf = (dtype) => {
    const b = DATA.dtype_bytes[dtype];
    if (b === undefined) throw new Error(`unknown dtype ${dtype}; allowed: ${Object.keys(DATA.dtype_bytes).join(", ")}`);
    return b;
  };
  const exactBytes = (count, dtype) => Math.ceil(count * bytesOf(dtype));
  // Tokens a layer holds, averaged over layers (ModelSpec.cached_tokens): a windowed layer holds
  // at most its window, a full layer the whole context.
  const cached = (m, ctx) => {
    if (m.layer_windows) {
      const held = m.layer_windows.reduce((s, w) => s + (w === null ? ctx : Math.min(ctx, w)), 0);
      return held / m.layer_windows.length;
    }
    return m.sliding_window === null ? ctx : Math.min(ctx, m.sliding_window);
  };

  // inputs: {model (catalog key) | config (object), hardware, n_gpus, weight_dtype, kv_dtype,
  //          compute_dtype, context, batch, rent_usd_per_gpu_hour (optional)}
  function compute(inputs) {
    const m = inputs.config ? modelFromConfig(inputs.config) : DATA.models[inputs.model];
    if (!m) throw new Error(`unknown model ${inputs.model}`);
    const hw = DATA.hardware[inputs.hardware];
    if (!hw) throw new Error(`unknown chip ${inputs.hardware}`);
    const g = Number(inputs.n_gpus), ctx = Number(inputs.context), B = Number(inputs.batch);
    for (const [name, v] of [["GPUs", g], ["context", ctx], ["batch", B]]) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number >= 1, got ${v}`);
    }
    if (m.max_context !== null && m.max_context !== undefined && ctx > m.max_context) throw new Error(`context ${ctx} exceeds the model's window of ${m.max_context} tokens`);
    const F = hw.peak_flops[inputs.compute_dtype];
    if (F === undefined) throw new Error(`${hw.name} has no ${inputs.compute_dtype} rate; it has ${Object.keys(hw.peak_flops).join(", ")}`);
    const W = hw.mem_bandwidth, M = hw.mem_bytes;
    const P = exactBytes(m.n_params, inputs.weight_dtype);
    const k = exactBytes(m.kv_elements_per_token, inputs.kv_dtype);
    const N = m.matmul_params, a = m.attention_flops_per_position;
    // Tensor parallelism over more GPUs than KV heads keeps a copy of each sequence's KV on every
    // GPU of the group (serving.Setup.kv_replication): held and read that many times.
    const rep = Math.max(1, g / m.kv_split_heads);
    const kg = k * rep;
    const out = {
      model: m.name,
      weight_bytes: P,
      kv_bytes_per_token: k,
      kv_bytes_per_sequence: LAWS.kvBytes({ k, L: cached(m, ctx) }),
      critical_batch: LAWS.criticalBatch({ F, W, b_w: bytesOf(inputs.weight_dtype) }),
      instances: null, instances_per_gpu: null, tpot_s: null, tokens_per_s: null,
      usd_per_mtok: null, j_per_token: null, problems: [],
    };
    if (P > g * M) {
      out.problems.push(`the weights (${fmt(P, "B")}) do not fit in ${g} x ${hw.name} (${fmt(g * M, "B")})`);
      return out;
    }
    const inst = Math.floor(LAWS.instancesPerGroup({ n_g: g, u: 1, M_gpu: M, P, k: kg, L: cached(m, ctx) }));
    if (inst < 1) {
      out.problems.push("after the weights there is no room for one sequence's KV cache");
      return out;
    }
    out.instances = inst;
    out.instances_per_gpu = inst / g;
    if (P >= g * M) { out.problems.push("the weights fill the memory"); return out; }
    if (B > inst) {
      out.problems.push(`batch ${B} does not fit at ${ctx} tokens: at most ${inst}`);
      return out;
    }
    // A mixture of experts reads only the experts its B tokens touch (roofline.step_weight_bytes).
    let P_read = P;
    if (m.routed_expert_params) {
      const P_e = exactBytes(m.routed_expert_params, inputs.weight_dtype);
      P_read = LAWS.moeWeightBytes({ P_s: P - P_e, P_e, N_E: m.n_experts, k_E: m.n_experts_per_tok, B });
    }
    out.tpot_s = LAWS.decodeStepTime({ n_g: g, F, W, N, P: P_read, k: kg, a, B, L: cached(m, ctx - 1) });
    out.tokens_per_s = B / out.tpot_s;
    const rent = inputs.rent_usd_per_gpu_hour;
    if (rent !== undefined && rent !== null && rent !== "" && Number(rent) > 0) {
      out.usd_per_mtok = 1e6 * LAWS.usdPerOutputToken({ c: (Number(rent) * g) / 3600, t: out.tpot_s, B });
    }
    if (hw.tdp_w) {
      out.j_per_token = LAWS.joulesPerToken({ N, P: P_read, k, a, B, L: cached(m, ctx), F, W, P_board: hw.tdp_w });
    }
    return out;
  }

  const PREFIX = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""]];
  function sig(v, digits = 3) {
    if (v === 0) return "0";
    const e = Math.floor(Math.log10(Math.abs(v)));
    if (e >= digits) return Math.round(v).toLocaleString("en-US");
    return String(Number(v.toPrecision(digits)));
  }
  function fmt(v, unit) {
    if (v === null || v === undefined) return "—";
    const mag = Math.abs(v);
    for (const [scale, p] of PREFIX) if (mag >= scale) return `${sig(v / scale)} ${p}${unit}`.trim();
    return `${v.toPrecision(2)} ${unit}`.trim();
  }

  function $(id) { return document.getElementById(id); }

  function readForm() {
    const source = $("calc-model").value;
    const inputs = {
      hardware: $("calc-hardware").value,
      n_gpus: Number($("calc-gpus").value),
      weight_dtype: $("calc-weight-dtype").value,
      kv_dtype: $("calc-kv-dtype").value,
      compute_dtype: $("calc-compute-dtype").value,
      context: Number($("calc-context").value),
      batch: Number($("calc-batch").value),
      rent_usd_per_gpu_hour: $("calc-rent").value,
    };
    if (source === "__config__") inputs.config = JSON.parse($("calc-config").value);
    else inputs.model = source;
    return inputs;
  }

  function fillRent() {
    const rows = DATA.rent_usd_per_gpu_hour[$("calc-hardware").value] || [];
    const note = $("calc-rent-note");
    if (rows.length) {
      $("calc-rent").value = rows[0].usd_per_gpu_hour;
      note.textContent = `catalog: ${rows.map((r) => `$${r.usd_per_gpu_hour}/h (${r.provider}, ${r.date})`).join("; ")}; the cheapest is filled in`;
    } else {
      $("calc-rent").value = "";
      note.textContent = "no rent for this chip in the catalog: type one to see $/M tokens";
    }
  }

  function fillDtypes() {
    const hw = DATA.hardware[$("calc-hardware").value];
    const sel = $("calc-compute-dtype"), keep = sel.value;
    sel.innerHTML = "";
    for (const d of Object.keys(hw.peak_flops)) sel.add(new Option(d, d));
    sel.value = Object.keys(hw.peak_flops).includes(keep) ? keep : (hw.peak_flops.bf16 ? "bf16" : Object.keys(hw.peak_flops)[0]);
  }

  function show() {
    const rows = $("calc-results"), err = $("calc-error");
    err.textContent = "";
    let r;
    try {
      r = compute(readForm());
    } catch (e) {
      err.textContent = e.message;
      rows.querySelectorAll("td.value").forEach((td) => { td.textContent = "—"; });
      return;
    }
    const cells = {
      weight_bytes: fmt(r.weight_bytes, "B"),
      kv_bytes_per_sequence: fmt(r.kv_bytes_per_sequence, "B"),
      instances: r.instances === null ? "—" : `${r.instances.toLocaleString("en-US")} (${sig(r.instances_per_gpu)} per GPU)`,
      critical_batch: sig(r.critical_batch),
      tpot_s: r.tpot_s === null ? "—" : fmt(r.tpot_s, "s"),
      tokens_per_s: r.tokens_per_s === null ? "—" : `${sig(r.tokens_per_s)} tokens/s`,
      usd_per_mtok: r.usd_per_mtok === null ? "—" : `$${sig(r.usd_per_mtok)}`,
      j_per_token: r.j_per_token === null ? "—" : fmt(r.j_per_token, "J"),
    };
    for (const [key, text] of Object.entries(cells)) {
      const td = rows.querySelector(`td[data-key="${key}"]`);
      if (td) td.textContent = text;
    }
    err.textContent = r.problems.join("; ");
  }

  function init() {
    if (!$("calc-model")) return;
    const model = $("calc-model"), hw = $("calc-hardware");
    for (const [key, m] of Object.entries(DATA.models)) model.add(new Option(m.name, key));
    model.add(new Option("Paste a config.json…", "__config__"));
    for (const [key, h] of Object.entries(DATA.hardware)) hw.add(new Option(h.name, key));
    for (const sel of [$("calc-weight-dtype"), $("calc-kv-dtype")]) {
      for (const d of Object.keys(DATA.dtype_bytes)) if (d !== "tf32") sel.add(new Option(d, d));
      sel.value = "bf16";
    }
    model.value = DATA.models["llama-3-70b"] ? "llama-3-70b" : Object.keys(DATA.models)[0];
    hw.value = DATA.hardware.h200 ? "h200" : Object.keys(DATA.hardware)[0];
    fillDtypes();
    fillRent();
    model.addEventListener("change", () => {
      $("calc-config-box").hidden = model.value !== "__config__";
      show();
    });
    hw.addEventListener("change", () => { fillDtypes(); fillRent(); show(); });
    document.querySelectorAll("#calculator input, #calculator select, #calculator textarea")
      .forEach((el) => el.addEventListener("input", show));
    show();
  }

  window.bookCalculator = { compute, modelFromConfig, show, fmt };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
