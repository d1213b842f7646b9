// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {FactoryRegistry} from "./FactoryRegistry.sol";
import {Periods} from "./utils/Periods.sol";

/**
 * @title RetirementClaims
 * @notice The global arbiter of green-certificate and carbon-credit retirements: a claim of a serial
 * range of one issuance block is recorded only if no unit of it was claimed before, by anyone.
 * @dev Claims are keyed by (registry, block id); the overlap check scans the claims of that one
 * block only, so its cost never grows with claims on other blocks. The claiming factory signs an
 * EIP-712 `RetirementClaim` whose `details` member is a nested `ClaimDetails` struct; the contract
 * takes the details' struct hash, which EIP-712 encodes exactly as it would the nested struct, so
 * wallets can show every detail while the chain stores 32 bytes of them.
 */
abstract contract RetirementClaims is FactoryRegistry, EIP712 {
    /// @notice EIP-712 type hash of {ClaimCommit}, with its nested `ClaimDetails` type.
    bytes32 public constant RETIREMENT_CLAIM_TYPEHASH = keccak256(
        "RetirementClaim(string factoryId,string registry,string blockId,uint128 serialStart,uint128 serialEnd,"
        "string consumptionStart,string consumptionEnd,ClaimDetails details)"
        "ClaimDetails(string projectId,string technology,string quantity,string unit,string generationStart,"
        "string generationEnd,string purpose,bytes32 evidenceSha256)"
    );

    /// @notice Longest accepted registry name or block id, in bytes.
    uint256 public constant MAX_ID_LENGTH = 128;

    /// @notice What a factory signs to claim a retirement (the details travel as their hash).
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

    /// @notice One recorded claim.
    struct Claim {
        uint128 serialStart;
        uint128 serialEnd;
        address signer;
        uint48 claimedAt;
        uint48 claimedBlock;
        bytes32 blockKey;
        bytes32 detailsHash;
        string factoryId;
        string registry;
        string blockId;
        string consumptionStart;
        string consumptionEnd;
    }

    /// @dev A claimed serial range packed in one slot, so the overlap scan reads one slot per claim.
    struct Range {
        uint128 start;
        uint128 end;
    }

    Claim[] private _claims;
    mapping(bytes32 blockKey => Range[]) private _rangesByBlock;
    mapping(bytes32 blockKey => uint256[] claimIds) private _claimsByBlock;

    /// @dev The registry name or block id is empty or longer than {MAX_ID_LENGTH}.
    error InvalidCertificateId(string registry, string blockId);
    /// @dev The serial range is empty or reversed (start must be ≤ end).
    error InvalidSerialRange(uint128 serialStart, uint128 serialEnd);
    /// @dev A consumption period is not `YYYY-MM`, or ends before it starts.
    error InvalidConsumptionPeriod(string consumptionStart, string consumptionEnd);
    /// @dev Units of this range were claimed before, by claim `claimId` of `factoryId`.
    error ClaimOverlaps(uint256 claimId, string factoryId, uint128 claimedStart, uint128 claimedEnd);
    /// @dev The signature is not by `expectedSigner`, the factory's current key.
    error InvalidClaimSignature(string factoryId, address expectedSigner);
    /// @dev No claim has this id.
    error UnknownClaim(uint256 claimId);

    /// @notice Units `serialStart..serialEnd` of a block were retired for a factory.
    event RetirementClaimed(
        uint256 indexed claimId, bytes32 indexed blockKey, bytes32 indexed factoryKey, ClaimCommit commit, address signer
    );

    /**
     * @notice Records a retirement claim signed by the factory's current key, if none of its units
     * was claimed before.
     * @dev Anyone may relay. Emits {RetirementClaimed}. Reverts with {UnknownFactory},
     * {InvalidCertificateId}, {InvalidSerialRange}, {InvalidConsumptionPeriod}, {ClaimOverlaps} or
     * {InvalidClaimSignature}.
     * @param commit The signed claim.
     * @param signature The factory signer's EIP-712 signature of the claim (or ERC-1271 data).
     * @return claimId The new claim's id (from 1).
     */
    function claimRetirement(ClaimCommit calldata commit, bytes calldata signature) external returns (uint256 claimId) {
        bytes32 fKey = factoryKey(commit.factoryId);
        address signer = _currentSigner(fKey, commit.factoryId);
        _checkCommit(commit);
        bytes32 bKey = blockKey(commit.registry, commit.blockId);
        (bool overlaps, uint256 otherId) = _firstOverlap(bKey, commit.serialStart, commit.serialEnd);
        if (overlaps) {
            Claim storage other = _claims[otherId - 1];
            revert ClaimOverlaps(otherId, other.factoryId, other.serialStart, other.serialEnd);
        }
        if (!SignatureChecker.isValidSignatureNow(signer, hashClaim(commit), signature)) {
            revert InvalidClaimSignature(commit.factoryId, signer);
        }
        _claims.push(
            Claim({
                serialStart: commit.serialStart,
                serialEnd: commit.serialEnd,
                signer: signer,
                claimedAt: SafeCast.toUint48(block.timestamp),
                claimedBlock: SafeCast.toUint48(block.number),
                blockKey: bKey,
                detailsHash: commit.detailsHash,
                factoryId: commit.factoryId,
                registry: commit.registry,
                blockId: commit.blockId,
                consumptionStart: commit.consumptionStart,
                consumptionEnd: commit.consumptionEnd
            })
        );
        claimId = _claims.length;
        _claimsByBlock[bKey].push(claimId);
        _rangesByBlock[bKey].push(Range(commit.serialStart, commit.serialEnd));
        emit RetirementClaimed(claimId, bKey, fKey, commit, signer);
    }

    /**
     * @notice The EIP-712 digest a factory signs for `commit` on this chain and contract.
     * @param commit The claim.
     * @return The typed-data digest.
     */
    function hashClaim(ClaimCommit calldata commit) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    RETIREMENT_CLAIM_TYPEHASH,
                    keccak256(bytes(commit.factoryId)),
                    keccak256(bytes(commit.registry)),
                    keccak256(bytes(commit.blockId)),
                    commit.serialStart,
                    commit.serialEnd,
                    keccak256(bytes(commit.consumptionStart)),
                    keccak256(bytes(commit.consumptionEnd)),
                    commit.detailsHash
                )
            )
        );
    }

    /**
     * @notice Who claimed serial `serial` of block `blockId` of `registry`.
     * @param registry The registry, e.g. "GEC", "I-REC", "CCER", "VCS".
     * @param blockId The issuance block.
     * @param serial A unit's serial number within the block.
     * @return claimId The claim that holds the unit, or 0 when the unit is unclaimed.
     */
    function claimOf(string calldata registry, string calldata blockId, uint128 serial)
        external
        view
        returns (uint256 claimId)
    {
        (, claimId) = _firstOverlap(blockKey(registry, blockId), serial, serial);
    }

    /**
     * @notice One claim.
     * @dev Reverts with {UnknownClaim} for an id that does not exist.
     * @param claimId A claim id, from 1.
     * @return The claim: range, signer, time, block, factory, consumption period, details hash.
     */
    function getClaim(uint256 claimId) external view returns (Claim memory) {
        if (claimId == 0 || claimId > _claims.length) {
            revert UnknownClaim(claimId);
        }
        return _claims[claimId - 1];
    }

    /**
     * @notice Every claim on one issuance block, in the order they were made.
     * @param registry The registry.
     * @param blockId The issuance block.
     * @return The claim ids.
     */
    function claimsInBlock(string calldata registry, string calldata blockId) external view returns (uint256[] memory) {
        return _claimsByBlock[blockKey(registry, blockId)];
    }

    /**
     * @notice Number of claims ever recorded; claim ids run from 1 to this.
     * @return The count.
     */
    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    /**
     * @notice The storage key of an issuance block.
     * @param registry The registry.
     * @param blockId The issuance block.
     * @return `keccak256(abi.encode(registry, blockId))`.
     */
    function blockKey(string calldata registry, string calldata blockId) public pure returns (bytes32) {
        return keccak256(abi.encode(registry, blockId));
    }

    /// @dev The first claim of block `bKey` sharing a unit with `start..end`; scans that block only.
    function _firstOverlap(bytes32 bKey, uint128 start, uint128 end) private view returns (bool, uint256) {
        Range[] storage ranges = _rangesByBlock[bKey];
        for (uint256 i = 0; i < ranges.length; ++i) {
            Range storage other = ranges[i];
            if (other.start <= end && start <= other.end) {
                return (true, _claimsByBlock[bKey][i]);
            }
        }
        return (false, 0);
    }

    function _checkCommit(ClaimCommit calldata commit) private pure {
        uint256 registryLength = bytes(commit.registry).length;
        uint256 blockLength = bytes(commit.blockId).length;
        if (registryLength == 0 || registryLength > MAX_ID_LENGTH || blockLength == 0 || blockLength > MAX_ID_LENGTH) {
            revert InvalidCertificateId(commit.registry, commit.blockId);
        }
        if (commit.serialStart > commit.serialEnd) {
            revert InvalidSerialRange(commit.serialStart, commit.serialEnd);
        }
        if (
            !Periods.isValid(commit.consumptionStart) || !Periods.isValid(commit.consumptionEnd)
                || keccak256(bytes(commit.consumptionStart)) != keccak256(bytes(commit.consumptionEnd))
                    && !_lessThan(commit.consumptionStart, commit.consumptionEnd)
        ) {
            revert InvalidConsumptionPeriod(commit.consumptionStart, commit.consumptionEnd);
        }
    }

    /// @dev For two valid `YYYY-MM` periods, whether `a` comes before `b` (byte order is time order).
    function _lessThan(string calldata a, string calldata b) private pure returns (bool) {
        bytes calldata x = bytes(a);
        bytes calldata y = bytes(b);
        for (uint256 i = 0; i < x.length; ++i) {
            if (x[i] != y[i]) {
                return x[i] < y[i];
            }
        }
        return false;
    }
}
