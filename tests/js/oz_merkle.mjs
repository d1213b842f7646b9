// Reference oracle for tests/test_merkle.py: the real @openzeppelin/merkle-tree, driven over stdio.
//
// stdin:  {"values": ["0x<32 bytes>", ...], "check": [{"root", "record_hash", "proof": [...]}, ...]}
// stdout: {"root": ..., "proofs": [getProof(i) for every input index i],
//          "verified": [StandardMerkleTree.verify(root, ["bytes32"], [record_hash], proof), ...]}
//
// One process per tree, so the Python side pays Node's start-up once per size, not once per proof.
// "values" may be empty (only "check" is then answered, and root/proofs are null).
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

const ENCODING = ['bytes32'];

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const input = JSON.parse(await readStdin());
const values = input.values ?? [];
const check = input.check ?? [];

let root = null;
let proofs = null;
if (values.length > 0) {
  const tree = StandardMerkleTree.of(values.map(v => [v]), ENCODING);
  root = tree.root;
  proofs = values.map((_, i) => tree.getProof(i));
}

// Malformed input (a node that is not 32 bytes) throws and exits non-zero: the caller built it wrong.
const verified = check.map(({ root: r, record_hash: h, proof }) => StandardMerkleTree.verify(r, ENCODING, [h], proof));

process.stdout.write(JSON.stringify({ root, proofs, verified }));
