// A retirement claim checked in the reader's browser against the chain: what the claim page
// (/claim/{id}) shows, as this service says it, compared with what the contract records.
//
// Nothing the service says is taken on trust: the claim is read with the contract's `getClaim`
// over the chain's JSON-RPC, the details the service discloses are hashed here (the EIP-712 struct
// hash of ClaimDetails, ledger/eip712/retirement_claim.py) and compared with the hash the chain
// stores, the transaction's receipt must log the claim's RetirementClaimed event, and the block's
// time is read from the block. Each check's text is the page's (in its language): `messages` maps
// a message key to a text with `%(name)s` placeholders, filled here.

import { TypedDataEncoder, getAddress } from 'ethers';

import { call, describeError, holdsLedger, ledgerAt, openProvider, readChainId, readSignerHistory } from './chain.js';
import { Failed } from './records.js';

export const CLAIM_STATES = ['none', 'provisional', 'confirmed', 'revoked'];

export const CLAIM_DETAILS_TYPE = [
  { name: 'projectId', type: 'string' },
  { name: 'technology', type: 'string' },
  { name: 'quantity', type: 'string' },
  { name: 'unit', type: 'string' },
  { name: 'generationStart', type: 'string' },
  { name: 'generationEnd', type: 'string' },
  { name: 'purpose', type: 'string' },
  { name: 'evidenceSha256', type: 'bytes32' },
  { name: 'country', type: 'string' },
  { name: 'region', type: 'string' },
  { name: 'methodology', type: 'string' },
  { name: 'cancellationNumber', type: 'string' },
  { name: 'cancellationDate', type: 'string' },
  { name: 'bundledWith', type: 'string' },
];

export const CLAIM_CHECK_NAMES = ['chain', 'contract', 'claim', 'facts', 'state', 'details', 'transaction', 'time', 'signer'];

/** `text` with each `%(name)s` replaced by `values[name]` (Python's named format, as the catalogs write it). */
export function fill(text, values = {}) {
  return String(text).replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The struct hash of a claim's details as the service shows them (its stored JSON form). */
export function detailsHash(details) {
  const sha = String(details.evidence_sha256 || '').replace(/^0x/, '');
  const message = {
    projectId: details.project_id,
    technology: details.technology,
    quantity: details.quantity,
    unit: details.unit,
    generationStart: details.generation_start,
    generationEnd: details.generation_end,
    purpose: details.purpose,
    evidenceSha256: '0x' + sha,
    country: details.country || '',
    region: details.region || '',
    methodology: details.methodology || '',
    cancellationNumber: details.cancellation_number || '',
    cancellationDate: details.cancellation_date || '',
    bundledWith: details.bundled_with || '',
  };
  return TypedDataEncoder.hashStruct('ClaimDetails', { ClaimDetails: CLAIM_DETAILS_TYPE }, message);
}

export function utcTime(seconds) {
  return new Date(Number(seconds) * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** The claim as the contract's getClaim returns it, reshaped like the service's JSON. */
async function readClaim(ledger, claimId) {
  const c = await call(ledger.getClaim(claimId));
  return {
    claim_id: Number(claimId),
    factory_id: c.factoryId,
    registry: c.registry,
    block_id: c.blockId,
    serial_start: c.serialStart.toString(),
    serial_end: c.serialEnd.toString(),
    consumption_start: c.consumptionStart,
    consumption_end: c.consumptionEnd,
    signer: getAddress(c.signer),
    details_hash: c.detailsHash.toLowerCase(),
    claimed_at: Number(c.claimedAt),
    block_number: Number(c.claimedBlock),
    attestation: CLAIM_STATES[Number(c.status)] || String(c.status),
  };
}

const COMPARED = [
  'factory_id', 'registry', 'block_id', 'serial_start', 'serial_end', 'consumption_start', 'consumption_end',
  'signer', 'claimed_at', 'block_number',
];

/**
 * Check `shown` (the claim as the service answers `GET /claims/{id}`) against the chain at `rpcUrl`.
 * Returns `{valid, state, checks}`: each check `{name, ok (true, false, or null when skipped), detail}`.
 * The chain, the contract and the claim come first; when one fails the rest are skipped.
 */
export async function verifyClaim(shown, { rpcUrl, contract, chainId, claimId, messages = {} } = {}) {
  const say = (key, values) => fill(messages[key] || key, values);
  const checks = [];
  const report = { valid: false, state: null, checks, onChain: null };
  const provider = openProvider(rpcUrl, chainId);
  const ledger = ledgerAt(contract, provider);
  let stopped = false;
  let onChain = null;

  async function run(name, test, { stops = false } = {}) {
    if (stopped) {
      checks.push({ name, ok: null, detail: say('skipped') });
      return;
    }
    try {
      const result = await test();
      checks.push(result === null ? { name, ok: null, detail: say(`${name}_skipped`, {}) } : { name, ok: result[0], detail: result[1] });
      if (result !== null && result[0] === false && stops) stopped = true;
    } catch (error) {
      const detail = error instanceof Failed ? error.message : describeError(error);
      checks.push({ name, ok: false, detail: say(`${name}_error`, { error: detail, rpc: rpcUrl, claim_id: claimId }) });
      if (stops) stopped = true;
    }
  }

  try {
    await run('chain', async () => {
      const found = await readChainId(provider, rpcUrl);
      const ok = found === BigInt(chainId);
      return [ok, say(ok ? 'chain_ok' : 'chain_fail', { rpc: rpcUrl, chain_id: chainId, found: found.toString() })];
    }, { stops: true });
    await run('contract', async () => {
      const ok = await holdsLedger(provider, contract);
      return [ok, say(ok ? 'contract_ok' : 'contract_fail', { contract })];
    }, { stops: true });
    await run('claim', async () => {
      onChain = await readClaim(ledger, claimId);
      report.onChain = onChain;
      const ok = onChain.attestation !== 'none';
      return [ok, say(ok ? 'claim_ok' : 'claim_error', { claim_id: claimId, error: '' })];
    }, { stops: true });
    await run('facts', async () => {
      const differ = COMPARED.filter((key) => String(shown[key]) !== String(onChain[key]));
      const values = {
        factory: onChain.factory_id, registry: onChain.registry, block: onChain.block_id, start: onChain.serial_start,
        end: onChain.serial_end, period: `${onChain.consumption_start}..${onChain.consumption_end}`, signer: onChain.signer,
        fields: differ.map((key) => `${key} (${say('chain_says')} ${onChain[key]}, ${say('page_says')} ${shown[key]})`).join('; '),
      };
      return [differ.length === 0, say(differ.length === 0 ? 'facts_ok' : 'facts_fail', values)];
    });
    await run('state', async () => {
      report.state = onChain.attestation;
      const ok = shown.attestation === onChain.attestation;
      const values = { state: say(`state_${onChain.attestation}`), chain: say(`state_${onChain.attestation}`), shown: say(`state_${shown.attestation}`) };
      return [ok, say(ok ? 'state_ok' : 'state_fail', values)];
    });
    await run('details', async () => {
      if (!shown.details) return null;
      const found = detailsHash(shown.details).toLowerCase();
      const ok = found === onChain.details_hash;
      return [ok, say(ok ? 'details_ok' : 'details_fail', { hash: onChain.details_hash, found })];
    });
    await run('transaction', async () => {
      if (!shown.tx_hash) return null;
      const receipt = await call(provider.getTransactionReceipt(shown.tx_hash));
      const address = getAddress(contract);
      const logged = receipt !== null && receipt.logs.some((log) => {
        if (getAddress(log.address) !== address) return false;
        let event = null;
        try {
          event = ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
        } catch {
          return false;
        }
        return event !== null && event.name === 'RetirementClaimed' && event.args.claimId.toString() === String(claimId);
      });
      const ok = logged && receipt.blockNumber === onChain.block_number;
      return [ok, say(ok ? 'transaction_ok' : 'transaction_fail', { tx: shown.tx_hash, claim_id: claimId, block: onChain.block_number })];
    });
    await run('time', async () => {
      const block = await call(provider.getBlock(onChain.block_number));
      const ok = block !== null && Number(block.timestamp) === onChain.claimed_at;
      const time = block !== null ? utcTime(block.timestamp) : '—';
      return [ok, say(ok ? 'time_ok' : 'time_fail', { block: onChain.block_number, time, shown: utcTime(shown.claimed_at) })];
    });
    await run('signer', async () => {
      const epochs = await readSignerHistory(ledger, onChain.factory_id);
      const block = onChain.block_number;
      // In force at the claim's block: the last epoch begun at or before it, or one begun in that block
      // (a rotation later in the same block than the claim).
      const inForce = epochs.filter((e, i) => e.validFromBlock <= block && (i + 1 === epochs.length || epochs[i + 1].validFromBlock >= block));
      const ok = inForce.some((e) => e.signer === onChain.signer);
      return [ok, say(ok ? 'signer_ok' : 'signer_fail', { signer: onChain.signer, factory: onChain.factory_id, block })];
    });
  } finally {
    provider.destroy();
  }
  report.valid = checks.every((c) => c.ok !== false) && checks.some((c) => c.ok === true);
  return report;
}
