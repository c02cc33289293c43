#!/usr/bin/env bash
# `make gpu-check OUT=dir`: everything that needs an NVIDIA GPU, in one run of under 8 minutes.
# Needs CuPy (and, for the energy suite, nvidia-ml-py) already installed; installs nothing and
# uses no network. Writes into OUT: nvidia-smi.txt, pytest-gpu.log and one JSON per suite
# (<suite>-cupy-<device>.json). To store a run as the book's GPU reference, copy the JSONs into
# analysis/data/measurements/ and re-execute the chapters (make notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-${OUT:-}}"
OUT="${OUT:-_build/gpu-check}"
mkdir -p "$OUT"

PY="${PYTHON:-python3}"
if [ -x .venv/bin/python ] && .venv/bin/python -c "import cupy" 2>/dev/null; then PY=.venv/bin/python; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

"$PY" - <<'PYEOF'
import sys
try:
    import cupy
except ImportError:
    sys.exit("gpu-check: CuPy is not installed (pip install -r requirements-gpu.txt)")
if not cupy.cuda.is_available():
    sys.exit("gpu-check: no usable CUDA GPU (cupy.cuda.is_available() is False)")
print("gpu-check: CuPy", cupy.__version__, "on", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
PYEOF
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi unavailable" > "$OUT/nvidia-smi.txt"

status=0
echo "== GPU tests (pytest -m gpu)"
timeout 90 "$PY" -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 | tee "$OUT/pytest-gpu.log" || status=1

# Each suite has its own time limit so that one slow suite cannot eat the others' time; with the
# tests' 90 s the limits add up to 475 s, inside the 8-minute budget.
for spec in roofline:150 sharing:90 energy:70 decode:75; do
  suite="${spec%%:*}"; limit="${spec##*:}"
  echo "== suite $suite (limit ${limit}s)"
  if [ -n "$("$PY" -m analysis.measure --help | grep -o "\b$suite\b" | head -1)" ]; then
    timeout "$limit" "$PY" -m analysis.measure --suite "$suite" --backend cupy --no-progress \
      --overwrite --out "$OUT" || status=1
  else
    echo "suite $suite is not registered in this checkout; skipped"
  fi
done
ls -l "$OUT"
exit $status
