#!/usr/bin/env bash
# Peak resident memory of a full-size generation (issue 6): builds a synthetic checkpoint with the published shapes
# if DIR has none, runs one step of `cogvideox generate` at the defaults (49 frames at 720x480, CFG) with the VAE
# tiled, and logs the process's VmHWM and VmRSS every 20 s next to the run's own output.
#   bench/run-memory.sh [--variant 5b] [--dir DIR] [--heap 4g] [--weights q8_0|q4|q4_1] [--latents]
# --heap sets -Xmx (default: the launcher's half of the machine); --weights runs a quantized copy of the checkpoint
# (`cogvideox quantize` into DIR-KIND once: the transformer's and T5's GGUF files are mapped and streamed block by
# block as the safetensors are, nothing packed on the heap); --latents stops after the denoising (writes
# DIR/latents.safetensors), so the VAE decode can be measured on its own with `cogvideox decode --latents`.
# A full-size 5b step takes about 1 h 30 min on 2 cores and the tiled decode about 1 h 15 min.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
variant=5b; dir=""; heap=""; weights=""; latents=0
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant=$2; shift ;;
    --dir) dir=$2; shift ;;
    --heap) heap=$2; shift ;;
    --weights) weights=$2; shift ;;
    --latents) latents=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
dir=${dir:-$root/bench/target/synth-$variant}
out="$root/bench/target/memory-$variant${weights:+-$weights}"
mkdir -p "$out"
[ -f "$dir/model_index.json" ] || "$root/cogvideox" synth --variant "$variant" --dtype bf16 --out "$dir"
if [ -n "$weights" ]; then
  [ -f "$dir-$weights/model_index.json" ] || "$root/cogvideox" quantize --model "$dir" --weights "$weights" --out "$dir-$weights"
  dir="$dir-$weights"
fi
target="$out/video.mp4"; [ $latents = 1 ] && target="$dir/latents.safetensors"
export COGVIDEOX_JAVA_OPTS="${COGVIDEOX_JAVA_OPTS:-} ${heap:+-Xmx$heap}"
/usr/bin/time -v "$root/cogvideox" generate --model "$dir" --prompt "a cat walks along the beach at golden hour" \
  --steps 1 --vae-tiling --output "$target" > "$out/run.log" 2>&1 &
runner=$!
echo "logging to $out/run.log and $out/rss.log"
while kill -0 $runner 2>/dev/null; do
  pid=$(pgrep -f "cogvideox.*\.jar generate --model $dir" | head -1 || true)
  [ -n "$pid" ] && echo "$(date +%H:%M:%S) $(grep -E 'VmHWM|VmRSS' /proc/"$pid"/status 2>/dev/null | tr -s ' \n' ' ')" >> "$out/rss.log"
  sleep 20
done
wait $runner || { echo "generate failed, see $out/run.log" >&2; exit 1; }
grep -E "resident set|Maximum resident|Elapsed" "$out/run.log"
