"""The claim page's JavaScript (web/src/claim.js) hashes a claim's disclosed details exactly as the
contract's EIP-712 struct hash (ledger.eip712.details_hash) does, for the examples and for details
with Chinese text, empty facts and a bundle; and fills its texts' placeholders as Python's format."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.claims import parse_claim
from ledger.eip712 import details_hash

pytestmark = [pytest.mark.unit, pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")]
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "claims"
SCRIPT = """
import { detailsHash, fill } from './web/src/claim.js';
const input = JSON.parse(process.argv[1]);
console.log(JSON.stringify({
  hashes: input.details.map(detailsHash),
  filled: fill('%(a)s then %(b)s, %(missing)s', { a: 'α', b: 2 }),
}));
"""


def test_details_hash_and_fill_agree_with_python() -> None:
    claims = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]
    assert len(claims) >= 3
    claims.append(claims[0] | {"technology": "海上风电", "purpose": "范围二 基于市场 2025-01", "region": "",
                               "bundled_with": "gpc-2025-01"})  # fmt: skip
    stored = [parse_claim(c).to_json() for c in claims]  # the details as the service shows them
    run = subprocess.run(["node", "--input-type=module", "-e", SCRIPT, json.dumps({"details": stored})],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["hashes"] == ["0x" + details_hash(parse_claim(c).details).hex() for c in claims]
    assert len(set(answer["hashes"])) == len(claims)  # each detail counts
    assert answer["filled"] == "α then 2, %(missing)s"
