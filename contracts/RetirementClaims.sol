// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {FactoryRegistry} from "./FactoryRegistry.sol";
import {Periods} from "./utils/Periods.sol";
import {RangeLists} from "./utils/RangeLists.sol";

/**
 * @title RetirementClaims
 * @notice The global arbiter of green-certificate and carbon-credit retirements: a claim of a serial
 * range of one issuance block is recorded only if no unit of it is held by a live claim, by anyone.
 * A claim starts *provisional*: it holds its units at once, and an attestor confirms it or the
 * arbiter revokes it, freeing them (see {ClaimAttestations}).
 * @dev The live claims of each block (registry, block id) are kept sorted by serial in a linked list
 * ({RangeLists}); the relayer passes a *position hint* (the live claim of the block just before
 * the new range, found off chain) and the contract checks it, so a claim's cost and a lookup's do
 * not grow with the claims already on the block. The claiming factory signs an EIP-712
 * `RetirementClaim` whose `details` member is a nested `ClaimDetails` struct; the contract takes the
 * details' struct hash, which EIP-712 encodes exactly as it would the nested struct, so wallets can
 * show every detail while the chain stores 32 bytes of them. The hint is not signed: it says where
 * to look, not what is claimed.
 */
abstract contract RetirementClaims is FactoryRegistry {
    using RangeLists for RangeLists.Lists;

    /// @notice EIP-712 type hash of {ClaimCommit}, with its nested `ClaimDetails` type.
    bytes32 public constant RETIREMENT_CLAIM_TYPEHASH = keccak256(
        "RetirementClaim(string factoryId,string registry,string blockId,uint128 serialStart,uint128 serialEnd,"
        "string consumptionStart,string consumptionEnd,ClaimDetails details)"
        "ClaimDetails(string projectId,string technology,string quantity,string unit,string generationStart,"
        "string generationEnd,string purpose,bytes32 evidenceSha256,string country,string region,"
        "string methodology,string cancellationNumber,string cancellationDate,string bundledWith)"
    );

    /// @notice Longest accepted registry name or block id, in bytes.
    uint256 public constant MAX_ID_LENGTH = 128;

    /// @notice Where a claim stands: provisional and confirmed claims hold their units, revoked ones do not.
    enum ClaimStatus {
        None,
        Provisional,
        Confirmed,
        Revoked
    }

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

    /// @notice One recorded claim, as {getClaim} returns it.
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
        ClaimStatus status;
        address decidedBy;
        uint48 decidedAt;
        bytes32 reasonHash;
    }

    /// @dev A claim as stored; its range and block live in {_ranges}, under the same id.
    struct StoredClaim {
        address signer;
        uint40 claimedAt;
        uint40 claimedBlock;
        ClaimStatus status;
        bytes32 detailsHash;
        string factoryId;
        string registry;
        string blockId;
        string consumptionStart;
        string consumptionEnd;
    }

    /// @dev Who confirmed or revoked a claim, when, and (revocation) why.
    struct Decision {
        address by;
        uint48 at;
        bytes32 reasonHash;
    }

    StoredClaim[] private _claims;
    RangeLists.Lists private _ranges;
    mapping(uint256 claimId => Decision) private _decisions;
    mapping(bytes32 digest => uint256 claimId) private _claimByDigest;

    /// @dev The registry name or block id is empty or longer than {MAX_ID_LENGTH}.
    error InvalidCertificateId(string registry, string blockId);
    /// @dev The serial range is empty or reversed (start must be ≤ end).
    error InvalidSerialRange(uint128 serialStart, uint128 serialEnd);
    /// @dev A consumption period is not `YYYY-MM`, or ends before it starts.
    error InvalidConsumptionPeriod(string consumptionStart, string consumptionEnd);
    /// @dev Units of this range are held by live claim `claimId` of `factoryId`.
    error ClaimOverlaps(uint256 claimId, string factoryId, uint128 claimedStart, uint128 claimedEnd);
    /// @dev The signature is not by `expectedSigner`, the factory's current key.
    error InvalidClaimSignature(string factoryId, address expectedSigner);
    /// @dev No claim has this id.
    error UnknownClaim(uint256 claimId);
    /// @dev This signed claim was recorded before, as `claimId` (live or revoked): a signature claims once.
    error ClaimAlreadyRecorded(uint256 claimId);

    /// @notice Units `serialStart..serialEnd` of a block were retired for a factory (provisionally).
    event RetirementClaimed(
        uint256 indexed claimId, bytes32 indexed blockKey, bytes32 indexed factoryKey, ClaimCommit commit, address signer
    );

    /**
     * @notice Records a provisional retirement claim signed by the factory's current key, if none of
     * its units is held by a live claim.
     * @dev Anyone may relay. Emits {RetirementClaimed}. Reverts with {UnknownFactory},
     * {InvalidCertificateId}, {InvalidSerialRange}, {InvalidConsumptionPeriod},
     * {ClaimAlreadyRecorded}, {RangeLists.InvalidPositionHint}, {ClaimOverlaps} or
     * {InvalidClaimSignature}. A signed claim is recorded once: after a revocation its signature
     * cannot claim the units again (the factory would sign a new claim).
     * @param commit The signed claim.
     * @param signature The factory signer's EIP-712 signature of the claim (or ERC-1271 data).
     * @param positionHint A live claim of the block starting at or before `commit.serialStart`, as
     * close before it as the relayer knows ({precedingClaim} finds it), or 0 to search from the first.
     * @return claimId The new claim's id (from 1).
     */
    function claimRetirement(ClaimCommit calldata commit, bytes calldata signature, uint256 positionHint)
        external
        returns (uint256 claimId)
    {
        bytes32 fKey = factoryKey(commit.factoryId);
        address signer = _currentSigner(fKey, commit.factoryId);
        _checkCommit(commit);
        bytes32 digest = hashClaim(commit);
        uint256 earlier = _claimByDigest[digest];
        if (earlier != 0) {
            revert ClaimAlreadyRecorded(earlier);
        }
        bytes32 bKey = blockKey(commit.registry, commit.blockId);
        claimId = _claims.length + 1;
        uint256 otherId = _ranges.insert(bKey, claimId, commit.serialStart, commit.serialEnd, positionHint);
        if (otherId != 0) {
            RangeLists.Node storage other = _ranges.nodes[otherId];
            revert ClaimOverlaps(otherId, _claims[otherId - 1].factoryId, other.start, other.end);
        }
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert InvalidClaimSignature(commit.factoryId, signer);
        }
        _claimByDigest[digest] = claimId;
        _claims.push(
            StoredClaim({
                signer: signer,
                claimedAt: SafeCast.toUint40(block.timestamp),
                claimedBlock: SafeCast.toUint40(block.number),
                status: ClaimStatus.Provisional,
                detailsHash: commit.detailsHash,
                factoryId: commit.factoryId,
                registry: commit.registry,
                blockId: commit.blockId,
                consumptionStart: commit.consumptionStart,
                consumptionEnd: commit.consumptionEnd
            })
        );
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
     * @notice The live claim that holds serial `serial` of block `blockId` of `registry`.
     * @dev Costs the same however many claims the block holds when `positionHint` is right; a hint of
     * 0 walks the block's live claims from the first. Reverts with {RangeLists.InvalidPositionHint}.
     * @param registry The registry, e.g. "GEC", "I-REC", "CCER", "VCS".
     * @param blockId The issuance block.
     * @param serial A unit's serial number within the block.
     * @param positionHint A live claim of the block starting at or before `serial`, or 0.
     * @return claimId The provisional or confirmed claim that holds the unit, or 0 when it is free.
     */
    function claimOf(string calldata registry, string calldata blockId, uint128 serial, uint256 positionHint)
        external
        view
        returns (uint256 claimId)
    {
        return _ranges.find(blockKey(registry, blockId), serial, positionHint);
    }

    /**
     * @notice The position hint for a claim starting at `serial`: the last live claim of the block
     * that starts at or before it (0: none), found by walking forward from `from`.
     * @dev For relayers, as an `eth_call`: pass the closest claim known off chain as `from` so the walk
     * is short. Reverts with {RangeLists.InvalidPositionHint} when `from` is not a live claim of the
     * block starting at or before `serial`.
     * @param registry The registry.
     * @param blockId The issuance block.
     * @param serial The first serial of the range to claim, or a serial to look up.
     * @param from Where to start walking (a live claim of the block), or 0 for its first claim.
     * @return claimId The claim to pass as the position hint.
     */
    function precedingClaim(string calldata registry, string calldata blockId, uint128 serial, uint256 from)
        external
        view
        returns (uint256 claimId)
    {
        (claimId,) = _ranges.seek(blockKey(registry, blockId), serial, from);
    }

    /**
     * @notice One claim, with where it stands.
     * @dev Reverts with {UnknownClaim} for an id that does not exist.
     * @param claimId A claim id, from 1.
     * @return claim The claim: range, signer, time, block, factory, consumption period, details hash,
     * status and (once decided) who decided it, when, and the reason hash of a revocation.
     */
    function getClaim(uint256 claimId) external view returns (Claim memory claim) {
        StoredClaim storage stored = _storedClaim(claimId);
        RangeLists.Node storage range = _ranges.nodes[claimId];
        Decision storage decision = _decisions[claimId];
        claim.serialStart = range.start;
        claim.serialEnd = range.end;
        claim.signer = stored.signer;
        claim.claimedAt = stored.claimedAt;
        claim.claimedBlock = stored.claimedBlock;
        claim.blockKey = range.list;
        claim.detailsHash = stored.detailsHash;
        claim.factoryId = stored.factoryId;
        claim.registry = stored.registry;
        claim.blockId = stored.blockId;
        claim.consumptionStart = stored.consumptionStart;
        claim.consumptionEnd = stored.consumptionEnd;
        claim.status = stored.status;
        claim.decidedBy = decision.by;
        claim.decidedAt = decision.at;
        claim.reasonHash = decision.reasonHash;
    }

    /**
     * @notice The live claims of one issuance block in serial order, a page at a time.
     * @param registry The registry.
     * @param blockId The issuance block.
     * @param afterClaimId The last claim of the previous page (a live claim of the block), or 0.
     * @param limit The most ids to return.
     * @return The claim ids; fewer than `limit` at the end of the block.
     */
    function liveClaimsInBlock(string calldata registry, string calldata blockId, uint256 afterClaimId, uint256 limit)
        external
        view
        returns (uint256[] memory)
    {
        return _ranges.page(blockKey(registry, blockId), afterClaimId, limit);
    }

    /**
     * @notice The claim recorded for a signed claim, found by the digest its factory signed.
     * @param digest A {hashClaim} digest.
     * @return claimId The claim (live or revoked), or 0 when this claim was never recorded.
     */
    function recordedClaim(bytes32 digest) external view returns (uint256 claimId) {
        return _claimByDigest[digest];
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

    /// @dev The stored claim `claimId`; reverts with {UnknownClaim}.
    function _storedClaim(uint256 claimId) internal view returns (StoredClaim storage) {
        if (claimId == 0 || claimId > _claims.length) {
            revert UnknownClaim(claimId);
        }
        return _claims[claimId - 1];
    }

    /// @dev Records a decision on claim `claimId`; a revocation also frees its units.
    function _decide(uint256 claimId, ClaimStatus status, bytes32 reasonHash) internal {
        StoredClaim storage stored = _claims[claimId - 1];
        stored.status = status;
        _decisions[claimId] = Decision({by: msg.sender, at: SafeCast.toUint48(block.timestamp), reasonHash: reasonHash});
        if (status == ClaimStatus.Revoked) {
            _ranges.remove(_ranges.nodes[claimId].list, claimId);
        }
    }

    /// @dev The issuance block key of claim `claimId` (which exists).
    function _blockKeyOf(uint256 claimId) internal view returns (bytes32) {
        return _ranges.nodes[claimId].list;
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
