"""The layout holds: no package imports a layer above it, and no hand-written file grows too big.

Read from the source with :mod:`ast` (every import, also inside functions), so a lazy import cannot
hide a dependency. Data flows one way — record → hash → tree → anchor → proof → verify — and the
packages follow it: the signed messages depend on nothing of ours, the chain adapter on no domain
package, storage on no service, the library on no face.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACES = ("api", "zcl")
MAX_LINES = 460
"""A file that needs a table of contents is two files (the guide says ~450 lines)."""

# What each part of the library may import besides itself (and the standard library / third parties).
BASE = {"errors", "numbers", "i18n"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "i18n": set(),
    "numbers": set(),
    "faults": set(),
    "rulefiles": set(),
    "gc_pause": set(),
    "_native": set(),
    "keccak": {"_native"},
    "config": BASE,
    "keys": BASE,
    "eip712": set(),
    "merkle": {"keccak", "_native"},
    "records": BASE | {"keccak", "eip712", "merkle"},
    "signing": BASE | {"eip712", "merkle", "records"},
    "streamed": BASE | {"eip712", "merkle", "records", "signing"},
    "factors": BASE | {"records"},
    "claims": BASE | {"eip712", "records", "signing", "rulefiles"},
    "accounting": BASE | {"records", "factors", "claims", "rulefiles"},
    "reports": BASE | {"accounting", "records", "factors", "claims"},
    # hourly matching: rules over records and claims; its proof bundle is verified like a record's
    "hourly": BASE | {"keccak", "eip712", "merkle", "records", "claims", "accounting", "factors", "rulefiles",
                      "chain", "verify"},
    "chain": BASE | {"faults", "eip712", "config", "keys"},
    "verify": BASE | {"eip712", "records", "merkle", "chain"},
    "store": BASE | {"eip712", "records", "signing"},
    "evidence": BASE | {"records", "store"},
    "imports": BASE | {"records"},
    "services": {
        "errors", "faults", "eip712", "merkle", "records", "signing", "streamed", "factors", "claims", "accounting", "chain",
        "store", "evidence", "keccak", "numbers", "gc_pause", "i18n", "hourly",
    },
}  # fmt: skip


def _python_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops if (ROOT / top).exists() for p in (ROOT / top).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from ledger import faults`
    return found


def _part(module: str) -> str | None:
    """``ledger.chain.client`` → ``chain``; ``ledger.errors`` → ``errors``; not ours → None."""
    parts = module.split(".")
    if parts[0] in FACES:
        return parts[0]
    if parts[0] != "ledger" or len(parts) < 2:
        return None
    return parts[1]


def _library_part(path: Path) -> str:
    relative = path.relative_to(ROOT / "ledger")
    return relative.parts[0].removesuffix(".py")


def test_every_library_part_is_in_the_table() -> None:
    parts = {
        _library_part(p) for p in _python_files("ledger") if p.name != "__init__.py" or p.parent != ROOT / "ledger"
    }
    assert parts <= set(ALLOWED), f"add {sorted(parts - set(ALLOWED))} to ALLOWED with what they may import"


@pytest.mark.parametrize("path", _python_files("ledger"), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_library_module_imports_a_layer_above_it(path: Path) -> None:
    if path == ROOT / "ledger" / "__init__.py" or "migrations" in path.parts:
        return
    own = _library_part(path)
    wrong = set()
    for module in _imports(path):
        part = _part(module)
        if part is None or part == own:
            continue
        if part in FACES or part not in ALLOWED[own] and part in ALLOWED:
            wrong.add(module)
    assert not wrong, f"ledger.{own} may import only {sorted(ALLOWED[own])}; {path.name} imports {sorted(wrong)}"


def test_the_api_does_not_import_the_cli() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in _python_files("api") if any(m.split(".")[0] == "zcl" for m in _imports(p))
    ]
    assert not offenders


@pytest.mark.parametrize("top", ["ledger", "api", "zcl"])
def test_no_hand_written_file_is_over_the_limit(top: str) -> None:
    big = {
        str(p.relative_to(ROOT)): n
        for p in _python_files(top)
        if "migrations" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not big, f"split these (over {MAX_LINES} lines): {big}"
