"""``zcl certificate status`` (a buyer's lookup of a serial, or of a block id and unit range — CCER's
only way) and ``zcl claim certificate`` (a claim's printable retirement certificate, a PDF)."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.errors import InputError
from zcl.commands.common import group, service_for
from zcl.output import print_json

LANGS = ("zh-CN", "en")


def register(subparsers: Any) -> None:
    certificate = group(subparsers, "certificate", "look up certificates and credits")
    status = certificate.add_parser(
        "status",
        help="is this serial (or a block's range) retired, by whom, for which period",
        description="zcl certificate status REGISTRY SERIAL, or zcl certificate status REGISTRY --block ID "
        "--range FIRST-LAST (CCER has no per-unit serial: its statement gives a block and a range).",
    )
    status.add_argument("registry_arg", nargs="?", metavar="REGISTRY", help="GEC, I-REC, CCER, VCS, GS")
    status.add_argument("serial_arg", nargs="?", metavar="SERIAL", help="the registry's serial, or START..END")
    status.add_argument("--block", help="the block id, as on the registry's statement (with --range)")
    status.add_argument("--range", dest="unit_range", metavar="FIRST-LAST", help="the block's units, e.g. 1001-1500")
    status.add_argument("--registry", help=argparse.SUPPRESS)  # the older spelling
    status.add_argument("--serial", help=argparse.SUPPRESS)
    status.add_argument("--json", action="store_true", help="print the service's answer as JSON")
    status.set_defaults(handler=_certificate_status)


def register_claim_certificate(claim: Any) -> None:
    """``zcl claim certificate ID -o FILE``, in the ``claim`` group."""
    pdf = claim.add_parser("certificate", help="download a claim's printable retirement certificate (PDF)")
    pdf.add_argument("claim_id", type=int)
    pdf.add_argument("-o", "--out", type=Path, required=True, metavar="FILE.pdf")
    pdf.add_argument("--lang", choices=LANGS, default="zh-CN", help="the certificate's language (default zh-CN)")
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
    if args.json:
        print_json(status)
    else:
        print("\n".join(status_lines(status)))
    return 0


def status_lines(status: dict[str, Any]) -> list[str]:
    """The lookup as a person reads it: what was asked, how much is claimed, a table of the claims."""
    unit = status.get("unit", "")
    lines = [
        f"{status['registry']} block {status['block_id']}, units {status['serial_start']}..{status['serial_end']} "
        f"({status['units']} {unit})"
    ]
    if status["claimed"]:
        lines.append(f"claimed     {status['units_claimed']} of {status['units']} ({status['units_confirmed']} by "
                     "confirmed claims)")  # fmt: skip
    else:
        lines.append("claimed     none: no live claim holds any of these units")
    if status["claimed"] and status.get("unclaimed"):
        free = ", ".join(f"{r['serial_start']}..{r['serial_end']} ({r['units']})" for r in status["unclaimed"])
        lines.append(f"not claimed {free}")
    rows = [*status["claims"], *status.get("revoked_claims", [])]
    if rows:
        header = ("claim", "state", "claimant", "units", "quantity", "consumption", "recorded (UTC)", "block", "tx")
        table = [header] + [
            (
                str(c["claim_id"]),
                c["attestation"],
                c["factory_id"],
                f"{c.get('overlap_start', c['serial_start'])}..{c.get('overlap_end', c['serial_end'])}",
                f"{c.get('overlap_units', '')} {unit}",
                f"{c['consumption_start']}..{c['consumption_end']}",
                datetime.fromtimestamp(c["claimed_at"], UTC).strftime("%Y-%m-%d %H:%M:%S"),
                str(c["block_number"]),
                c["tx_hash"] or "-",
            )  # fmt: skip
            for c in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines.append("")
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    return lines


def _claim_certificate(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("wb") as out:
        service.download(f"/claims/{args.claim_id}/certificate.pdf?lang={args.lang}", out)
    tmp.replace(args.out)  # a failed download leaves no half file under the name asked for
    print(f"wrote {args.out} (retirement certificate of claim {args.claim_id}, {args.lang})")
    return 0
