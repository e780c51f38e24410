// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReduceMean} from "./ReduceMean.sol";

/// GlobalAveragePool (runtime/ops/globalaveragepool.py): ReduceMean over the axes after the channel.
contract GlobalAveragePool is ReduceMean {}
