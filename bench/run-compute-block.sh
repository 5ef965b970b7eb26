#!/usr/bin/env bash
# --compute bf16 against the PyTorch peer's bf16 (issue 27): one transformer block, ours with fp32 and with bf16
# compute, then ../shared/bench/peer_block.py --dtype bf16, same shapes, same minutes. Shapes: the full-size 2b block
# and the 5b at 1/4 of the tokens (the case where the peer's bf16 was faster than our fp32).
#   bench/run-compute-block.sh [REPEAT=3]
# Needs Debian's python3-torch (apt-get install -y python3-torch libopenblas0-pthread). About 10 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
reps=${1:-3}
out="$root/bench/target/compute-block"
mkdir -p "$out"
./mvnw25 -q -B -ntp -pl cli -am package -DskipTests
measure() {  # a command's JSON line with its peak resident memory (GiB) added
  local json
  json=$(/usr/bin/time -f "%M" -o "$out/rss" "$@" 2>/dev/null | grep '^{' | tail -1)
  printf '%s "peak_rss_gib": %.2f}\n' "${json%\}}," "$(awk '{print $1 / 1048576}' "$out/rss")"
}
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"     # the peer's OpenBLAS on its AVX-512 kernels (run-suite.sh)
fi
for shape in "--dim 1920 --heads 30 --frames 13" "--dim 3072 --heads 48 --frames 4"; do
  # shellcheck disable=SC2086
  for compute in fp32 bf16; do
    measure java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseG1GC -Xmx12g \
      -jar cli/target/cogvideox.jar --threads 2 bench block --repeat "$reps" --dtype bf16 --compute "$compute" $shape
  done
  # shellcheck disable=SC2086
  measure /usr/bin/python3 "$root/../shared/bench/peer_block.py" --threads 2 --repeat "$reps" --dtype bf16 $shape
done
