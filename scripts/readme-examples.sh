#!/usr/bin/env bash
# Regenerates the README's example videos from the default model (models/world-v1): one GIF and one PNG strip of
# frames per prompt, in docs/images/. Seed 0, the generate defaults otherwise.
#
#   scripts/readme-examples.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$root/cogvideox
out=$root/docs/images
mkdir -p "$out"
i=0
while IFS= read -r prompt; do
  i=$((i + 1))
  "$cli" generate --prompt "$prompt" --seed 0 --output "$out/world-example-$i.gif"
  "$cli" world strip --video "$out/world-example-$i.gif" --output "$out/world-example-$i.png" --every 2
done <<'PROMPTS'
a yellow triangle moving right on a navy background
a red circle moving down on a gray background
a white square moving left on a black background
PROMPTS
