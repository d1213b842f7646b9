"""``zcl certificate status`` (a buyer's lookup of a serial, or of a block id and unit range — CCER's
only way) and ``zcl claim certificate`` (a claim's printable retirement certificate, a PDF)."""

from __future__ import annotations

import argparse
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.errors import InputError
from ledger.i18n import N_, translator
from zcl.commands.common import group, service_for
from zcl.output import emit
from zcl.text import _, current


def register(subparsers: Any) -> None:
    certificate = group(subparsers, "certificate", _("look up certificates and credits"))
    status = certificate.add_parser(
        "status",
        help=_("is this serial (or a block's range) retired, by whom, for which period"),
        description=_("zcl certificate status REGISTRY SERIAL, or zcl certificate status REGISTRY --block ID "
                      "--range FIRST-LAST (CCER has no per-unit serial: its statement gives a block and a range)."),
    )  # fmt: skip
    status.add_argument("registry_arg", nargs="?", metavar="REGISTRY", help=_("GEC, I-REC, CCER, VCS, GS"))
    status.add_argument("serial_arg", nargs="?", metavar="SERIAL", help=_("the registry's serial, or START..END"))
    status.add_argument("--block", help=_("the block id, as on the registry's statement (with --range)"))
    status.add_argument("--range", dest="unit_range", metavar="FIRST-LAST", help=_("the block's units, e.g. 1001-1500"))
    status.add_argument("--registry", help=argparse.SUPPRESS)  # the older spelling
    status.add_argument("--serial", help=argparse.SUPPRESS)
    status.set_defaults(handler=_certificate_status)


def register_claim_certificate(claim: Any) -> None:
    """``zcl claim certificate ID -o FILE``, in the ``claim`` group."""
    pdf = claim.add_parser(
        "certificate", help=_("download a claim's printable retirement certificate (PDF), in zcl's language")
    )
    pdf.add_argument("claim_id", type=int)
    pdf.add_argument("-o", "--out", type=Path, required=True, metavar="FILE.pdf")
    pdf.set_defaults(handler=_claim_certificate)


def parse_range(text: str) -> tuple[str, str]:
    """``FIRST-LAST`` (or ``FIRST..LAST``) → the two decimal strings; errors name ``--range``."""
    match = re.fullmatch(r"\s*([0-9]+)\s*(?:-|\.\.)\s*([0-9]+)\s*", text)
    if match is None:
        raise InputError("--range", f'must be FIRST-LAST, two whole numbers such as 1001-1500, got "{text}"')
    return match.group(1), match.group(2)


def _certificate_status(args: argparse.Namespace) -> int:
    registry = args.registry_arg or args.registry
    serial = args.serial_arg or args.serial
    if not registry:
        raise InputError("REGISTRY", "is required: GEC, I-REC, CCER, VCS or GS")
    if (serial is None) == (args.block is None):
        raise InputError("SERIAL", "give a serial, or --block ID with --range FIRST-LAST (not both)")
    params: dict[str, str] = {}
    if serial is not None:
        params["serial"] = serial
    else:
        if args.unit_range is None:
            raise InputError("--range", "is required with --block: the block's first and last unit, FIRST-LAST")
        params["block"] = args.block
        params["first"], params["last"] = parse_range(args.unit_range)
    from urllib.parse import quote

    status = service_for(args, Settings.from_env()).get(f"/certificates/{quote(registry, safe='')}", **params)
    human = None if getattr(args, "json", False) else "\n".join(status_lines(status, reader_language(args)))
    emit(args, status, human)
    return 0


def status_lines(status: dict[str, Any], lang: str | None = None) -> list[str]:
    """The lookup as a person reads it, in ``lang``: what was asked, how much is claimed, which
    units are free, and a table of the claims (the values themselves — ids, states — as the API gives them)."""
    t = translator(lang)
    unit = status.get("unit", "")
    what = t.gettext("%(registry)s block %(block)s, units %(first)s..%(last)s", registry=status["registry"],
                     block=status["block_id"], first=status["serial_start"], last=status["serial_end"])  # fmt: skip
    lines = [f"{what} ({t.quantity(status['units'], unit)})"]
    if status["claimed"]:
        lines.append(t.gettext("claimed     %(claimed)s of %(units)s (%(confirmed)s by confirmed claims)",
                               claimed=t.number(status["units_claimed"]), units=t.number(status["units"]),
                               confirmed=t.number(status["units_confirmed"])))  # fmt: skip
    else:
        lines.append(t.gettext("claimed     none: no live claim holds any of these units"))
    if status["claimed"] and status.get("unclaimed"):
        free = ", ".join(
            f"{r['serial_start']}..{r['serial_end']} ({t.number(r['units'])})" for r in status["unclaimed"]
        )
        lines.append(t.gettext("not claimed %(ranges)s", ranges=free))
    rows = [*status["claims"], *status.get("revoked_claims", [])]
    if rows:
        header = tuple(t.gettext(h) for h in HEADER)
        table = [header] + [
            (
                str(c["claim_id"]),
                c["attestation"],
                c["factory_id"],
                f"{c.get('overlap_start', c['serial_start'])}..{c.get('overlap_end', c['serial_end'])}",
                t.quantity(c.get("overlap_units", 0), unit),
                f"{c['consumption_start']}..{c['consumption_end']}",
                datetime.fromtimestamp(c["claimed_at"], UTC).strftime("%Y-%m-%d %H:%M:%S"),
                str(c["block_number"]),
                c["tx_hash"] or "-",
            )  # fmt: skip
            for c in rows
        ]
        widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
        lines.append("")
        lines += ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
                  for row in table]  # fmt: skip
    return lines


HEADER = (N_("claim"), N_("state"), N_("claimant"), N_("unit range"), N_("quantity"), N_("consumption"),
          N_("recorded (UTC)"), N_("block"), N_("tx"))  # fmt: skip


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def reader_language(args: argparse.Namespace) -> str:
    """The language zcl speaks this run (``--lang``, else the locale: :mod:`zcl.text`)."""
    return current().lang


def _claim_certificate(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    lang = reader_language(args)  # zh-CN with LANG=zh_CN.UTF-8 (or zcl's --lang)
    with tmp.open("wb") as out:
        service.download(f"/claims/{args.claim_id}/certificate.pdf?lang={lang}", out)
    tmp.replace(args.out)  # a failed download leaves no half file under the name asked for
    print(translator(lang).gettext("wrote %(file)s (retirement certificate of claim %(id)s, %(lang)s)",
                                   file=str(args.out), id=args.claim_id, lang=lang))  # fmt: skip
    return 0
