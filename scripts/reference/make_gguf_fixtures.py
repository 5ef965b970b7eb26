"""GGUF fixtures written by an independent writer, llama.cpp's `gguf` Python package (gguf-py), for
core's GgufIndependentWriterTest. Run once; writes core/src/test/resources/gguf/:

  types.gguf                 architecture "cogvideox": a few tensors of each type our reader reads (F32, F16, BF16,
                             Q8_0, Q4_0, Q4_1; the block types quantized by gguf's own quants.quantize) and metadata
                             of several value types
  types.expected.safetensors the value of each tensor as gguf-py itself reads it back (quants.dequantize for the
                             block types and BF16, numpy's float16 -> float32 for F16), float32, same names
                             (the ComfyUI prefix dropped), written below with numpy only
  llama.gguf                 a GGUF of another model (architecture "llama")
  q4_k.gguf                  architecture "cogvideox" with one tensor of type Q4_K, which our reader does not read
                             (gguf-py cannot quantize Q4_K, so its 144-byte blocks are written raw)
  transformer-q8_0.gguf      the tiny fixture transformer (read from the given fixture model folder) as ComfyUI-GGUF
                             lays one out: names with the "model.diffusion_model." prefix, linear weights Q8_0, the
                             rest F32

    PYTHONPATH=/path/to/gguf-py python3 scripts/reference/make_gguf_fixtures.py core/src/test/resources/gguf \
        ../shared/fixtures/models/tiny-cogvideox-2b

Needs numpy and the gguf package (used here: the gguf 0.19.0 wheel; it also wants pyyaml, tqdm and requests on the
path at import).
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(27)
PREFIX = "model.diffusion_model."


def write_safetensors(path: Path, tensors: dict) -> None:
    """safetensors by hand: an 8-byte little-endian header length, the JSON header (padded with spaces to 8 bytes),
    then the little-endian float32 data of each tensor in order."""
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# --- types.gguf: every type we read, values as gguf-py reads them back ---
w = gguf.GGUFWriter(out / "types.gguf", "cogvideox")
w.add_name("tiny gguf-py fixture")
w.add_uint32("cogvideox.test.uint32", 4000000000)
w.add_int32("cogvideox.test.int32", -7)
w.add_float32("cogvideox.test.float32", 0.1)
w.add_bool("cogvideox.test.bool", True)
w.add_uint64("cogvideox.test.uint64", 1 << 40)
w.add_array("cogvideox.test.strings", ["a", "bc"])
w.add_array("cogvideox.test.ints", [1, 2, 3])
expected = {}


def add(name: str, values: np.ndarray, qtype) -> None:
    """Stores values as qtype through gguf-py and records what gguf-py reads back."""
    if qtype == T.F32:
        data = values.astype(np.float32)
        w.add_tensor(name, data)
        back = data
    elif qtype == T.F16:
        data = values.astype(np.float16)
        w.add_tensor(name, data)
        back = data.astype(np.float32)
    else:
        data = gguf.quants.quantize(values.astype(np.float32), qtype)   # uint8 blocks, rows of bytes
        w.add_tensor(name, data, raw_dtype=qtype)
        back = gguf.quants.dequantize(data, qtype).astype(np.float32)
    assert back.shape == values.shape, (name, back.shape, values.shape)
    expected[name.removeprefix(PREFIX)] = back


f16_edges = np.array([65504, -65504, 6e-8, -0.0, 1 / 3, 2.0 ** -14, 1e-5, 0.1], dtype=np.float32)
bf16_edges = np.array([3.0e38, -1.0e-38, 1 / 3, -0.0, 1.00390625, 1.01171875, 12345.678, 1e-40], dtype=np.float32)
add("f32.weight", rng.standard_normal((3, 5)), T.F32)
add("f32.bias", rng.standard_normal(7), T.F32)
add("f16.weight", np.concatenate([f16_edges, rng.standard_normal(24) * 10]).reshape(4, 8), T.F16)
add("bf16.weight", np.concatenate([bf16_edges, rng.standard_normal(120) * 3]).reshape(2, 64), T.BF16)
add(PREFIX + "q8_0.weight", rng.standard_normal((3, 64)) * 2, T.Q8_0)
q40 = rng.standard_normal((4, 64))
q40[1, 32:] = 0                                                     # an all-zero block (scale 0)
add("q4_0.weight", q40, T.Q4_0)
add("q4_1.weight", rng.standard_normal((2, 96)) + 1.5, T.Q4_1)
add("q8_0.conv", rng.standard_normal((2, 2, 32)), T.Q8_0)           # a block tensor of rank 3
add("q4_1.vector", rng.uniform(-4, 0, 64), T.Q4_1)                  # and of rank 1
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
write_safetensors(out / "types.expected.safetensors", expected)

# --- llama.gguf: a GGUF of another model ---
w = gguf.GGUFWriter(out / "llama.gguf", "llama")
w.add_block_count(1)
w.add_tensor("token_embd.weight", rng.standard_normal((4, 8)).astype(np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# --- q4_k.gguf: a type we do not read; two raw Q4_K blocks of 144 bytes (256 values each) ---
w = gguf.GGUFWriter(out / "q4_k.gguf", "cogvideox")
w.add_tensor("f32.bias", np.arange(4, dtype=np.float32))
w.add_tensor("blocks.0.q4k", rng.integers(0, 256, (2, 144), dtype=np.uint8), raw_dtype=T.Q4_K)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# --- transformer-q8_0.gguf: the tiny fixture transformer as ComfyUI-GGUF publishes one: names prefixed, its linear
# layers' weights Q8_0 (gguf-py's quantize), everything else F32 ---
def read_safetensors(path: Path) -> dict:
    b = path.read_bytes()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    tensors = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32", (name, h["dtype"])
        lo, hi = h["data_offsets"]
        tensors[name] = np.frombuffer(b[8 + n + lo:8 + n + hi], dtype="<f4").reshape(h["shape"])
    return tensors


w = gguf.GGUFWriter(out / "transformer-q8_0.gguf", "cogvideox")
for name, a in read_safetensors(Path(sys.argv[2]) / "transformer/diffusion_pytorch_model.safetensors").items():
    linear = a.ndim == 2 and name.endswith(".weight") and a.shape[1] % 32 == 0
    if linear:
        w.add_tensor(PREFIX + name, gguf.quants.quantize(a, T.Q8_0), raw_dtype=T.Q8_0)
    else:
        w.add_tensor(PREFIX + name, a.astype(np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

for p in sorted(out.iterdir()):
    print(p, p.stat().st_size)
