"""The words of the buyers' pages that their scripts show: the lookup form's labels for each
registry, and the claim page's check texts (``%(name)s`` placeholders, filled in the browser)."""

from __future__ import annotations

from ledger.i18n import N_

LOOKUP_LABELS: dict[str, dict[str, str]] = {
    "GEC": {
        "serial": N_("GEC serial (32 digits), or START..END"),
        "serial_example": "11320520230900017202501000450011",
        "block": N_("Block: the 17-digit project code and the production month"),
        "block_example": "11320520230900017-202501",
        "first": N_("First sequence number"),
        "last": N_("Last sequence number"),
    },
    "I-REC": {
        "serial": N_("I-REC certificate number, or START..END"),
        "serial_example": "0000-0001-2345-6789",
        "block": N_("Block (a million consecutive certificate numbers)"),
        "block_example": "I-REC-0000-0001-23xx-xxxx",
        "first": N_("First certificate number"),
        "last": N_("Last certificate number"),
    },
    "CCER": {
        "serial": N_("CCER has no per-unit serial: give the block id and the range"),
        "serial_example": "",
        "block": N_("CCER block id, as on the registry's statement"),
        "block_example": "CCER-14-2024-0031-V2024-B03",
        "first": N_("First unit (tCO2e) of the range"),
        "last": N_("Last unit (tCO2e) of the range"),
    },
    "VCS": {
        "serial": N_("Verra VCU serial (carries its range)"),
        "serial_example": "0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1",
        "block": N_("Verra block (VCS-VCU-…, as a lookup by serial shows it)"),
        "block_example": "VCS-VCU-3-VER-US-3-01012020-31122020",
        "first": N_("First VCU serial number"),
        "last": N_("Last VCU serial number"),
    },
    "GS": {
        "serial": N_("Gold Standard serial (carries its range)"),
        "serial_example": "GS1-1-KE-GS7495-16-2025-30645-608-30350",
        "block": N_("Gold Standard block (the serial's parts before the range)"),
        "block_example": "GS1-1-KE-GS7495-16-2025-30645",
        "first": N_("First credit serial number"),
        "last": N_("Last credit serial number"),
    },
}
"""What the lookup form's fields are called for each registry, with an example of each."""

GENERIC_LABELS: dict[str, str] = {
    "serial": N_("Serial, or START..END"),
    "serial_example": "",
    "block": N_("Block id"),
    "block_example": "",
    "first": N_("First unit"),
    "last": N_("Last unit"),
}
"""The labels of a registry defined later (``register_registry``) without labels of its own."""

CLAIM_MESSAGES: dict[str, str] = {
    "running": N_("Checking against the chain…"),
    "skipped": N_("skipped: an earlier check failed"),
    "chain_says": N_("the chain says"),
    "page_says": N_("this page says"),
    "name_chain": N_("Chain"),
    "name_contract": N_("Contract"),
    "name_claim": N_("Claim"),
    "name_facts": N_("Facts"),
    "name_state": N_("State"),
    "name_details": N_("Details"),
    "name_transaction": N_("Transaction"),
    "name_time": N_("Time"),
    "name_signer": N_("Signer"),
    "state_provisional": N_("provisional (holding its units, not yet confirmed by an attestor)"),
    "state_confirmed": N_("confirmed by an attestor"),
    "state_revoked": N_("revoked by the arbiter (its units are free again)"),
    "state_none": N_("not recorded"),
    "chain_ok": N_("The chain at %(rpc)s is chain %(chain_id)s, the one this service records claims on."),
    "chain_fail": N_("The chain at %(rpc)s is chain %(found)s, not chain %(chain_id)s that this service names."),
    "chain_error": N_("The chain at %(rpc)s did not answer: %(error)s"),
    "contract_ok": N_("The contract at %(contract)s holds the ledger's published code."),
    "contract_fail": N_("The contract at %(contract)s does not hold the ledger's published code."),
    "contract_error": N_("The contract could not be read: %(error)s"),
    "claim_ok": N_("The contract records claim %(claim_id)s."),
    "claim_error": N_("The contract has no claim %(claim_id)s. %(error)s"),
    "facts_ok": N_(
        "What this page shows is what the chain records: factory %(factory)s, %(registry)s block "
        "%(block)s, units %(start)s..%(end)s, consumption %(period)s, signed by %(signer)s."
    ),
    "facts_fail": N_("This page differs from the chain: %(fields)s."),
    "facts_error": N_("The claim's facts could not be compared: %(error)s"),
    "state_ok": N_("The chain says the claim is %(state)s, as this page does."),
    "state_fail": N_("The chain says the claim is %(chain)s; this page says %(shown)s."),
    "state_error": N_("The claim's state could not be read: %(error)s"),
    "details_ok": N_(
        "The project, quantity, generation period and retirement statement shown hash to %(hash)s, the "
        "details hash the chain recorded."
    ),
    "details_fail": N_("The details shown hash to %(found)s, not to %(hash)s that the chain recorded."),
    "details_skipped": N_(
        "This service does not hold the claim's details (another service relayed it): only their hash is on chain."
    ),
    "details_error": N_("The details could not be hashed: %(error)s"),
    "transaction_ok": N_("Transaction %(tx)s recorded claim %(claim_id)s in block %(block)s."),
    "transaction_fail": N_("Transaction %(tx)s did not record claim %(claim_id)s in block %(block)s."),
    "transaction_skipped": N_("This service gives no transaction for the claim."),
    "transaction_error": N_("The transaction could not be read: %(error)s"),
    "time_ok": N_("Block %(block)s was made at %(time)s UTC, the time shown."),
    "time_fail": N_("Block %(block)s was made at %(time)s UTC, not at %(shown)s UTC as shown."),
    "time_error": N_("The block could not be read: %(error)s"),
    "signer_ok": N_("%(signer)s was the registered signer of factory %(factory)s at block %(block)s."),
    "signer_fail": N_("%(signer)s was not the registered signer of factory %(factory)s at block %(block)s."),
    "signer_error": N_("The factory's signers could not be read: %(error)s"),
    "verdict_valid": N_("Verified: claim %(claim_id)s is on chain as this page shows it, %(state)s."),
    "verdict_revoked": N_(
        "On chain as shown, but claim %(claim_id)s was revoked: it counts for nothing and its units are free again."
    ),
    "verdict_invalid": N_("Not verified: %(check)s"),
}
"""The claim page's check texts (web/src/claim.js), keyed as the script asks for them."""

STATE_LABELS: dict[str, str] = {
    "provisional": N_("provisional"),
    "confirmed": N_("confirmed"),
    "revoked": N_("revoked"),
}
"""A claim's ``attestation`` as a person reads it (the value itself stays English in the API)."""
