// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/**
 * @title FactoryRegistry
 * @notice The factories known to the ledger and the history of the keys that sign for them.
 * @dev A factory is named by an id string (for example its unified social credit code); storage is
 * keyed by `keccak256(bytes(factoryId))`. A rotation never overwrites: it appends a signer epoch,
 * so the key in force at any past block stays answerable and signatures made before a rotation
 * stay checkable against the key that made them.
 *
 * Powers are split: the registrar only registers new factories; a factory's key changes only by a
 * rotation its current key signed (EIP-712 `SignerRotation`, relayed by anyone), or — when that
 * key is lost — by the admin, and such an epoch is marked *forced* for every reader to see.
 */
abstract contract FactoryRegistry is AccessControl, EIP712 {
    /// @notice Role allowed to register factories (not to change their keys).
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice EIP-712 type hash of a rotation signed by the factory's current key. `epoch` is the
    /// number of signer epochs before the rotation, so a signature rotates once.
    bytes32 public constant SIGNER_ROTATION_TYPEHASH =
        keccak256("SignerRotation(string factoryId,address newSigner,uint256 epoch)");

    /// @notice Longest accepted factory id, in bytes.
    uint256 public constant MAX_FACTORY_ID_LENGTH = 64;

    /// @notice A signer and the block (and time) from which it signs for its factory; `forced` when
    /// the admin put it in force without the previous key's signature.
    struct SignerEpoch {
        address signer;
        uint48 validFromBlock;
        uint48 validFromTime;
        bool forced;
    }

    mapping(bytes32 factoryKey => SignerEpoch[]) private _signerEpochs;

    /// @dev The factory id is empty, too long, or has a character outside `A-Z a-z 0-9 . _ : -`.
    error InvalidFactoryId(string factoryId);
    /// @dev A factory with this id is already registered.
    error FactoryAlreadyRegistered(string factoryId);
    /// @dev No factory with this id is registered.
    error UnknownFactory(string factoryId);
    /// @dev The zero address cannot sign for a factory.
    error InvalidSignerAddress(address signer);
    /// @dev A rotation to the key that is already in force.
    error SignerUnchanged(string factoryId, address signer);
    /// @dev The rotation is not signed by `expectedSigner`, the factory's current key.
    error InvalidRotationSignature(string factoryId, address expectedSigner);
    /// @dev A forced change needs the hash of its written reason.
    error ReasonRequired();

    /// @notice A factory was registered with its first signer.
    event FactoryRegistered(bytes32 indexed factoryKey, string factoryId, address indexed signer);
    /// @notice A factory's signer was replaced by a rotation its previous key signed; `previousSigner`
    /// stays in the history.
    event SignerRotated(
        bytes32 indexed factoryKey, string factoryId, address indexed previousSigner, address indexed newSigner
    );
    /// @notice The admin replaced a factory's signer without the previous key (lost or compromised).
    event SignerForceRotated(
        bytes32 indexed factoryKey,
        string factoryId,
        address indexed previousSigner,
        address indexed newSigner,
        address admin,
        bytes32 reasonHash
    );

    /**
     * @notice Registers `factoryId` with `signer` as the key that signs its batches.
     * @dev Only `REGISTRAR_ROLE`. Emits {FactoryRegistered}.
     * @param factoryId Up to 64 characters from `A-Z a-z 0-9 . _ : -`.
     * @param signer The factory's key: an EOA, or a contract wallet that implements ERC-1271.
     */
    function registerFactory(string calldata factoryId, address signer) external onlyRole(REGISTRAR_ROLE) {
        _checkFactoryId(factoryId);
        if (signer == address(0)) {
            revert InvalidSignerAddress(signer);
        }
        bytes32 key = factoryKey(factoryId);
        if (_signerEpochs[key].length != 0) {
            revert FactoryAlreadyRegistered(factoryId);
        }
        _pushEpoch(key, signer, false);
        emit FactoryRegistered(key, factoryId, signer);
    }

    /**
     * @notice Replaces the key that signs for `factoryId` from this block on, with the consent of the
     * key in force: it signed an EIP-712 `SignerRotation` for this factory, key and epoch.
     * @dev Anyone may relay. The previous key stays in {signerHistory}. Emits {SignerRotated}. Reverts
     * with {UnknownFactory}, {InvalidSignerAddress}, {SignerUnchanged} or {InvalidRotationSignature}.
     * @param factoryId A registered factory.
     * @param newSigner The new key; not zero and not the key already in force.
     * @param signature The current key's signature of {hashSignerRotation} (or ERC-1271 data).
     */
    function rotateSigner(string calldata factoryId, address newSigner, bytes calldata signature) external {
        bytes32 key = factoryKey(factoryId);
        address previous = _checkRotation(key, factoryId, newSigner);
        bytes32 digest = hashSignerRotation(factoryId, newSigner, _signerEpochs[key].length);
        if (!SignatureChecker.isValidSignatureNow(previous, digest, signature)) {
            revert InvalidRotationSignature(factoryId, previous);
        }
        _pushEpoch(key, newSigner, false);
        emit SignerRotated(key, factoryId, previous, newSigner);
    }

    /**
     * @notice Replaces the key that signs for `factoryId` without that key's consent, for a key that
     * is lost or compromised; the new epoch is marked forced.
     * @dev Only the admin. Emits {SignerForceRotated}. Reverts with {UnknownFactory},
     * {InvalidSignerAddress}, {SignerUnchanged} or {ReasonRequired}.
     * @param factoryId A registered factory.
     * @param newSigner The new key.
     * @param reasonHash The hash of the written reason (e.g. the factory's signed request), kept off chain.
     */
    function forceRotateSigner(string calldata factoryId, address newSigner, bytes32 reasonHash)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (reasonHash == bytes32(0)) {
            revert ReasonRequired();
        }
        bytes32 key = factoryKey(factoryId);
        address previous = _checkRotation(key, factoryId, newSigner);
        _pushEpoch(key, newSigner, true);
        emit SignerForceRotated(key, factoryId, previous, newSigner, msg.sender, reasonHash);
    }

    /**
     * @notice The EIP-712 digest the current key signs to rotate `factoryId` to `newSigner`.
     * @param factoryId The factory.
     * @param newSigner The new key.
     * @param epoch The number of signer epochs before the rotation ({signerHistory} length).
     * @return The typed-data digest.
     */
    function hashSignerRotation(string calldata factoryId, address newSigner, uint256 epoch)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(SIGNER_ROTATION_TYPEHASH, keccak256(bytes(factoryId)), newSigner, epoch))
        );
    }

    /**
     * @notice Whether `factoryId` is registered.
     * @param factoryId Any string.
     * @return True iff the factory has been registered.
     */
    function isRegistered(string calldata factoryId) external view returns (bool) {
        return _signerEpochs[factoryKey(factoryId)].length != 0;
    }

    /**
     * @notice The key that signs for `factoryId` now.
     * @dev Reverts with {UnknownFactory} for an unregistered id.
     * @param factoryId A registered factory.
     * @return The signer in force.
     */
    function currentSigner(string calldata factoryId) external view returns (address) {
        return _currentSigner(factoryKey(factoryId), factoryId);
    }

    /**
     * @notice The key that was in force for `factoryId` at the end of block `blockNumber`.
     * @dev Zero for blocks before the registration; reverts with {UnknownFactory} for an unregistered
     * id. A rotation takes effect in the block that holds it.
     * @param factoryId A registered factory.
     * @param blockNumber Any block number.
     * @return The signer in force then, or the zero address.
     */
    function signerAt(string calldata factoryId, uint256 blockNumber) external view returns (address) {
        SignerEpoch[] storage epochs = _signerEpochs[factoryKey(factoryId)];
        if (epochs.length == 0) {
            revert UnknownFactory(factoryId);
        }
        for (uint256 i = epochs.length; i > 0; --i) {
            if (epochs[i - 1].validFromBlock <= blockNumber) {
                return epochs[i - 1].signer;
            }
        }
        return address(0);
    }

    /**
     * @notice Every key that has signed for `factoryId`, oldest first, each with the block and time
     * from which it was in force; each was in force until the next one's start.
     * @param factoryId A registered factory.
     * @return The signer epochs.
     */
    function signerHistory(string calldata factoryId) external view returns (SignerEpoch[] memory) {
        SignerEpoch[] storage epochs = _signerEpochs[factoryKey(factoryId)];
        if (epochs.length == 0) {
            revert UnknownFactory(factoryId);
        }
        return epochs;
    }

    /**
     * @notice The storage key and event topic of a factory id.
     * @param factoryId Any string.
     * @return `keccak256(bytes(factoryId))`.
     */
    function factoryKey(string calldata factoryId) public pure returns (bytes32) {
        return keccak256(bytes(factoryId));
    }

    /// @dev The signer in force for `key`; reverts with {UnknownFactory} naming `factoryId`.
    function _currentSigner(bytes32 key, string calldata factoryId) internal view returns (address) {
        SignerEpoch[] storage epochs = _signerEpochs[key];
        if (epochs.length == 0) {
            revert UnknownFactory(factoryId);
        }
        return epochs[epochs.length - 1].signer;
    }

    /// @dev The signer in force, after checking that `newSigner` may replace it.
    function _checkRotation(bytes32 key, string calldata factoryId, address newSigner) private view returns (address) {
        if (newSigner == address(0)) {
            revert InvalidSignerAddress(newSigner);
        }
        address previous = _currentSigner(key, factoryId);
        if (previous == newSigner) {
            revert SignerUnchanged(factoryId, newSigner);
        }
        return previous;
    }

    function _pushEpoch(bytes32 key, address signer, bool forced) private {
        _signerEpochs[key].push(
            SignerEpoch({
                signer: signer,
                validFromBlock: SafeCast.toUint48(block.number),
                validFromTime: SafeCast.toUint48(block.timestamp),
                forced: forced
            })
        );
    }

    function _checkFactoryId(string calldata factoryId) private pure {
        bytes calldata b = bytes(factoryId);
        if (b.length == 0 || b.length > MAX_FACTORY_ID_LENGTH) {
            revert InvalidFactoryId(factoryId);
        }
        for (uint256 i = 0; i < b.length; ++i) {
            bytes1 c = b[i];
            bool allowed = (c >= "0" && c <= "9") || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "."
                || c == "_" || c == ":" || c == "-";
            if (!allowed) {
                revert InvalidFactoryId(factoryId);
            }
        }
    }
}
