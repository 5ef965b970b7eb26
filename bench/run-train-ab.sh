#!/usr/bin/env bash
# Training speed of two builds alternated on the default model's design (`world model`, 8 layers, inner 128, the
# recipe's 96x96x17 stage, batch 784 tokens, full training): wall time of `train` for STEPS steps, round by round.
#   bench/run-train-ab.sh OLD_JAR NEW_JAR [ROUNDS=3] [STEPS=200] [THREADS=1]
# OLD_JAR/NEW_JAR: cli/target/cogvideox.jar of the two builds (e.g. one built in a `git worktree` of the older
# revision). Both read one latent cache, filled by a warm-up run of NEW_JAR, so the rounds time training steps plus
# a fixed start-up (JVM, model load: about 2 s, in both). Prints each round and the median ratio old/new.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/jdk25.sh"
old=$1; new=$2; rounds=${3:-3}; steps=${4:-200}; threads=${5:-1}
work=$root/bench/target/train-ab
mkdir -p "$work"
run() {  # run JAR OUT STEPS
  java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:ActiveProcessorCount="$threads" -XX:+UseG1GC \
    -jar "$1" train --full --model "$work/model" --data "$work/data" --cache "$work/cache" --output "$2" \
    --stages "96x96x17:$3" --batch-tokens 784 --lr 5e-4 --lr-schedule cosine --warmup 20 --timestep-intervals 8 --seed 0 \
    --caption-dropout 0.1 --checkpoint-every 100000 > "$2.log" 2>&1
}
[ -f "$work/model/model_index.json" ] || java --add-modules jdk.incubator.vector -jar "$new" world model --out "$work/model" --seed 0 > /dev/null
[ -f "$work/data/videos.txt" ] || java --add-modules jdk.incubator.vector -jar "$new" world dataset --out "$work/data" --clips 64 --seed 0 > /dev/null
rm -rf "$work/warm"; run "$new" "$work/warm" 2
ratios=()
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    jar=$old; [ $side = new ] && jar=$new
    rm -rf "$work/$side"
    t0=$(date +%s.%N); run "$jar" "$work/$side" "$steps"; t1=$(date +%s.%N)
    eval "t_$side=$(echo "$t1 - $t0" | bc)"
  done
  ratio=$(echo "scale=3; $t_old / $t_new" | bc)
  ratios+=("$ratio")
  printf 'round %d: old %.1f s, new %.1f s, old/new %.3f\n' "$r" "$t_old" "$t_new" "$ratio"
  cmp -s <(tail -1 "$work/old/loss.jsonl") <(tail -1 "$work/new/loss.jsonl") && echo "  last loss line identical" || echo "  last loss lines differ"
done
printf 'median old/new: %s (%d steps, %d thread(s))\n' "$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")" "$steps" "$threads"
