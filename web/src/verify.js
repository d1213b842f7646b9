// Verify a proof bundle against the chain alone, in the browser (or in Node 20+).
//
// A port of ledger/verify.py: the same checks, in the same order, with the same meaning, so that a
// bundle passes or fails the same check here as in `zcl verify` (tests/test_web_bundle.py compares
// the two check by check). Nothing in the bundle is taken on trust: the record hash, the leaf and
// the root are recomputed from the record and the proof; the contract's code, the anchor, the signer
// in force at the time and the transaction are read from the chain's JSON-RPC; the batch signature is
// checked against the anchor as stored on chain (its URI as logged), under the EIP-712 domain the
// contract reports.
//
// The contract artifact is imported from ledger/artifacts (web/build.mjs keeps only the parts used
// here), so the ABI and the runtime code compared against are those of the contract the service
// deploys; a rebuilt artifact makes the committed bundle stale, which `node web/build.mjs --check`
// reports.

import {
  AbiCoder,
  Contract,
  JsonRpcProvider,
  Network,
  TypedDataEncoder,
  concat,
  getAddress,
  hexlify,
  id,
  keccak256,
  sha256 as ethersSha256,
  verifyTypedData,
} from 'ethers';

import artifact from '../../ledger/artifacts/CarbonLedger.json' with { type: 'json' };

// --- the typed data, as in ledger/records/hashing.py and ledger/chain/commit.py -----------------

/** EIP-712 types of a record (ledger.records.hashing.RECORD_TYPES). */
export const RECORD_TYPES = {
  MeasurementRecord: [
    { name: 'factoryId', type: 'string' },
    { name: 'period', type: 'string' },
    { name: 'sourceId', type: 'string' },
    { name: 'kind', type: 'string' },
    { name: 'value', type: 'string' },
    { name: 'unit', type: 'string' },
    { name: 'intervalStart', type: 'uint64' },
    { name: 'intervalEnd', type: 'uint64' },
    { name: 'evidence', type: 'Evidence[]' },
    { name: 'salt', type: 'bytes32' },
  ],
  Evidence: [
    { name: 'sha256', type: 'bytes32' },
    { name: 'fileName', type: 'string' },
    { name: 'mediaType', type: 'string' },
  ],
};

/** EIP-712 type of what a factory signs to anchor a batch (ledger.chain.commit.BATCH_COMMIT_TYPE). */
export const BATCH_COMMIT_TYPE = [
  { name: 'factoryId', type: 'string' },
  { name: 'period', type: 'string' },
  { name: 'revision', type: 'uint32' },
  { name: 'root', type: 'bytes32' },
  { name: 'leafCount', type: 'uint64' },
  { name: 'uri', type: 'string' },
];

// --- what a record may say, as in ledger/records/{kinds,units,period,record}.py ------------------

/** Unit symbol to dimension (ledger.records.units.UNITS). */
export const UNITS = {
  kWh: 'energy',
  MWh: 'energy',
  GWh: 'energy',
  MJ: 'energy',
  GJ: 'energy',
  TJ: 'energy',
  m3: 'volume_actual',
  L: 'volume_actual',
  Nm3: 'volume_normal',
  '10^4 Nm3': 'volume_normal',
  kg: 'mass',
  t: 'mass',
  pcs: 'count',
  m2: 'area',
  tkm: 'freight',
  kgCO2e: 'emissions',
  tCO2e: 'emissions',
};

const kind = (dimensions, consumption = true) => ({ dimensions, consumption });

/** The built-in quantity kinds (ledger.records.kinds.QUANTITY_KINDS). */
export const QUANTITY_KINDS = {
  grid_electricity: kind(['energy']),
  onsite_renewable_self_consumed: kind(['energy']),
  green_power_contract: kind(['energy']),
  natural_gas: kind(['volume_normal', 'volume_actual', 'energy']),
  coal: kind(['mass', 'energy']),
  diesel: kind(['mass', 'volume_actual']),
  gasoline: kind(['mass', 'volume_actual']),
  purchased_steam: kind(['energy', 'mass']),
  purchased_heat: kind(['energy']),
  production_output: kind(['mass', 'count', 'volume_actual', 'area', 'energy'], false),
  process_emissions: kind(['emissions'], false),
  transport_road_freight: kind(['freight']),
  transport_rail_freight: kind(['freight']),
  transport_sea_freight: kind(['freight']),
  purchased_steel: kind(['mass']),
  purchased_aluminium: kind(['mass']),
  purchased_cement: kind(['mass']),
  purchased_plastics: kind(['mass']),
};

const RECORD_KEYS = ['source_id', 'kind', 'value', 'unit', 'interval_start', 'interval_end', 'evidence', 'salt'];
const CONTEXT_KEYS = ['factory_id', 'period'];
const EVIDENCE_KEYS = ['sha256', 'file_name', 'media_type'];
const MAX_SOURCE_ID_LENGTH = 128;
const MAX_VALUE_LENGTH = 64;
const MAX_FRACTION_DIGITS = 18;
const MAX_EVIDENCE = 32;
const MAX_FILE_NAME_LENGTH = 255;
const MAX_UTC_OFFSET = 14 * 3600;

const FACTORY_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const PERIOD = /^[0-9]{4}-(?:0[1-9]|1[0-2])$/;
const VALUE = /^(?:0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const VALUE_HINT = 'must be a decimal string like "1234.5"';
const MEDIA_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE = new RegExp(`^${MEDIA_NAME}/${MEDIA_NAME}$`);
const HEX32 = /^[0-9a-fA-F]{64}$/;
const DATETIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))?$/;
const DATETIME_HINT = 'like 2025-01-01T00:00:00+08:00';
// Python's str.isprintable() is false for Other (Cc Cf Cs Co Cn) and Separator (Zl Zp Zs) except ' '.
const NOT_PRINTABLE = /(?! )[\p{C}\p{Z}]/u;
const BAD_FILE_NAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** A check failed: its message becomes the check's detail. */
class Failed extends Error {}

/** A record breaks a rule; the message starts with the field's path, as RecordError's does. */
class RecordError extends Failed {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
const codePoints = (text) => [...text].length;
const show = (x) => (x === undefined ? 'undefined' : JSON.stringify(x));
const typeName = (x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);

function checkFactoryId(text, field = 'factory_id') {
  if (typeof text !== 'string') throw new RecordError(field, `must be a string, got ${typeName(text)}`);
  if (!FACTORY_ID.test(text)) {
    throw new RecordError(field, `must be 1-64 characters of A-Z a-z 0-9 . _ : -, got ${show(text)}`);
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
function fromhex(text) {
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

/** OZ `processProof`: fold the siblings into the leaf with sorted-pair keccak256. */
export function processProof(leaf, proof) {
  let node = hexlify(leaf);
  for (const sibling of proof) {
    const other = hexlify(sibling);
    node = keccak256(node <= other ? concat([node, other]) : concat([other, node]));
  }
  return node;
}

// --- the contract ---------------------------------------------------------------------------------

const USED = new Set(['getAnchor', 'signerAt', 'revisionCount', 'eip712Domain', 'BatchAnchored']);
const ABI = artifact.abi.filter((item) => item.type === 'error' || USED.has(item.name));
const ERROR_DOCS = (artifact.devdoc && artifact.devdoc.errors) || {};

// Immutables (EIP712's cached domain, for one) are written into the runtime code at deployment; the
// compiler reports their byte ranges, which are compared as zeros (the artifact has zeros there).
// `hex` is 0x-prefixed.
function maskImmutables(hex) {
  let masked = hex;
  for (const refs of Object.values(artifact.immutableReferences)) {
    for (const { start, length } of refs) {
      masked = masked.slice(0, 2 + 2 * start) + '0'.repeat(2 * length) + masked.slice(2 + 2 * (start + length));
    }
  }
  return masked;
}

// web/build.mjs replaces the artifact's runtime code by its length and masked hash (`runtimeCode`).
const RUNTIME_CODE = artifact.runtimeCode || {
  length: (artifact.deployedBytecode.length - 2) / 2,
  keccak256: keccak256(maskImmutables(artifact.deployedBytecode.toLowerCase())),
};

/** Whether on-chain `code` is CarbonLedger's runtime code (Artifact.runtime_code_matches). */
export function runtimeCodeMatches(code) {
  const found = String(code).toLowerCase();
  if (!/^0x(?:[0-9a-f]{2})*$/.test(found) || (found.length - 2) / 2 !== RUNTIME_CODE.length) return false;
  return keccak256(maskImmutables(found)) === RUNTIME_CODE.keccak256;
}

// A call that reverted with one of the contract's errors reads like ledger.chain.errors.ContractRevert.
function describeError(error) {
  const revert = error && error.revert;
  if (revert && revert.name) {
    const inputs = (ABI.find((i) => i.type === 'error' && i.name === revert.name) || { inputs: [] }).inputs;
    const shown = inputs.map((input, i) => `${input.name}=${show(typeof revert.args[i] === 'bigint' ? Number(revert.args[i]) : revert.args[i])}`);
    const docs = (ERROR_DOCS[revert.signature] || []).map((d) => d.details || '').join(' ').trim();
    return `${revert.name}(${shown.join(', ')})${docs ? ': ' + docs : ''}`;
  }
  return (error && (error.shortMessage || error.message)) || String(error);
}

async function call(promise) {
  try {
    return await promise;
  } catch (error) {
    throw new Failed(describeError(error));
  }
}

function checksum(value) {
  if (typeof value !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(value)) {
    throw new Failed(`${show(value)} is not an address`);
  }
  return getAddress('0x' + value.replace(/^0x/, '').toLowerCase());
}

function hexArg(value, name) {
  if (typeof value !== 'string' || !value.startsWith('0x')) throw new Failed(`${name} must be 0x-prefixed hex`);
  return fromhex(value.slice(2));
}

function bytes32(value, name) {
  const raw = hexArg(value, name);
  if (raw.length !== 32) throw new Failed(`${name}: every element must be 32 bytes`);
  return hexlify(raw);
}

// --- evidence files -------------------------------------------------------------------------------

async function fileBytes(file) {
  if (file instanceof ArrayBuffer) return new Uint8Array(file);
  if (ArrayBuffer.isView(file)) return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  if (file && typeof file.arrayBuffer === 'function') return new Uint8Array(await file.arrayBuffer());
  if (file && file.data !== undefined) return fileBytes(file.data);
  throw new Failed('an evidence file must be a File, a Blob or bytes');
}

async function sha256Hex(bytes) {
  // crypto.subtle exists only in secure contexts (https, localhost); ethers' own SHA-256 otherwise.
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (subtle) return hexlify(new Uint8Array(await subtle.digest('SHA-256', bytes)));
  return ethersSha256(bytes);
}

// --- the checks -----------------------------------------------------------------------------------

export const BUNDLE_FIELDS = [
  'chain_id', 'contract', 'factory_id', 'period', 'revision', 'record', 'record_hash', 'leaf', 'proof', 'root',
  'batch_signature', 'anchor',
];

export const CHECK_NAMES = [
  'bundle', 'record', 'record_hash', 'leaf', 'root', 'chain', 'contract', 'anchor', 'signature', 'transaction',
  'revision', 'evidence',
];

/**
 * Verify `bundle` (a parsed proof bundle) against the chain at `rpcUrl`.
 *
 * @param {object} bundle The proof bundle, as `GET /records/{id}/proof` serves it.
 * @param {object} options
 * @param {string} options.rpcUrl The chain's JSON-RPC endpoint; every chain fact is read from it.
 * @param {string} [options.contract] The authoritative CarbonLedger address: the bundle must name
 *   it. Without it the bundle's own address is used (and the detail says so), like
 *   `verify_bundle(..., expected_contract=None)`.
 * @param {number} [options.chainId] If given, the node must be this chain too (a page's own pin).
 * @param {Array<File|Blob|ArrayBuffer|Uint8Array>} [options.evidenceFiles] Files whose SHA-256 must
 *   be among the record's evidence hashes; adds the `evidence` check.
 * @returns {Promise<{valid: boolean, supersededBy: number|null, checks: Array<{name: string, ok: boolean|null, detail: string}>}>}
 */
export async function verifyBundle(bundle, { rpcUrl, contract, chainId, evidenceFiles = [] } = {}) {
  const files = Array.from(evidenceFiles || []); // a FileList from an <input type=file> too
  const checks = [];
  const report = { valid: false, supersededBy: null, checks };
  const state = {};
  let failed = false;
  let provider = null;

  async function run(name, test) {
    if (failed) {
      checks.push({ name, ok: null, detail: 'skipped: an earlier check failed' });
      return;
    }
    try {
      checks.push({ name, ok: true, detail: await test() });
    } catch (error) {
      failed = true;
      const detail = error instanceof Failed ? error.message : describeError(error);
      checks.push({ name, ok: false, detail: detail || (error && error.name) || 'Error' });
    }
  }

  const fields = () => {
    if (!isObject(bundle)) throw new Failed(`the bundle must be a JSON object, got ${typeName(bundle)}`);
    const missing = BUNDLE_FIELDS.filter((name) => !has(bundle, name));
    if (missing.length) throw new Failed(`the bundle lacks ${missing.join(', ')}`);
    if (!Number.isInteger(bundle.chain_id)) throw new Failed('chain_id must be an integer');
    if (!Number.isInteger(bundle.revision) || bundle.revision < 1 || bundle.revision >= 2 ** 32) {
      throw new Failed('revision must be an integer from 1 to 2**32 - 1');
    }
    if (!Array.isArray(bundle.proof)) throw new Failed('proof must be a list of 32-byte hex strings');
    if (!isObject(bundle.anchor) || typeof bundle.anchor.tx_hash !== 'string') {
      throw new Failed('anchor must be an object with a tx_hash');
    }
    return `record of ${bundle.factory_id} ${bundle.period} revision ${bundle.revision}`;
  };

  const record = () => {
    state.message = parseRecord(bundle.record, { factoryId: bundle.factory_id, period: bundle.period });
    const m = state.message;
    return `${m.kind} ${m.value} ${m.unit} from ${m.sourceId}`;
  };

  const hash = () => {
    state.recordHash = recordHash(state.message);
    if (state.recordHash !== String(bundle.record_hash).toLowerCase()) {
      throw new Failed(`the record hashes to ${state.recordHash}, not ${bundle.record_hash}`);
    }
    return state.recordHash;
  };

  const leaf = () => {
    state.leaf = leafHash(state.recordHash);
    if (state.leaf !== String(bundle.leaf).toLowerCase()) {
      throw new Failed(`the record's leaf is ${state.leaf}, not ${bundle.leaf}`);
    }
    return state.leaf;
  };

  const root = () => {
    const proof = bundle.proof.map((p) => bytes32(p, 'proof'));
    const computed = processProof(state.leaf, proof);
    if (computed !== String(bundle.root).toLowerCase()) {
      throw new Failed(`the proof leads to ${computed}, not to the bundle's root ${bundle.root}`);
    }
    state.root = computed;
    return `${proof.length} proof steps lead to ${computed}`;
  };

  const chain = async () => {
    if (typeof rpcUrl !== 'string' || rpcUrl === '') throw new Failed('no JSON-RPC endpoint (rpcUrl) to read the chain from');
    // A static network: ethers asks the node nothing on its own (no detection loop, no retries, no
    // console output); the chain id is asked for here, and everything after runs only if it matches.
    provider = new JsonRpcProvider(rpcUrl, new Network('bundle', BigInt(bundle.chain_id)), {
      staticNetwork: true,
      batchMaxCount: 1,
    });
    let answer;
    try {
      answer = await provider.send('eth_chainId', []);
    } catch (error) {
      throw new Failed(`the chain at ${rpcUrl} did not answer: ${describeError(error)}`);
    }
    const found = BigInt(answer);
    if (chainId !== undefined && chainId !== null && found !== BigInt(chainId)) {
      throw new Failed(`the node is chain ${found}, but this verifier is configured for chain ${chainId}`);
    }
    if (found !== BigInt(bundle.chain_id)) {
      throw new Failed(`the node is chain ${found}, the bundle is for chain ${bundle.chain_id}`);
    }
    return `chain id ${found}`;
  };

  const contractCheck = async () => {
    const address = checksum(bundle.contract);
    if (contract !== undefined && contract !== null && address !== checksum(contract)) {
      throw new Failed(`the bundle names contract ${address}, but the authoritative ledger is ${contract}`);
    }
    const code = await call(provider.getCode(address));
    if (!runtimeCodeMatches(code)) throw new Failed(`${address} does not hold the CarbonLedger contract`);
    state.ledger = new Contract(address, ABI, provider);
    const pinned = contract ? '' : ' (taken from the bundle: pass the authoritative address to pin it)';
    return `CarbonLedger at ${address}${pinned}`;
  };

  const anchor = async () => {
    const found = await call(state.ledger.getAnchor(bundle.factory_id, bundle.period, bundle.revision));
    // The contract stores root, signer, block and leaf count; the URI is only in the revision's
    // BatchAnchored event (one per revision, in the anchoring block) and the time is that block's.
    const anchoredBlock = Number(found.anchoredBlock);
    const filter = state.ledger.filters.BatchAnchored(id(bundle.factory_id), id(bundle.period), bundle.revision);
    const logs = await call(state.ledger.queryFilter(filter, anchoredBlock, anchoredBlock));
    if (logs.length !== 1) {
      throw new Failed(
        `block ${anchoredBlock} should hold one BatchAnchored event for this revision, the node returned ${logs.length}`,
      );
    }
    const block = await call(provider.getBlock(anchoredBlock));
    state.anchor = {
      factoryId: bundle.factory_id,
      period: bundle.period,
      revision: bundle.revision,
      root: found.root.toLowerCase(),
      signer: found.signer,
      anchoredAt: Number(block.timestamp),
      anchoredBlock,
      leafCount: found.leafCount,
      uri: logs[0].args.uri,
    };
    if (state.anchor.root !== state.root) {
      throw new Failed(`the chain anchors root ${state.anchor.root} for this revision, not ${state.root}`);
    }
    return `anchored in block ${state.anchor.anchoredBlock} at ${state.anchor.anchoredAt} (unix time)`;
  };

  const signature = async () => {
    const found = state.anchor;
    const [, name, version, domainChainId, verifyingContract] = await call(state.ledger.eip712Domain());
    const domain = { name, version, chainId: domainChainId, verifyingContract };
    const commit = {
      factoryId: found.factoryId,
      period: found.period,
      revision: found.revision,
      root: found.root,
      leafCount: found.leafCount,
      uri: found.uri,
    };
    const raw = hexArg(bundle.batch_signature, 'batch_signature');
    if (raw.length !== 65) throw new Failed(`batch_signature must be 65 bytes (r, s, v), got ${raw.length}`);
    let signer;
    try {
      signer = verifyTypedData(domain, { BatchCommit: BATCH_COMMIT_TYPE }, commit, hexlify(raw));
    } catch (error) {
      throw new Failed(`the batch signature does not recover a signer: ${describeError(error)}`);
    }
    const registeredRaw = await call(state.ledger.signerAt(found.factoryId, found.anchoredBlock));
    const registered = BigInt(registeredRaw) === 0n ? null : getAddress(registeredRaw);
    if (signer !== getAddress(found.signer) || signer !== registered) {
      throw new Failed(
        `the batch signature recovers ${signer}, but the factory's signer at block ${found.anchoredBlock} was ${registered}`,
      );
    }
    return `signed by ${signer}, the factory's registered key at block ${found.anchoredBlock}`;
  };

  const transaction = async () => {
    const found = state.anchor;
    const txHash = bundle.anchor.tx_hash;
    const receipt = await call(provider.getTransactionReceipt(txHash));
    if (receipt === null) throw new Failed(`transaction ${txHash} is not on this chain`);
    const ledgerAddress = await state.ledger.getAddress();
    const anchored = receipt.logs.some((log) => {
      if (getAddress(log.address) !== ledgerAddress) return false;
      let event;
      try {
        event = state.ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
      } catch {
        return false;
      }
      return (
        event !== null &&
        event.name === 'BatchAnchored' &&
        event.args.root.toLowerCase() === found.root &&
        Number(event.args.revision) === found.revision &&
        event.args.factoryId === found.factoryId &&
        event.args.period === found.period
      );
    });
    if (receipt.blockNumber !== found.anchoredBlock || !anchored) {
      throw new Failed(`transaction ${txHash} did not anchor this revision`);
    }
    return `${txHash} in block ${receipt.blockNumber}`;
  };

  const revision = async () => {
    const latest = Number(await call(state.ledger.revisionCount(bundle.factory_id, bundle.period)));
    if (latest > bundle.revision) {
      report.supersededBy = latest;
      return `revision ${bundle.revision} is valid but superseded: the latest is revision ${latest}`;
    }
    return `revision ${bundle.revision} is the latest`;
  };

  const evidence = async () => {
    const listed = new Set(state.message.evidence.map((e) => e.sha256));
    for (const [i, file] of files.entries()) {
      const digest = await sha256Hex(await fileBytes(file));
      if (!listed.has(digest)) {
        const name = (file && file.name) || `file ${i + 1}`;
        throw new Failed(`${name}: sha256 ${digest.slice(2)} is not among the record's evidence`);
      }
    }
    return `${files.length} file(s) match the record's evidence hashes`;
  };

  try {
    for (const [name, test] of [
      ['bundle', fields], ['record', record], ['record_hash', hash], ['leaf', leaf], ['root', root],
      ['chain', chain], ['contract', contractCheck], ['anchor', anchor], ['signature', signature],
      ['transaction', transaction], ['revision', revision],
    ]) {
      await run(name, test);
    }
    if (files.length) await run('evidence', evidence);
  } finally {
    if (provider !== null) provider.destroy();
  }
  report.valid = checks.every((c) => c.ok === true);
  return report;
}
