// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";
import {Window} from "./MaxPool.sol";

/// Conv (runtime/ops/conv.py): inputs x int16 [N, C, H, W], w int8 [O, C/g, kh, kw], b int64 [O],
/// p int64 [O, 2]; attrs strides, pads (top, left, bottom, right), dilations, group. Element
/// (n, o, oh, ow) = requantize(b[o] + sum over the group's channels c and window offsets (i, j) of
/// x[n, c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] * w[o, c, i, j], p[o]); padding is zero, so a
/// position in the padding reads nothing. Reads that window, w[o], b[o], p[o].
contract Conv is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        Window.Geometry memory g = Window.geometry(node, ins[0].shape, ins[1].shape[2], ins[1].shape[3], c);
        uint256 o = c[1];
        uint256 cg = ins[1].shape[1];
        uint256 first = (o / (ins[1].shape[0] / uint256(Descriptor.attrInt(node, "group")))) * cg;
        int256 acc = TensorLib.at(ins[2], 2, o);
        for (uint256 ch = 0; ch < cg; ch++) {
            acc += ConvWindow.window(ins[0], ins[1], g, (g.n * g.channels + first + ch) * g.height, (o * cg + ch) * g.kh);
        }
        return Quant.requantize(acc, TensorLib.at(ins[3], 3, 2 * o), TensorLib.at(ins[3], 3, 2 * o + 1));
    }
}

/// One input channel's window sum, shared by Conv and ConvBlock.
library ConvWindow {
    /// The window columns j in [j0, j0 + count) whose input column col0 + (j - j0)*dw lies inside the input.
    struct Columns {
        uint256 j0;
        uint256 count;
        uint256 col0;
    }

    /// sum over the window of x[plane row h, column w] * w[wRow + i, j] for one input channel: per
    /// window row inside the input, one strided dot product over the columns inside it.
    function window(Tensor calldata x, Tensor calldata w, Window.Geometry memory g, uint256 plane, uint256 wRow)
        internal
        pure
        returns (int256 acc)
    {
        Columns memory cols = columns(g);
        if (cols.count == 0) return 0;
        for (uint256 i = 0; i < g.kh; i++) {
            int256 h = g.h0 + int256(i) * g.dh;
            if (h < 0 || h >= int256(g.height)) continue;
            acc += row(x, w, g, cols, plane + uint256(h), wRow + i);
        }
    }

    function row(Tensor calldata x, Tensor calldata w, Window.Geometry memory g, Columns memory cols, uint256 xRow,
                  uint256 wRow) internal pure returns (int256) {
        xRow = xRow * g.width + cols.col0;
        wRow = wRow * g.kw + cols.j0;
        return TensorLib.dot(x, xRow, uint256(g.dw), w, wRow, 1, cols.count);
    }

    function columns(Window.Geometry memory g) internal pure returns (Columns memory c) {
        uint256 j1 = g.kw;
        uint256 j0;
        while (j0 < j1 && g.w0 + int256(j0) * g.dw < 0) j0++;
        while (j1 > j0 && g.w0 + int256(j1 - 1) * g.dw >= int256(g.width)) j1--;
        c.j0 = j0;
        c.count = j1 - j0;
        if (j1 > j0) c.col0 = uint256(g.w0 + int256(j0) * g.dw);
    }
}
