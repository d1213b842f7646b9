// The batch a factory signs, built in the page: salts, each record parsed and hashed by the very
// functions the verifier uses (records.js), the Merkle root laid out as OpenZeppelin's
// StandardMerkleTree (and ledger.merkle.tree) lays it out, and the EIP-712 BatchCommit signed with
// the decrypted key, exactly as ledger.signing.sign_batch does in Python.

import { hexlify, randomBytes } from 'ethers';

import { leafHash, nodeHash, parseRecord, recordHash } from './records.js';
import { BATCH_COMMIT_TYPE } from './spec.js';

export const NDJSON = 'application/x-ndjson';
const DOMAIN = { name: 'CarbonLedger', version: '1' };
const RECORD_FIELDS = ['source_id', 'kind', 'value', 'unit', 'interval_start', 'interval_end', 'evidence', 'salt'];

/** 32 random bytes from the browser's CSPRNG: a record's blinding, as `zcl batch sign` adds it. */
export const newSalt = () => hexlify(randomBytes(32));

/** OZ `makeMerkleTree` over the sorted leaves of `recordHashes`: the root (0x hex). */
export function batchRoot(recordHashes) {
  if (recordHashes.length === 0) throw new Error('a batch needs at least one record');
  // lower-case hex of one length sorts as the bytes do; Array.prototype.sort is stable, as OZ's is
  const leaves = recordHashes.map(leafHash).sort();
  const tree = new Array(2 * leaves.length - 1);
  leaves.forEach((leaf, i) => {
    tree[tree.length - 1 - i] = leaf;
  });
  for (let i = tree.length - 1 - leaves.length; i >= 0; i -= 1) tree[i] = nodeHash(tree[2 * i + 1], tree[2 * i + 2]);
  return tree[0];
}

/**
 * The batch of `records` (records as batch.json holds them): a salt added to each record without
 * one, every record checked as Python checks it (a RecordError names `records[i].field`).
 * Returns `{ json, messages }`: the wire form and each record's EIP-712 message.
 */
export function buildBatch({ factoryId, period, revision, uri = '', records }) {
  const json = { factory_id: factoryId, period, revision, uri, records: [] };
  const messages = records.map((given, i) => {
    const record = {};
    for (const key of RECORD_FIELDS) if (key in given) record[key] = given[key];
    if (record.salt === undefined) record.salt = newSalt();
    json.records.push(record);
    return parseRecord(record, { factoryId, period, path: `records[${i}]` });
  });
  return { json, messages };
}

/** The signed batch (SignedBatch.to_json's shape): `wallet` signs the BatchCommit of `batch`'s root. */
export async function signBatch(wallet, batch, { chainId, contract }) {
  const root = batchRoot(batch.messages.map(recordHash));
  const { factory_id: factoryId, period, revision, uri } = batch.json;
  const commit = { factoryId, period, revision, root, leafCount: batch.messages.length, uri };
  const domain = { ...DOMAIN, chainId, verifyingContract: contract };
  const signature = await wallet.signTypedData(domain, { BatchCommit: BATCH_COMMIT_TYPE }, commit);
  return {
    ...batch.json,
    root,
    leaf_count: batch.messages.length,
    signature,
    signer: wallet.address,
    chain_id: chainId,
    contract,
  };
}

/** The streamed form: the envelope on line 1, then one record per line (SignedBatch.ndjson_lines). */
export function ndjsonLines(signed) {
  const { records, ...envelope } = signed;
  return [JSON.stringify(envelope) + '\n', ...records.map((record) => JSON.stringify(record) + '\n')];
}
