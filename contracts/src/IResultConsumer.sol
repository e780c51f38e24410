// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// The callback interface lives with the other interfaces a dapp imports (interfaces/); this path keeps
// older imports working.
import {IResultConsumer} from "./interfaces/IResultConsumer.sol";
