"""The user guide's pictures are committed where the README and the Chinese guide point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("guide", ["README.md", "docs/guide/README.zh-CN.md"])
def test_every_picture_of_the_guide_is_committed(guide: str) -> None:
    page = ROOT / guide
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", page.read_text(encoding="utf-8"))
    assert len(pictures) >= 7, pictures
    missing = [p for p in pictures if not (page.parent / p).is_file()]
    assert not missing, f"{guide} shows pictures that are not there (./scripts/guide-shots): {missing}"
