// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Attr, Node, SlotDesc} from "./IOpKernel.sol";
import {MalformedDescriptor, MissingAttribute} from "../Errors.sol";

/// Decodes the descriptor bytes that the program root commits to (bisection/commitments.py):
///
///     header = "TRIBUNAL/PROGRAM/1" || u32 num_slots || u32 steps || u32 input_slot || u64 scale bits
///              || u32 num_outputs || u32 output_slot...
///     node   = u32 op_code || u32 step || u32 n || slot_desc... || u32 n || slot_desc...
///              || u32 n || attr...
///     slot_desc = u32 slot || u8 kind || u8 dtype || u8 rank || u32 dim...
///     attr   = u8 len || name || u8 tag || u32 count || i64 value...
///
/// All integers big-endian. Any read past the end, or trailing bytes, is MalformedDescriptor.
library Descriptor {
    bytes18 internal constant HEADER_TAG = "TRIBUNAL/PROGRAM/1";

    struct Cursor {
        bytes data;
        uint256 pos;
        uint256 step; // for the error
    }

    function _take(Cursor memory c, uint256 n) private pure returns (uint256 v) {
        // INVARIANT: every field lies inside the committed bytes; nothing is read from beyond them.
        if (c.pos + n > c.data.length) revert MalformedDescriptor(c.step);
        bytes memory d = c.data;
        uint256 p = c.pos;
        assembly {
            v := shr(sub(256, mul(8, n)), mload(add(add(d, 32), p)))
        }
        c.pos = p + n;
    }

    /// (num_slots, steps) of a program header.
    function header(bytes memory h) internal pure returns (uint256 numSlots, uint256 steps) {
        Cursor memory c = Cursor(h, 18, 0);
        // INVARIANT: leaf 0 is a header, so the tree sizes read from it are the program's.
        if (h.length < 18 || bytes18(_word(h)) != HEADER_TAG) revert MalformedDescriptor(0);
        numSlots = _take(c, 4);
        steps = _take(c, 4);
    }

    function _word(bytes memory h) private pure returns (bytes32 w) {
        assembly {
            w := mload(add(h, 32))
        }
    }

    function _slots(Cursor memory c) private pure returns (SlotDesc[] memory s) {
        s = new SlotDesc[](_take(c, 4));
        for (uint256 i = 0; i < s.length; i++) {
            s[i].slot = _take(c, 4);
            s[i].kind = _take(c, 1);
            s[i].dtype = _take(c, 1);
            uint256[] memory shape = new uint256[](_take(c, 1));
            for (uint256 j = 0; j < shape.length; j++) shape[j] = _take(c, 4);
            s[i].shape = shape;
        }
    }

    /// The node that a node descriptor describes; `step` only names the step in errors.
    function node(bytes memory d, uint256 step) internal pure returns (Node memory n) {
        Cursor memory c = Cursor(d, 0, step);
        n.opCode = _take(c, 4);
        n.step = _take(c, 4);
        n.inputs = _slots(c);
        n.outputs = _slots(c);
        n.attrs = new Attr[](_take(c, 4));
        for (uint256 i = 0; i < n.attrs.length; i++) {
            uint256 len = _take(c, 1);
            if (c.pos + len > d.length) revert MalformedDescriptor(step);
            bytes memory name = new bytes(len);
            uint256 from = c.pos;
            assembly {
                mcopy(add(name, 32), add(add(d, 32), from), len)
            }
            c.pos += len;
            _take(c, 1); // tag: an int or a tuple, both read as a list
            int256[] memory values = new int256[](_take(c, 4));
            for (uint256 j = 0; j < values.length; j++) values[j] = int256(int64(uint64(_take(c, 8))));
            n.attrs[i] = Attr(name, values);
        }
        if (c.pos != d.length) revert MalformedDescriptor(step);
    }

    /// The values of attribute `name` (an int is a one-element list).
    function attr(Node calldata n, string memory name) internal pure returns (int256[] calldata) {
        bytes32 h = keccak256(bytes(name));
        for (uint256 i = 0; i < n.attrs.length; i++) {
            if (keccak256(n.attrs[i].name) == h) return n.attrs[i].values;
        }
        revert MissingAttribute(name);
    }

    /// The one value of int attribute `name`.
    function attrInt(Node calldata n, string memory name) internal pure returns (int256) {
        return attr(n, name)[0];
    }
}
