"""The CJK font charts and the PDF report write Chinese with: Debian's Noto Sans CJK SC.

Factory names are often Chinese, and the zh-CN report is Chinese throughout. Without a CJK font,
matplotlib draws each character as an empty box and WeasyPrint does the same, silently. The setup
scripts install Debian's ``fonts-noto-cjk``; this module finds it through fontconfig (``fc-list``,
which WeasyPrint uses too), registers it with matplotlib (whose font cache may predate the install),
and says loudly, once, when it is missing: the report is still made, with boxes for Chinese.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from pathlib import Path

from matplotlib import font_manager

__all__ = ["CHART_FONTS", "CJK_FAMILY", "MISSING_CJK", "cjk_font_files", "ensure_cjk_font"]

CJK_FAMILY = "Noto Sans CJK SC"
"""The family name fontconfig and matplotlib know the Simplified Chinese face of Noto Sans CJK by."""

CHART_FONTS = ["DejaVu Sans", CJK_FAMILY]
"""Charts' font list: matplotlib's own font for Latin text, Noto Sans CJK SC for what it lacks."""

MISSING_CJK = (
    f"the font {CJK_FAMILY!r} is not installed: Chinese text in charts and PDF reports will show as empty "
    "boxes (install Debian's fonts-noto-cjk: ./scripts/setup does so as root)"
)

_log = logging.getLogger(__name__)
_FALLBACK_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


def cjk_font_files() -> list[Path]:
    """The font files holding Noto Sans CJK SC, as fontconfig lists them (a search of the usual font
    directories when ``fc-list`` is absent); empty when the font is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        try:
            out = subprocess.run(
                [fc_list, CJK_FAMILY, "file"], capture_output=True, text=True, timeout=30, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        files = sorted({Path(line.strip().rstrip(":")) for line in out.splitlines() if line.strip()})
        if files:
            return files
    return sorted(p for d in _FALLBACK_DIRS if d.is_dir() for p in d.rglob("NotoSansCJK-*.tt[cf]"))


@functools.cache
def ensure_cjk_font() -> str | None:
    """Register Noto Sans CJK SC with matplotlib and return its family name; None (logged as a
    warning, once per process) when it is not installed."""
    for path in cjk_font_files():
        try:
            font_manager.fontManager.addfont(str(path))
        except (OSError, RuntimeError, ValueError) as exc:
            _log.warning("could not load the font file %s: %s", path, exc)
    if any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        return CJK_FAMILY
    _log.warning(MISSING_CJK)
    return None
