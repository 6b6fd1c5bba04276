#!/usr/bin/env bash
# One GPU session's measurements (issue 21), in order, each step timed; every figure goes to
# $OUT/gpu_session.jsonl (one JSON object per line), all output to $OUT/gpu_session.log.
#
#   benchmarks/gpu_session.sh [--device cuda|cpu] [--dry-run] [--cifar DIR]
#
# 1. correctness: the CUDA tests (tests/test_cuda.py, marker `cuda`)
# 2. training step: resnet50 224 px, bf16 autocast + channels_last, then + torch.compile, against a
#    plain PyTorch loop (benchmarks/train_throughput.py)
# 3. the full gcl-resnet32-cifar10lt run on the device (needs --cifar DIR holding
#    cifar-10-batches-py; skipped, and said so, without it)
# 4. the file pipeline: PIL loader workers vs decode_on_device vs the resnet50 step
#    (benchmarks/data.py --pipelines photos)
# 5. predictor throughput: batch 256, fp32 / fp16 / bf16, onnxruntime providers
#    (benchmarks/predict_throughput.py)
# --dry-run runs every step with the smallest settings (a check of the script on a CPU). Nothing is
# installed: the project's own dependencies are all it uses. A failing step is recorded and the
# session goes on to the next.
set -uo pipefail
cd "$(dirname "$0")/.."

device=cuda dry=0 cifar=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --cifar) cifar="$2"; shift 2 ;;
    *) echo "gpu_session.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
log="$out/gpu_session.log" results="$out/gpu_session.jsonl"
: > "$log"; : > "$results"

step() {  # step NAME COMMAND...: runs it, appends {"step", "rc", "seconds"} to the results
  local name="$1"; shift
  local start; start=$(date +%s.%N)
  echo "== $name: $*" >> "$log"
  "$@" >> "$log" 2>&1
  local rc=$?
  python -c "import json, sys, time; print(json.dumps({'step': sys.argv[1], 'rc': int(sys.argv[2]),
    'seconds': round(time.time() - float(sys.argv[3]), 1)}))" "$name" "$rc" "$start" >> "$results"
  echo "$name: rc $rc" >&2
}

python -c "import json, torch; print(json.dumps({'step': 'environment', 'torch': torch.__version__,
  'cuda': torch.version.cuda, 'device': torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}))" \
  >> "$results"

# 1. correctness first (on a CPU the cuda tests skip; --dry-run only checks they collect)
step cuda_tests python -m pytest -q -p no:cacheprovider -o addopts="" -m cuda tests/test_cuda.py

# 2. the training step against a plain loop
if [ "$dry" = 1 ]; then train_args=(--model resnet18 --image-size 64 --batch 8 --steps 2)
else train_args=(--model resnet50 --image-size 224 --batch 256 --steps 50); fi
step train_step python benchmarks/train_throughput.py "${train_args[@]}" --device "$device" --amp --channels-last \
  --json "$results"
step train_step_compiled python benchmarks/train_throughput.py "${train_args[@]}" --device "$device" --amp \
  --channels-last --compile --json "$results"

# 3. the GCL CIFAR-10-LT run (230 epochs on the device; the CPU run's test top-1 was 83.04)
if [ -n "$cifar" ]; then
  run="$out/gcl-resnet32-cifar10lt"
  extra=(device="$device" num_workers=8)
  [ "$dry" = 1 ] && extra+=(epochs=1 max_steps_per_epoch=2)
  step gcl_cifar10lt python -m train gcl-resnet32-cifar10lt --data-dir "$cifar" --output-dir "$run" --overwrite \
    "${extra[@]}"
  python -c "import json, sys; r = json.load(open(sys.argv[1] + '/model/report.json'));
print(json.dumps({'step': 'gcl_cifar10lt_result', 'test_top1': r['test_last']['top1'],
  'test_top1_calibrated_balanced': r['test_last_calibrated_balanced']['top1'], 'cpu_run_top1': 0.8304}))" "$run" \
    >> "$results" 2>> "$log"
else
  echo '{"step": "gcl_cifar10lt", "skipped": "no --cifar DIR with cifar-10-batches-py"}' >> "$results"
fi

# 4. the file pipeline on ImageNet-sized JPEGs (cut from the bundled photos: no dataset needed):
#    PIL DataLoader workers vs decode_on_device (nvJPEG) vs the resnet50 training step (issue 20)
if [ "$dry" = 1 ]; then data_args=(--photos 64 --workers 0 --steps 1 --batch-size 8)
else data_args=(--photos 4096 --workers 0,4,8,16 --steps 30 --batch-size 256); fi
step data_pipeline python benchmarks/data.py --pipelines photos --device "$device" "${data_args[@]}"

# 5. serving throughput
if [ "$dry" = 1 ]; then predict_args=(--model resnet18 --batch 8 --steps 2)
else predict_args=(--model resnet50 --batch 256 --steps 20); fi
step predict python benchmarks/predict_throughput.py "${predict_args[@]}" --device "$device" --json "$results"

echo "results: $results; log: $log" >&2
