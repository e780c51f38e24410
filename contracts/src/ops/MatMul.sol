// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// MatMul (runtime/ops/matmul.py): inputs a int16 [..., M, K], b int8 or int16 [..., K, N] (or, with the
/// attribute transB = 1, [..., N, K]), p int64 [C, 2] with numpy broadcasting over the leading axes.
/// Element (batch, m, n) = requantize(sum_k a[batch, m, k] * b[batch, k, n], p[c]) with c = n when C > 1,
/// else 0. It reads row m of a's broadcast batch, column n of b's (row n when transB), and p[c].
contract MatMul is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        uint256 r = c.length;
        uint256 n = c[r - 1];
        c[r - 1] = 0;
        uint256 aRow = Shape.broadcast(c, ins[0].shape); // a[batch, m, 0]
        int256 acc;
        if (_transB(node)) {
            c[r - 2] = n;
            uint256 bRow = Shape.broadcast(c, ins[1].shape); // b[batch, n, 0]
            acc = _dotRows(ins[0], ins[1], aRow, bRow);
        } else {
            c[r - 2] = 0;
            c[r - 1] = n;
            uint256 bCol = Shape.broadcast(c, ins[1].shape); // b[batch, 0, n]
            acc = _dot(ins[0], ins[1], aRow, bCol);
        }
        uint256 pc = ins[2].shape[0] > 1 ? n : 0;
        return Quant.requantize(acc, TensorLib.at(ins[2], 2, 2 * pc), TensorLib.at(ins[2], 2, 2 * pc + 1));
    }

    /// Whether the node has transB = 1 (programs made before it have no such attribute).
    function _transB(Node calldata node) private pure returns (bool) {
        bytes32 h = keccak256("transB");
        for (uint256 i = 0; i < node.attrs.length; i++) {
            if (keccak256(node.attrs[i].name) == h) return node.attrs[i].values[0] != 0;
        }
        return false;
    }

    /// sum_k a[aRow + k] * b[bRow + k]: a row of a times a row of b (transB).
    function _dotRows(Tensor calldata a, Tensor calldata b, uint256 aRow, uint256 bRow) private pure returns (int256) {
        return TensorLib.dot(a, aRow, 1, b, bRow, 1, a.shape[a.shape.length - 1]);
    }

    /// sum_k a[aRow + k] * b[bCol + k * N]: a row of a times a column of b.
    function _dot(Tensor calldata a, Tensor calldata b, uint256 aRow, uint256 bCol) private pure returns (int256 acc) {
        uint256 k = a.shape[a.shape.length - 1];
        uint256 stride = b.shape[b.shape.length - 1];
        acc = TensorLib.dot(a, aRow, 1, b, bCol, stride, k);
    }
}
