// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
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
 * Leaves follow OpenZeppelin's StandardMerkleTree with leaf encoding `["bytes32"]`: a record hash
 * `h` becomes the leaf `keccak256(bytes.concat(keccak256(abi.encode(h))))`.
 */
abstract contract BatchAnchors is FactoryRegistry, EIP712 {
    /// @notice EIP-712 type hash of {BatchCommit}.
    bytes32 public constant BATCH_COMMIT_TYPEHASH = keccak256(
        "BatchCommit(string factoryId,string period,uint32 revision,bytes32 root,uint64 leafCount,string uri)"
    );

    /// @notice Longest accepted batch URI, in bytes.
    uint256 public constant MAX_URI_LENGTH = 512;

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

    /// @notice One anchored revision, as stored.
    struct Anchor {
        bytes32 root;
        address signer;
        uint48 anchoredAt;
        uint48 anchoredBlock;
        uint64 leafCount;
        string uri;
    }

    mapping(bytes32 factoryKey => mapping(bytes32 periodKey => Anchor[])) private _anchors;

    /// @dev The period is not `YYYY-MM` with a month 01-12.
    error InvalidPeriod(string period);
    /// @dev A batch cannot have the zero root.
    error ZeroRoot();
    /// @dev A batch must hold at least one record.
    error EmptyBatch();
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

    /// @notice A revision of a factory's batch for a period was anchored.
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
     * {ZeroRoot}, {EmptyBatch}, {UriTooLong}, {RevisionAlreadyAnchored}, {RevisionGap} or
     * {InvalidCommitSignature}.
     * @param commit The signed commit.
     * @param signature The factory signer's EIP-712 signature of `commit` (or ERC-1271 data).
     */
    function commitBatch(BatchCommit calldata commit, bytes calldata signature) external {
        bytes32 fKey = factoryKey(commit.factoryId);
        address signer = _currentSigner(fKey, commit.factoryId);
        if (!Periods.isValid(commit.period)) {
            revert InvalidPeriod(commit.period);
        }
        if (commit.root == bytes32(0)) {
            revert ZeroRoot();
        }
        if (commit.leafCount == 0) {
            revert EmptyBatch();
        }
        if (bytes(commit.uri).length > MAX_URI_LENGTH) {
            revert UriTooLong(bytes(commit.uri).length);
        }
        bytes32 pKey = keccak256(bytes(commit.period));
        Anchor[] storage revisions = _anchors[fKey][pKey];
        uint256 expected = revisions.length + 1;
        if (commit.revision != 0 && commit.revision < expected) {
            revert RevisionAlreadyAnchored(commit.factoryId, commit.period, commit.revision);
        }
        if (commit.revision != expected) {
            revert RevisionGap(commit.factoryId, commit.period, SafeCast.toUint32(expected), commit.revision);
        }
        if (!SignatureChecker.isValidSignatureNow(signer, hashBatchCommit(commit), signature)) {
            revert InvalidCommitSignature(commit.factoryId, signer);
        }
        revisions.push(
            Anchor({
                root: commit.root,
                signer: signer,
                anchoredAt: SafeCast.toUint48(block.timestamp),
                anchoredBlock: SafeCast.toUint48(block.number),
                leafCount: commit.leafCount,
                uri: commit.uri
            })
        );
        _emitAnchored(fKey, pKey, commit, signer);
    }

    /**
     * @notice The EIP-712 digest a factory signs for `commit` on this chain and contract.
     * @param commit The commit.
     * @return The typed-data digest.
     */
    function hashBatchCommit(BatchCommit calldata commit) public view returns (bytes32) {
        return _commitDigest(
            commit.factoryId, commit.period, commit.revision, commit.root, commit.leafCount, keccak256(bytes(commit.uri))
        );
    }

    /**
     * @notice Number of revisions anchored for a factory and period; the latest revision's number.
     * @param factoryId Any factory id.
     * @param period Any period.
     * @return 0 when nothing is anchored.
     */
    function revisionCount(string calldata factoryId, string calldata period) external view returns (uint32) {
        return SafeCast.toUint32(_anchors[factoryKey(factoryId)][keccak256(bytes(period))].length);
    }

    /**
     * @notice One anchored revision.
     * @dev Reverts with {UnknownRevision} when it does not exist.
     * @param factoryId The factory.
     * @param period The period, `YYYY-MM`.
     * @param revision The revision, from 1.
     * @return The anchor: root, signer, block time and number, leaf count and URI.
     */
    function getAnchor(string calldata factoryId, string calldata period, uint32 revision)
        public
        view
        returns (Anchor memory)
    {
        Anchor[] storage revisions = _anchors[factoryKey(factoryId)][keccak256(bytes(period))];
        if (revision == 0 || revision > revisions.length) {
            revert UnknownRevision(factoryId, period, revision);
        }
        return revisions[revision - 1];
    }

    /**
     * @notice Whether `signature` is the factory's signature over an anchored revision, checked
     * against the key that was in force when it was anchored (so it stays checkable after a rotation).
     * @param factoryId The factory.
     * @param period The period.
     * @param revision An anchored revision.
     * @param signature The signature to check.
     * @return True iff the signature matches the anchored commit and its recorded signer.
     */
    function isAnchorSignatureValid(
        string calldata factoryId,
        string calldata period,
        uint32 revision,
        bytes calldata signature
    ) external view returns (bool) {
        Anchor memory anchor = getAnchor(factoryId, period, revision);
        bytes32 digest =
            _commitDigest(factoryId, period, revision, anchor.root, anchor.leafCount, keccak256(bytes(anchor.uri)));
        return SignatureChecker.isValidSignatureNow(anchor.signer, digest, signature);
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

    /// @dev Emits {BatchAnchored}; a function of its own so `commitBatch` stays within the stack limit.
    function _emitAnchored(bytes32 fKey, bytes32 pKey, BatchCommit calldata commit, address signer) private {
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

    /// @dev The EIP-712 digest of a {BatchCommit} given field by field (the URI by its hash).
    function _commitDigest(
        string calldata factoryId,
        string calldata period,
        uint32 revision,
        bytes32 root,
        uint64 leafCount,
        bytes32 uriHash
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    BATCH_COMMIT_TYPEHASH,
                    keccak256(bytes(factoryId)),
                    keccak256(bytes(period)),
                    revision,
                    root,
                    leafCount,
                    uriHash
                )
            )
        );
    }
}
