"""The serial formats of the registries that publish one, registered with :mod:`ledger.claims.serials`
(each a :class:`~ledger.claims.serials.SerialFormat`; :func:`~ledger.claims.serials.register_serial_format`
adds more). A lookup or claim by block id and range needs none of them (:func:`~ledger.claims.serials.block_range`).

Where a part of a serial is not proven stable for the same units it is left out of ``block_id``
(the rule is :mod:`ledger.claims.serials`'s: two serials that can denote the same unit must give
the same block).

``VCS`` — Verra VCU serial, one string for a block of units::

    9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0
    ^1   ^2        ^3        ^4  ^5  ^6  ^7  ^8 ^9 ^10  ^11      ^12      ^13

  1 issuance sequence, 2 start serial, 3 end serial, 4 program ``VCS``, 5 unit type ``VCU``,
  6 numeric code (read by third-party parsers as the VVB id), 7 originating registry ``VER``
  (``MER`` on units first issued in the Markit registry), 8 ISO country, 9 sectoral scope,
  10 project id, 11/12 vintage start/end ``DDMMYYYY``, 13 additional-certification flag ``0``/``1``.
  Two 12-part forms exist and are accepted: without the program (``8040-…-VCU-042-MER-PE-14-1360-…``,
  older serials) and without the sectoral scope (the brief's and Cloverly's example
  ``0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1``, read as project ``0003``).
  The unit serials (parts 2 and 3) are numbered registry-wide (real serials carry numbers like
  115597313 and 681393912, rising over time across projects), so they are unique on their own.
  ``block_id`` = ``VCS-VCU-<6>-<7>-<8>-<9>-<10>-<11>-<12>`` with numbers stripped of leading zeros.
  Left out: part 1 (not verified to stay the same when a partial retirement splits a block) and
  part 13 (a label such as CCB can be added after issuance, changing the flag for the same units).
  Sources: https://help.cloverly.com/knowledge/registry-serial-number-ranges (the 100-VCU example,
  "Verra represents a block of VCUs within one unique serial number"),
  https://carbonmark.com/ja/blog/carbon-retirement-verification (a real retirement serial), and
  the field names of a public parser, ``sc_audit.loader.utils.VcsSerialNumber`` (``batch_number,
  block_start, block_end, program_code, credit_type, vvb_id, registry, country, project_type,
  project_id, vintage_start, vintage_end, additional_certification``). Verra's own serial-number page was not in the
  searchable corpus, so the part meanings above are not confirmed by Verra itself.

``GS`` — Gold Standard serial, one string for a block::

    GS1-1-KE-GS7495-16-2025-30645-608-30350      (29,743 credits, units 608..30350)
    ^1  ^2 ^3 ^4    ^5 ^6   ^7    ^8  ^9

  1 ``GS<n>``, 2 number, 3 ISO country, 4 project ``GS<n>``, 5 number, 6 vintage year, 7 batch
  number, 8 start, 9 end. The meaning of parts 1, 2 and 5 is not published in anything found; the
  shape and the arithmetic (end - start + 1 = number_of_credits) were observed on the Gold Standard
  public API (``/credits``: ``serial_number``, ``number_of_credits``), as recorded in a public
  repository's API notes. ``block_id`` = parts 1-7, uppercase, numbers without leading zeros.

``GEC`` — China Green Electricity Certificate (绿证), one 32-digit serial per MWh. Published
  structure (中国碳交易网/易碳家, 2025-03-26, "绿证编码有何具体含义", e.g.
  http://www.wanggaofeng.com/article-87289-1.html): digits 1-17 are the project's 建档立卡 code
  (project type, energy type, technology type, approval/filing date, address, sequence, check
  code); digits 18-32 are, left to right, the production date, the certificate sequence number,
  the electricity category and the trade category. **The widths of the last four are not
  published; this module assumes** :data:`GEC_LAYOUT`: production year-month ``YYYYMM`` (6 digits,
  GECs are issued monthly), sequence (7 digits), electricity category (1), trade category (1).
  ``block_id`` = ``<project 17 digits>-<YYYYMM>``; ``start``/``end`` are the sequence numbers. The two
  category digits are left out of the block (merging is the safe direction if the sequence turns
  out to be numbered per category). The check digit's algorithm is not published and not checked.
  A range is written ``START..END`` (two full serials of the same project and month).

``I-REC`` — I-REC certificate numbers as on an Evident redemption statement, **assumed** to be
  16-digit registry-wide sequential numbers shown in groups of four (``0000-0001-2345-6789``; the
  dashes are optional); nothing authoritative was found. A single number or ``START..END``. The
  number carries no device or issuance, so the block is an arithmetic bucket of
  :data:`IREC_BUCKET` consecutive numbers (``block_id`` ``I-REC-0000-0001-23xx-xxxx``), which keeps the
  contract's per-block overlap scan short; a range crossing a bucket edge must be claimed as two.

``CCER`` — no serial format of the restarted (2024) national registry was found published, so
  none is registered: give ``registry``, ``block_id``, ``serial_start`` and ``serial_end`` instead.

Errors are :class:`~ledger.records.errors.RecordError` on field ``serial`` naming the part at fault,
e.g. ``serial: Verra serial part 3 (end serial "000050") is below part 2 (start serial "000100")``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType

from ledger.claims.serials import MAX_SERIAL, RANGE_SEPARATOR, SerialFormat, SerialRange, register_serial_format
from ledger.records.errors import RecordError

# GEC digits 18-32 (1-based, inclusive); widths assumed, see the module docstring.
GEC_LAYOUT: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "project code": (1, 17),
        "production month": (18, 23),
        "sequence number": (24, 30),
        "electricity category": (31, 31),
        "trade category": (32, 32),
    }
)
IREC_BUCKET = 10**6  # consecutive I-REC certificate numbers per block


# ---------------------------------------------------------------------------------------------
# helpers


def _number(text: str) -> str:
    """A numeric code without leading zeros (``"0003"`` → ``"3"``), so padding never splits a block."""
    return str(int(text))


def _unit_number(label: str, part: str) -> int:
    if not re.fullmatch(r"[0-9]{1,39}", part) or int(part) > MAX_SERIAL:
        raise RecordError("serial", f'{label} must be a whole number up to 2**128-1, got "{part}"')
    return int(part)


def _ddmmyyyy(label: str, part: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{8}", part):
        raise RecordError("serial", f'{label} must be a date DDMMYYYY, got "{part}"')
    try:
        return dt.date(int(part[4:]), int(part[2:4]), int(part[:2]))
    except ValueError:
        raise RecordError("serial", f"{label} is not a real date DDMMYYYY") from None


# ---------------------------------------------------------------------------------------------
# Verra


def _verra_layout(parts: list[str]) -> list[str] | None:
    """The field name of each written part, or None for an unknown arrangement."""
    full = [
        "issuance sequence", "start serial", "end serial", "program", "unit type", "code",
        "originating registry", "country", "sectoral scope", "project id", "vintage start", "vintage end",
        "additional certification flag",
    ]  # fmt: skip
    if len(parts) == 13:
        return full
    if len(parts) == 12 and parts[3].upper() == "VCU":  # older serials: no program part
        return full[:3] + full[4:]
    if len(parts) == 12:  # program present, no sectoral scope (the Cloverly/brief example)
        return full[:8] + full[9:]
    return None


def _parse_verra(text: str) -> SerialRange:
    parts = text.upper().split("-")
    layout = _verra_layout(parts)
    if layout is None:
        raise RecordError("serial", f"Verra serial must have 12 or 13 dash-separated parts, got {len(parts)}")
    got = dict(zip(layout, parts, strict=True))
    where = {name: i + 1 for i, name in enumerate(layout)}
    written = dict(zip(layout, text.split("-"), strict=True))

    def part(name: str) -> str:
        return f'Verra serial part {where[name]} ({name} "{written[name]}")'

    def digits(name: str) -> str:
        if not re.fullmatch(r"[0-9]{1,12}", got[name]):
            raise RecordError("serial", f"{part(name)} must be a number")
        return _number(got[name])

    digits("issuance sequence")
    start = _unit_number(part("start serial"), got["start serial"])
    end = _unit_number(part("end serial"), got["end serial"])
    if end < start:
        raise RecordError(
            "serial", f"{part('end serial')} is below {part('start serial').removeprefix('Verra serial ')}"
        )
    if got.get("program", "VCS") != "VCS":
        raise RecordError("serial", f"{part('program')} is not VCS")
    if got["unit type"] != "VCU":
        raise RecordError("serial", f"{part('unit type')} is not VCU")
    code = digits("code")
    if got["originating registry"] not in ("VER", "MER"):
        raise RecordError("serial", f"{part('originating registry')} is not VER (Verra) or MER (Markit)")
    if not re.fullmatch(r"[A-Z]{2}", got["country"]):
        raise RecordError("serial", f"{part('country')} must be a two-letter ISO 3166 country code")
    scope = digits("sectoral scope") if "sectoral scope" in got else None
    project = digits("project id")
    vintage_start = _ddmmyyyy(part("vintage start"), got["vintage start"])
    vintage_end = _ddmmyyyy(part("vintage end"), got["vintage end"])
    if vintage_end < vintage_start:
        raise RecordError(
            "serial", f"{part('vintage end')} is before {part('vintage start').removeprefix('Verra serial ')}"
        )
    if got["additional certification flag"] not in ("0", "1"):
        raise RecordError("serial", f"{part('additional certification flag')} must be 0 or 1")
    block = [
        "VCS", "VCU", code, got["originating registry"], got["country"], *([scope] if scope else []), project,
        vintage_start.strftime("%d%m%Y"), vintage_end.strftime("%d%m%Y"),
    ]  # fmt: skip
    return SerialRange("VCS", "-".join(block), start, end)


def _looks_verra(text: str) -> bool:
    return "-VCU-" in text.upper()


# ---------------------------------------------------------------------------------------------
# Gold Standard

_GS_PARTS = (
    "registry code", "unit code", "country", "project id", "code", "vintage", "batch number", "start serial",
    "end serial",
)  # fmt: skip


def _parse_gold_standard(text: str) -> SerialRange:
    written = text.split("-")
    if len(written) != len(_GS_PARTS):
        raise RecordError(
            "serial", f"Gold Standard serial must have {len(_GS_PARTS)} dash-separated parts, got {len(written)}"
        )
    got = dict(zip(_GS_PARTS, (p.upper() for p in written), strict=True))
    raw = dict(zip(_GS_PARTS, written, strict=True))

    def part(name: str) -> str:
        return f'Gold Standard serial part {_GS_PARTS.index(name) + 1} ({name} "{raw[name]}")'

    def gs_number(name: str) -> str:
        m = re.fullmatch(r"GS([0-9]{1,12})", got[name])
        if not m:
            raise RecordError("serial", f"{part(name)} must be GS followed by a number")
        return "GS" + _number(m.group(1))

    def digits(name: str) -> str:
        if not re.fullmatch(r"[0-9]{1,12}", got[name]):
            raise RecordError("serial", f"{part(name)} must be a number")
        return _number(got[name])

    registry_code = gs_number("registry code")
    unit_code = digits("unit code")
    if not re.fullmatch(r"[A-Z]{2}", got["country"]):
        raise RecordError("serial", f"{part('country')} must be a two-letter ISO 3166 country code")
    project = gs_number("project id")
    code = digits("code")
    if not re.fullmatch(r"[0-9]{4}", got["vintage"]) or not 1990 <= int(got["vintage"]) <= 2100:
        raise RecordError("serial", f"{part('vintage')} must be a year from 1990 to 2100")
    batch = digits("batch number")
    start = _unit_number(part("start serial"), got["start serial"])
    end = _unit_number(part("end serial"), got["end serial"])
    if end < start:
        raise RecordError(
            "serial", f"{part('end serial')} is below {part('start serial').removeprefix('Gold Standard serial ')}"
        )
    block = "-".join((registry_code, unit_code, got["country"], project, code, got["vintage"], batch))
    return SerialRange("GS", block, start, end)


def _looks_gold_standard(text: str) -> bool:
    return bool(re.match(r"GS[0-9]+-", text, re.IGNORECASE))


# ---------------------------------------------------------------------------------------------
# per-unit formats: GEC and I-REC


def _split_range(text: str) -> tuple[str, str | None]:
    first, sep, second = text.partition(RANGE_SEPARATOR)
    if not sep:
        return text, None
    if RANGE_SEPARATOR in second:
        raise RecordError("serial", f"a range has one {RANGE_SEPARATOR!r} between two serials")
    return first.strip(), second.strip()


def _gec_digits(serial: str, name: str) -> str:
    if not serial.isascii() or not serial.isdigit():
        raise RecordError("serial", f'{name} GEC serial "{serial}" must be 32 digits, not other characters')
    if len(serial) != 32:
        which = "" if name == "the" else f" ({name.removeprefix('the ')} serial)"
        raise RecordError("serial", f"GEC serials must be 32 digits, got {len(serial)}{which}")
    return serial


def _gec_field(serial: str, name: str) -> str:
    first, last = GEC_LAYOUT[name]
    return serial[first - 1 : last]


def _gec_block(serial: str, name: str) -> str:
    month = _gec_field(serial, "production month")
    first, last = GEC_LAYOUT["production month"]
    if not (2000 <= int(month[:4]) <= 2100 and 1 <= int(month[4:]) <= 12):
        raise RecordError(
            "serial", f'{name} GEC serial digits {first}-{last} (production month "{month}") are not a month YYYYMM'
        )
    return f"{_gec_field(serial, 'project code')}-{month}"


def _parse_gec(text: str) -> SerialRange:
    first, second = _split_range(text)
    start_serial = _gec_digits(first, "the" if second is None else "the start")
    end_serial = start_serial if second is None else _gec_digits(second, "the end")
    block = _gec_block(start_serial, "the" if second is None else "the start")
    if second is not None:
        end_block = _gec_block(end_serial, "the end")
        if end_block != block:
            raise RecordError(
                "serial",
                f"the range's two GEC serials belong to different blocks (project-month {block} vs {end_block})",
            )
    start = int(_gec_field(start_serial, "sequence number"))
    end = int(_gec_field(end_serial, "sequence number"))
    if end < start:
        lo, hi = GEC_LAYOUT["sequence number"]
        raise RecordError(
            "serial",
            f'the end GEC serial\'s digits {lo}-{hi} (sequence number "{_gec_field(end_serial, "sequence number")}") '
            f'are below the start\'s ("{_gec_field(start_serial, "sequence number")}")',
        )
    return SerialRange("GEC", block, start, end)


def _looks_gec(text: str) -> bool:
    return all(re.fullmatch(r"[0-9]{24,40}", s) for s in _split_range_loose(text))


_IREC_NUMBER = re.compile(r"[0-9]{4}(?:-?[0-9]{4}){3}")


def _irec_number(serial: str, name: str) -> int:
    if not _IREC_NUMBER.fullmatch(serial):
        raise RecordError(
            "serial", f'{name} I-REC certificate number "{serial}" must be 16 digits, e.g. 0000-0001-2345-6789'
        )
    return int(serial.replace("-", ""))


def _irec_block(number: int) -> str:
    digits = f"{number // IREC_BUCKET:010d}"
    return f"I-REC-{digits[:4]}-{digits[4:8]}-{digits[8:]}xx-xxxx"


def _parse_irec(text: str) -> SerialRange:
    first, second = _split_range(text)
    start = _irec_number(first, "the" if second is None else "the start")
    end = start if second is None else _irec_number(second, "the end")
    if end < start:
        raise RecordError("serial", f'the end I-REC certificate number "{second}" is below the start "{first}"')
    block = _irec_block(start)
    if _irec_block(end) != block:
        edge = (start // IREC_BUCKET + 1) * IREC_BUCKET
        raise RecordError(
            "serial",
            f"the I-REC range crosses a block edge at {edge:016d}; claim {start:016d}..{edge - 1:016d} "
            f"and {edge:016d}..{end:016d} separately",
        )
    return SerialRange("I-REC", block, start, end)


def _looks_irec(text: str) -> bool:
    return all(_IREC_NUMBER.fullmatch(s) for s in _split_range_loose(text))


def _split_range_loose(text: str) -> list[str]:
    return [s.strip() for s in text.split(RANGE_SEPARATOR)][:3]


for _fmt in (
    SerialFormat("VCS", 'Verra "0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1"',
                 _looks_verra, _parse_verra),
    SerialFormat("GS", 'Gold Standard "GS1-1-KE-GS7495-16-2025-30645-608-30350"',
                 _looks_gold_standard, _parse_gold_standard),
    SerialFormat("GEC", "GEC 32 digits, or START..END", _looks_gec, _parse_gec),
    SerialFormat("I-REC", 'I-REC "0000-0001-2345-6789", or START..END', _looks_irec, _parse_irec),
):  # fmt: skip
    register_serial_format(_fmt)
