// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {FactoryRegistry} from "./FactoryRegistry.sol";
import {Periods} from "./utils/Periods.sol";

/**
 * @title BatchAnchors
 * @notice Merkle roots of factories' monthly measurement batches, signed by the factory and
 * append-only: each correction is a new revision and no revision is ever overwritten or deleted.
 * @dev The factory signs an EIP-712 `BatchCommit`; this contract checks that signature itself
 * against the factory's current key, so any relayer may send the transaction and none can forge it.
 * The EIP-712 domain binds the signature to this chain and this contract. A revision number can be
 * anchored once, so a signature cannot be replayed either.
 *
 * A revision costs two fresh storage slots and nothing more, so that anchoring a million-record
 * batch stays under 0.1 gas per record: the root in one, the signer, block and leaf count packed in
 * the other. The URI is not stored: it is in the signed commit and in {BatchAnchored}, whose log
 * every node keeps. Neither is the time: it is the anchoring block's timestamp.
 *
 * Leaves follow OpenZeppelin's StandardMerkleTree with leaf encoding `["bytes32"]`: a record hash
 * `h` becomes the leaf `keccak256(bytes.concat(keccak256(abi.encode(h))))`.
 */
abstract contract BatchAnchors is FactoryRegistry {
    /// @notice EIP-712 type hash of {BatchCommit}.
    bytes32 public constant BATCH_COMMIT_TYPEHASH = keccak256(
        "BatchCommit(string factoryId,string period,uint32 revision,bytes32 root,uint64 leafCount,string uri)"
    );

    /// @notice Longest accepted batch URI, in bytes.
    uint256 public constant MAX_URI_LENGTH = 512;

    /// @notice Largest accepted leaf count (2^48 - 1): an anchor keeps it in 48 bits of its packed slot.
    uint64 public constant MAX_LEAF_COUNT = type(uint48).max;

    /// @notice What a factory signs to anchor one revision of one period's batch.
    /// @param factoryId The registered factory.
    /// @param period The month the batch covers, `YYYY-MM`.
    /// @param revision 1 for the first batch of the period, n + 1 for each correction.
    /// @param root StandardMerkleTree root over the batch's record hashes.
    /// @param leafCount Number of records in the batch.
    /// @param uri Where the batch's records can be fetched (may be empty).
    struct BatchCommit {
        string factoryId;
        string period;
        uint32 revision;
        bytes32 root;
        uint64 leafCount;
        string uri;
    }

    /// @notice One anchored revision, as stored: the root, then one packed slot.
    /// @param root The batch's Merkle root.
    /// @param signer The factory key that signed it, the one in force when it was anchored.
    /// @param anchoredBlock The block that anchored it (its timestamp is the anchoring time).
    /// @param leafCount Number of records in the batch.
    struct Anchor {
        bytes32 root;
        address signer;
        uint48 anchoredBlock;
        uint48 leafCount;
    }

    /// @dev Revision n of a period is at key n. It exists iff its signer is set (a registered signer
    /// is never zero), and revisions run 1, 2, 3 … without gaps, so the count is found by search in
    /// {revisionCount} rather than kept in a slot that every first revision would pay for.
    mapping(bytes32 factoryKey => mapping(bytes32 periodKey => mapping(uint32 revision => Anchor))) private _anchors;

    /// @dev The period is not `YYYY-MM` with a month 01-12.
    error InvalidPeriod(string period);
    /// @dev A batch cannot have the zero root.
    error ZeroRoot();
    /// @dev A batch must hold at least one record.
    error EmptyBatch();
    /// @dev The leaf count is above {MAX_LEAF_COUNT}.
    error LeafCountTooLarge(uint64 leafCount);
    /// @dev The URI is longer than {MAX_URI_LENGTH}.
    error UriTooLong(uint256 length);
    /// @dev This revision of this period is already anchored (a second revision 1, or a replay).
    error RevisionAlreadyAnchored(string factoryId, string period, uint32 revision);
    /// @dev Revisions go 1, 2, 3 … without gaps; `expected` is the only one accepted now.
    error RevisionGap(string factoryId, string period, uint32 expected, uint32 given);
    /// @dev The signature is not by `expectedSigner`, the factory's current key.
    error InvalidCommitSignature(string factoryId, address expectedSigner);
    /// @dev No such revision is anchored for this factory and period.
    error UnknownRevision(string factoryId, string period, uint32 revision);

    /// @notice A revision of a factory's batch for a period was anchored; the only record of its URI.
    event BatchAnchored(
        bytes32 indexed factoryKey,
        bytes32 indexed periodKey,
        uint32 indexed revision,
        string factoryId,
        string period,
        bytes32 root,
        uint64 leafCount,
        address signer,
        string uri
    );

    /**
     * @notice Anchors a batch revision signed by the factory's current key.
     * @dev Anyone may relay. Emits {BatchAnchored}. Reverts with {UnknownFactory}, {InvalidPeriod},
     * {ZeroRoot}, {EmptyBatch}, {LeafCountTooLarge}, {UriTooLong}, {RevisionAlreadyAnchored},
     * {RevisionGap} or {InvalidCommitSignature}.
     * @param commit The signed commit.
     * @param signature The factory signer's EIP-712 signature of `commit` (or ERC-1271 data).
     */
    function commitBatch(BatchCommit calldata commit, bytes calldata signature) external {
        bytes32 fKey = factoryKey(commit.factoryId);
        address signer = _currentSigner(fKey, commit.factoryId);
        _checkFields(commit);
        bytes32 pKey = keccak256(bytes(commit.period));
        mapping(uint32 => Anchor) storage revisions = _anchors[fKey][pKey];
        uint32 revision = commit.revision;
        // Reading the new revision's packed slot first costs nothing extra: the write below pays the
        // slot's cold access either way.
        if (revision != 0 && _exists(revisions[revision])) {
            revert RevisionAlreadyAnchored(commit.factoryId, commit.period, revision);
        }
        if (revision == 0 || (revision > 1 && !_exists(revisions[revision - 1]))) {
            revert RevisionGap(commit.factoryId, commit.period, _revisionCount(revisions) + 1, revision);
        }
        bytes32 digest =
            _commitDigest(fKey, pKey, revision, commit.root, commit.leafCount, keccak256(bytes(commit.uri)));
        if (!_isSignedBy(signer, digest, signature)) {
            revert InvalidCommitSignature(commit.factoryId, signer);
        }
        revisions[revision] = Anchor({
            root: commit.root,
            signer: signer,
            anchoredBlock: SafeCast.toUint48(block.number),
            leafCount: uint48(commit.leafCount) // checked against MAX_LEAF_COUNT in _checkFields
        });
        _emitAnchored(commit, fKey, pKey, signer);
    }

    /**
     * @notice The EIP-712 digest a factory signs for `commit` on this chain and contract.
     * @param commit The commit.
     * @return The typed-data digest.
     */
    function hashBatchCommit(BatchCommit calldata commit) public view returns (bytes32) {
        return _commitDigest(
            factoryKey(commit.factoryId),
            keccak256(bytes(commit.period)),
            commit.revision,
            commit.root,
            commit.leafCount,
            keccak256(bytes(commit.uri))
        );
    }

    /**
     * @notice Number of revisions anchored for a factory and period; the latest revision's number.
     * @dev Found by search over the revisions (about 2·log2(n) storage reads), since no count is stored.
     * @param factoryId Any factory id.
     * @param period Any period.
     * @return 0 when nothing is anchored.
     */
    function revisionCount(string calldata factoryId, string calldata period) external view returns (uint32) {
        return _revisionCount(_anchors[factoryKey(factoryId)][keccak256(bytes(period))]);
    }

    /**
     * @notice One anchored revision.
     * @dev Reverts with {UnknownRevision} when it does not exist. The URI is in the revision's
     * {BatchAnchored} event and the anchoring time is `anchoredBlock`'s timestamp.
     * @param factoryId The factory.
     * @param period The period, `YYYY-MM`.
     * @param revision The revision, from 1.
     * @return The anchor: root, signer, block number and leaf count.
     */
    function getAnchor(string calldata factoryId, string calldata period, uint32 revision)
        public
        view
        returns (Anchor memory)
    {
        Anchor storage anchor = _anchors[factoryKey(factoryId)][keccak256(bytes(period))][revision];
        if (!_exists(anchor)) {
            revert UnknownRevision(factoryId, period, revision);
        }
        return anchor;
    }

    /**
     * @notice Whether `signature` is the factory's signature over an anchored revision with `uri`,
     * checked against the key that was in force when it was anchored (so it stays checkable after a
     * rotation).
     * @dev The URI is not stored: pass the one from the revision's {BatchAnchored} event. Root, leaf
     * count and signer come from storage, so no URI makes a signature over another root valid.
     * @param factoryId The factory.
     * @param period The period.
     * @param revision An anchored revision.
     * @param uri The revision's URI, as its {BatchAnchored} event gives it.
     * @param signature The signature to check.
     * @return True iff the signature matches the anchored commit with `uri` and its recorded signer.
     */
    function isAnchorSignatureValid(
        string calldata factoryId,
        string calldata period,
        uint32 revision,
        string calldata uri,
        bytes calldata signature
    ) external view returns (bool) {
        Anchor memory anchor = getAnchor(factoryId, period, revision);
        bytes32 digest = _commitDigest(
            factoryKey(factoryId), keccak256(bytes(period)), revision, anchor.root, anchor.leafCount, keccak256(bytes(uri))
        );
        return _isSignedBy(anchor.signer, digest, signature);
    }

    /**
     * @notice Whether `recordHash` is a leaf of the StandardMerkleTree with root `root`.
     * @param root A batch root.
     * @param recordHash The record's EIP-712 struct hash (not the leaf: the leaf is derived here).
     * @param proof Sibling hashes from leaf to root, as StandardMerkleTree's `getProof` gives them.
     * @return True iff the proof leads from the record's leaf to `root`.
     */
    function verifyRecord(bytes32 root, bytes32 recordHash, bytes32[] calldata proof) public pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, recordLeaf(recordHash));
    }

    /**
     * @notice Whether `recordHash` belongs to an anchored revision, reading the root from storage.
     * @dev Reverts with {UnknownRevision} when the revision does not exist.
     * @param factoryId The factory.
     * @param period The period.
     * @param revision The revision.
     * @param recordHash The record's struct hash.
     * @param proof The record's Merkle proof.
     * @return True iff the record is a leaf of that revision's tree.
     */
    function verifyAnchoredRecord(
        string calldata factoryId,
        string calldata period,
        uint32 revision,
        bytes32 recordHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return verifyRecord(getAnchor(factoryId, period, revision).root, recordHash, proof);
    }

    /**
     * @notice The StandardMerkleTree leaf of a record hash (leaf encoding `["bytes32"]`).
     * @param recordHash The record's struct hash.
     * @return `keccak256(bytes.concat(keccak256(abi.encode(recordHash))))`.
     */
    function recordLeaf(bytes32 recordHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(recordHash))));
    }

    /// @dev Reverts unless period, root, leaf count and URI are well-formed.
    function _checkFields(BatchCommit calldata commit) private pure {
        if (!Periods.isValid(commit.period)) {
            revert InvalidPeriod(commit.period);
        }
        if (commit.root == bytes32(0)) {
            revert ZeroRoot();
        }
        if (commit.leafCount == 0) {
            revert EmptyBatch();
        }
        if (commit.leafCount > MAX_LEAF_COUNT) {
            revert LeafCountTooLarge(commit.leafCount);
        }
        if (bytes(commit.uri).length > MAX_URI_LENGTH) {
            revert UriTooLong(bytes(commit.uri).length);
        }
    }

    /// @dev Emits {BatchAnchored}; a function of its own so `commitBatch` stays within the stack limit.
    function _emitAnchored(BatchCommit calldata commit, bytes32 fKey, bytes32 pKey, address signer) private {
        emit BatchAnchored(
            fKey,
            pKey,
            commit.revision,
            commit.factoryId,
            commit.period,
            commit.root,
            commit.leafCount,
            signer,
            commit.uri
        );
    }

    /// @dev Revisions are contiguous from 1: double until one is missing, then bisect.
    function _revisionCount(mapping(uint32 => Anchor) storage revisions) private view returns (uint32) {
        uint256 missing = 1;
        while (missing <= type(uint32).max && _exists(revisions[uint32(missing)])) {
            missing *= 2;
        }
        uint256 present = missing / 2; // 0 stands for "none"
        while (missing - present > 1) {
            uint256 middle = (present + missing) / 2;
            if (_exists(revisions[uint32(middle)])) {
                present = middle;
            } else {
                missing = middle;
            }
        }
        return uint32(present);
    }

    /// @dev Whether an anchor slot holds a revision.
    function _exists(Anchor storage anchor) private view returns (bool) {
        return anchor.signer != address(0);
    }

    /// @dev Whether `signer` signed `digest`: ECDSA recovery first, so an EOA signer costs no code-size
    /// probe of a cold account (2,600 gas); otherwise an ERC-1271 `isValidSignature` call to `signer`.
    /// A contract signer's address cannot be recovered from a signature without its key, so trying
    /// ECDSA first accepts nothing that {SignatureChecker.isValidSignatureNow} would refuse but for
    /// an EIP-7702 account's own key.
    function _isSignedBy(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error == ECDSA.RecoverError.NoError && recovered == signer) {
            return true;
        }
        return SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
    }

    /// @dev The EIP-712 digest of a {BatchCommit} given field by field (the strings by their hashes,
    /// which are also the storage keys).
    function _commitDigest(
        bytes32 fKey,
        bytes32 pKey,
        uint32 revision,
        bytes32 root,
        uint64 leafCount,
        bytes32 uriHash
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    BATCH_COMMIT_TYPEHASH,
                    fKey,
                    pKey,
                    revision,
                    root,
                    leafCount,
                    uriHash
                )
            )
        );
    }
}
