"""Conv (2-D): per-output-channel int8 weights, int64 bias, exact accumulation of integers (numpy:
float64 GEMM over im2col; torch: the int8 GEMM of runtime.intgemm over im2col, or float64 for group > 1).

Exact form: inputs (x int16 [N, C, H, W], w int8 [O, C/g, kh, kw], b int64 [O], p int64 [O, 2]);
attrs strides (2), pads (top, left, bottom, right as ONNX orders them), dilations (2), group.
Zero padding (the activation zero point is 0). A window over more input channels than one step's proof
allows (`proof_cost.conv_block`: ResNet-50's 3x3x512) lowers to ConvBlock steps over blocks of the
channels, a Requantize and a Transpose (`_lower_blocked`), bit-identical.
"""
from __future__ import annotations

import numpy as np

from ..intgemm import gemm_torch
from ..quant import acc_bound, requantize_np, requantize_torch
from ..window import window_reads  # noqa: F401 (the pool ops and ConvBlock import it from here)
from .base import ExactOp
from .dequantizelinear import own_int8
from .gemm import quantize_weights


def conv_attrs(node, lw, spatial: tuple[int, int], kernel: tuple[int, int]) -> dict:
    """strides, pads, dilations of a 2-D window op, with auto_pad resolved to explicit pads."""
    strides = tuple(lw.attr(node, "strides", [1, 1]))
    dil = tuple(lw.attr(node, "dilations", [1, 1]))
    pads = tuple(lw.attr(node, "pads", [0, 0, 0, 0]))
    auto = lw.attr(node, "auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads_b, pads_e = [], []
        for size, k, s, d in zip(spatial, kernel, strides, dil):
            total = max(0, (-(-size // s) - 1) * s + (k - 1) * d + 1 - size)
            small, big = total // 2, total - total // 2
            pads_b.append(small if auto == "SAME_UPPER" else big)
            pads_e.append(big if auto == "SAME_UPPER" else small)
        pads = tuple(pads_b + pads_e)
    elif auto == "VALID":
        pads = (0, 0, 0, 0)
    if len(strides) != 2 or len(dil) != 2 or len(pads) != 4:
        raise lw.unsupported(node, "only 2-D windows are supported")
    return {"strides": strides, "pads": pads, "dilations": dil}


def out_size(size: int, k: int, s: int, d: int, pb: int, pe: int) -> int:
    return (size + pb + pe - (k - 1) * d - 1) // s + 1


def pad2d(x: np.ndarray, pads, fill, dtype=None) -> np.ndarray:
    """x [N, C, H, W] with (top, left, bottom, right) rows/cols of `fill` around it (np.pad is ~100 us slower)."""
    pt, pl, pb, pr = pads
    n, c, h, w = x.shape
    if not (pt or pl or pb or pr):
        return x if dtype is None else x.astype(dtype)
    out = np.full((n, c, h + pt + pb, w + pl + pr), fill, dtype=dtype or x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def window_slices(x: np.ndarray, kernel, attrs, fill: int):
    """Yield (i, j, x[:, :, rows of offset i, cols of offset j]) over the padded input: one strided
    [N, C, OH, OW] view per kernel offset (im2col without a 6-D window view, which is slow to reduce)."""
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
    x = pad2d(x, (pt, pl, pb, pr), fill)
    kh, kw = kernel
    oh = (x.shape[2] - (kh - 1) * dh - 1) // sh + 1
    ow = (x.shape[3] - (kw - 1) * dw - 1) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw]


def im2col(x: np.ndarray, kernel, attrs) -> np.ndarray:
    """[c, kh, kw, n, oh, ow] float64 copy of the zero-padded input's windows, made in one strided copy."""
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
    xp = pad2d(x, (pt, pl, pb, pr), 0)  # gather int16 (a quarter of the bytes), convert once at the end
    n, c, h, w = xp.shape
    oh, ow = (h - (kernel[0] - 1) * dh - 1) // sh + 1, (w - (kernel[1] - 1) * dw - 1) // sw + 1
    sn, sc, sy, sx = xp.strides
    view = np.lib.stride_tricks.as_strided(xp, (c, kernel[0], kernel[1], n, oh, ow),
                                           (sc, sy * dh, sx * dw, sn, sy * sh, sx * sw), writeable=False)
    return np.ascontiguousarray(view).astype(np.float64).reshape(c * kernel[0] * kernel[1], n, oh, ow)


def _lower_blocked(node, lw, x, wq, bq, params, attrs: dict, shape, block: int) -> None:
    """A window too long for one step's proof (`proof_cost.conv_block`): ConvBlock steps over blocks of
    the group's input channels carrying the sums channel-last ([N, OH, OW, O] as int64 limbs), one
    Requantize, one Transpose back to [N, O, OH, OW]. Bit-identical to the one Conv step."""
    from .gemmblock import to_limbs

    out, last = node.output[0], (shape[0], shape[2], shape[3], shape[1])
    w = lw.add_constant(f"{node.input[1]}:w", wq)
    acc = lw.add_constant(f"{node.name}:b", to_limbs(bq))
    for c0 in range(0, wq.shape[1], block):
        acc = lw.emit(node, [x.index, w.index, acc.index], last + (4,), 1.0,
                      dict(attrs, c0=c0, c1=min(wq.shape[1], c0 + block)), op="ConvBlock", output=f"{out}:acc{c0}")
    y = lw.emit(node, [acc.index, lw.add_constant(f"{node.name}:requant", params).index], last, lw.out_scale(node),
                op="Requantize", output=f"{out}:nhwc")
    lw.emit(node, [y.index], shape, y.scale, {"perm": (0, 3, 1, 2)}, op="Transpose", output=out)


def window_sums(x: np.ndarray, w: np.ndarray, attrs) -> np.ndarray:
    """The exact window sums x * w (no bias), int64 [O, N, OH, OW] (channel-major): one float64 GEMM per
    group over im2col of the whole batch (exact: |sum| < 2^53)."""
    g, (o, cg, kh, kw) = attrs["group"], w.shape
    cols = im2col(x, (kh, kw), attrs)  # [c*kh*kw, n, oh, ow] float64
    n, oh, ow = x.shape[0], *cols.shape[2:]
    cols = cols.reshape(g, cg * kh * kw, n * oh * ow)
    return np.matmul(w.astype(np.float64).reshape(g, o // g, cg * kh * kw), cols).reshape(o, n, oh, ow).astype(np.int64)


class Conv(ExactOp):
    op_type = "Conv"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        w = np.asarray(lw.const(node, node.input[1]), dtype=np.float64)
        if len(x.shape) != 4 or w.ndim != 4:
            raise lw.unsupported(node, f"only 2-D convolution is supported (input shape {x.shape})")
        group = int(lw.attr(node, "group", 1))
        attrs = conv_attrs(node, lw, x.shape[2:], w.shape[2:])
        if x.shape[1] != w.shape[1] * group:
            raise lw.unsupported(node, f"input channels {x.shape[1]} do not match weights {w.shape} with group {group}")
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = np.asarray(lw.const(node, node.input[2]), dtype=np.float64).reshape(-1)
        wq, bq, params = quantize_weights(w, x.scale, lw.out_scale(node), bias, node, lw, own_int8(lw, node.input[1], 0))
        (sh, sw), (pt, pl, pb, pr), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
        shape = (x.shape[0], w.shape[0], out_size(x.shape[2], w.shape[2], sh, dh, pt, pb),
                 out_size(x.shape[3], w.shape[3], sw, dw, pl, pr))
        from ..proof_cost import conv_block

        block = conv_block(x.shape, wq.shape, attrs, shape[2:])
        if block < wq.shape[1]:
            return _lower_blocked(node, lw, x, wq, bq, params, dict(attrs, group=group), shape, block)
        ins = [x.index, lw.add_constant(f"{node.input[1]}:w", wq).index, lw.add_constant(f"{node.name}:b", bq).index,
               lw.add_constant(f"{node.name}:requant", params).index]
        lw.emit(node, ins, shape, lw.out_scale(node), dict(attrs, group=group))

    def numpy(self, ins, attrs):
        x, w, b, p = ins
        cg, kh, kw = w.shape[1:]
        acc = window_sums(x, w, attrs)  # results stay channel-major [o, n, oh, ow]
        acc += b[:, None, None, None]
        y = requantize_np(acc, p[:, 0, None, None, None], p[:, 1, None, None, None], bound=acc_bound(cg * kh * kw, b),
                          inplace=True)
        return np.ascontiguousarray(y.transpose(1, 0, 2, 3))  # int16 is cheap to move

    def torch(self, ins, attrs):
        import torch
        import torch.nn.functional as F

        x, w, b, p = ins
        pt, pl, pb, pr = attrs["pads"]
        if attrs["group"] == 1:  # im2col (float32 holds int16 exactly) and the int8 GEMM
            n, (o, c, kh, kw) = x.shape[0], w.shape
            xp = F.pad(x.to(torch.float32), (pl, pr, pt, pb))
            oh = (xp.shape[2] - (kh - 1) * attrs["dilations"][0] - 1) // attrs["strides"][0] + 1
            ow = (xp.shape[3] - (kw - 1) * attrs["dilations"][1] - 1) // attrs["strides"][1] + 1
            cols = F.unfold(xp, (kh, kw), dilation=attrs["dilations"], stride=attrs["strides"]).to(torch.int16)
            acc = gemm_torch(cols.transpose(1, 2), w.reshape(o, c * kh * kw), w_nk=True)  # [n, oh*ow, o]
            acc = acc.transpose(1, 2).reshape(n, o, oh, ow) + b[:, None, None]
            return requantize_torch(acc, p[:, 0, None, None], p[:, 1, None, None])
        xf = F.pad(x.to(torch.float64), (pl, pr, pt, pb))
        acc = F.conv2d(xf, w.to(torch.float64), stride=attrs["strides"], dilation=attrs["dilations"], groups=attrs["group"])
        acc = acc.to(torch.int64) + b[:, None, None]
        return requantize_torch(acc, p[:, 0, None, None], p[:, 1, None, None])

    def reads(self, node, ins, out_shape, index):
        """The window over the group's input channels (padding reads nothing), w[o], b[o], p[o]."""
        x, w = ins[0], ins[1]
        n, o, oh, ow = np.unravel_index(index, out_shape)
        return [window_reads(x.shape, (n, o // (w.shape[0] // node.attrs["group"]) * w.shape[1], w.shape[1]),
                             (oh, ow), w.shape[2:], node.attrs),
                o * w[0].size + np.arange(w[0].size), np.array([o]), np.array([2 * o, 2 * o + 1])]
