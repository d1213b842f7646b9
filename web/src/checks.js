// The checks of a proof bundle, in order, producing the report: a port of ledger/verify.py.
//
// The same checks, in the same order, with the same meaning, so that a bundle passes or fails the
// same check here as in `zcl verify` (tests/test_web_bundle.py compares the two check by check).
// Nothing in the bundle is taken on trust: the record hash, the leaf and the root are recomputed
// from the record and the proof; the contract's code, the anchor and the transaction are read from
// the chain's JSON-RPC (chain.js); the batch signature is checked against the anchor as stored on
// chain (its URI as logged), under the EIP-712 domain the contract reports, and against the signer
// the contract recorded for the anchor (ECDSA for a key, ERC-1271 for a contract wallet), the key
// history only explaining. The first failure skips the checks after it.

import { TypedDataEncoder, getAddress, hexlify, sha256 as ethersSha256, verifyTypedData } from 'ethers';

import {
  checksum,
  describeError,
  hasCode,
  holdsLedger,
  ledgerAt,
  openProvider,
  readAnchor,
  readAnchoring,
  readChainId,
  readDomain,
  readRevisionCount,
  readSignerHistory,
  walletAccepts,
} from './chain.js';
import {
  Failed,
  fromhex,
  has,
  isObject,
  leafHash,
  parseRecord,
  processProof,
  recordHash,
  typeName,
} from './records.js';
import { BATCH_COMMIT_TYPE, LIMITS } from './spec.js';

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

// --- who signed ----------------------------------------------------------------------------------

// Half the order of secp256k1: a larger s is the malleable twin, which the contract refuses.
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * Whether `signer` signed `commit` (of EIP-712 `types`, a batch commit by default), decided as the
 * contract decides (ledger/chain/signatures.py):
 * canonical ECDSA recovery to `signer` (v 27 or 28, as OpenZeppelin's ECDSA takes), else `signer`
 * as a contract wallet asked through ERC-1271.
 */
export async function checkSignature(provider, domain, signer, commit, signature, types = { BatchCommit: BATCH_COMMIT_TYPE }) {
  let recovered = null;
  const v = Number.parseInt(signature.slice(-2), 16);
  const s = BigInt('0x' + signature.slice(66, 130));
  if ((v === 27 || v === 28) && s <= HALF_N) {
    try {
      recovered = verifyTypedData(domain, types, commit, signature);
    } catch {
      recovered = null; // no key: r off the curve, or r = s = 0
    }
  }
  if (recovered === signer) return { signer, recovered, byWallet: false, valid: true };
  const digest = TypedDataEncoder.hash(domain, types, commit);
  const byWallet = await walletAccepts(provider, signer, digest, signature);
  return { signer, recovered, byWallet, valid: byWallet };
}

// Where the anchor's signer stands in the factory's key history: an explanation, not a test.
function epochOf(epochs, signer, block) {
  let index = -1;
  epochs.forEach((e, i) => {
    if (e.signer === signer && e.validFromBlock <= block) index = i;
  });
  if (index < 0) return `the factory's registry has no epoch of it at block ${block}`;
  let since = `the factory's signer from block ${epochs[index].validFromBlock}`;
  if (epochs[index].forced) since += ` (forced by the admin, without the previous key's signature)`;
  if (index + 1 === epochs.length) return since;
  const after = epochs[index + 1];
  if (after.validFromBlock === block) {
    return `${since}; the factory rotated to ${after.signer} later in the same block ${block}, after this anchor`;
  }
  return `${since} until its rotation to ${after.signer} in block ${after.validFromBlock}`;
}

/** Why a 65-byte signature's v is not one the contract takes, or null (ledger.eip712.typed_data.v_problem). */
function vProblem(raw) {
  const v = raw[64];
  return v === 27 || v === 28 ? null : `v must be 27 or 28, as the contract's ECDSA takes, got ${v}`;
}

function refusal(check, wallet, epochs, raw) {
  let said;
  const problem = vProblem(raw);
  if (check.recovered === null && problem !== null) {
    said = `batch_signature: ${problem}`;
  } else if (check.recovered === null) {
    said = 'batch_signature recovers no key (not a valid ECDSA signature)';
  } else {
    said = `the batch signature recovers ${check.recovered}`;
    const span = epochs.find((e) => e.signer === check.recovered);
    if (span) said += ` (the factory's signer from block ${span.validFromBlock})`;
  }
  said += `, but the contract recorded ${check.signer} as this anchor's signer`;
  return said + (wallet ? ', a contract wallet that does not accept it (ERC-1271)' : '');
}

/**
 * A check runner over `checks`: `run(name, test)` records test's detail as a pass, its error as the
 * failure, and after the first failure records every later check as skipped (ledger.verify._Run).
 */
export function checkRunner(checks) {
  let failed = false;
  return async function run(name, test) {
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
  };
}

/** The `chain` check: the node behind `provider` is chain `bundleChainId` (and the page's `chainId`, if pinned). */
export async function checkChain(provider, rpcUrl, bundleChainId, chainId) {
  const found = await readChainId(provider, rpcUrl);
  if (chainId !== undefined && chainId !== null && found !== BigInt(chainId)) {
    throw new Failed(`the node is chain ${found}, but this verifier is configured for chain ${chainId}`);
  }
  if (found !== BigInt(bundleChainId)) {
    throw new Failed(`the node is chain ${found}, the bundle is for chain ${bundleChainId}`);
  }
  return `chain id ${found}`;
}

/** The `contract` check: the bundle's address holds CarbonLedger (and is the pinned `contract`); `{ledger, detail}`. */
export async function checkContract(provider, named, contract) {
  const address = checksum(named);
  if (contract !== undefined && contract !== null && address !== checksum(contract)) {
    throw new Failed(`the bundle names contract ${address}, but the authoritative ledger is ${contract}`);
  }
  if (!(await holdsLedger(provider, address))) throw new Failed(`${address} does not hold the CarbonLedger contract`);
  const pinned = contract ? '' : ' (taken from the bundle: pass the authoritative address to pin it)';
  return { ledger: ledgerAt(address, provider), detail: `CarbonLedger at ${address}${pinned}` };
}

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
  const run = checkRunner(checks);
  let provider = null;

  const fields = () => {
    if (!isObject(bundle)) throw new Failed(`the bundle must be a JSON object, got ${typeName(bundle)}`);
    const missing = BUNDLE_FIELDS.filter((name) => !has(bundle, name));
    if (missing.length) throw new Failed(`the bundle lacks ${missing.join(', ')}`);
    if (!Number.isInteger(bundle.chain_id)) throw new Failed('chain_id must be an integer');
    if (!Number.isInteger(bundle.revision) || bundle.revision < 1 || bundle.revision > LIMITS.MAX_REVISION) {
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
    // the chain id is asked for here, and everything after runs only if it matches
    provider = openProvider(rpcUrl, bundle.chain_id);
    return checkChain(provider, rpcUrl, bundle.chain_id, chainId);
  };

  const contractCheck = async () => {
    const found = await checkContract(provider, bundle.contract, contract);
    state.ledger = found.ledger;
    return found.detail;
  };

  const anchor = async () => {
    state.anchor = await readAnchor(state.ledger, provider, {
      factoryId: bundle.factory_id,
      period: bundle.period,
      revision: bundle.revision,
    });
    if (state.anchor.root !== state.root) {
      throw new Failed(`the chain anchors root ${state.anchor.root} for this revision, not ${state.root}`);
    }
    return `anchored in block ${state.anchor.anchoredBlock} at ${state.anchor.anchoredAt} (unix time)`;
  };

  const signature = async () => {
    const found = state.anchor;
    const domain = await readDomain(state.ledger);
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
    const check = await checkSignature(provider, domain, getAddress(found.signer), commit, hexlify(raw));
    const epochs = await readSignerHistory(state.ledger, found.factoryId);
    if (!check.valid) throw new Failed(refusal(check, await hasCode(provider, check.signer), epochs, raw));
    const how = check.byWallet
      ? `the contract wallet ${check.signer} accepts it (ERC-1271)`
      : `signed by ${check.signer}`;
    return `${how}, the signer the contract recorded for this anchor: ${epochOf(epochs, check.signer, found.anchoredBlock)}`;
  };

  const transaction = async () => {
    const found = state.anchor;
    const txHash = bundle.anchor.tx_hash;
    const anchoring = await readAnchoring(state.ledger, provider, txHash, found);
    if (anchoring === null) throw new Failed(`transaction ${txHash} is not on this chain`);
    if (anchoring.blockNumber !== found.anchoredBlock || !anchoring.anchors) {
      throw new Failed(`transaction ${txHash} did not anchor this revision`);
    }
    return `${txHash} in block ${anchoring.blockNumber}`;
  };

  const revision = async () => {
    const latest = await readRevisionCount(state.ledger, bundle.factory_id, bundle.period);
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
