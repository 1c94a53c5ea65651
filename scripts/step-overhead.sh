#!/usr/bin/env bash
# Per-step overhead at tiny sizes: `unroll bench --max-time 1000 --num-units 4 --batch-size 1 --input-depth 4`
# for each cell kind on the fused path and on the step-by-step path (UnrolledLoop.step per time step), and
# TensorFlow's per-step time for the same configuration when it is available. Prints microseconds per step.
#
# Environment: UNROLL (default .build/release/unroll, built when missing), TF_PYTHON, TF_BENCH as in
# bench-vs-tf.sh; NO_TF=1 skips TensorFlow.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
unroll="${UNROLL:-$root/.build/release/unroll}"
tf_python="${TF_PYTHON:-/work/venv-tf/bin/python}"
tf_bench="${TF_BENCH:-$root/../shared/tools/tf_bench.py}"
if [[ ! -x "$unroll" ]]; then
    swift build -c release >&2 || { echo "build failed" >&2; exit 0; }
fi
have_tf=1
[[ "${NO_TF:-0}" == 1 || ! -x "$tf_python" || ! -f "$tf_bench" ]] && have_tf=0
flags="--num-units 4 --layers 1 --batch-size 1 --max-time 1000 --input-depth 4"
us() { python3 -c 'import json,sys
for line in sys.stdin:
    if line.strip().startswith("{"):
        print("%8.2f" % (json.loads(line)["seconds"] / 1000 * 1e6)); break
else:
    print("     n/a")'; }
echo "per-step time, $flags (microseconds per step)"
echo "| cell      | fused | step path | TF |"
echo "|-----------|-------|-----------|----|"
for cell in basic_rnn lstm gru; do
    # shellcheck disable=SC2086
    f=$("$unroll" bench --cell $cell $flags --repeats 20 --json | us)
    # shellcheck disable=SC2086
    s=$("$unroll" bench --cell $cell $flags --repeats 20 --json --step-path | us)
    t="     n/a"
    if [[ $have_tf == 1 ]]; then
        # shellcheck disable=SC2086
        t=$(TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 "$tf_python" "$tf_bench" --cell $cell $flags --repeats 5 2>/dev/null | us)
    fi
    echo "| $(printf '%-9s' $cell) | $f | $s | $t |"
done
exit 0
