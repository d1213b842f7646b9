// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {BatchAnchors} from "./BatchAnchors.sol";
import {ClaimAttestations} from "./ClaimAttestations.sol";
import {EvaluationReports} from "./EvaluationReports.sol";

/**
 * @title CarbonLedger
 * @notice The zero-carbon ledger's contract: a registry of factories and their signing keys, the
 * append-only anchors of their signed monthly measurement batches, the retirement claims of
 * green certificates and carbon credits that no unit can be claimed twice in, and the hashes of
 * zero-carbon evaluation reports signed by accredited evaluators.
 * @dev The EIP-712 domain is ("CarbonLedger", "1", chain id, this address); clients read it with
 * {eip712Domain} (ERC-5267) rather than assume it. Each power is its own role, held by its own
 * key: the admin (`DEFAULT_ADMIN_ROLE`: grants and revokes roles, revokes claims, forces a lost
 * factory key's replacement), the registrar (`REGISTRAR_ROLE`: registers factories), attestors
 * (`ATTESTOR_ROLE`: confirm claims) and evaluators (`EVALUATOR_ROLE`: sign reports). Whoever relays
 * transactions needs no role at all: every factory action carries the factory's signature.
 */
contract CarbonLedger is BatchAnchors, ClaimAttestations, EvaluationReports {
    /// @dev The admin cannot be the zero address.
    error InvalidAdmin(address admin);

    /**
     * @notice Deploys the ledger with its administrator, first registrar and first attestor.
     * @param admin Holder of `DEFAULT_ADMIN_ROLE`; not zero.
     * @param registrar Holder of `REGISTRAR_ROLE`, or zero to appoint one later.
     * @param attestor Holder of `ATTESTOR_ROLE`, or zero to appoint one later. No evaluator is
     * appointed at deployment.
     */
    constructor(address admin, address registrar, address attestor) EIP712("CarbonLedger", "1") {
        if (admin == address(0)) {
            revert InvalidAdmin(admin);
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (registrar != address(0)) {
            _grantRole(REGISTRAR_ROLE, registrar);
        }
        if (attestor != address(0)) {
            _grantRole(ATTESTOR_ROLE, attestor);
        }
    }
}
