#!/usr/bin/env bash
# The GPU check for the PyTorch trainer, as one prepared script for a CUDA host (Python with torch, onnx and
# onnxruntime; no Node needed). Run from anywhere in a checkout:
#
#   bash model/gpu/run_gpu_check.sh [DATASET_DIR]
#
# DATASET_DIR is a directory from the TypeScript exporter (model/dataset.ts exportDataset). Without one, a
# synthetic dataset of SYNTH_N samples is generated (model/gpu/synthetic_dataset.py; its figures are synthetic).
# It prints the machine, trains on CUDA (per-epoch loss and seconds), checks the ONNX file with onnx.checker,
# runs it in onnxruntime on the hold-out against torch (max diff; train.py fails above 1e-4), and leaves the
# registry version, the log and a JSON summary under $OUT (default: a new temporary directory).
#
# Environment: OUT, DEVICE (cuda), EPOCHS (10), BATCH (1024), UNITS (64), LAYERS (1), LR (0.003,0.001),
# LR_FINAL (0.1), LOSS (pinball), HUBER_DELTA (0.5), TARGET (ridge), SYNTH_N (100000), HORIZON (36, synthetic only),
# PYTHON (python3). Loss, target and learning-rate schedule are train.py's (and the tfjs trainer's) defaults; the
# larger batch and LSTM are sized for the GPU timing.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${OUT:-$(mktemp -d -t sda-gpu-check.XXXXXX)}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
EPOCHS=${EPOCHS:-10}
BATCH=${BATCH:-1024}
UNITS=${UNITS:-64}
LAYERS=${LAYERS:-1}
LR=${LR:-0.003,0.001}
LR_FINAL=${LR_FINAL:-0.1}
LOSS=${LOSS:-pinball}
HUBER_DELTA=${HUBER_DELTA:-0.5}
TARGET=${TARGET:-ridge}
SYNTH_N=${SYNTH_N:-100000}
HORIZON=${HORIZON:-36}
mkdir -p "$OUT"
LOG="$OUT/gpu-check.log"
: >"$LOG"
say() { echo "$*" | tee -a "$LOG"; }

say "== machine"
{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not found"; } 2>&1 | tee -a "$LOG"
"$PYTHON" - <<'EOF' 2>&1 | tee -a "$LOG"
import platform, torch
print(f"python {platform.python_version()}, torch {torch.__version__}, cuda available {torch.cuda.is_available()}, "
      f"cuda {torch.version.cuda}, cudnn {torch.backends.cudnn.version() if torch.cuda.is_available() else None}")
for name in ("onnx", "onnxruntime", "numpy"):
    try:
        m = __import__(name)
        print(f"{name} {m.__version__}")
    except Exception as e:  # the check needs onnxruntime; onnx only for the checker
        print(f"{name}: not importable ({e})")
EOF

DATASET=${1:-}
if [ -z "$DATASET" ]; then
  DATASET=$(mktemp -d -t sda-synthetic-dataset.XXXXXX)
  trap 'rm -rf "$DATASET"' EXIT
  say "== synthetic dataset: $SYNTH_N samples, horizon $HORIZON, in $DATASET"
  "$PYTHON" model/gpu/synthetic_dataset.py --out "$DATASET" --n "$SYNTH_N" --horizon "$HORIZON" 2>&1 | tee -a "$LOG"
else
  say "== dataset $DATASET"
fi

say "== train ($DEVICE, $EPOCHS epochs, batch $BATCH, LSTM $LAYERS x $UNITS, target $TARGET, loss $LOSS, lr $LR x $LR_FINAL at the end)"
set +e
"$PYTHON" model/gpu/train.py --dataset "$DATASET" --registry "$OUT/model_registry" --device "$DEVICE" \
  --epochs "$EPOCHS" --batch-size "$BATCH" --units "$UNITS" --layers "$LAYERS" --lr "$LR" --lr-final "$LR_FINAL" \
  --loss "$LOSS" --huber-delta "$HUBER_DELTA" --target "$TARGET" \
  --verify-onnx --promote --summary "$OUT/summary.json" 2>&1 | tee -a "$LOG"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  say "== FAILED: train.py exited $rc"
  exit "$rc"
fi

say "== onnx checker"
"$PYTHON" - "$OUT/model_registry" <<'EOF' 2>&1 | tee -a "$LOG"
import json, os, statistics, sys
root = sys.argv[1]
version = open(os.path.join(root, "current")).read().strip()
path = os.path.join(root, version, "model.onnx")
try:
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print(f"{path}: ir_version {m.ir_version}, opsets {[(o.domain, o.version) for o in m.opset_import]}, "
          f"ops {[n.op_type for n in m.graph.node]}: checker OK")
except ImportError:
    print("onnx not importable: checker skipped")
meta = json.load(open(os.path.join(root, version, "metadata.json")))
t = meta["training"]
secs = t["epochSeconds"]
print(f"version {version}, backend {meta['backend']}, device {t['device']}, loss {t['loss']}, target {t['target'].split(':')[0]}")
print(f"epoch seconds: first {secs[0]:.3f}, median of the rest {statistics.median(secs[1:] or secs):.3f}")
print("metrics: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in meta["metrics"].items()))
print("onnx verification: " + json.dumps(t.get("onnxVerification")))
EOF
say "== OK: registry version under $OUT/model_registry"
