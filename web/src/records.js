// A record of a proof bundle: parsed and checked as ledger.records.parse_record does, then hashed.
//
// The same rules in the same order with the same field paths, so a record fails here exactly where
// it fails in Python (tests/test_web_bundle.py compares the two). The tables the rules read (units,
// kinds, limits, field names, patterns, the EIP-712 record types) come from spec.js, which reads
// what `python -m ledger.records.spec` exported; only the parsing itself is written here. Also home
// to the small helpers and the `Failed` error the other modules share.

import { AbiCoder, TypedDataEncoder, concat, hexlify, keccak256 } from 'ethers';

import {
  CONTEXT_KEYS,
  EVIDENCE_KEYS,
  FACTORY_ID,
  HEX32,
  LIMITS,
  MEDIA_TYPE,
  PERIOD,
  QUANTITY_KINDS,
  RECORD_KEYS,
  RECORD_TYPES,
  UNITS,
  VALUE,
} from './spec.js';

const {
  MAX_EVIDENCE,
  MAX_FACTORY_ID_LENGTH,
  MAX_FILE_NAME_LENGTH,
  MAX_FRACTION_DIGITS,
  MAX_SOURCE_ID_LENGTH,
  MAX_VALUE_LENGTH,
} = LIMITS;
const MAX_UTC_OFFSET = LIMITS.MAX_UTC_OFFSET_SECONDS;

const VALUE_HINT = 'must be a decimal string like "1234.5"';
const DATETIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))?$/;
const DATETIME_HINT = 'like 2025-01-01T00:00:00+08:00';
// Python's str.isprintable() is false for Other (Cc Cf Cs Co Cn) and Separator (Zl Zp Zs) except ' '.
const NOT_PRINTABLE = /(?! )[\p{C}\p{Z}]/u;
const BAD_FILE_NAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** A check failed: its message becomes the check's detail. */
export class Failed extends Error {}

/** A record breaks a rule; the message starts with the field's path, as RecordError's does. */
export class RecordError extends Failed {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
export const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
const codePoints = (text) => [...text].length;
export const show = (x) => (x === undefined ? 'undefined' : JSON.stringify(x));
export const typeName = (x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);

function checkFactoryId(text, field = 'factory_id') {
  if (typeof text !== 'string') throw new RecordError(field, `must be a string, got ${typeName(text)}`);
  if (!FACTORY_ID.test(text)) {
    throw new RecordError(field, `must be 1-${MAX_FACTORY_ID_LENGTH} characters of A-Z a-z 0-9 . _ : -, got ${show(text)}`);
  }
}

function checkPeriod(text, field = 'period') {
  if (typeof text !== 'string') throw new RecordError(field, `must be a string, got ${typeName(text)}`);
  if (!PERIOD.test(text)) throw new RecordError(field, `must be YYYY-MM with month 01-12, got ${show(text)}`);
}

// Days since 1970-01-01 of a proleptic Gregorian date (exact integers, no Date and its 0-99 quirk).
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year, month) {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * An ISO 8601 date-time with whole seconds and an explicit offset, as `_parse_datetime` takes it:
 * `{ text, wall, offset, unix }` where `wall` is the wall time in its own offset counted as if it
 * were UTC, and `unix = wall - offset`.
 */
function parseDatetime(text, field) {
  if (typeof text !== 'string') {
    throw new RecordError(field, `must be an ISO 8601 date-time string ${DATETIME_HINT}`);
  }
  const m = DATETIME.exec(text);
  if (m === null) throw new RecordError(field, `must be an ISO 8601 date-time ${DATETIME_HINT}, got ${show(text)}`);
  if (m[7]) throw new RecordError(field, `fractional seconds are not allowed, got ${show(text)}`);
  if (m[8] === undefined) {
    throw new RecordError(field, `must carry an explicit UTC offset (naive times are ambiguous) ${DATETIME_HINT}`);
  }
  if (m[8] === '-00:00') {
    throw new RecordError(field, "offset -00:00 means 'local offset unknown' (RFC 3339); give the offset");
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new RecordError(field, `is not a valid date-time, got ${show(text)}`);
  }
  const offset = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  const wall = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return { text, wall, offset, unix: wall - offset };
}

// Python's bytes.fromhex: pairs of hex digits, ASCII whitespace allowed between pairs.
export function fromhex(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    if (' \t\n\r\v\f'.includes(text[i])) {
      i += 1;
      continue;
    }
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
      throw new Failed(`non-hexadecimal number found in fromhex() arg at position ${/^[0-9a-fA-F]/.test(pair) ? i + 1 : i}`);
    }
    out.push(parseInt(pair, 16));
    i += 2;
  }
  return Uint8Array.from(out);
}

function parseHex32(text, field, prefixRequired) {
  const expected = prefixRequired ? '"0x" followed by 64 hex digits' : '64 hex digits (optionally 0x-prefixed)';
  if (typeof text !== 'string') throw new RecordError(field, `must be a string of ${expected}`);
  const prefixed = text.startsWith('0x');
  const digits = prefixed ? text.slice(2) : text;
  if ((prefixRequired && !prefixed) || !HEX32.test(digits)) {
    throw new RecordError(field, `must be ${expected} (32 bytes), got ${show(text)}`);
  }
  return '0x' + digits.toLowerCase();
}

function parseEvidence(item, path) {
  if (!isObject(item)) throw new RecordError(path, `must be an object, got ${typeName(item)}`);
  for (const key of Object.keys(item)) {
    if (!EVIDENCE_KEYS.includes(key)) {
      throw new RecordError(`${path}.${key}`, `unknown field; expected ${EVIDENCE_KEYS.join(', ')}`);
    }
  }
  for (const key of EVIDENCE_KEYS) {
    if (!has(item, key)) throw new RecordError(`${path}.${key}`, 'is required');
  }
  const sha256 = parseHex32(item.sha256, `${path}.sha256`, false);
  const name = item.file_name;
  if (typeof name !== 'string' || codePoints(name) < 1 || codePoints(name) > MAX_FILE_NAME_LENGTH) {
    throw new RecordError(`${path}.file_name`, `must be a string of 1-${MAX_FILE_NAME_LENGTH} characters`);
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new RecordError(`${path}.file_name`, `must be a bare file name without '/' or '\\', got ${show(name)}`);
  }
  if (BAD_FILE_NAME.test(name)) {
    throw new RecordError(`${path}.file_name`, `must not contain control or format characters, got ${show(name)}`);
  }
  if (typeof item.media_type !== 'string' || !MEDIA_TYPE.test(item.media_type)) {
    throw new RecordError(
      `${path}.media_type`,
      `must be a media type like application/pdf (RFC 6838, no parameters), got ${show(item.media_type)}`,
    );
  }
  return { sha256, fileName: name, mediaType: item.media_type };
}

function checkValue(value, consumption, field) {
  if (typeof value !== 'string') throw new RecordError(field, `${VALUE_HINT}, got ${typeName(value)} ${show(value)}`);
  if (value.length > MAX_VALUE_LENGTH) {
    throw new RecordError(field, `at most ${MAX_VALUE_LENGTH} characters, got ${value.length}`);
  }
  const m = VALUE.exec(value);
  if (m === null) {
    if (value.startsWith('-') && VALUE.test(value.slice(1))) {
      throw new RecordError(field, `${consumption ? 'consumption' : 'a measured quantity'} cannot be negative, got ${show(value)}`);
    }
    throw new RecordError(field, `${VALUE_HINT} (no sign, exponent or leading zeros), got ${show(value)}`);
  }
  if (m[1] !== undefined && m[1].length > MAX_FRACTION_DIGITS) {
    throw new RecordError(field, `at most ${MAX_FRACTION_DIGITS} fractional digits, got ${m[1].length}`);
  }
}

function checkInstant(moment, field) {
  if (Math.abs(moment.offset) > MAX_UTC_OFFSET) {
    throw new RecordError(field, `UTC offset must be whole minutes within ±14:00, got ${show(moment.text)}`);
  }
  if (moment.unix < 0) {
    throw new RecordError(field, 'must not be before 1970-01-01T00:00:00Z (hashed as unsigned unix seconds)');
  }
}

// [first instant of the month, first instant of the next month) as wall seconds in any offset, and
// as text in `moment`'s offset (for messages).
function periodBounds(period, moment, field) {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5));
  if (year < 1 || (year === 9999 && month === 12)) {
    throw new RecordError(field, `${period} is outside the dates this ledger can represent`);
  }
  const [nextYear, nextMonth] = month === 12 ? [year + 1, 1] : [year, month + 1];
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  const minutes = Math.abs(moment.offset) / 60;
  const offset = `${moment.offset < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  const text = (y, m) => `${pad(y, 4)}-${pad(m)}-01T00:00:00${offset}`;
  return {
    first: daysFromCivil(year, month, 1) * 86400,
    after: daysFromCivil(nextYear, nextMonth, 1) * 86400,
    firstText: text(year, month),
    afterText: text(nextYear, nextMonth),
  };
}

/**
 * The record of a bundle, checked as `ledger.records.parse_record` checks it, in the same order.
 * Returns the EIP-712 message for RECORD_TYPES; throws (with the field's path) on the first rule broken.
 */
export function parseRecord(data, { factoryId, period, path = 'record' }) {
  checkFactoryId(factoryId);
  checkPeriod(period);
  if (!isObject(data)) throw new RecordError(path, `must be an object, got ${typeName(data)}`);
  for (const key of Object.keys(data)) {
    if (!RECORD_KEYS.includes(key) && !CONTEXT_KEYS.includes(key)) {
      throw new RecordError(`${path}.${key}`, `unknown field; expected ${[...CONTEXT_KEYS, ...RECORD_KEYS].join(', ')}`);
    }
  }
  for (const [key, expected] of [['factory_id', factoryId], ['period', period]]) {
    if (has(data, key) && data[key] !== expected) {
      throw new RecordError(`${path}.${key}`, `is ${show(data[key])} but the batch is for ${show(expected)}`);
    }
  }
  for (const key of RECORD_KEYS) {
    if (!has(data, key)) throw new RecordError(`${path}.${key}`, 'is required');
  }
  const start = parseDatetime(data.interval_start, `${path}.interval_start`);
  const end = parseDatetime(data.interval_end, `${path}.interval_end`);
  if (!Array.isArray(data.evidence)) {
    throw new RecordError(`${path}.evidence`, `must be a list, got ${typeName(data.evidence)}`);
  }
  if (data.evidence.length > MAX_EVIDENCE) {
    throw new RecordError(`${path}.evidence`, `at most ${MAX_EVIDENCE} items, got ${data.evidence.length}`);
  }
  const evidence = data.evidence.map((item, i) => parseEvidence(item, `${path}.evidence[${i}]`));
  const salt = parseHex32(data.salt, `${path}.salt`, true);

  const sourceId = data.source_id;
  if (typeof sourceId !== 'string' || codePoints(sourceId) < 1 || codePoints(sourceId) > MAX_SOURCE_ID_LENGTH) {
    throw new RecordError(`${path}.source_id`, `must be a string of 1-${MAX_SOURCE_ID_LENGTH} characters`);
  }
  if (NOT_PRINTABLE.test(sourceId) || sourceId.trim() !== sourceId) {
    throw new RecordError(`${path}.source_id`, `must be printable, without leading or trailing whitespace, got ${show(sourceId)}`);
  }
  const kindName = data.kind;
  const quantity = typeof kindName === 'string' && has(QUANTITY_KINDS, kindName) ? QUANTITY_KINDS[kindName] : null;
  if (quantity === null) {
    throw new RecordError(`${path}.kind`, `unknown kind ${show(kindName)}; known: ${Object.keys(QUANTITY_KINDS).join(', ')}`);
  }
  checkValue(data.value, quantity.consumption, `${path}.value`);
  const unit = data.unit;
  const dimension = typeof unit === 'string' && has(UNITS, unit) ? UNITS[unit] : null;
  if (dimension === null || !quantity.dimensions.includes(dimension)) {
    const accepted = Object.keys(UNITS).filter((u) => quantity.dimensions.includes(UNITS[u])).join(', ');
    const what = dimension === null ? `unknown unit ${show(unit)}` : `${show(unit)} measures ${dimension}`;
    throw new RecordError(`${path}.unit`, `${what}; accepted for ${kindName}: ${accepted}`);
  }
  checkInstant(start, `${path}.interval_start`);
  checkInstant(end, `${path}.interval_end`);
  if (end.unix <= start.unix) {
    throw new RecordError(`${path}.interval_end`, `must be after interval_start (${end.text} <= ${start.text})`);
  }
  let b = periodBounds(period, start, `${path}.interval_start`);
  if (!(b.first <= start.wall && start.wall < b.after)) {
    throw new RecordError(
      `${path}.interval_start`,
      `${start.text} is outside period ${period} [${b.firstText}, ${b.afterText}) in its own offset`,
    );
  }
  b = periodBounds(period, end, `${path}.interval_end`);
  if (!(b.first < end.wall && end.wall <= b.after)) {
    throw new RecordError(
      `${path}.interval_end`,
      `${end.text} is outside period ${period} (${b.firstText}, ${b.afterText}] in its own offset`,
    );
  }
  return {
    factoryId,
    period,
    sourceId,
    kind: kindName,
    value: data.value,
    unit,
    intervalStart: start.unix,
    intervalEnd: end.unix,
    evidence,
    salt,
  };
}

// --- hashes, as in ledger/records/hashing.py and ledger/merkle -----------------------------------

/** `hashStruct(MeasurementRecord)` of a message from {@link parseRecord}: the record hash. */
export function recordHash(message) {
  return TypedDataEncoder.hashStruct('MeasurementRecord', RECORD_TYPES, message);
}

/** The StandardMerkleTree leaf of a record hash: keccak256(keccak256(abi.encode(bytes32))). */
export function leafHash(recordHashHex) {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32'], [recordHashHex])));
}

/** OZ `standardNodeHash`: keccak256 of the two children, the smaller first (lower-case hex in and out). */
export function nodeHash(a, b) {
  return keccak256(a <= b ? concat([a, b]) : concat([b, a]));
}

/** OZ `processProof`: fold the siblings into the leaf with sorted-pair keccak256. */
export function processProof(leaf, proof) {
  let node = hexlify(leaf);
  for (const sibling of proof) node = nodeHash(node, hexlify(sibling));
  return node;
}
