// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {BatchAnchors} from "./BatchAnchors.sol";
import {EvaluationReports} from "./EvaluationReports.sol";
import {RetirementClaims} from "./RetirementClaims.sol";

/**
 * @title CarbonLedger
 * @notice The zero-carbon ledger's contract: a registry of factories and their signing keys, the
 * append-only anchors of their signed monthly measurement batches, the retirement claims of
 * green certificates and carbon credits that no unit can be claimed twice in, and the hashes of
 * zero-carbon evaluation reports signed by accredited evaluators.
 * @dev The EIP-712 domain is ("CarbonLedger", "1", chain id, this address); clients read it with
 * {eip712Domain} (ERC-5267) rather than assume it. The admin grants and revokes `REGISTRAR_ROLE`
 * and `EVALUATOR_ROLE` with {grantRole} and {revokeRole}.
 */
contract CarbonLedger is BatchAnchors, RetirementClaims, EvaluationReports {
    /// @dev The admin cannot be the zero address.
    error InvalidAdmin(address admin);

    /**
     * @notice Deploys the ledger with `admin` as administrator and first registrar.
     * @param admin Holder of `DEFAULT_ADMIN_ROLE` (grants and revokes roles, evaluators' among them)
     * and `REGISTRAR_ROLE`; no evaluator is appointed at deployment.
     */
    constructor(address admin) EIP712("CarbonLedger", "1") {
        if (admin == address(0)) {
            revert InvalidAdmin(admin);
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }
}
