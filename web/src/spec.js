// What the checks need from the record spec, derived from spec.generated.js.
//
// The tables themselves (units, quantity kinds, limits, field names, patterns, EIP-712 types) are
// defined in Python and exported by `python -m ledger.records.spec --write`; nothing here is a copy
// to keep in step by hand. This module only reshapes them: lookups keyed by name, in table order
// (the order of "known: ..." and "accepted: ..." messages), and the patterns compiled as full matches.

import SPEC from './spec.generated.js';

export { SPEC };

/** EIP-712 types of a record (ledger.records.hashing.RECORD_TYPES). */
export const RECORD_TYPES = SPEC.eip712.record;

/** EIP-712 type of what a factory signs to anchor a batch (ledger.chain.commit.BATCH_COMMIT_TYPE). */
export const BATCH_COMMIT_TYPE = SPEC.eip712.BatchCommit;

/** EIP-712 type of the ledger's domain (ledger.chain.commit.EIP712_DOMAIN_TYPE). */
export const EIP712_DOMAIN_TYPE = SPEC.eip712.EIP712Domain;

/** Unit symbol to dimension, in table order (ledger.records.units.UNITS). */
export const UNITS = Object.freeze(Object.fromEntries(SPEC.units.map((u) => [u.symbol, u.dimension])));

/** The built-in quantity kinds: name to `{ dimensions, consumption }` (ledger.records.kinds.QUANTITY_KINDS). */
export const QUANTITY_KINDS = Object.freeze(
  Object.fromEntries(
    SPEC.kinds.map((k) => [k.name, Object.freeze({ dimensions: k.dimensions, consumption: k.consumption })]),
  ),
);

/** Lengths and counts (ledger.records.record, .period, .batch): MAX_EVIDENCE, MAX_VALUE_LENGTH, ... */
export const LIMITS = SPEC.limits;

/** The fields of a record, of its batch context and of an evidence item, in Python's order. */
export const RECORD_KEYS = SPEC.keys.record;
export const CONTEXT_KEYS = SPEC.keys.context;
export const EVIDENCE_KEYS = SPEC.keys.evidence;

const fullMatch = (pattern) => new RegExp(`^(?:${pattern})$`);

/** Full-match patterns of ledger.records (`VALUE`'s group 1 is the fraction digits). */
export const FACTORY_ID = fullMatch(SPEC.patterns.factory_id);
export const PERIOD = fullMatch(SPEC.patterns.period);
export const VALUE = fullMatch(SPEC.patterns.value);
export const MEDIA_TYPE = fullMatch(SPEC.patterns.media_type);
export const HEX32 = fullMatch(SPEC.patterns.hex32);
