// Test driver for tests/test_upload_signing.py: the upload page's batch code in Node, over stdio.
//
// stdin:  {"batches": [{"batch": {...batch.json with salts...}, "key": "0x...", "chainId", "contract"}],
//          "roots": [["0x<record hash>", ...], ...], "mappings": [{...mapping...}]}
// stdout: {"signed": [signed batch JSON], "roots": ["0x<root>"], "toml": ["<TOML text>"]}
import { Wallet } from 'ethers';

import { batchRoot, buildBatch, signBatch } from '../src/upload_batch.js';
import { mappingToml } from '../src/upload_mapping.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const signed = [];
for (const item of input.batches || []) {
  const { factory_id: factoryId, period, revision, uri, records } = item.batch;
  const batch = buildBatch({ factoryId, period, revision, uri, records });
  signed.push(await signBatch(new Wallet(item.key), batch, { chainId: item.chainId, contract: item.contract }));
}
const roots = (input.roots || []).map((hashes) => batchRoot(hashes));
const toml = (input.mappings || []).map((mapping) => mappingToml(mapping));
process.stdout.write(JSON.stringify({ signed, roots, toml }));
