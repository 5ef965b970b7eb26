"""Golden cases beyond ../shared/fixtures, written by the real diffusers v0.40.0 (the reference environment of
../shared/reference-env): VAE decodes after enable_tiling(...) with explicit arguments, and the frame counts the
pipelines return for counts the fixtures do not cover. Writes core/src/test/fixtures-diffusers/golden/.

    . WORK/env.sh && "$ORACLE_PYTHON" scripts/reference/diffusers_extra_goldens.py ../shared/fixtures core/src/test/fixtures-diffusers
"""
import json
import sys

import oracle_shims  # noqa: F401  (before diffusers)
import torch
from safetensors.torch import save_file
from diffusers import AutoencoderKLCogVideoX, CogVideoXPipeline

fixtures, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)

# 1. VAE decode with enable_tiling(...) arguments: all four, then a subset (the rest keep the config's defaults)
vae = AutoencoderKLCogVideoX.from_pretrained(fixtures + "/models/tiny-cogvideox-2b/vae").eval()
cases = [("vae_decode_tiled_args_f3_8x8", dict(tile_sample_min_height=32, tile_sample_min_width=32,
                                                tile_overlap_factor_height=0.25, tile_overlap_factor_width=0.25), (1, 16, 3, 8, 8)),
         ("vae_decode_tiled_partial_f4_8x8", dict(tile_sample_min_width=24, tile_overlap_factor_height=0.5), (1, 16, 4, 8, 8))]
for name, kw, shape in cases:
    vae.disable_tiling()
    vae.tile_sample_min_height, vae.tile_sample_min_width = 48, 40
    vae.tile_overlap_factor_height, vae.tile_overlap_factor_width = 1 / 6, 1 / 5
    vae.enable_tiling(**kw)
    z = torch.randn(shape)
    calls = []
    hook = vae.decoder.register_forward_hook(lambda m, i, o: calls.append(list(o[0].shape)))
    with torch.no_grad():
        sample = vae.decode(z).sample
    hook.remove()
    save_file({"in.z": z.contiguous(), "out.sample": sample.contiguous()}, f"{out}/golden/{name}.safetensors")
    spec = {"case": name, "component": "vae", "model_dir": "models/tiny-cogvideox-2b",
            "description": f"AutoencoderKLCogVideoX.decode after enable_tiling(**{kw}) (diffusers v0.40.0, written by "
                           "scripts/reference/diffusers_extra_goldens.py)",
            "function": "AutoencoderKLCogVideoX.decode -> sample",
            "arguments": {"z": "in.z", "return_dict": True, "enable_tiling": kw},
            "tolerance": {"max_abs": 5e-05, "max_rel": 0.0001},
            "vae_state": {"use_tiling": vae.use_tiling, "tile_sample_min_height": vae.tile_sample_min_height,
                          "tile_sample_min_width": vae.tile_sample_min_width,
                          "tile_latent_min_height": vae.tile_latent_min_height,
                          "tile_latent_min_width": vae.tile_latent_min_width,
                          "tile_overlap_factor_height": vae.tile_overlap_factor_height,
                          "tile_overlap_factor_width": vae.tile_overlap_factor_width,
                          "decoder_calls": len(calls), "decoder_call_output_shapes": calls}}
    with open(f"{out}/golden/{name}.json", "w") as f:
        json.dump(spec, f, indent=1)
    print(name, tuple(sample.shape), len(calls), "decoder calls")

# 2. frames returned for num_frames (printed; the Java tests hold the rule these confirm)
for model, frames in [("tiny-cogvideox-2b", [1, 5, 9, 10, 13, 17, 21]), ("tiny-cogvideox1.5-5b", [5, 9, 13, 17])]:
    pipe = CogVideoXPipeline.from_pretrained(fixtures + "/models/" + model, text_encoder=None, tokenizer=None)
    for n in frames:
        v = pipe(prompt_embeds=torch.randn(1, 16, 32), num_frames=n, height=32, width=32, num_inference_steps=1,
                 guidance_scale=1.0, output_type="pt").frames
        print(model, "num_frames", n, "->", v.shape[1], "frames")
