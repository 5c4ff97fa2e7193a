"""Reads and writes safetensors files (float32 only) with json + struct + numpy.

Layout (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, then N
bytes of JSON {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}}, padded with spaces so the data starts on an 8-byte boundary, then the
tensors' little-endian bytes back to back, in sorted name order (offsets relative to the data start).
"""
from __future__ import annotations

import json
import struct

import numpy as np
import torch


def _as_array(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().contiguous().numpy()
    array = np.ascontiguousarray(value)
    if array.dtype != np.float32:
        raise TypeError(f"only float32 tensors are written (got {array.dtype})")
    return array.astype("<f4", copy=False)


def save(path: str, tensors: dict, metadata: dict[str, str] | None = None) -> None:
    arrays = {name: _as_array(value) for name, value in tensors.items()}
    header: dict = {}
    if metadata:
        bad = [k for k, v in metadata.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise TypeError(f"metadata values must be strings: {bad}")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name in sorted(arrays):
        array = arrays[name]
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in sorted(arrays):
            f.write(arrays[name].tobytes())


def load(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Returns (tensors, metadata); raises ValueError naming the file and tensor on a bad file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} runs past the end of the file ({len(blob)} bytes)")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if entry.get("dtype") != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry.get('dtype')}, expected F32")
        begin, end = entry["data_offsets"]
        shape = entry["shape"]
        if end - begin != 4 * int(np.prod(shape, dtype=np.int64)) or end > len(data) or begin < 0:
            raise ValueError(f"{path}: tensor {name} has data_offsets {begin}..{end} inconsistent with shape {shape} or file size")
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape)
        tensors[name] = torch.from_numpy(array.astype(np.float32))
    return tensors, metadata
