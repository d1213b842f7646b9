#!/usr/bin/env node
// Recompute a batch's Merkle root with OpenZeppelin's own library, as a cross-check of ours.
// Reads a batch as `zcl batch show ID` prints it (records[].record_hash, in order) on stdin and
// prints the StandardMerkleTree root over the record hashes with leaf encoding ['bytes32'].
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const batch = JSON.parse(readFileSync(0, 'utf8'));
const hashes = (batch.records ?? []).map((r) => r.record_hash);
if (hashes.length === 0) {
  process.stderr.write('oz-root: expected a batch with records[].record_hash on stdin\n');
  process.exit(2);
}
const tree = StandardMerkleTree.of(hashes.map((h) => [h]), ['bytes32']);
process.stdout.write(`${tree.root}\n`);
if (batch.root !== undefined && batch.root.toLowerCase() !== tree.root.toLowerCase()) {
  process.stderr.write(`oz-root: differs from the batch's root ${batch.root}\n`);
  process.exit(1);
}
