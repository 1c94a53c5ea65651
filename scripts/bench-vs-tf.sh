#!/usr/bin/env bash
# Times TensorFlow's tf.compat.v1.nn.dynamic_rnn and `unroll bench` on the same four configurations,
# alternating the two (TF, unroll, TF, unroll, ...) so that load on the machine hits both alike, and
# prints the median milliseconds per forward pass of each and the ratio TF/unroll (> 1: unroll is faster),
# plus each side's best alternation (load from other processes shows up as a gap between median and best).
#
#   scripts/bench-vs-tf.sh                 all four configurations, 3 alternations each
#   ALTERNATIONS=5 scripts/bench-vs-tf.sh  more alternations
#
# Environment: TF_PYTHON (default /work/venv-tf/bin/python), TF_BENCH (default ../shared/tools/tf_bench.py
# next to the repository), UNROLL (default .build/release/unroll, built with `swift build -c release` when
# missing), REPEATS (timed passes per run; default 10, 50 for the small configuration).
# Exits 0 even without TensorFlow (then only unroll's numbers are printed).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tf_python="${TF_PYTHON:-/work/venv-tf/bin/python}"
tf_bench="${TF_BENCH:-$root/../shared/tools/tf_bench.py}"
unroll="${UNROLL:-$root/.build/release/unroll}"
alternations="${ALTERNATIONS:-3}"

if [[ ! -x "$unroll" ]]; then
    echo "building $unroll (swift build -c release) ..." >&2
    swift build -c release >&2 || { echo "build failed" >&2; exit 0; }
fi

have_tf=1
if [[ ! -x "$tf_python" || ! -f "$tf_bench" ]]; then
    have_tf=0
elif ! TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 "$tf_python" -c "import tensorflow" >/dev/null 2>&1; then
    have_tf=0
fi
if [[ $have_tf == 0 ]]; then
    echo "TensorFlow was not found (TF_PYTHON=$tf_python, TF_BENCH=$tf_bench): printing unroll's numbers only." >&2
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
median() { python3 -c 'import statistics,sys
v = [float(x) for x in sys.argv[1:] if x]
print(statistics.median(v) if v else "nan")' "$@"; }
best() { python3 -c 'import sys
v = [float(x) for x in sys.argv[1:] if x]
print(min(v) if v else "nan")' "$@"; }

rows=()
for entry in "${configs[@]}"; do
    IFS='|' read -r name flags reps <<<"$entry"
    reps="${REPEATS:-$reps}"
    tf_times=() un_times=()
    for ((a = 0; a < alternations; a++)); do
        if [[ $have_tf == 1 ]]; then
            # shellcheck disable=SC2086
            t=$(TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 "$tf_python" "$tf_bench" $flags --repeats "$reps" 2>/dev/null | seconds)
            tf_times+=("$t")
        fi
        # shellcheck disable=SC2086
        u=$("$unroll" bench $flags --repeats "$reps" --json 2>/dev/null | seconds)
        un_times+=("$u")
        echo "  $name: alternation $((a + 1))/$alternations tf=${t:-n/a} unroll=$u" >&2
    done
    um=$(median "${un_times[@]}")
    ub=$(best "${un_times[@]}")
    if [[ $have_tf == 1 ]]; then
        tm=$(median "${tf_times[@]}")
        tb=$(best "${tf_times[@]}")
        rows+=("$(python3 -c 'import sys
n, t, u, tb, ub = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print("| %-12s | %10.3f | %11.3f | %8.2fx | %10.3f | %11.3f |" % (n, t * 1e3, u * 1e3, t / u, tb * 1e3, ub * 1e3))' "$name" "$tm" "$um" "$tb" "$ub")")
    else
        rows+=("$(python3 -c 'import sys
print("| %-12s | %10s | %11.3f | %9s | %10s | %11.3f |" % (sys.argv[1], "n/a", float(sys.argv[2]) * 1e3, "n/a", "n/a", float(sys.argv[3]) * 1e3))' "$name" "$um" "$ub")")
    fi
done

echo
echo "median seconds per forward pass over $alternations alternations (float32, $("$unroll" bench --cell lstm --num-units 4 --layers 1 --batch-size 1 --max-time 1 --input-depth 1 --repeats 1 --json | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["kernel"], d["threads"], "threads")'))"
echo "| config       |    TF (ms) | unroll (ms) | TF/unroll | TF best ms | unroll best |"
echo "|--------------|------------|-------------|-----------|------------|-------------|"
for r in "${rows[@]}"; do echo "$r"; done
[[ $have_tf == 1 ]] || echo "(TensorFlow not found: no TF column)"
exit 0
