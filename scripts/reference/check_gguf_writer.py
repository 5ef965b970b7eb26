"""Reads the GGUF files of a folder written by `cogvideox quantize` with llama.cpp's own reader (gguf-py's GGUFReader),
independently of this project's GgufFile, and checks them against the source model's safetensors:

  - the file parses (magic, version, metadata, tensor infos, alignment, sizes: GGUFReader's own checks);
  - general.architecture is "cogvideox", and general.file_type / general.quantization_version are as written;
  - every source tensor is there under its diffusers name, with the source's shape;
  - a block tensor (Q8_0, Q4_0, Q4_1) holds exactly the bytes gguf-py's quantizer (gguf.quants.quantize) makes from
    the source values: the writer and llama.cpp's reference rounding agree byte for byte;
  - a float tensor (F32, F16, BF16) holds exactly the source's bytes.

    PYTHONPATH=/path/to/gguf-py python3 scripts/reference/check_gguf_writer.py QUANTIZED_DIR SOURCE_MODEL_DIR

Needs numpy and the gguf package (used: the gguf 0.19.0 wheel, with pyyaml, tqdm and requests on the path). Prints one
line per file and exits with 1 on any difference.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

quantized, source = Path(sys.argv[1]), Path(sys.argv[2])
BLOCKS = {T.Q8_0, T.Q4_0, T.Q4_1}
FLOATS = {T.F32: ("F32", 4), T.F16: ("F16", 2), T.BF16: ("BF16", 2)}


def safetensors(folder: Path) -> dict:
    """name -> (dtype, shape, raw little-endian bytes) of a component's safetensors file or shards."""
    out = {}
    for f in sorted(folder.glob("*.safetensors")):
        b = f.read_bytes()
        n = struct.unpack("<Q", b[:8])[0]
        for name, h in json.loads(b[8:8 + n]).items():
            if name != "__metadata__":
                lo, hi = h["data_offsets"]
                out[name] = (h["dtype"], h["shape"], b[8 + n + lo:8 + n + hi])
    return out


def as_float32(dtype: str, raw: bytes, shape) -> np.ndarray:
    if dtype == "F32":
        a = np.frombuffer(raw, dtype="<f4")
    elif dtype == "F16":
        a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    elif dtype == "BF16":
        a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        raise ValueError(dtype)
    return a.reshape(shape)


failures = 0
files = sorted(quantized.glob("*/*.gguf"))
if not files:
    sys.exit(f"{quantized}: no */*.gguf files")
for path in files:
    component = path.parent.name
    src = safetensors(source / component)
    r = gguf.GGUFReader(path)
    problems = []
    arch = r.fields["general.architecture"]
    if bytes(arch.parts[arch.data[0]]).decode() != "cogvideox":
        problems.append("general.architecture is not cogvideox")
    meta = {k: int(f.parts[f.data[0]][0]) for k, f in r.fields.items() if k in ("general.file_type", "general.quantization_version")}
    counts = {}
    names = set()
    for t in r.tensors:
        names.add(t.name)
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
        if t.name not in src:
            problems.append(f"{t.name}: not in the source")
            continue
        dtype, shape, raw = src[t.name]
        if list(reversed([int(d) for d in t.shape])) != list(shape):
            problems.append(f"{t.name}: shape {list(reversed(t.shape.tolist()))}, source {shape}")
            continue
        data = np.asarray(t.data).tobytes()
        if t.tensor_type in BLOCKS:
            want = gguf.quants.quantize(as_float32(dtype, raw, shape), t.tensor_type).tobytes()
            if data != want:
                problems.append(f"{t.name}: {t.tensor_type.name} bytes differ from gguf-py's quantization of the source")
        elif t.tensor_type in FLOATS:
            if FLOATS[t.tensor_type][0] != dtype:
                problems.append(f"{t.name}: stored as {t.tensor_type.name}, source {dtype}")
            elif data != raw:
                problems.append(f"{t.name}: bytes differ from the source")
        else:
            problems.append(f"{t.name}: unexpected type {t.tensor_type.name}")
    missing = set(src) - names
    if missing:
        problems.append(f"missing tensors {sorted(missing)[:5]}")
    failures += len(problems)
    kinds = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    print(f"{path}: {'OK' if not problems else 'FAILED'}: {len(r.tensors)} tensors ({kinds}), metadata {meta}, "
          f"data from byte {r.tensors[0].data_offset if r.tensors else '-'}")
    for p in problems[:20]:
        print("   ", p)
sys.exit(1 if failures else 0)
