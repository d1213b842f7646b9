// A signed matching claim (zcl-hourly-allocation/1) verified in the browser: a port of
// ledger/hourly/bundle.py, the same checks in the same order with the same meaning.
//
// The run document's hash is recomputed from its canonical JSON (sorted keys, no spaces, UTF-8: as
// ledger.accounting.report.canonical_json writes it), each piece's leaf from its fields (the EIP-712
// struct hash of HourAllocation, ledger/hourly/leaves.py) and folded up its proof to the root the
// document names; the chain is asked for the anchored "H" report (its hash, factory, year), the
// evaluator's signature over it, the transaction that anchored it, and the claim holding the serials.

import { TypedDataEncoder, getAddress, hexlify, id, keccak256, toUtf8Bytes } from 'ethers';

import { call, checksum, openProvider, readDomain } from './chain.js';
import { checkChain, checkContract, checkRunner, checkSignature } from './checks.js';
import { Failed, fromhex, has, isObject, leafHash, processProof } from './records.js';

export const HOURLY_TYPE = 'zcl-hourly-allocation/1';
const RUN_FORMAT = 'zcl-hourly-matching/1';
export const HOURLY_CHECK_NAMES = [
  'bundle', 'document', 'pieces', 'root', 'chain', 'contract', 'report', 'signature', 'transaction', 'claim', 'latest',
];
const BUNDLE_FIELDS = ['type', 'document', 'document_hash', 'anchor', 'evaluator', 'signature', 'claim', 'pieces'];
const ANCHOR_FIELDS = ['report_id', 'tx_hash', 'chain_id', 'contract'];
const CLAIM_FIELDS = ['claim_id', 'registry', 'block_id', 'serial_start', 'serial_end'];
const CLAIM_STATES = ['none', 'provisional', 'confirmed', 'revoked'];
const UNSIGNED_FIELDS = new Set([
  'id', 'report_hash', 'status', 'signature', 'evaluator', 'anchor', 'created_at', 'stale', 'stale_because',
  'superseded_by', 'evaluator_identity',
]); // ledger.accounting.report.UNSIGNED_FIELDS: a run document has none, but it is hashed the same way

const HOUR_ALLOCATION = [
  { name: 'factoryId', type: 'string' },
  { name: 'claimId', type: 'uint256' },
  { name: 'registry', type: 'string' },
  { name: 'blockId', type: 'string' },
  { name: 'serial', type: 'uint256' },
  { name: 'hourStart', type: 'uint64' },
  { name: 'energy', type: 'uint64' },
  { name: 'allocated', type: 'uint64' },
  { name: 'piece', type: 'uint8' },
];
const EVALUATION_REPORT = [
  { name: 'factoryId', type: 'string' },
  { name: 'year', type: 'uint16' },
  { name: 'reportType', type: 'string' },
  { name: 'level', type: 'string' },
  { name: 'reportHash', type: 'bytes32' },
  { name: 'factorSet', type: 'string' },
  { name: 'ruleSet', type: 'string' },
  { name: 'evaluator', type: 'address' },
];
const FIELDS = ['factory_id', 'claim_id', 'registry', 'block_id', 'serial', 'hour_start', 'energy', 'allocated', 'piece'];

/** Python's json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False) of `value`. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Failed(`the document holds ${value}, which this verifier cannot read exactly`);
  }
  return JSON.stringify(value);
}

export function documentHash(doc) {
  const body = Object.fromEntries(Object.entries(doc).filter(([k]) => !UNSIGNED_FIELDS.has(k)));
  return keccak256(toUtf8Bytes(canonicalJson(body)));
}

function uint(fields, name, bits) {
  const value = fields[name];
  if (bits === 256) {
    if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value) || BigInt(value) >= 2n ** 256n) {
      throw new Failed(`${name}: must be a decimal string of a uint256, got ${JSON.stringify(value)}`);
    }
    return BigInt(value);
  }
  if (!Number.isSafeInteger(value) || value < 0 || BigInt(value) >= 2n ** BigInt(bits)) {
    throw new Failed(`${name}: must be an integer from 0 to 2**${bits} - 1, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** hashStruct(HourAllocation) of a piece's fields as the bundle writes them (ledger.hourly.leaves.allocation_hash). */
export function allocationHash(fields) {
  if (!isObject(fields)) throw new Failed('fields must be an object');
  const unknown = Object.keys(fields).filter((k) => !FIELDS.includes(k)).sort();
  if (unknown.length) throw new Failed(`${unknown[0]}: is not a field of HourAllocation`);
  for (const name of ['factory_id', 'registry', 'block_id']) {
    if (typeof fields[name] !== 'string' || fields[name] === '') throw new Failed(`${name}: must be a non-empty string`);
  }
  const piece = uint(fields, 'piece', 8);
  if (piece > 2n) throw new Failed(`piece: must be one of [0, 1, 2], got ${piece}`);
  const energy = uint(fields, 'energy', 64);
  const allocated = uint(fields, 'allocated', 64);
  if (allocated > energy) throw new Failed("allocated: must not exceed the piece's energy");
  const message = {
    factoryId: fields.factory_id, claimId: uint(fields, 'claim_id', 256), registry: fields.registry,
    blockId: fields.block_id, serial: uint(fields, 'serial', 256), hourStart: uint(fields, 'hour_start', 64),
    energy, allocated, piece,
  };
  return TypedDataEncoder.hashStruct('HourAllocation', { HourAllocation: HOUR_ALLOCATION }, message);
}

function bytes32(value, name) {
  if (typeof value !== 'string' || !value.startsWith('0x')) throw new Failed(`${name} must be 0x-prefixed hex`);
  const raw = fromhex(value.slice(2));
  if (raw.length !== 32) throw new Failed(`${name}: every element must be 32 bytes`);
  return hexlify(raw);
}

/**
 * Verify a signed matching claim against the chain at `rpcUrl`; options as verifyBundle's.
 * @returns {Promise<{valid: boolean, supersededBy: number|null, checks: Array<{name, ok, detail}>}>}
 */
export async function verifyHourlyBundle(bundle, { rpcUrl, contract, chainId } = {}) {
  const checks = [];
  const report = { valid: false, supersededBy: null, checks };
  const state = {};
  const run = checkRunner(checks);
  let provider = null;

  const fields = () => {
    if (!isObject(bundle)) throw new Failed('the bundle must be a JSON object');
    const missing = BUNDLE_FIELDS.filter((k) => !has(bundle, k));
    if (missing.length) throw new Failed(`the bundle lacks ${missing.join(', ')}`);
    if (bundle.type !== HOURLY_TYPE) throw new Failed(`type must be ${HOURLY_TYPE}, got ${JSON.stringify(bundle.type)}`);
    const anchor = bundle.anchor;
    if (!isObject(anchor) || ANCHOR_FIELDS.some((k) => !has(anchor, k))) {
      throw new Failed(`anchor must be an object with ${ANCHOR_FIELDS.join(', ')}`);
    }
    if (!Number.isInteger(anchor.report_id) || anchor.report_id < 1 || !Number.isInteger(anchor.chain_id)) {
      throw new Failed('anchor.report_id and anchor.chain_id must be positive integers');
    }
    if (!Array.isArray(bundle.pieces) || bundle.pieces.length === 0) throw new Failed('pieces must be a non-empty list');
    const doc = bundle.document;
    if (!isObject(doc) || doc.format !== RUN_FORMAT) throw new Failed(`document must be a matching run document (${RUN_FORMAT})`);
    checksum(bundle.evaluator);
    return `${bundle.pieces.length} piece(s) of the ${doc.year} matching run of ${doc.factory_id}`;
  };

  const document = () => {
    const computed = documentHash(bundle.document);
    if (computed !== String(bundle.document_hash).toLowerCase()) {
      throw new Failed(`the document hashes to ${computed}, not ${bundle.document_hash}`);
    }
    state.hash = computed;
    const allocations = bundle.document.allocations;
    if (!isObject(allocations)) throw new Failed('the document names no allocation root');
    state.root = bytes32(allocations.root, 'document.allocations.root');
    return computed;
  };

  const pieces = () => {
    const c = bundle.claim;
    if (!isObject(c) || CLAIM_FIELDS.some((k) => !has(c, k))) throw new Failed(`claim must be an object with ${CLAIM_FIELDS.join(', ')}`);
    let claim;
    try {
      claim = { id: BigInt(String(c.claim_id)), registry: String(c.registry), block: String(c.block_id),
        start: BigInt(String(c.serial_start)), end: BigInt(String(c.serial_end)) };
    } catch {
      throw new Failed('claim.claim_id, serial_start and serial_end must be decimal integers');
    }
    state.claim = claim;
    const doc = bundle.document;
    state.leaves = bundle.pieces.map((piece, i) => {
      if (!isObject(piece) || !isObject(piece.fields)) throw new Failed(`pieces[${i}] must be an object with fields and proof`);
      const f = piece.fields;
      let leaf;
      try {
        leaf = leafHash(allocationHash(f));
      } catch (error) {
        throw new Failed(`pieces[${i}].fields.${error.message}`);
      }
      if (f.factory_id !== doc.factory_id) throw new Failed(`pieces[${i}] is of factory ${f.factory_id}, the run of ${doc.factory_id}`);
      if (BigInt(f.claim_id) !== claim.id || f.registry !== claim.registry || f.block_id !== claim.block) {
        throw new Failed(`pieces[${i}] is of claim ${f.claim_id} (${f.registry} ${f.block_id}), not the bundle's`);
      }
      if (BigInt(f.serial) < claim.start || BigInt(f.serial) > claim.end) {
        throw new Failed(`pieces[${i}]'s serial ${f.serial} is outside the claim's units`);
      }
      return leaf;
    });
    const allocated = bundle.pieces.reduce((sum, p) => sum + BigInt(p.fields.allocated), 0n);
    return `${state.leaves.length} piece(s) of claim ${claim.id}, ${allocated} mWh allocated`;
  };

  const root = () => {
    bundle.pieces.forEach((piece, i) => {
      if (!Array.isArray(piece.proof)) throw new Failed(`pieces[${i}].proof must be a list of 32-byte hex strings`);
      const computed = processProof(state.leaves[i], piece.proof.map((p) => bytes32(p, `pieces[${i}].proof`)));
      if (computed !== state.root) throw new Failed(`pieces[${i}]'s proof leads to ${computed}, not to the run's root ${state.root}`);
    });
    return `every piece's proof leads to the run's root ${state.root}`;
  };

  const chain = async () => {
    if (typeof rpcUrl !== 'string' || rpcUrl === '') throw new Failed('no JSON-RPC endpoint (rpcUrl) to read the chain from');
    provider = openProvider(rpcUrl, bundle.anchor.chain_id);
    return checkChain(provider, rpcUrl, bundle.anchor.chain_id, chainId);
  };

  const contractCheck = async () => {
    const found = await checkContract(provider, bundle.anchor.contract, contract);
    state.ledger = found.ledger;
    return found.detail;
  };

  const reportCheck = async () => {
    const id_ = bundle.anchor.report_id;
    const r = await call(state.ledger.getReport(id_));
    const found = { id: id_, hash: r.reportHash.toLowerCase(), evaluator: getAddress(r.evaluator), block: Number(r.anchoredBlock),
      year: Number(r.year), factoryId: r.factoryId, reportType: r.reportType, level: r.level, factorSet: r.factorSet, ruleSet: r.ruleSet };
    state.report = found;
    if (found.hash !== state.hash) throw new Failed(`report ${id_} anchors hash ${found.hash}, not the document's`);
    if (found.reportType !== 'H' || found.factoryId !== bundle.document.factory_id || found.year !== bundle.document.year) {
      throw new Failed(`report ${id_} is type ${found.reportType} of ${found.factoryId} ${found.year}, not this run`);
    }
    return `report ${id_}, level ${found.level}, anchored in block ${found.block}`;
  };

  const signature = async () => {
    const r = state.report;
    if (checksum(bundle.evaluator) !== r.evaluator) throw new Failed(`the bundle names evaluator ${bundle.evaluator}, the chain ${r.evaluator}`);
    const commit = { factoryId: r.factoryId, year: r.year, reportType: r.reportType, level: r.level, reportHash: r.hash,
      factorSet: r.factorSet, ruleSet: r.ruleSet, evaluator: r.evaluator };
    if (typeof bundle.signature !== 'string' || !bundle.signature.startsWith('0x')) throw new Failed('signature must be 0x-prefixed hex');
    const raw = fromhex(bundle.signature.slice(2));
    if (raw.length !== 65) throw new Failed(`signature must be 65 bytes (r, s, v), got ${raw.length}`);
    const domain = await readDomain(state.ledger);
    const check = await checkSignature(provider, domain, r.evaluator, commit, hexlify(raw), { EvaluationReport: EVALUATION_REPORT });
    if (!check.valid) throw new Failed(`the signature recovers ${check.recovered || 'no key'}, not the evaluator ${r.evaluator}`);
    const holds = await call(state.ledger.hasRole(id('EVALUATOR_ROLE'), r.evaluator));
    return `signed by ${r.evaluator}, an evaluator when anchored (it ${holds ? 'holds' : 'no longer holds'} the role now)`;
  };

  const transaction = async () => {
    const r = state.report;
    const txHash = bundle.anchor.tx_hash;
    const receipt = await call(provider.getTransactionReceipt(txHash));
    const address = await state.ledger.getAddress();
    const anchors = receipt !== null && receipt.logs.some((log) => {
      if (getAddress(log.address) !== address) return false;
      try {
        const event = state.ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
        return event !== null && event.name === 'ReportAnchored' && Number(event.args.reportId) === r.id;
      } catch {
        return false;
      }
    });
    if (!anchors || receipt.blockNumber !== r.block) throw new Failed(`transaction ${txHash} did not anchor report ${r.id}`);
    return `${txHash} in block ${receipt.blockNumber}`;
  };

  const claimCheck = async () => {
    const claim = state.claim;
    const c = await call(state.ledger.getClaim(claim.id));
    if (c.registry !== claim.registry || c.blockId !== claim.block || c.factoryId !== bundle.document.factory_id) {
      throw new Failed(`claim ${claim.id} on chain is ${c.registry} ${c.blockId} of ${c.factoryId}, not the bundle's`);
    }
    const start = BigInt(c.serialStart);
    const end = BigInt(c.serialEnd);
    if (!bundle.pieces.every((p) => start <= BigInt(p.fields.serial) && BigInt(p.fields.serial) <= end)) {
      throw new Failed(`claim ${claim.id} holds units ${start}-${end}, not every piece's`);
    }
    const status = CLAIM_STATES[Number(c.status)] || String(c.status);
    if (status !== 'provisional' && status !== 'confirmed') throw new Failed(`claim ${claim.id} is ${status}: it holds no units`);
    return `claim ${claim.id} (${status}) holds units ${start}-${end}`;
  };

  const latest = async () => {
    const r = state.report;
    const series = (await call(state.ledger.reportsFor(r.factoryId, r.year, 'H'))).map(Number);
    if (series.length && series[series.length - 1] > r.id) {
      report.supersededBy = series[series.length - 1];
      return `run ${r.id} is valid but superseded: the latest run is report ${report.supersededBy}`;
    }
    return `report ${r.id} is the latest run of ${r.factoryId} ${r.year}`;
  };

  try {
    const tests = [fields, document, pieces, root, chain, contractCheck, reportCheck, signature, transaction, claimCheck, latest];
    for (const [i, name] of HOURLY_CHECK_NAMES.entries()) await run(name, tests[i]);
  } finally {
    if (provider !== null) provider.destroy();
  }
  report.valid = checks.every((c) => c.ok === true);
  return report;
}
