// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @dev RetirementClaims.ClaimCommit, field for field (the ABI both contract versions take).
struct ClaimCommit {
    string factoryId;
    string registry;
    string blockId;
    uint128 serialStart;
    uint128 serialEnd;
    string consumptionStart;
    string consumptionEnd;
    bytes32 detailsHash;
}

/// @dev The claims contract as it is (a position hint with every claim).
interface IRetirementClaims {
    function hashClaim(ClaimCommit calldata commit) external view returns (bytes32);
    function claimRetirement(ClaimCommit calldata commit, bytes calldata signature, uint256 positionHint)
        external
        returns (uint256);
}

/// @dev The claims contract before position hints (commit 1ba47a0): every claim scanned its block.
interface IPreviousRetirementClaims {
    function claimRetirement(ClaimCommit calldata commit, bytes calldata signature) external returns (uint256);
}

/**
 * @title ClaimFiller
 * @notice Benchmark only, never deployed: fills one issuance block with many claims, fast. It is a
 * factory's ERC-1271 wallet and its relayer at once: for each claim it asks the ledger for the
 * digest, approves that digest for the length of the call (transient storage) and relays the claim
 * with an empty signature, so the ledger's own path runs in full — the factory's current signer, the
 * commit checks, the overlap check from the position hint, `SignatureChecker` asking this wallet.
 * Claims go up the block `stride` serials apart, each hinted with the one before (exact).
 */
contract ClaimFiller is IERC1271 {
    address public immutable owner;
    bytes32 private transient _approved;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Valid for the one digest being relayed now, from this contract's own call.
    function isValidSignature(bytes32 digest, bytes calldata) external view returns (bytes4) {
        return digest != 0 && digest == _approved ? this.isValidSignature.selector : bytes4(0);
    }

    /**
     * @notice Relays `count` claims: `commit`, then the same range moved up by `stride` each time.
     * @param ledger The claims contract.
     * @param hint The live claim of the block just before `commit.serialStart` (0: none).
     * @param previous Whether `ledger` is the previous contract (no hint argument).
     * @return claimId The last claim's id.
     */
    function fill(
        address ledger,
        ClaimCommit memory commit,
        uint256 count,
        uint128 stride,
        uint256 hint,
        bool previous
    ) external returns (uint256 claimId) {
        require(msg.sender == owner, "ClaimFiller: owner only");
        for (uint256 i = 0; i < count; ++i) {
            _approved = IRetirementClaims(ledger).hashClaim(commit);
            claimId = previous
                ? IPreviousRetirementClaims(ledger).claimRetirement(commit, "")
                : IRetirementClaims(ledger).claimRetirement(commit, "", hint);
            hint = claimId;
            commit.serialStart += stride;
            commit.serialEnd += stride;
        }
        _approved = 0;
    }
}
