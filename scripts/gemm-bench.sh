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
$cc ${CFLAGS_EXTRA:-} -O3 -g -fno-math-errno -ffp-contract=off -std=gnu11 -Wall -Wextra -Wno-unused-parameter -I"$src/include" -I"$src" \
    "$root/scripts/gemm_bench.c" "$src"/*.c -o "$out" -lpthread -lm

if [[ "${1:-}" == "" ]]; then
    # Nominal peak: the clock /proc/cpuinfo reports (a VM usually shows the nominal clock; turbo runs
    # higher) times the float32 FLOP a core retires per cycle: 32 with two 256-bit FMA pipes (AVX2 on
    # Intel and on AMD since Zen 2; AVX-512 double-pumped on Zen 4), 16 on Zen 1 (AMD family 23, models
    # below 0x30), which splits every 256-bit FMA into two 128-bit halves. The measured line below is
    # the figure to trust.
    mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo | tr -d ' ')
    vendor=$(awk -F: '/^vendor_id/ {print $2; exit}' /proc/cpuinfo | tr -d ' ')
    family=$(awk -F: '/^cpu family/ {print $2; exit}' /proc/cpuinfo | tr -d ' ')
    model=$(awk -F: '/^model\t/ || /^model[[:space:]]*:/ {print $2; exit}' /proc/cpuinfo | tr -d ' ')
    per_cycle=32
    if [[ "$vendor" == AuthenticAMD && "$family" == 23 && "${model:-99}" -lt 48 ]]; then per_cycle=16; fi
    cores=$(nproc)
    awk -v mhz="$mhz" -v cores="$cores" -v pc="$per_cycle" 'BEGIN {
        ghz = mhz / 1000
        printf "nominal peak: %d cores x %.2f GHz (/proc/cpuinfo) x %d float32 FLOP/cycle = %.0f GFLOP/s float32 (%.0f per core), float64 half that; boost clocks run higher, see the measured line\n",
            cores, ghz, pc, cores * ghz * pc, ghz * pc }'
fi
if [[ "${VALGRIND:-0}" == "1" ]]; then
    exec valgrind --error-exitcode=9 --leak-check=no "$out" "$@"
fi
exec "$out" "$@"
