// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Lookup} from "./Lookup.sol";

/// LeakyRelu (runtime/ops/leakyrelu.py): a table op, y = t[x + 32768].
contract LeakyRelu is Lookup {}
