// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Lookup} from "./Lookup.sol";

/// Sqrt (runtime/ops/sqrt.py): a table op, y = t[x + 32768].
contract Sqrt is Lookup {}
