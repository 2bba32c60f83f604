#!/usr/bin/env bash
# Capture real nvidia-smi outputs on a GPU host, in the shapes Gantry reads, so the parsers
# can be tested against them (test/fixtures/gpu/<prefix>-*). Field engineers can run it on a
# customer's host too: it only reads. Usage: scripts/capture-nvidia-smi.sh OUTDIR PREFIX [--load]
# --load runs a short PyTorch matmul loop first (if python3 has torch) so utilization, power,
# clocks and --query-compute-apps have something real to show.
set -u
out=${1:?OUTDIR}; prefix=${2:?PREFIX}; load=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
smi=${NVIDIA_SMI:-nvidia-smi}
"$smi" --version >"$out/$prefix-version.txt" 2>&1
"$smi" --help-query-gpu >"$out/$prefix-help-query-gpu.txt" 2>&1
"$smi" -q -x >"$out/$prefix-idle-q.xml" 2>&1
# The field list Gantry would ask this driver for: the first name of each logical field in
# src/main/core/telemetry/gpu/fields.ts that this driver's --help-query-gpu knows.
fields=$(python3 - "$here/src/main/core/telemetry/gpu/fields.ts" "$out/$prefix-help-query-gpu.txt" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
block = src.split('LOGICAL_FIELDS = [', 1)[1].split('] as const', 1)[0]
valid = set(re.findall(r'"([A-Za-z0-9_.]+)"', '\n'.join(l for l in open(sys.argv[2]) if l.startswith('"'))))
picked = []
for m in re.finditer(r"\['([^']+)', \[([^\]]*)\]\]", block):
    names = re.findall(r"'([^']+)'", m.group(2))
    name = next((n for n in names if n in valid), None)
    if name: picked.append(name)
print(','.join(picked))
PY
)
echo "$fields" >"$out/$prefix-query-fields.txt"
pid=
if [ "$load" = "--load" ] && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  python3 - <<'PY' &
import time, torch
a = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16); b = torch.randn_like(a)
end = time.time() + 25
while time.time() < end:
    for _ in range(20): c = a @ b
    torch.cuda.synchronize()
PY
  pid=$!
  sleep 8
fi
"$smi" --query-gpu="$fields" --format=csv >"$out/$prefix-query-gpu.csv" 2>&1
"$smi" --query-gpu="$fields" --format=csv,noheader,nounits >"$out/$prefix-query-gpu-noheader.csv" 2>&1
timeout 4 "$smi" --query-gpu="$fields" --format=csv,noheader,nounits -lms 500 >"$out/$prefix-stream.csv" 2>&1
"$smi" --query-compute-apps=gpu_uuid,pid,process_name,used_gpu_memory --format=csv >"$out/$prefix-compute-apps.csv" 2>&1
"$smi" --query-compute-apps=gpu_uuid,pid,process_name,used_gpu_memory --format=csv,noheader,nounits >"$out/$prefix-compute-apps-noheader.csv" 2>&1
"$smi" -q -x >"$out/$prefix-load-q.xml" 2>&1
"$smi" -q >"$out/$prefix-load-q.txt" 2>&1
(dmesg 2>/dev/null | grep -i 'NVRM' | tail -50) >"$out/$prefix-dmesg-nvrm.txt" || true
[ -n "$pid" ] && wait "$pid"
ls -la "$out"
