#!/usr/bin/env bash
# Trains the default model (docs/default-model.md) from nothing: renders the world's dataset, trains the VAE, assembles
# the model folder (seeded random T5 + the world's tokenizer + trained VAE + fresh transformer + DPM scheduler), trains
# the transformer in a curriculum (directions, then shapes, then the whole world; Frame Pack over 9 and 17 frame clips,
# progressive resolution 48 -> 96, Explicit Uniform Sampling), writes the final bf16 folder, evaluates it, and copies it to models/world-v1/ (what `generate` uses with no --model).
#
#   scripts/train-default-model.sh [--tiny] RUN_DIR
#
# Every stage is resumable and idempotent: run the same command again and it skips the stages whose output exists and
# continues a training stage from its latest checkpoint. --tiny runs every stage on a toy budget (a check of the recipe,
# about two minutes; its model is not installed). COGVIDEOX names the launcher (default: this repository's ./cogvideox).
# Stage times go to RUN_DIR/timings.log, each stage's output to RUN_DIR/<stage>.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${COGVIDEOX:-$root/cogvideox}

tiny=false
if [ "${1:-}" = "--tiny" ]; then
  tiny=true
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--tiny] RUN_DIR" >&2
  exit 2
fi
run=$1
mkdir -p "$run"
run=$(cd "$run" && pwd)

# The recipe. SEED fixes everything (data, VAE init, T5 and transformer init, noise, timesteps, data order).
SEED=0
if $tiny; then
  CLIPS=16 PSNR_CLIPS=1
  VAE_STEPS=2 VAE_WARMUP=0 VAE_CHECKPOINT=1
  STAGES=48x48x17:2,96x96x17:2 WARMUP=0 CHECKPOINT=2
  PRIMER_CLIPS=8 PRIMER_STAGES=96x96x17:2
  SHAPE_CLIPS=8 SHAPE_STAGES=96x96x17:2
  EVAL="--seeds 1 --steps 2 --prompts $run/eval-prompts.txt"
  CALIBRATE="--seeds 1 --steps 8 --prompts $run/eval-prompts.txt"
  printf '%s\n' "a yellow triangle moving right on a navy background" > "$run/eval-prompts.txt"
else
  CLIPS=2240                                   # 10 rounds of the 224 seen combinations
  PSNR_CLIPS=28                                # each held-out combination once
  VAE_STEPS=6000 VAE_WARMUP=100 VAE_CHECKPOINT=250
  STAGES=48x48x17:1000,96x96x17:20000 WARMUP=200 CHECKPOINT=500
  PRIMER_CLIPS=1120 PRIMER_STAGES=96x96x17:1500
  SHAPE_CLIPS=1120 SHAPE_STAGES=96x96x17:6000             # half as many clips as the world's: a third of the mix
  EVAL="--seeds 4 --steps 20"
  CALIBRATE="--seeds 2 --retention-steps 6"    # TeaCache's polynomial at 50 steps; its first 6 steps change most (docs/performance.md)
fi
VAE_LR=6e-4
VAE_LOSS=l2                                    # L1 drops the small shapes (it reconstructs the background, the median)
VAE_CROP=48x48x9                               # windows of the 96x96x17 clips: 3.5 steps/s instead of 1 (whole clips)
LR=5e-4
CAPTION_DROPOUT=0.1                            # the empty caption 10% of the time: what guidance subtracts (the paper's rate)
BATCH_TOKENS=784                               # four 17-frame clips at 96x96 (196 tokens each with the text)
PRIMER="white circle * black"                # the curriculum's first stage: one colour, shape and background, the 4 directions
SHAPES="white * * black"                       # its second: the three shapes (the slowest thing to learn), the 4 directions
TRAIN_THREADS=2                                # both cores (1.08x faster than one since the kernel threads spin between
                                               # loops; 1.5x slower before: docs/performance.md); the same weights either way
POSITIONS=rope                                 # CogVideoX-5b's 3D RoPE; sincos (2b's absolute table) was tried in run 4: no better (docs/default-model.md)
HEADS=4                                        # attention heads of 32 channels: inner width 128

current=
stage() {                                      # stage NAME: logs the start; the caller logs the end with done_stage
  current=$1
  echo "$(date -u +%FT%TZ) start $1" >> "$run/timings.log"
  echo "== $1" >&2
}
done_stage() {
  echo "$(date -u +%FT%TZ) end $1" >> "$run/timings.log"
  current=
}
# a stage cut short (Ctrl-C, an error, the end of a session) logs its stop, so the time it ran still counts
trap '[ -z "$current" ] || echo "$(date -u +%FT%TZ) stop $current" >> "$run/timings.log"' EXIT
total_time() {                                 # the seconds every stage ran, over all sessions (start to end or stop)
  local t0=0 sum=0 when what
  while read -r when what _; do
    case $what in
      start) t0=$(date -u -d "$when" +%s) ;;
      end|stop) sum=$((sum + $(date -u -d "$when" +%s) - t0)) ;;
    esac
  done < "$run/timings.log"
  echo "$sum"
}
latest_checkpoint() {                          # latest_checkpoint DIR: succeeds when DIR holds a checkpoint-N folder
  compgen -G "$1/checkpoint-*" > /dev/null
}

# 1. the dataset (rendered into a temporary folder, renamed when complete)
if [ ! -f "$run/data/videos.txt" ]; then
  stage data
  rm -rf "$run/data.tmp"
  "$cli" world dataset --out "$run/data.tmp" --clips "$CLIPS" --seed "$SEED" --frames 9,17 > "$run/data.log" 2>&1
  mv "$run/data.tmp" "$run/data"
  done_stage data
fi

# 1b. the primer: the clips of the curriculum's first stage (docs/default-model.md, "Run 7"), canonical captions
if [ ! -f "$run/primer-data/videos.txt" ]; then
  stage primer-data
  rm -rf "$run/primer-data.tmp"
  "$cli" world dataset --out "$run/primer-data.tmp" --clips "$PRIMER_CLIPS" --seed "$SEED" --frames 17 --only "$PRIMER" \
    --canonical-captions > "$run/primer-data.log" 2>&1
  mv "$run/primer-data.tmp" "$run/primer-data"
  done_stage primer-data
fi

# 1c. the shape stage's clips: the three shapes in one colour on one background, canonical captions
if [ ! -f "$run/shape-data/videos.txt" ]; then
  stage shape-data
  rm -rf "$run/shape-data.tmp"
  "$cli" world dataset --out "$run/shape-data.tmp" --clips "$SHAPE_CLIPS" --seed "$SEED" --frames 17 --only "$SHAPES" \
    --canonical-captions > "$run/shape-data.log" 2>&1
  mv "$run/shape-data.tmp" "$run/shape-data"
  done_stage shape-data
fi

# 2. the untrained design (its vae/config.json is the VAE trainer's architecture)
if [ ! -f "$run/init/model_index.json" ]; then
  stage init
  "$cli" world model --out "$run/init" --seed "$SEED" --positions "$POSITIONS" --heads "$HEADS" > "$run/init.log" 2>&1
  done_stage init
fi

# 3. the VAE
if [ ! -f "$run/vae-train/vae/diffusion_pytorch_model.safetensors" ]; then
  stage vae
  resume=()
  if latest_checkpoint "$run/vae-train"; then resume=(--resume "$run/vae-train"); fi
  "$cli" train-vae --vae-config "$run/init/vae/config.json" --data "$run/data" --output "$run/vae-train" --size 96x96x17 \
    --crop "$VAE_CROP" --steps "$VAE_STEPS" --lr "$VAE_LR" --lr-schedule cosine --warmup "$VAE_WARMUP" --loss "$VAE_LOSS" --seed "$SEED" \
    --checkpoint-every "$VAE_CHECKPOINT" "${resume[@]}" >> "$run/vae.log" 2>&1
  done_stage vae
fi

# 4. the model folder the transformer trains in: the design with the trained VAE (scaling factor measured)
if [ ! -f "$run/model/model_index.json" ]; then
  stage model
  "$cli" world model --out "$run/model" --seed "$SEED" --positions "$POSITIONS" --heads "$HEADS" --vae "$run/vae-train/vae" > "$run/model.log" 2>&1
  done_stage model
fi

# 4b. the VAE's reconstruction PSNR on held-out clips (for the model card)
if [ ! -f "$run/vae-psnr.txt" ]; then
  stage vae-psnr
  "$cli" world vae-psnr --vae "$run/vae-train/vae" --clips "$PSNR_CLIPS" > "$run/vae-psnr.txt.tmp" 2> "$run/vae-psnr.log"
  mv "$run/vae-psnr.txt.tmp" "$run/vae-psnr.txt"
  done_stage vae-psnr
fi

# full training of every transformer parameter: train_transformer STAGE MODEL DATA STAGES KEEP, into RUN_DIR/STAGE-train,
# resumed from its latest checkpoint; the stage is done when STAGE-train/transformer/ holds the weights
train_transformer() {
  local name=$1 model=$2 data=$3 stages=$4 keep=$5 out="$run/$1-train"
  [ ! -f "$out/transformer/diffusion_pytorch_model.safetensors" ] || return 0
  stage "$name"
  local resume=()
  if latest_checkpoint "$out"; then resume=(--resume "$out"); fi
  "$cli" train --full --model "$model" --data "$data" --output "$out" --stages "$stages" \
    --batch-tokens "$BATCH_TOKENS" --lr "$LR" --lr-schedule cosine --warmup "$WARMUP" --timestep-intervals 8 --seed "$SEED" \
    --caption-dropout "$CAPTION_DROPOUT" --checkpoint-every "$CHECKPOINT" --keep-checkpoints "$keep" --threads "$TRAIN_THREADS" "${resume[@]}" \
    >> "$run/$name.log" 2>&1
  done_stage "$name"
}

# a model folder NAME of the design with the trained VAE (the scaling factor the transformer trains with) and the
# transformer a stage trained: assemble NAME STAGE [world model options], skipped when RUN_DIR/NAME is there
assemble() {
  local name=$1 trained=$2
  shift 2
  [ ! -f "$run/$name/model_index.json" ] || return 0
  stage "$name"
  "$cli" world model --out "$run/$name" --seed "$SEED" --positions "$POSITIONS" --heads "$HEADS" "$@" --vae "$run/model/vae" \
    --vae-scaling "$scaling" --transformer "$run/$trained-train/transformer" > "$run/$name.log" 2>&1
  done_stage "$name"
}

# 5a. the curriculum's first stage: the fresh transformer learns to read the direction where nothing else varies
# (skipped once the shape stage's weights exist: a run resumed from them needs neither the primer nor its folder)
scaling=$(sed -n 's/.*"scaling_factor" *: *\([0-9.eE+-]*\).*/\1/p' "$run/model/vae/config.json")
if [ ! -f "$run/shapes-train/transformer/diffusion_pytorch_model.safetensors" ]; then
  train_transformer primer "$run/model" "$run/primer-data" "$PRIMER_STAGES" 1
  assemble primed primer
fi

# 5b. the curriculum's second stage: the shapes, where only the shape and the direction vary (shape is what a model
# trained on the whole world from the start never learns to draw: docs/default-model.md, "Shape: the next obstacle")
train_transformer shapes "$run/primed" "$run/shape-data" "$SHAPE_STAGES" 1
assemble shaped shapes

# 5c. the transformer on the whole world, from the shaped weights (full training of every parameter); the shape stage's
# clips stay in the mix (a third of it: they hold the primer's too), so what was learned is rehearsed while the rest of the
# world is learned
if [ ! -f "$run/mixed.jsonl" ]; then
  for d in data shape-data; do
    paste -d '\t' "$run/$d/videos.txt" "$run/$d/prompts.txt" | while IFS=$'\t' read -r video caption; do
      printf '{"video": "%s/%s", "caption": "%s"}\n' "$d" "$video" "$caption"
    done
  done > "$run/mixed.jsonl.tmp"
  mv "$run/mixed.jsonl.tmp" "$run/mixed.jsonl"
fi
train_transformer transformer "$run/shaped" "$run/mixed.jsonl" "$STAGES" 2

# 6. the final folder: trained VAE and transformer in bf16 (scaling factor as the transformer was trained with)
assemble final transformer --dtype bf16

# 6b. TeaCache's rescaling polynomial fitted to this model (what --cache teacache:THRESHOLD takes from the folder)
if [ ! -f "$run/final/teacache.json" ]; then
  stage teacache
  # shellcheck disable=SC2086
  "$cli" cache calibrate --model "$run/final" $CALIBRATE --out "$run/final/teacache.json" > "$run/teacache.log" 2>&1
  done_stage teacache
fi

# 7. the scores
if [ ! -f "$run/eval.json" ]; then
  stage evaluate
  # shellcheck disable=SC2086
  "$cli" evaluate --model "$run/final" $EVAL --json > "$run/eval.json.tmp" 2> "$run/evaluate.log"
  mv "$run/eval.json.tmp" "$run/eval.json"
  done_stage evaluate
fi

# 8. install: the repository's default model
if ! $tiny; then
  target=$root/models/world-v1
  if ! diff -rq "$run/final" "$target" > /dev/null 2>&1; then
    stage install
    rm -rf "$target.tmp"
    mkdir -p "$root/models"
    cp -r "$run/final" "$target.tmp"
    rm -rf "$target"
    mv "$target.tmp" "$target"
    done_stage install
  fi
fi
secs=$(total_time)
printf 'done: %s (scores in %s/eval.json, stage times in %s/timings.log; the stages ran %dh %02dmin in all)\n' \
  "$run/final" "$run" "$run" $((secs / 3600)) $((secs % 3600 / 60)) >&2
