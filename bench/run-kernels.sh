#!/usr/bin/env bash
# Builds core and bench, then runs the kernel benchmark (GEMM and attention on CogVideoX-2b shapes) against the
# machine's fp32 FMA peak measured in the same run. Extra arguments go to KernelBench, e.g.
#   bench/run-kernels.sh --reps 5 --tokens 17776 --small 4096 --only gemm --threads 2
# Needs gcc (for ../shared/bench/fma_peak.c) and about 3 GB of heap at the full 17776-token size.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
./mvnw25 -q -B -ntp -pl core,bench -am package -DskipTests
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g \
    -cp core/target/classes:bench/target/classes dev.cogvideox.bench.KernelBench \
    --peak-src "$root/../shared/bench/fma_peak.c" --out "$root/bench/target" "$@"
