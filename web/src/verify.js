// Verify a proof bundle against the chain alone, in the browser (or in Node 20+): the public entry.
//
// A port of ledger/verify.py, in four parts: spec.js (the tables, exported from Python by
// `python -m ledger.records.spec`), records.js (a record parsed, checked and hashed as
// ledger.records does), chain.js (the CarbonLedger contract read over JSON-RPC) and checks.js (the
// ordered checks that make the report). This module re-exports what app.js and
// web/test/verify_runner.mjs use; hourly.js verifies a signed matching claim (zcl-hourly-allocation/1).

export { BUNDLE_FIELDS, CHECK_NAMES, verifyBundle } from './checks.js';
export { runtimeCodeMatches } from './chain.js';
export { HOURLY_CHECK_NAMES, HOURLY_TYPE, allocationHash, documentHash, verifyHourlyBundle } from './hourly.js';
export { leafHash, parseRecord, processProof, recordHash } from './records.js';
export { BATCH_COMMIT_TYPE, EIP712_DOMAIN_TYPE, QUANTITY_KINDS, RECORD_TYPES, SPEC, UNITS } from './spec.js';
