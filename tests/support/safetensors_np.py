"""safetensors_np - read and write safetensors files with numpy alone (no `safetensors` package needed).

Written from the format's description, independently of the C code in src/cllm/io/safetensors*.c, so the tests can
check one against the other. Format: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON, an
object mapping each tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} (offsets count
from the first byte after the header), plus an optional "__metadata__" object of string -> string; then the data.

    import sys; sys.path.insert(0, "tests/support")
    import numpy as np
    import safetensors_np as st

    tensors, metadata = st.load("model.safetensors")      # {name: ndarray}, {str: str}
    st.save("out.safetensors", {"w": np.zeros((2, 3), np.float32)}, {"format": "pt"})
    st.save("out.safetensors", {"w": st.BF16(np.ones(4, np.float32))})  # stored as BF16
    header = st.load_header("model.safetensors")          # {name: {"dtype", "shape", "data_offsets"}}

numpy has no bfloat16: load() returns BF16 tensors widened to float32 (exact), and save() writes BF16 only for
values wrapped in BF16(...), which rounds float32 to nearest-even. F8 dtypes are not supported. load() checks the
file as strictly as the C reader (sizes, offsets, tensors tiling the data with no hole or overlap) and raises
ValueError naming the problem.

Run as a script, `python3 safetensors_np.py FILE` prints each tensor's name, dtype and shape.
"""

import json
import struct
import sys

import numpy as np

MAX_HEADER = 100_000_000  # bytes; larger headers are rejected, as the C reader and the Python package do

# safetensors dtype name -> numpy dtype of the stored little-endian elements (BF16 is read as raw uint16 bits).
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}
# numpy dtype kind+itemsize -> safetensors dtype name, for save().
_NAMES = {
    ("f", 8): "F64", ("f", 4): "F32", ("f", 2): "F16",
    ("i", 8): "I64", ("i", 4): "I32", ("i", 2): "I16", ("i", 1): "I8",
    ("u", 8): "U64", ("u", 4): "U32", ("u", 2): "U16", ("u", 1): "U8", ("b", 1): "BOOL",
}


class BF16:
    """A float array to be stored as BF16: float32 values rounded to nearest-even on their top 16 bits.

    .bits holds the uint16 patterns, .shape the shape; .to_float32() gives the values the file will hold."""

    def __init__(self, values):
        a = np.ascontiguousarray(values, dtype=np.float32)
        u = a.view(np.uint32).astype(np.uint64)
        rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16  # round half to even; overflow carries into inf
        quiet_nan = (u >> 16) | 0x40  # keep NaN a NaN even when its payload sits in the low bits
        self.bits = np.where(np.isnan(a), quiet_nan, rounded).astype(np.uint16)
        self.shape = a.shape

    def to_float32(self):
        """The stored values, widened exactly to float32."""
        return (self.bits.astype(np.uint32) << 16).view(np.float32)


def _fail(path, what):
    raise ValueError(f"{path}: {what}")


def _read_header(path, blob):
    if len(blob) < 8:
        _fail(path, f"{len(blob)} bytes is too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER:
        _fail(path, f"header length {n} is over the {MAX_HEADER}-byte limit")
    if n > len(blob) - 8:
        _fail(path, f"header length {n} exceeds the file")
    try:
        text = blob[8:8 + n].decode("utf-8")
    except UnicodeDecodeError as e:
        _fail(path, f"header is not UTF-8 ({e})")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            _fail(path, "header has a duplicate key")
        return dict(pairs)

    try:
        header = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        _fail(path, f"header is not JSON ({e})")
    except RecursionError:
        _fail(path, "header nests too deeply")
    if not isinstance(header, dict):
        _fail(path, "header is not a JSON object")
    _check_strings(path, header)
    return header, 8 + n


def _check_strings(path, root):
    """Every string in the header must be encodable UTF-8 without NUL: Python's json accepts the escapes \\u0000
    and lone surrogates (\\ud800), which are not text and which C JSON parsers reject."""
    stack = [root]
    while stack:
        x = stack.pop()
        items = list(x.items()) if isinstance(x, dict) else [(None, v) for v in x] if isinstance(x, list) else []
        for k, v in items:
            for t in (k, v):
                if isinstance(t, str):
                    try:
                        t.encode("utf-8")
                    except UnicodeEncodeError:
                        _fail(path, f"header string {t!r} holds a lone surrogate")
                    if "\0" in t:
                        _fail(path, f"header string {t!r} holds NUL")
            if isinstance(v, (dict, list)):
                stack.append(v)


def _check_entry(path, name, e, buf_size):
    """Validates one tensor entry; returns (dtype name, shape tuple, begin, end)."""
    if not isinstance(e, dict):
        _fail(path, f"tensor {name!r}: entry is not an object")
    dtype, shape, offs = e.get("dtype"), e.get("shape"), e.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        _fail(path, f"tensor {name!r}: unknown or unsupported dtype {dtype!r}")

    def is_count(x):
        return type(x) is int and x >= 0

    if not isinstance(shape, list) or len(shape) > 8 or not all(is_count(d) for d in shape):
        _fail(path, f"tensor {name!r}: shape {shape!r} is not a list of at most 8 non-negative integers")
    if not isinstance(offs, list) or len(offs) != 2 or not all(is_count(o) for o in offs):
        _fail(path, f"tensor {name!r}: data_offsets {offs!r} is not [begin, end]")
    begin, end = offs
    if begin > end or end > buf_size:
        _fail(path, f"tensor {name!r}: data_offsets {offs} do not fit the {buf_size}-byte data buffer")
    count = 1
    for d in shape:
        count *= d  # Python integers do not overflow
    if end - begin != count * np.dtype(_DTYPES[dtype]).itemsize:
        _fail(path, f"tensor {name!r}: data_offsets span {end - begin} bytes, shape {shape} and {dtype} need "
                    f"{count * np.dtype(_DTYPES[dtype]).itemsize}")
    return dtype, tuple(shape), begin, end


def _check_tiling(path, spans, buf_size):
    """The tensors must cover the data buffer exactly: sorted by offset, each starts where the last ended."""
    cursor = 0
    for begin, end, name in sorted(spans):
        if begin != cursor:
            _fail(path, f"tensor {name!r} starts at {begin}, expected {cursor} (overlap or hole)")
        cursor = end
    if cursor != buf_size:
        _fail(path, f"data buffer is {buf_size} bytes but the tensors cover {cursor}")


def load_header(path):
    """The parsed, validated JSON header of the file at path: {name: entry}, "__metadata__" included if present."""
    with open(path, "rb") as f:
        blob = f.read()
    header, _ = _parse(path, blob)
    return header


def _parse(path, blob):
    header, start = _read_header(path, blob)
    buf_size = len(blob) - start
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        _fail(path, "__metadata__ is not an object of strings")
    spans = []
    for name, e in header.items():
        if name != "__metadata__":
            _, _, begin, end = _check_entry(path, name, e, buf_size)
            spans.append((begin, end, name))
    _check_tiling(path, spans, buf_size)
    return header, start


def load(path):
    """Reads the file at path: returns ({name: ndarray}, {key: value}) in header order. Arrays are copies in
    native byte order; BF16 tensors come back as float32. Raises ValueError on a malformed file."""
    with open(path, "rb") as f:
        blob = f.read()
    header, start = _parse(path, blob)
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        dt = np.dtype(_DTYPES[e["dtype"]])
        raw = np.frombuffer(blob, dtype=dt, count=(end - begin) // dt.itemsize, offset=start + begin)
        if e["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = raw.astype(raw.dtype.newbyteorder("="), copy=True).reshape(e["shape"])
    return tensors, dict(header.get("__metadata__", {}))


def _as_bytes(name, value):
    """(dtype name, shape, little-endian bytes) of one value given to save()."""
    if isinstance(value, BF16):
        return "BF16", list(value.shape), value.bits.astype("<u2").tobytes()
    a = np.asarray(value)
    key = (a.dtype.kind, a.dtype.itemsize)
    if key not in _NAMES:
        raise ValueError(f"tensor {name!r}: numpy dtype {a.dtype} has no safetensors equivalent")
    le = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return _NAMES[key], list(a.shape), np.ascontiguousarray(le).tobytes()


def save(path, tensors, metadata=None):
    """Writes tensors ({name: ndarray or BF16}) in dict order, back to back, with metadata ({str: str} or None),
    the header padded with spaces to a multiple of 8 bytes so the data starts 8-byte aligned."""
    header, chunks, offset = {}, [], 0
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    for name, value in tensors.items():
        if name == "__metadata__":
            raise ValueError('"__metadata__" is not a tensor name')
        dtype, shape, data = _as_bytes(name, value)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def _main(argv):
    if len(argv) != 2:
        print("usage: safetensors_np.py FILE", file=sys.stderr)
        return 2
    header = load_header(argv[1])
    for name, e in header.items():
        if name != "__metadata__":
            print(name, e["dtype"], e["shape"])
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
