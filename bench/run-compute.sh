#!/usr/bin/env bash
# Builds core, onednn and bench, then runs ComputeBench: the linear layers' product on the Java fp32 kernels against
# oneDNN's bf16 product (--compute bf16) at the real layer shapes, alternated round by round.
#   bench/run-compute.sh [M] [ROUNDS] [THREADS]      e.g. bench/run-compute.sh 4096 3 1
# THREADS (default: all cores) sets both the Java kernels' and oneDNN's thread count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
./mvnw25 -q -B -ntp -pl core,onednn,bench -am package dependency:build-classpath -Dmdep.outputFile=target/cp.txt -DskipTests
threads=()
if [ -n "${3:-}" ]; then threads=(-XX:ActiveProcessorCount="$3"); fi
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx12g "${threads[@]}" \
    -cp "bench/target/classes:$(cat bench/target/cp.txt)" dev.cogvideox.bench.ComputeBench "${1:-4096}" "${2:-3}"
