"""The shipped mappings (``examples/import-templates/NAME/mapping.toml``), for the CLI's README
examples and the web page's "start from a template" list.

Each template directory holds its mapping, a small sample export in the same layout as the real
one, and notes; the mapping's ``title`` and ``description`` are what a person chooses by.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .mapping import ImportMapping, parse_mapping, to_json

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "examples" / "import-templates"


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    sample: str | None  # the sample file's name in the template's directory
    mapping: ImportMapping

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description, "sample": self.sample,
                "mapping": to_json(self.mapping)}  # fmt: skip


def templates(directory: Path = TEMPLATES_DIR) -> list[Template]:
    """Every template under ``directory``, by name; a broken one raises (it is ours to fix)."""
    found = []
    for path in sorted(directory.glob("*/mapping.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        samples = sorted(p.name for p in path.parent.iterdir() if p.name.startswith("sample."))
        found.append(Template(path.parent.name, str(data.get("title", "")), str(data.get("description", "")),
                              samples[0] if samples else None, parse_mapping(data)))  # fmt: skip
    return found
