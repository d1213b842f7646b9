"""Reading a bundled rule file (TOML) by id, or a user's by path: one way for every kind of rule data."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_rule_file(
    id_or_path: str | Path, directory: Path, error: type[ValueError], what: str
) -> tuple[Path, dict[str, Any]]:
    """The file's path and its TOML; ``error`` names the file (and the bundled ids when it is missing)."""
    path = Path(id_or_path) if str(id_or_path).endswith(".toml") else directory / f"{id_or_path}.toml"
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(p.stem for p in directory.glob("*.toml"))
        raise error(f"{path}: no such {what} (bundled: {known})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: {exc}") from None
