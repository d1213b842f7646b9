#!/usr/bin/env node
// The baseline of benchmarks/bench_tree.py: @openzeppelin/merkle-tree building the tree and every
// proof over the same record hashes, timed inside Node so process start-up is not counted.
//
// usage: node --max-old-space-size=8192 benchmarks/oz_tree.mjs HASHES_FILE [SAMPLE_INDEX ...]
//   HASHES_FILE: n record hashes of 32 bytes each, concatenated (what bench_tree.py writes).
// stdout (JSON): {"n", "root", "build_s", "proofs_s", "samples": {"i": getProof(i), ...}}
//
// The hashes are turned into the hex strings OZ takes before the clock starts, and a small tree is
// built and proved first so the JIT is warm: the figure is OZ at its best, not its first call.
// Every proof is kept, as ours are, so both sides pay for holding them.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

const ENCODING = ['bytes32'];

function buildAndProve(values) {
  const t0 = performance.now();
  const tree = StandardMerkleTree.of(values, ENCODING);
  const t1 = performance.now();
  const proofs = new Array(values.length);
  for (let i = 0; i < values.length; i++) proofs[i] = tree.getProof(i);
  const t2 = performance.now();
  return { tree, proofs, build_s: (t1 - t0) / 1000, proofs_s: (t2 - t1) / 1000 };
}

const [file, ...sampleArgs] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: oz_tree.mjs HASHES_FILE [SAMPLE_INDEX ...]\n');
  process.exit(2);
}
const packed = readFileSync(file);
if (packed.length === 0 || packed.length % 32 !== 0) {
  process.stderr.write(`oz_tree: ${file} must hold a non-empty multiple of 32 bytes, got ${packed.length}\n`);
  process.exit(2);
}
const n = packed.length / 32;
const values = new Array(n);
for (let i = 0; i < n; i++) values[i] = ['0x' + packed.toString('hex', i * 32, i * 32 + 32)];

buildAndProve(Array.from({ length: 2000 }, (_, i) => values[i % n]));

const { tree, proofs, build_s, proofs_s } = buildAndProve(values);
const samples = {};
for (const arg of sampleArgs) samples[arg] = proofs[Number(arg)];
process.stdout.write(JSON.stringify({ n, root: tree.root, build_s, proofs_s, samples }) + '\n');
