"""The words of the buyers' pages that their scripts show: the lookup form's labels for each
registry, and the claim page's check texts (``%(name)s`` placeholders, filled in the browser)."""

from __future__ import annotations

LOOKUP_LABELS: dict[str, dict[str, str]] = {
    "GEC": {
        "serial": "GEC serial (32 digits), or START..END",
        "serial_example": "11320520230900017202501000450011",
        "block": "Block: the 17-digit project code and the production month",
        "block_example": "11320520230900017-202501",
        "first": "First sequence number",
        "last": "Last sequence number",
    },
    "I-REC": {
        "serial": "I-REC certificate number, or START..END",
        "serial_example": "0000-0001-2345-6789",
        "block": "Block (a million consecutive certificate numbers)",
        "block_example": "I-REC-0000-0001-23xx-xxxx",
        "first": "First certificate number",
        "last": "Last certificate number",
    },
    "CCER": {
        "serial": "CCER has no per-unit serial: give the block id and the range",
        "serial_example": "",
        "block": "CCER block id, as on the registry's statement",
        "block_example": "CCER-14-001-V01-2025-000123",
        "first": "First unit (tCO2e) of the range",
        "last": "Last unit (tCO2e) of the range",
    },
    "VCS": {
        "serial": "Verra VCU serial (carries its range)",
        "serial_example": "0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1",
        "block": "Verra block (VCS-VCU-…, as a lookup by serial shows it)",
        "block_example": "VCS-VCU-3-VER-US-3-01012020-31122020",
        "first": "First VCU serial number",
        "last": "Last VCU serial number",
    },
    "GS": {
        "serial": "Gold Standard serial (carries its range)",
        "serial_example": "GS1-1-KE-GS7495-16-2025-30645-608-30350",
        "block": "Gold Standard block (the serial's parts before the range)",
        "block_example": "GS1-1-KE-GS7495-16-2025-30645",
        "first": "First credit serial number",
        "last": "Last credit serial number",
    },
}
"""What the lookup form's fields are called for each registry, with an example of each."""

CLAIM_MESSAGES: dict[str, str] = {
    "running": "Checking against the chain…",
    "skipped": "skipped: an earlier check failed",
    "chain_says": "the chain says",
    "page_says": "this page says",
    "name_chain": "Chain",
    "name_contract": "Contract",
    "name_claim": "Claim",
    "name_facts": "Facts",
    "name_state": "State",
    "name_details": "Details",
    "name_transaction": "Transaction",
    "name_time": "Time",
    "name_signer": "Signer",
    "state_provisional": "provisional (holding its units, not yet confirmed by an attestor)",
    "state_confirmed": "confirmed by an attestor",
    "state_revoked": "revoked by the arbiter (its units are free again)",
    "state_none": "not recorded",
    "chain_ok": "The chain at %(rpc)s is chain %(chain_id)s, the one this service records claims on.",
    "chain_fail": "The chain at %(rpc)s is chain %(found)s, not chain %(chain_id)s that this service names.",
    "chain_error": "The chain at %(rpc)s did not answer: %(error)s",
    "contract_ok": "The contract at %(contract)s holds the ledger's published code.",
    "contract_fail": "The contract at %(contract)s does not hold the ledger's published code.",
    "contract_error": "The contract could not be read: %(error)s",
    "claim_ok": "The contract records claim %(claim_id)s.",
    "claim_error": "The contract has no claim %(claim_id)s. %(error)s",
    "facts_ok": "What this page shows is what the chain records: factory %(factory)s, %(registry)s block "
    "%(block)s, units %(start)s..%(end)s, consumption %(period)s, signed by %(signer)s.",
    "facts_fail": "This page differs from the chain: %(fields)s.",
    "facts_error": "The claim's facts could not be compared: %(error)s",
    "state_ok": "The chain says the claim is %(state)s, as this page does.",
    "state_fail": "The chain says the claim is %(chain)s; this page says %(shown)s.",
    "state_error": "The claim's state could not be read: %(error)s",
    "details_ok": "The project, quantity, generation period and retirement statement shown hash to %(hash)s, the "
    "details hash the chain recorded.",
    "details_fail": "The details shown hash to %(found)s, not to %(hash)s that the chain recorded.",
    "details_skipped": "This service does not hold the claim's details (another service relayed it): only their "
    "hash is on chain.",
    "details_error": "The details could not be hashed: %(error)s",
    "transaction_ok": "Transaction %(tx)s recorded claim %(claim_id)s in block %(block)s.",
    "transaction_fail": "Transaction %(tx)s did not record claim %(claim_id)s in block %(block)s.",
    "transaction_skipped": "This service gives no transaction for the claim.",
    "transaction_error": "The transaction could not be read: %(error)s",
    "time_ok": "Block %(block)s was made at %(time)s UTC, the time shown.",
    "time_fail": "Block %(block)s was made at %(time)s UTC, not at %(shown)s UTC as shown.",
    "time_error": "The block could not be read: %(error)s",
    "signer_ok": "%(signer)s was the registered signer of factory %(factory)s at block %(block)s.",
    "signer_fail": "%(signer)s was not the registered signer of factory %(factory)s at block %(block)s.",
    "signer_error": "The factory's signers could not be read: %(error)s",
    "verdict_valid": "Verified: claim %(claim_id)s is on chain as this page shows it, %(state)s.",
    "verdict_revoked": "On chain as shown, but claim %(claim_id)s was revoked: it counts for nothing and its units "
    "are free again.",
    "verdict_invalid": "Not verified: %(check)s",
}
"""The claim page's check texts (web/src/claim.js), keyed as the script asks for them."""
