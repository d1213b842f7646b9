// The CarbonLedger contract as the verifier reads it over the chain's JSON-RPC (ethers).
//
// The contract artifact is imported from ledger/artifacts (web/build.mjs keeps only the parts used
// here), so the ABI and the runtime code compared against are those of the contract the service
// deploys; a rebuilt artifact makes the committed bundle stale, which `node web/build.mjs --check`
// reports. The readers below only fetch and reshape; what counts as a pass is decided in checks.js.
// A failed call becomes a `Failed` whose message reads like ledger.chain.errors.ContractRevert.

import { AbiCoder, Contract, JsonRpcProvider, Network, concat, dataLength, dataSlice, getAddress, id, keccak256, zeroPadBytes } from 'ethers';

import artifact from '../../ledger/artifacts/CarbonLedger.json' with { type: 'json' };

import { Failed, show } from './records.js';

const USED = new Set([
  'getAnchor', 'signerHistory', 'revisionCount', 'eip712Domain', 'BatchAnchored', 'getClaim', 'RetirementClaimed',
  'getReport', 'reportsFor', 'hasRole', 'ReportAnchored',
]);
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
export function describeError(error) {
  const revert = error && error.revert;
  if (revert && revert.name) {
    const inputs = (ABI.find((i) => i.type === 'error' && i.name === revert.name) || { inputs: [] }).inputs;
    const shown = inputs.map((input, i) => `${input.name}=${show(typeof revert.args[i] === 'bigint' ? Number(revert.args[i]) : revert.args[i])}`);
    const docs = (ERROR_DOCS[revert.signature] || []).map((d) => d.details || '').join(' ').trim();
    return `${revert.name}(${shown.join(', ')})${docs ? ': ' + docs : ''}`;
  }
  return (error && (error.shortMessage || error.message)) || String(error);
}

export async function call(promise) {
  try {
    return await promise;
  } catch (error) {
    throw new Failed(describeError(error));
  }
}

/** `value` as a checksummed address (0x optional); `Failed` if it is not 40 hex digits. */
export function checksum(value) {
  if (typeof value !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(value)) {
    throw new Failed(`${show(value)} is not an address`);
  }
  return getAddress('0x' + value.replace(/^0x/, '').toLowerCase());
}

// --- reads ----------------------------------------------------------------------------------------

/**
 * A provider for `rpcUrl` pinned to `chainId`: ethers asks the node nothing on its own (no
 * detection loop, no retries, no console output). The caller destroys it.
 */
export function openProvider(rpcUrl, chainId) {
  return new JsonRpcProvider(rpcUrl, new Network('bundle', BigInt(chainId)), {
    staticNetwork: true,
    batchMaxCount: 1,
  });
}

/** The chain id the node at `rpcUrl` reports, as a BigInt. */
export async function readChainId(provider, rpcUrl) {
  let answer;
  try {
    answer = await provider.send('eth_chainId', []);
  } catch (error) {
    throw new Failed(`the chain at ${rpcUrl} did not answer: ${describeError(error)}`);
  }
  return BigInt(answer);
}

/** Whether `address` holds CarbonLedger's runtime code. */
export async function holdsLedger(provider, address) {
  return runtimeCodeMatches(await call(provider.getCode(address)));
}

/** The CarbonLedger at `address`, for the reads below. */
export function ledgerAt(address, provider) {
  return new Contract(address, ABI, provider);
}

/**
 * A revision's anchor as the chain has it: root, signer, block and leaf count from `getAnchor`, the
 * URI from the revision's BatchAnchored event (one per revision, in the anchoring block; the
 * contract does not store it) and the time from that block.
 */
export async function readAnchor(ledger, provider, { factoryId, period, revision }) {
  const found = await call(ledger.getAnchor(factoryId, period, revision));
  const anchoredBlock = Number(found.anchoredBlock);
  const filter = ledger.filters.BatchAnchored(id(factoryId), id(period), revision);
  const logs = await call(ledger.queryFilter(filter, anchoredBlock, anchoredBlock));
  if (logs.length !== 1) {
    throw new Failed(
      `block ${anchoredBlock} should hold one BatchAnchored event for this revision, the node returned ${logs.length}`,
    );
  }
  const block = await call(provider.getBlock(anchoredBlock));
  return {
    factoryId,
    period,
    revision,
    root: found.root.toLowerCase(),
    signer: found.signer,
    anchoredAt: Number(block.timestamp),
    anchoredBlock,
    leafCount: found.leafCount,
    uri: logs[0].args.uri,
  };
}

/** The EIP-712 domain the contract reports (ERC-5267 `eip712Domain`). */
export async function readDomain(ledger) {
  const [, name, version, chainId, verifyingContract] = await call(ledger.eip712Domain());
  return { name, version, chainId, verifyingContract };
}

/** The factory's signer epochs, oldest first: `{signer, validFromBlock, forced}` (FactoryRegistry.signerHistory). */
export async function readSignerHistory(ledger, factoryId) {
  const epochs = await call(ledger.signerHistory(factoryId));
  return epochs.map((e) => ({
    signer: getAddress(e.signer),
    validFromBlock: Number(e.validFromBlock),
    forced: Boolean(e.forced),
  }));
}

/** Whether `address` holds code (a contract wallet, say). */
export async function hasCode(provider, address) {
  return (await call(provider.getCode(address))) !== '0x';
}

// isValidSignature(bytes32,bytes)'s selector: what an ERC-1271 wallet returns to say yes.
export const ERC1271_MAGIC = '0x1626ba7e';

/**
 * Whether `signer`, as a contract wallet, accepts `signature` over `digest` now (ERC-1271), tested
 * as the contract's SignatureChecker tests it: the static call succeeds and returns at least 32
 * bytes that start with the magic value. No code, a revert or another answer is no; a node that
 * does not answer throws.
 */
export async function walletAccepts(provider, signer, digest, signature) {
  const data = concat([ERC1271_MAGIC, AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes'], [digest, signature])]);
  let answer;
  try {
    answer = await provider.call({ to: signer, data });
  } catch (error) {
    if (error && error.code === 'CALL_EXCEPTION') return false;
    throw new Failed(describeError(error));
  }
  return dataLength(answer) >= 32 && dataSlice(answer, 0, 32) === zeroPadBytes(ERC1271_MAGIC, 32);
}

/**
 * Transaction `txHash` as it bears on `anchor`: null if the chain does not have it, else its block
 * and whether it logged the BatchAnchored event of exactly this revision from this ledger.
 */
export async function readAnchoring(ledger, provider, txHash, anchor) {
  const receipt = await call(provider.getTransactionReceipt(txHash));
  if (receipt === null) return null;
  const ledgerAddress = await ledger.getAddress();
  const anchors = receipt.logs.some((log) => {
    if (getAddress(log.address) !== ledgerAddress) return false;
    let event;
    try {
      event = ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return false;
    }
    return (
      event !== null &&
      event.name === 'BatchAnchored' &&
      event.args.root.toLowerCase() === anchor.root &&
      Number(event.args.revision) === anchor.revision &&
      event.args.factoryId === anchor.factoryId &&
      event.args.period === anchor.period
    );
  });
  return { blockNumber: receipt.blockNumber, anchors };
}

/** How many revisions the chain has for the factory's period. */
export async function readRevisionCount(ledger, factoryId, period) {
  return Number(await call(ledger.revisionCount(factoryId, period)));
}
