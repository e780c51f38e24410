// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IResultConsumer} from "../../IResultConsumer.sol";

/// @notice TEST ONLY. A consumer that can destroy itself: created and destroyed in one transaction
/// (EIP-6780), its code is gone once that transaction ends, although it had code when a request named it.
contract VanishingConsumer is IResultConsumer {
    uint256 public received;

    function onResult(uint256, bytes32) external {
        received += 1;
    }

    function vanish() external {
        selfdestruct(payable(msg.sender));
    }
}

/// @notice TEST ONLY. Plays the vanishing-consumer attack: in one transaction it creates a consumer,
/// calls `target` with `data` after writing the consumer's address into the 32-byte word at byte
/// `consumerAt` of `data` (a request's `consumer` argument), then destroys the consumer. The request
/// passed the "consumer is a contract" check; its delivery later calls an address without code.
contract TestVanishingRequester {
    function requestAndVanish(address target, bytes calldata data, uint256 consumerAt)
        external
        payable
        returns (address consumer)
    {
        VanishingConsumer c = new VanishingConsumer();
        consumer = address(c);
        bytes memory d = data;
        assembly {
            mstore(add(add(d, 32), consumerAt), consumer)
        }
        (bool ok, bytes memory out) = target.call{value: msg.value}(d);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        c.vanish();
    }

    receive() external payable {}
}

/// @notice TEST ONLY. A consumer whose callback burns every unit of gas it is given, then reverts.
contract GasBurningConsumer is IResultConsumer {
    function onResult(uint256, bytes32) external pure {
        while (true) {}
    }
}
