// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RetirementClaims} from "./RetirementClaims.sol";

/**
 * @title ClaimAttestations
 * @notice Who decides that a claim is the claimant's to make. A retirement claim holds its units
 * from the moment it is recorded, but it stays *provisional* until an attestor — an accredited
 * verifier or the registry's operator, who has checked the registry's cancellation statement whose
 * sha256 the claim's details carry — confirms it; the arbiter (the admin) can revoke a provisional
 * or confirmed claim, with the hash of a written reason, and its units become free to claim again.
 * @dev Nothing is erased: a revoked claim keeps its range, signer and details, and every decision
 * is an event and stays readable through {getClaim}. An attestor confirms the details it checked
 * (their hash), so a confirmation can never land on other content than the one examined.
 */
abstract contract ClaimAttestations is RetirementClaims {
    /// @notice Role of those who confirm claims after checking the registry's cancellation statement.
    bytes32 public constant ATTESTOR_ROLE = keccak256("ATTESTOR_ROLE");

    /// @dev The claim is not provisional (a decision can only follow the ones the status allows).
    error ClaimNotProvisional(uint256 claimId, ClaimStatus status);
    /// @dev The claim is already revoked.
    error ClaimAlreadyRevoked(uint256 claimId);
    /// @dev The details the attestor checked are not the claim's.
    error ClaimDetailsMismatch(uint256 claimId, bytes32 claimDetailsHash);

    /// @notice An attestor confirmed the claim after checking its cancellation statement.
    event ClaimConfirmed(uint256 indexed claimId, bytes32 indexed blockKey, address indexed attestor);
    /// @notice The arbiter revoked the claim; its units are free again.
    event ClaimRevoked(uint256 indexed claimId, bytes32 indexed blockKey, address indexed arbiter, bytes32 reasonHash);

    /**
     * @notice Confirms provisional claim `claimId`.
     * @dev Only `ATTESTOR_ROLE`. Emits {ClaimConfirmed}. Reverts with {UnknownClaim},
     * {ClaimNotProvisional} or {ClaimDetailsMismatch}.
     * @param claimId The claim.
     * @param detailsHash The hash of the claim details the attestor checked (`ClaimDetails` struct hash).
     */
    function confirmClaim(uint256 claimId, bytes32 detailsHash) external onlyRole(ATTESTOR_ROLE) {
        StoredClaim storage claim = _storedClaim(claimId);
        if (claim.status != ClaimStatus.Provisional) {
            revert ClaimNotProvisional(claimId, claim.status);
        }
        if (claim.detailsHash != detailsHash) {
            revert ClaimDetailsMismatch(claimId, claim.detailsHash);
        }
        _decide(claimId, ClaimStatus.Confirmed, bytes32(0));
        emit ClaimConfirmed(claimId, _blockKeyOf(claimId), msg.sender);
    }

    /**
     * @notice Revokes claim `claimId`, provisional or confirmed, and frees its units.
     * @dev Only the admin (the arbiter). Emits {ClaimRevoked}. Reverts with {UnknownClaim},
     * {ClaimAlreadyRevoked} or {FactoryRegistry.ReasonRequired}.
     * @param claimId The claim.
     * @param reasonHash The sha256 (or keccak256) of the written reason, kept off chain.
     */
    function revokeClaim(uint256 claimId, bytes32 reasonHash) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StoredClaim storage claim = _storedClaim(claimId);
        if (claim.status == ClaimStatus.Revoked) {
            revert ClaimAlreadyRevoked(claimId);
        }
        if (reasonHash == bytes32(0)) {
            revert ReasonRequired();
        }
        _decide(claimId, ClaimStatus.Revoked, reasonHash);
        emit ClaimRevoked(claimId, _blockKeyOf(claimId), msg.sender, reasonHash);
    }
}
