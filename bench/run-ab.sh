#!/usr/bin/env bash
# Times the working tree's kernels (package dev.cogvideox.tensor) against those of a git revision, alternated in one JVM (see AlternatedAB):
#   bench/run-ab.sh REV ROUNDS WORKLOAD ARGS...
#   bench/run-ab.sh HEAD 12 attention 2 17776        # uncommitted changes against the last commit
#   bench/run-ab.sh HEAD 12 conv 2 128 128 120 180 3
#   bench/run-ab.sh HEAD 12 gemm 2 17776 1920 1920 bf16
#   bench/run-ab.sh HEAD 12 gemm 2 17776 1920 1920 q8_0   # a quantized weight (int8, q8_0, q4_0, q4_1)
#   PROPS_OLD=group=4 PROPS_NEW=group=8 bench/run-ab.sh - 12 attention 2 17776   # REV "-": one build, two settings
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
rev=$1
shift
./mvnw25 -q -B -ntp -pl core,bench -am package -DskipTests
old=core/target/classes
if [ "$rev" != "-" ]; then
    old=$root/bench/target/ab-old
    tree=$(mktemp -d)
    git worktree add -q --detach "$tree" "$rev"
    rm -rf "$old" && mkdir -p "$old"
    # The revision's kernels only, in front of the working tree's other classes (with a revision from before the Kernels
    # interface, the working tree's Kernels and JavaKernels call the revision's static kernels).
    javac -nowarn -d "$old" --add-modules jdk.incubator.vector -cp core/target/classes \
        "$tree"/core/src/main/java/dev/cogvideox/tensor/*.java
    git worktree remove --force "$tree"
    old=$old:core/target/classes
fi
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g -cp bench/target/classes \
    dev.cogvideox.bench.ab.AlternatedAB "$old" core/target/classes "$@"
