#!/usr/bin/env bash
# The benchmark suite in one run, every figure next to what it is compared with, measured in the same minutes:
#   1. the fp32 FMA peak of the machine (../shared/bench/fma_peak.c)
#   2. the kernels (GEMM, attention) as GFLOP/s and fraction of that peak (bench/run-kernels.sh), and the bare tile
#   3. one transformer block of the 2b and the 5b, full size and 1/4 of the tokens, ours and the PyTorch peer
#      (../shared/bench/peer_block.py, fp32 and bf16), with the peak resident memory of each process
#   4. how the 2b block time grows with the token count (4 sizes)
#   5. the FMA peak again, and 6. the VAE convolution and full-size decode (bench/run-vae.sh) when --vae is given
# Usage: bench/run-suite.sh [--quick] [--vae]   (--quick: 1/4-size blocks only, one repetition)
# Takes about 45 minutes on a 2-core Zen 4; --vae adds over an hour (the full-size decode, tiled then untiled).
# Needs gcc, Debian's python3-torch and libopenblas0-pthread for the peer (apt-get install -y python3-torch libopenblas0-pthread).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
quick=0; vae=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --vae) vae=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
out="$root/bench/target/suite"
mkdir -p "$out"
./mvnw25 -q -B -ntp -DskipTests package
gcc -O2 -mavx512f -pthread "$root/../shared/bench/fma_peak.c" -o "$out/fma_peak"
reps=$([ $quick = 1 ] && echo 1 || echo 3)

# Runs a command, prints its JSON line with the process's peak resident memory (GiB) added.
measure() {
  local json
  json=$(/usr/bin/time -f "%M" -o "$out/rss" "$@" 2>/dev/null | grep '^{' | tail -1)
  printf '%s "peak_rss_gib": %.2f}\n' "${json%\}}," "$(awk '{print $1 / 1048576}' "$out/rss")"
}
java_block() {
  measure java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseG1GC -Xmx12g \
    -jar cli/target/cogvideox.jar --threads 2 bench block --repeat "$reps" "$@"
}
# Debian's OpenBLAS 0.3.21 takes a Zen 5 for a Haswell (AVX2 kernels: 168 GFLOP/s on a 4096^2 SGEMM with two
# threads, against 287 with its AVX-512 SkylakeX kernels, 2026-12-04): give the peer the faster ones.
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"
fi
peer_block() {
  measure /usr/bin/python3 "$root/../shared/bench/peer_block.py" --threads 2 --repeat "$reps" "$@"
}

echo "== 1. FMA peak"
"$out/fma_peak"
echo "== 2. kernels"
bench/run-kernels.sh --reps "$reps"
echo "== 2b. the bare 6x64 tile, operands placed as each kernel places them"
java --add-modules jdk.incubator.vector -cp core/target/classes:bench/target/classes \
  dev.cogvideox.tensor.TileKernelBenchmark "$root/../shared/bench/fma_peak.c" 1,2
echo "== 3. one block (JSON: ours, then the PyTorch peer, same shape)"
sizes=("--frames 4")                                   # 1/4 of the 2b tokens (13 latent frames -> 4)
[ $quick = 1 ] || sizes+=("--frames 13")
for model in "--dim 1920 --heads 30" "--dim 3072 --heads 48"; do
  for size in "${sizes[@]}"; do
    for dtype in fp32 bf16; do
      # shellcheck disable=SC2086
      java_block $model $size --dtype $dtype
      # shellcheck disable=SC2086
      peer_block $model $size --dtype $dtype
    done
  done
done
echo "== 4. 2b block time against the token count"
for f in 1 2 4 8; do
  java_block --frames $f
done
echo "== 5. FMA peak again (the machine's state at the end)"
"$out/fma_peak"
if [ $vae = 1 ]; then
  echo "== 6. VAE: convolution kernel and full-size decode"
  bench/run-vae.sh
fi
