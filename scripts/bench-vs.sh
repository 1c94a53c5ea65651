#!/usr/bin/env bash
# Times a reference framework and `unroll bench` on the same four configurations, alternating the two
# (reference, unroll, reference, unroll, ...) so that load on the machine hits both alike, and prints the median
# milliseconds per pass of each and the ratio reference/unroll (> 1: unroll is faster), plus each side's best
# alternation (load from other processes shows up as a gap between median and best).
#
#   scripts/bench-vs.sh tf|torch             all four configurations, 3 alternations each
#   ALTERNATIONS=5 scripts/bench-vs.sh tf    more alternations
#   BACKWARD=1 scripts/bench-vs.sh torch     forward + gradients of sum(outputs) (both sides get --backward)
#
# scripts/bench-vs-tf.sh and scripts/bench-vs-torch.sh call this with their reference.
# Environment: REF_PYTHON (default /work/venv-tf/bin/python for tf, /work/venv-torch/bin/python for torch; the
# older TF_PYTHON is read for tf), REF_BENCH (default ../shared/tools/tf_bench.py or torch_bench.py next to the
# repository), UNROLL (default .build/release/unroll, built with `swift build -c release` when missing), REPEATS
# (timed passes per run; default 10, 50 for the small configuration), BACKWARD (1: time the backward pass too).
# Exits 0 even without the reference (then only unroll's numbers are printed).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ref="${1:-tf}"
case "$ref" in
    tf) label="TF"; module="tensorflow"; default_python="${TF_PYTHON:-/work/venv-tf/bin/python}"; script="tf_bench.py" ;;
    torch) label="PyTorch"; module="torch"; default_python="/work/venv-torch/bin/python"; script="torch_bench.py" ;;
    *) echo "usage: $0 tf|torch" >&2; exit 2 ;;
esac
ref_python="${REF_PYTHON:-$default_python}"
ref_bench="${REF_BENCH:-$root/../shared/tools/$script}"
unroll="${UNROLL:-$root/.build/release/unroll}"
alternations="${ALTERNATIONS:-3}"
extra=()
pass="forward pass"
if [[ "${BACKWARD:-0}" == 1 ]]; then extra=(--backward); pass="forward + backward pass"; fi
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3

if [[ ! -x "$unroll" ]]; then
    echo "building $unroll (swift build -c release) ..." >&2
    swift build -c release >&2 || { echo "build failed" >&2; exit 0; }
fi

have_ref=1
if [[ ! -x "$ref_python" || ! -f "$ref_bench" ]] || ! "$ref_python" -c "import $module" >/dev/null 2>&1; then
    have_ref=0
    echo "$label was not found (REF_PYTHON=$ref_python, REF_BENCH=$ref_bench): printing unroll's numbers only." >&2
fi

configs=(
    "teaching|--cell lstm --num-units 32 --layers 1 --batch-size 4 --max-time 50 --input-depth 16|50"
    "medium LSTM|--cell lstm --num-units 256 --layers 2 --batch-size 32 --max-time 100 --input-depth 128|10"
    "medium GRU|--cell gru --num-units 256 --layers 1 --batch-size 32 --max-time 100 --input-depth 128|10"
    "large|--cell lstm --num-units 1024 --layers 1 --batch-size 64 --max-time 50 --input-depth 512|5"
)

seconds() { python3 -c 'import json,sys
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        print(json.loads(line)["seconds"]); break'; }
stat() { python3 -c 'import statistics,sys
v = [float(x) for x in sys.argv[2:] if x]
print((statistics.median(v) if sys.argv[1] == "median" else min(v)) if v else "nan")' "$@"; }

rows=()
for entry in "${configs[@]}"; do
    IFS='|' read -r name flags reps <<<"$entry"
    reps="${REPEATS:-$reps}"
    ref_times=() un_times=()
    for ((a = 0; a < alternations; a++)); do
        r=""
        if [[ $have_ref == 1 ]]; then
            # shellcheck disable=SC2086
            r=$("$ref_python" "$ref_bench" $flags --repeats "$reps" "${extra[@]}" 2>/dev/null | seconds)
            ref_times+=("$r")
        fi
        # shellcheck disable=SC2086
        u=$("$unroll" bench $flags --repeats "$reps" "${extra[@]}" --json 2>/dev/null | seconds)
        un_times+=("$u")
        echo "  $name: alternation $((a + 1))/$alternations $ref=${r:-n/a} unroll=$u" >&2
    done
    um=$(stat median "${un_times[@]}")
    ub=$(stat best "${un_times[@]}")
    if [[ $have_ref == 1 ]]; then
        rows+=("$(python3 -c 'import sys
n, t, u, tb, ub = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print("| %-12s | %12.3f | %11.3f | %13.2fx | %12.3f | %11.3f |" % (n, t * 1e3, u * 1e3, t / u, tb * 1e3, ub * 1e3))' \
            "$name" "$(stat median "${ref_times[@]}")" "$um" "$(stat best "${ref_times[@]}")" "$ub")")
    else
        rows+=("$(python3 -c 'import sys
print("| %-12s | %12s | %11.3f | %14s | %12s | %11.3f |" % (sys.argv[1], "n/a", float(sys.argv[2]) * 1e3, "n/a", "n/a", float(sys.argv[3]) * 1e3))' "$name" "$um" "$ub")")
    fi
done

echo
echo "median seconds per $pass over $alternations alternations (float32, $("$unroll" bench --cell lstm --num-units 4 --layers 1 --batch-size 1 --max-time 1 --input-depth 1 --repeats 1 --json | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["kernel"], d["threads"], "threads")'))"
printf '| config       | %12s | unroll (ms) | %14s | %12s | unroll best |\n' "$label (ms)" "$label/unroll" "$label best"
echo "|--------------|--------------|-------------|----------------|--------------|-------------|"
for r in "${rows[@]}"; do echo "$r"; done
[[ $have_ref == 1 ]] || echo "($label not found: no $label column)"
exit 0
