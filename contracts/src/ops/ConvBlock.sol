// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Limbs} from "../onestep/Limbs.sol";
import {Window} from "./MaxPool.sol";
import {ConvWindow} from "./Conv.sol";

/// ConvBlock (runtime/ops/convblock.py): inputs x int16 [N, C, H, W], w int8 [O, C/g, kh, kw], acc int16
/// [N, OH, OW, O, 4] or [O, 4] (int64 sums as limbs); attrs strides, pads, dilations, group, c0, c1.
/// Element (n, oh, ow, o, l) = limb l of acc[n, oh, ow, o] (or acc[o]) + the sum over the group's input
/// channels c0 <= c < c1 and the window of x * w[o]. Reads that window, w[o] over those channels and
/// the four limbs of one acc element.
contract ConvBlock is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory u = Shape.unravel(node.outputs[0].shape, index); // (n, oh, ow, o, limb)
        uint256[] memory c = new uint256[](4);
        (c[0], c[1], c[2], c[3]) = (u[0], u[3], u[1], u[2]);
        Window.Geometry memory g = Window.geometry(node, ins[0].shape, ins[1].shape[2], ins[1].shape[3], c);
        uint256 o = u[3];
        uint256 cg = ins[1].shape[1];
        uint256 first = (o / (ins[1].shape[0] / uint256(Descriptor.attrInt(node, "group")))) * cg;
        int256 acc = Limbs.read(ins[2], 2, ins[2].shape.length == 2 ? o : index / 4);
        uint256 c1 = uint256(Descriptor.attrInt(node, "c1"));
        for (uint256 ch = uint256(Descriptor.attrInt(node, "c0")); ch < c1; ch++) {
            acc += ConvWindow.window(ins[0], ins[1], g, (g.n * g.channels + first + ch) * g.height, (o * cg + ch) * g.kh);
        }
        return Limbs.limb(acc, index % 4);
    }
}
