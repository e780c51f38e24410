// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";
import {Window} from "./MaxPool.sol";

/// AveragePool (runtime/ops/averagepool.py): input x int16 [N, C, H, W]; attrs kernel, strides, pads,
/// dilations, count_include_pad, m, shift. Element (n, c, oh, ow) = mean(S, count, m, shift), S the
/// window's sum inside x, count kh * kw with count_include_pad, else the positions inside x.
contract AveragePool is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256[] calldata kernel = Descriptor.attr(node, "kernel");
        Window.Geometry memory g = Window.geometry(node, ins[0].shape, uint256(kernel[0]), uint256(kernel[1]), c);
        (int256 s, int256 count) = _sum(ins[0], g, (g.n * g.channels + c[1]) * g.height);
        if (Descriptor.attrInt(node, "count_include_pad") != 0) count = kernel[0] * kernel[1];
        return Quant.mean(s, count, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }

    /// (sum, number of positions) of the window inside the plane starting at row `plane`: each row's
    /// columns inside x are one strided run.
    function _sum(Tensor calldata x, Window.Geometry memory g, uint256 plane) private pure returns (int256 s, int256 count) {
        (uint256 j0, uint256 cols) = _columns(g);
        if (cols == 0) return (0, 0);
        uint256 w = uint256(g.w0 + int256(j0) * g.dw);
        for (uint256 i = 0; i < g.kh; i++) {
            int256 h = g.h0 + int256(i) * g.dh;
            if (h < 0 || h >= int256(g.height)) continue;
            s += TensorLib.sum(x, 0, (plane + uint256(h)) * g.width + w, uint256(g.dw), cols);
            count += int256(cols);
        }
    }

    /// (first kernel column inside x, how many are inside).
    function _columns(Window.Geometry memory g) private pure returns (uint256 j0, uint256 cols) {
        for (uint256 j = 0; j < g.kw; j++) {
            int256 w = g.w0 + int256(j) * g.dw;
            if (w < 0 || w >= int256(g.width)) continue;
            if (cols == 0) j0 = j;
            cols++;
        }
    }
}
