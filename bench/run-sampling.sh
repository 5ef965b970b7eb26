#!/usr/bin/env bash
# The levers that spend fewer transformer passes (custom timesteps, TeaCache, PAB) against the 50-step, guidance-6,
# uncached baseline, alternated in one JVM (see FewerPassesBench):
#   bench/run-sampling.sh MODEL_DIR ROUNDS HEIGHT WIDTH FRAMES [SETTING ...]
#   bench/run-sampling.sh ../shared/fixtures/models/tiny-cogvideox-2b 3 64 64 9
#   bench/run-sampling.sh ../shared/fixtures/models/tiny-cogvideox-5b 3 64 64 9 base cache:teacache:0.2 tdm
#   BENCH_PROMPT="a red circle moving left on a black background" bench/run-sampling.sh models/world-v1 2 96 96 17 base weights:int8
#   bench/run-sampling.sh --narrow DIR BLOCKS SMALL_MODEL_DIR   # writes a few-block 2b-width synthetic model (NarrowSynthetic)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/jdk25.sh
# The pipeline reads its JSON configs with Jackson: the bench needs core's dependencies too.
./mvnw25 -q -B -ntp -pl core,bench -am package dependency:build-classpath -Dmdep.outputFile=target/cp.txt -DskipTests
main=dev.cogvideox.bench.sampling.FewerPassesBench
if [ "${1:-}" = "--narrow" ]; then
    main=dev.cogvideox.bench.sampling.NarrowSynthetic
    shift
fi
# BENCH_PROMPT="a red circle ..." denoises every setting from that prompt (the model's text encoder) instead of random embeddings
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g ${BENCH_PROMPT:+"-Dbench.prompt=$BENCH_PROMPT"} \
    -cp "bench/target/classes:$(cat bench/target/cp.txt)" "$main" "$@"
