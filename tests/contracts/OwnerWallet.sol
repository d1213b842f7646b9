// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/**
 * @title OwnerWallet (tests only; never deployed by the service, never in the committed artifacts)
 * @notice A minimal ERC-1271 contract wallet, as OpenZeppelin 5 wallets answer: a signature is valid
 * iff its owner's key made it over the digest (canonical ECDSA, through OZ's ECDSA), and only while
 * the wallet is enabled.
 * @dev `disable` is open to anyone: tests use it to show that an ERC-1271 answer can change later.
 */
contract OwnerWallet is IERC1271 {
    address public immutable owner;
    bool public enabled = true;

    constructor(address owner_) {
        owner = owner_;
    }

    function disable() external {
        enabled = false;
    }

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (enabled && error == ECDSA.RecoverError.NoError && recovered == owner) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }
}
