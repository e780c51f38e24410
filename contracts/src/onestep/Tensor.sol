// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Tensor} from "./IOpKernel.sol";
import {MissingChunk} from "../Errors.sol";

/// Tensor trees and elements under runtime/tensor_root.py's rules: canonical bytes are the elements
/// row-major, big-endian two's complement of 1, 2 or 8 bytes, cut into 1024-byte chunks padded with
/// zeros to a power of two; leaf = sha256(chunk), inner node = sha256(left || right). The state and
/// program trees (bisection/merkle.py) fold the same way over 32-byte leaves.
library TensorLib {
    uint256 internal constant CHUNK = 1024;

    /// Number of chunks in the padded tree of `nbytes` of data: a power of two, at least one.
    function numChunks(uint256 nbytes) internal pure returns (uint256 n) {
        uint256 data = nbytes == 0 ? 1 : (nbytes + CHUNK - 1) / CHUNK;
        n = 1;
        while (n < data) n <<= 1;
    }

    /// log2 of the smallest power of two >= n (n >= 1): the depth of a tree over n leaves.
    function depthOf(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) d++;
    }

    /// The root that `leaf` at `index` with the sibling path `path` (bottom first) commits to. Each
    /// inner node is sha256(left || right), hashed from the scratch space (no memory is allocated).
    function fold(bytes32 leaf, uint256 index, bytes32[] memory path) internal view returns (bytes32 node) {
        assembly {
            node := leaf
            let p := add(path, 32)
            for { let end := add(p, shl(5, mload(path))) } lt(p, end) { p := add(p, 32) } {
                let sib := mload(p)
                switch and(index, 1)
                case 0 {
                    mstore(0x00, node)
                    mstore(0x20, sib)
                }
                default {
                    mstore(0x00, sib)
                    mstore(0x20, node)
                }
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
                node := mload(0x00)
                index := shr(1, index)
            }
        }
    }

    /// sha256 of the bytes `data` in memory, hashed in place.
    function hash(bytes memory data) internal view returns (bytes32 h) {
        assembly {
            if iszero(staticcall(gas(), 0x02, add(data, 32), mload(data), 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// Reads elements of one proven tensor, remembering the last chunk it found (kernels read runs of
    /// neighbouring elements, so most reads skip the chunk search).
    struct Reader {
        uint256 width;
        uint256 input; // the input's position in the node, for MissingChunk
        uint256 chunk; // the chunk `base` points into
        uint256 base; // calldata offset of that chunk's bytes
    }

    function reader(Tensor calldata t, uint256 input) internal pure returns (Reader memory r) {
        r.width = t.width;
        r.input = input;
        r.chunk = type(uint256).max;
    }

    /// Element `i` (flat) of the reader's tensor `t`, sign-extended.
    function get(Reader memory r, Tensor calldata t, uint256 i) internal pure returns (int256 v) {
        uint256 w = r.width;
        uint256 p;
        unchecked {
            uint256 offset = i * w;
            uint256 c = offset / CHUNK;
            if (c != r.chunk) {
                r.base = _find(t, r.input, c);
                r.chunk = c;
            }
            // elements never straddle chunks: 1024 is a multiple of 1, 2 and 8
            p = r.base + (offset % CHUNK);
        }
        assembly {
            v := signextend(sub(w, 1), shr(sub(256, mul(8, w)), calldataload(p)))
        }
    }

    /// sum_{j < n} a[ia + j * sa] * b[ib + j * sb] (flat indices, elements sign-extended), read from the
    /// proven chunks of the node's input 0 (tensor a) and input 1 (tensor b) in the order a[j], b[j], as
    /// `get` would; a chunk that is not among them reverts with MissingChunk. The sum is exact in int256.
    function dot(Tensor calldata a, uint256 ia, uint256 sa, Tensor calldata b, uint256 ib, uint256 sb, uint256 n)
        internal
        pure
        returns (int256 acc)
    {
        Run memory r = Run(a.width, b.width, type(uint256).max, type(uint256).max, 0, 0);
        unchecked {
            // from here ia, ib are byte offsets and sa, sb byte steps (products of shape dims: no overflow)
            ia *= r.wa;
            ib *= r.wb;
            sa *= r.wa;
            sb *= r.wb;
            while (n > 0) {
                uint256 c = ia / CHUNK;
                if (c != r.ca) {
                    r.baseA = _find(a, 0, c);
                    r.ca = c;
                }
                c = ib / CHUNK;
                if (c != r.cb) {
                    r.baseB = _find(b, 1, c);
                    r.cb = c;
                }
                // steps that stay inside both current chunks (elements never straddle chunks)
                uint256 run = n;
                if (sa != 0 && (CHUNK - ia % CHUNK + sa - 1) / sa < run) run = (CHUNK - ia % CHUNK + sa - 1) / sa;
                if (sb != 0 && (CHUNK - ib % CHUNK + sb - 1) / sb < run) run = (CHUNK - ib % CHUNK + sb - 1) / sb;
                acc += _dotRun(r, r.baseA + ia % CHUNK, sa, r.baseB + ib % CHUNK, sb, run);
                ia += run * sa;
                ib += run * sb;
                n -= run;
            }
        }
    }

    /// The chunks a dot product is reading: element widths, chunk indices and their calldata offsets.
    struct Run {
        uint256 wa;
        uint256 wb;
        uint256 ca;
        uint256 cb;
        uint256 baseA;
        uint256 baseB;
    }

    /// sum over `run` steps of the elements at calldata offsets pa + j*da (width r.wa) times pb + j*db (r.wb).
    function _dotRun(Run memory r, uint256 pa, uint256 da, uint256 pb, uint256 db, uint256 run)
        private
        pure
        returns (int256 acc)
    {
        uint256 wa = r.wa;
        uint256 wb = r.wb;
        assembly {
            let sha := sub(256, mul(8, wa))
            let sea := sub(wa, 1)
            let shb := sub(256, mul(8, wb))
            let seb := sub(wb, 1)
            for {} run { run := sub(run, 1) } {
                acc := add(acc, mul(signextend(sea, shr(sha, calldataload(pa))),
                                    signextend(seb, shr(shb, calldataload(pb)))))
                pa := add(pa, da)
                pb := add(pb, db)
            }
        }
    }

    /// sum_{j < n} t[i + j * step] (flat indices, sign-extended) over input `input`'s proven chunks, as
    /// `get` would read them, in assembly runs inside each chunk (the reductions' inner loop).
    function sum(Tensor calldata t, uint256 input, uint256 i, uint256 step, uint256 n) internal pure returns (int256 acc) {
        uint256 w = t.width;
        uint256 cur = type(uint256).max;
        uint256 base;
        unchecked {
            i *= w; // from here byte offsets and a byte step
            step *= w;
            while (n > 0) {
                uint256 c = i / CHUNK;
                if (c != cur) {
                    base = _find(t, input, c);
                    cur = c;
                }
                uint256 run = n;
                if (step != 0 && (CHUNK - i % CHUNK + step - 1) / step < run) run = (CHUNK - i % CHUNK + step - 1) / step;
                acc += _sumRun(base + i % CHUNK, step, w, run);
                i += run * step;
                n -= run;
            }
        }
    }

    function _sumRun(uint256 p, uint256 dp, uint256 w, uint256 run) private pure returns (int256 acc) {
        assembly {
            let sh := sub(256, mul(8, w))
            let se := sub(w, 1)
            for {} run { run := sub(run, 1) } {
                acc := add(acc, signextend(se, shr(sh, calldataload(p))))
                p := add(p, dp)
            }
        }
    }

    /// max_{j < n} t[i + j * step] (flat indices, sign-extended; n >= 1) over input `input`'s proven
    /// chunks, in assembly runs inside each chunk as `sum` reads them (a row-wise op's maximum).
    function max(Tensor calldata t, uint256 input, uint256 i, uint256 step, uint256 n) internal pure returns (int256 m) {
        uint256 w = t.width;
        uint256 cur = type(uint256).max;
        uint256 base;
        m = type(int256).min;
        unchecked {
            i *= w;
            step *= w;
            while (n > 0) {
                uint256 c = i / CHUNK;
                if (c != cur) {
                    base = _find(t, input, c);
                    cur = c;
                }
                uint256 run = n;
                if (step != 0 && (CHUNK - i % CHUNK + step - 1) / step < run) run = (CHUNK - i % CHUNK + step - 1) / step;
                int256 r = _maxRun(base + i % CHUNK, step, w, run);
                if (r > m) m = r;
                i += run * step;
                n -= run;
            }
        }
    }

    function _maxRun(uint256 p, uint256 dp, uint256 w, uint256 run) private pure returns (int256 m) {
        assembly {
            let sh := sub(256, mul(8, w))
            let se := sub(w, 1)
            m := not(0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff) // int256 min
            for {} run { run := sub(run, 1) } {
                let v := signextend(se, shr(sh, calldataload(p)))
                if sgt(v, m) { m := v }
                p := add(p, dp)
            }
        }
    }

    /// Element `i` (flat) of input `input`, read from its proven chunks, sign-extended.
    function at(Tensor calldata t, uint256 input, uint256 i) internal pure returns (int256) {
        return get(reader(t, input), t, i);
    }

    /// Calldata offset of the bytes of chunk `c` of `t`.
    function _find(Tensor calldata t, uint256 input, uint256 c) private pure returns (uint256 base) {
        uint256[] calldata idx = t.chunkIndex;
        for (uint256 j = 0; j < idx.length; j++) {
            if (idx[j] == c) {
                bytes calldata data = t.chunks[j];
                // INVARIANT: reads stay inside a whole chunk (the verifier checked each is 1024 bytes).
                if (data.length != CHUNK) revert MissingChunk(input, c);
                assembly {
                    base := data.offset
                }
                return base;
            }
        }
        // INVARIANT: a kernel only computes from elements the verifier proved against the state.
        revert MissingChunk(input, c);
    }
}
