#!/usr/bin/env bash
# Builds scripts/gemm_bench.c against the CRNNKernels sources with gcc -O3 and prints GFLOP/s for
# the engine's typical shapes with 1 and 2 threads, plus an estimate of the machine's peak.
#
#   scripts/gemm-bench.sh            benchmark (UNROLL_KERNEL=portable|avx2|avx512 to force a path)
#   scripts/gemm-bench.sh check      correctness sweep of every path (add VALGRIND=1 to run it under memcheck)
#   scripts/gemm-bench.sh shape M K N [packed|unpacked] [threads] [float|double]
#   scripts/gemm-bench.sh step UNITS BATCH DEPTH   where the time of one LSTM step goes
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/Sources/CRNNKernels"
out="${TMPDIR:-/tmp}/unroll-gemm-bench"
cc="${CC:-gcc}"
$cc ${CFLAGS_EXTRA:-} -O3 -g -fno-math-errno -std=gnu11 -Wall -Wextra -Wno-unused-parameter -I"$src/include" -I"$src" \
    "$root/scripts/gemm_bench.c" "$src"/*.c -o "$out" -lpthread -lm

if [[ "${1:-}" == "" ]]; then
    # Peak estimate. Assumptions: the clock is the "cpu MHz" /proc/cpuinfo reports (a VM usually
    # shows the nominal clock; turbo may run higher), and each core retires two 256-bit FMA per
    # cycle (AVX2 or AVX-512 double-pumped, as on Zen 4): 2 x 8 lanes x 2 flops = 32 float32
    # FLOP/cycle (16 for float64).
    mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo | tr -d ' ')
    cores=$(nproc)
    awk -v mhz="$mhz" -v cores="$cores" 'BEGIN {
        ghz = mhz / 1000
        printf "nominal peak: %d cores x %.2f GHz (/proc/cpuinfo) x 32 float32 FLOP/cycle = %.0f GFLOP/s float32 (%.0f per core), float64 half that; boost clocks run higher, see the measured line\n",
            cores, ghz, cores * ghz * 32, ghz * 32 }'
fi
if [[ "${VALGRIND:-0}" == "1" ]]; then
    exec valgrind --error-exitcode=9 --leak-check=no "$out" "$@"
fi
exec "$out" "$@"
