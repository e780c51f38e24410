// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";

/// The 2-D window that Conv and MaxPool share (runtime/ops/conv.py: conv_attrs, window_reads):
/// output position (oh, ow) covers input rows oh*sh - pt + i*dh and columns ow*sw - pl + j*dw.
library Window {
    struct Geometry {
        uint256 n; // batch index of the element
        uint256 channels; // C of the input
        uint256 height;
        uint256 width;
        uint256 kh;
        uint256 kw;
        int256 h0; // the window's first row (negative inside the top padding)
        int256 w0;
        int256 dh;
        int256 dw;
    }

    /// The window of output coordinates c = (n, channel, oh, ow) over input shape x [N, C, H, W].
    function geometry(Node calldata node, uint256[] calldata x, uint256 kh, uint256 kw, uint256[] memory c)
        internal
        pure
        returns (Geometry memory g)
    {
        int256[] calldata strides = Descriptor.attr(node, "strides");
        int256[] calldata pads = Descriptor.attr(node, "pads");
        int256[] calldata dil = Descriptor.attr(node, "dilations");
        g = Geometry(c[0], x[1], x[2], x[3], kh, kw, int256(c[2]) * strides[0] - pads[0],
                     int256(c[3]) * strides[1] - pads[1], dil[0], dil[1]);
    }
}

/// MaxPool (runtime/ops/maxpool.py): input x int16 [N, C, H, W]; attrs kernel, strides, pads,
/// dilations. Element (n, c, oh, ow) = the maximum over the window in channel c, padding counting as
/// -32768. Reads the window's elements inside the input.
contract MaxPool is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256[] calldata kernel = Descriptor.attr(node, "kernel");
        Window.Geometry memory g = Window.geometry(node, ins[0].shape, uint256(kernel[0]), uint256(kernel[1]), c);
        return _max(ins[0], g, (g.n * g.channels + c[1]) * g.height);
    }

    /// The maximum over the window in the plane starting at row `plane` (padding counts as -32768).
    function _max(Tensor calldata x, Window.Geometry memory g, uint256 plane) private pure returns (int256 best) {
        best = -32768;
        TensorLib.Reader memory rx = TensorLib.reader(x, 0);
        for (uint256 i = 0; i < g.kh; i++) {
            int256 h = g.h0 + int256(i) * g.dh;
            if (h < 0 || h >= int256(g.height)) continue;
            for (uint256 j = 0; j < g.kw; j++) {
                int256 w = g.w0 + int256(j) * g.dw;
                if (w < 0 || w >= int256(g.width)) continue;
                int256 v = TensorLib.get(rx, x, (plane + uint256(h)) * g.width + uint256(w));
                if (v > best) best = v;
            }
        }
    }
}
