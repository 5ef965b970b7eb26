#!/usr/bin/env bash
# The VAE's benchmarks:
#   1. the 3D convolution at the real decoder's shapes as a fraction of the FMA peak (Conv3dBenchmark, 2 threads)
#   2. the decode of a full-size latent ([1, 16, 13, 60, 90] -> 49 frames of 720x480) with the real 2b VAE config and
#      random weights, tiled and untiled, each in its own JVM, with its peak resident memory (VaeDecodeBenchmark)
# Usage: [COMPUTE=bf16] bench/run-vae.sh [latent frames=13] [modes=tiled,untiled]   (COMPUTE=bf16: the decode's
# convolutions on oneDNN's bf16 kernels, as generate --compute bf16)
# On 2 cores the untiled 13-frame decode (313 TFLOP, about 12 GiB) takes the best part of an hour, the tiled one
# (451 TFLOP, under 4 GiB) longer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
./mvnw25 -q -B -ntp -pl cli,bench -am package -DskipTests
run() {
  java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseG1GC -Xmx6g \
    -cp cli/target/cogvideox.jar:bench/target/cogvideox-bench-0.1.0-SNAPSHOT.jar "$@"
}
echo "== convolution"
run dev.cogvideox.bench.vae.Conv3dBenchmark "$root/../shared/bench/fma_peak.c" 3 2
echo "== decode"
run dev.cogvideox.bench.vae.VaeDecodeBenchmark "${1:-13}" "${2:-tiled,untiled}"
