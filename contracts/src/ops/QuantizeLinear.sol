// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Lookup} from "./Lookup.sol";

/// QuantizeLinear (runtime/ops/quantizelinear.py): a table op, y = t[x + 32768], the table holding
/// the model's own scale, zero point and saturation.
contract QuantizeLinear is Lookup {}
