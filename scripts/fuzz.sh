#!/usr/bin/env bash
# Fuzzes Unroll's readers of untrusted files with libFuzzer (and AddressSanitizer): the .npy reader, the .npz
# reader, the experiment loader, the .onnx model-file reader, the restricted unpickler of .pt files and the
# .safetensors reader (targets in fuzz/). Each target runs for a
# bounded time, one after another, at the lowest CPU priority (FUZZ_NICE sets another). A crash, hang or out-of-memory input is kept in fuzz/crashes/<target>/; the test
# FuzzRegressionTests replays every kept input, so fix the bug and commit the input with the fix. Seeds are in
# fuzz/corpus/<target>/ (the samples' and conformance cases' files), token dictionaries in fuzz/<target>.dict; the
# corpus grown while fuzzing stays in $FUZZ_WORK (default /tmp/unroll-fuzz), out of the repository.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 300 s each, all six targets)
#
# After the main package gains or loses source files, delete fuzz/.build once: SwiftPM may keep a stale view of
# the path dependency and fail with "cannot find ... in scope".
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-300}
shift || true
targets=("$@")

[ ${#targets[@]} -eq 0 ] && targets=(FuzzNpy FuzzNpz FuzzExperiment FuzzOnnx FuzzKeras FuzzPickle FuzzSafetensors)
work=${FUZZ_WORK:-/tmp/unroll-fuzz}

swift build --package-path fuzz -c release -Xswiftc -sanitize=fuzzer,address

# As .ci/run's AddressSanitizer pass: an absurd allocation returns NULL as in a plain build, and libhdf5's own
# leaks on error paths are suppressed (.ci/lsan-suppressions.txt says why). libFuzzer's 1 GB malloc limit still
# reports libhdf5's absurd requests (it allocates what a corrupt file's size fields claim before Unroll sees them):
# replay such an input with the plain build (`unroll shapes`), and keep it in Tests/ExperimentTests/Fixtures/keras-fuzz
# when it is refused in one line there.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1}" LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/.ci/lsan-suppressions.txt:print_suppressions=0}"

for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  crashes="fuzz/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  log="$work/$target.log"
  : > "$log"
  start=$(date +%s)
  runs=0
  # libFuzzer stops at the first crash: start it again (keeping the corpus) until the time is used up.
  while true; do
    left=$(( seconds - ($(date +%s) - start) ))
    [ "$left" -le 0 ] && break
    set +e
    nice -n "${FUZZ_NICE:-19}" "fuzz/.build/release/$target" "$corpus" "fuzz/corpus/$target" -dict="fuzz/$target.dict" \
      -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
      -artifact_prefix="$crashes/" -print_final_stats=1 >"$log.run" 2>&1
    status=$?
    set -e
    cat "$log.run" >>"$log"
    units=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log.run" | tail -1 | grep -oE "[0-9]+$" || true)
    runs=$(( runs + ${units:-0} ))
    [ "$status" -eq 0 ] && break
    echo "$target: libFuzzer stopped with status $status; input kept in $crashes/ (see $log)"
    sleep 1
  done
  kept=$(find "$crashes" -type f ! -name .gitkeep | wc -l)
  echo "$target: $(( $(date +%s) - start )) s, $runs executions, $kept kept crash input(s) in $crashes/"
done
