"""``zcl evaluate`` and ``zcl park``: evaluate a factory's year (and, with the evaluator's key, sign
the report and anchor it), and evaluate a park. Evaluators are appointed with the admin's key by
``zcl evaluator grant`` (:mod:`zcl.commands.role`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ledger.config import Settings
from zcl.commands.common import group, service_for
from zcl.output import emit, print_json, write_json
from zcl.password import unlock
from zcl.render import grouped
from zcl.tables import pad
from zcl.text import N_, _, current, error_text

_STEAM_METAVAR = "SOURCE=MPA:saturated|SOURCE=MPA:CELSIUS"
_STEAM_HELP = N_(
    "a steam source's declared supplier conditions, absolute pressure in MPa and saturated or a temperature in °C "
    "(repeat per source); required for every steam source metered in tonnes"
)


def steam_choice(values: list[str]) -> dict[str, dict[str, Any]]:
    """``["meter-1=1.0:saturated", "meter-2=2.5:300"]`` as the API's ``steam`` object."""
    found: dict[str, dict[str, Any]] = {}
    for value in values:
        source, sep, conditions = value.partition("=")
        pressure, colon, state = conditions.partition(":")
        if not (sep and colon and source and pressure and state):
            raise SystemExit(f"--steam {value!r}: write SOURCE=MPA:saturated or SOURCE=MPA:CELSIUS")
        entry: dict[str, Any] = {"absolute_pressure_mpa": pressure}
        entry |= {"saturated": True} if state == "saturated" else {"temperature_c": state}
        found[source] = entry
    return found


def register(subparsers: Any) -> None:
    evaluate = subparsers.add_parser("evaluate", help=_("evaluate a factory's year; with --key, sign and anchor it"))
    evaluate.add_argument("--factory", required=True)
    evaluate.add_argument("--year", type=int, required=True)
    evaluate.add_argument("--type", required=True, choices=["I", "II"])
    evaluate.add_argument(
        "--factors", help=_("a bundled factor set id (default cn-mee-2023) or a factor-set .toml file")
    )
    evaluate.add_argument(
        "--grid", default="national_average",
        help=_("grid factor for location-based Scope 2: national_average, a region (east…) or a province (CN-HE)"),
    )  # fmt: skip
    evaluate.add_argument("--steam", action="append", default=[], metavar=_STEAM_METAVAR, help=_(_STEAM_HELP))
    evaluate.add_argument(
        "--count-provisional-claims", action="store_true",
        help=_("count claims no attestor has confirmed (a local demo; the report says so)"),
    )  # fmt: skip
    evaluate.add_argument(
        "--consumer-country", metavar="CC",
        help=_("ISO 3166-1 alpha-2 country of the factory's electricity market, for the certificates' market "
        "boundary (default: the eligibility rules' consumer_country, CN)"),
    )  # fmt: skip
    evaluate.add_argument(
        "--matching", choices=["claim_period", "monthly", "annual"], default="claim_period",
        help=_("how certificates meet consumption (default claim_period: each claim only within its own months)"),
    )  # fmt: skip
    evaluate.add_argument(
        "--scope3-exclusion", action="append", default=[], metavar="CATEGORY=REASON",
        help=_("Type II: leave a Scope 3 category (transport, purchased_goods) out, saying why; repeat per category"),
    )  # fmt: skip
    evaluate.add_argument(
        "--base-year", type=Path, metavar="BASE.json",
        help=_('declared base year for own reductions by efficiency: {"year", "gross_emissions_tco2e", "output", '
        '"output_unit", "source"} (without it: "no base year")'),
    )  # fmt: skip
    evaluate.add_argument("--key", type=Path, help=_("the evaluator's key file: sign the report hash and anchor it"))
    evaluate.add_argument("--password-file", type=Path, help=_("default: ZCL_KEY_PASSWORD"))
    evaluate.add_argument("--out", type=Path, required=True, metavar="report.html")
    evaluate.add_argument(
        "--json", type=Path, dest="json_file", metavar="report.json", help=_("also write the report JSON")
    )
    evaluate.set_defaults(handler=_evaluate)

    evaluation = group(subparsers, "evaluation", _("show or list evaluations made earlier"))
    show = evaluation.add_parser("show", help=_("an evaluation's level, status, and whether it is stale"))
    show.add_argument("evaluation_id")
    show.set_defaults(handler=_show)
    listing = evaluation.add_parser("list", help=_("a factory's evaluations: level, whether it is confirmed, stale"))
    listing.add_argument("--factory", required=True)
    listing.set_defaults(handler=_list)
    pdf = evaluation.add_parser("pdf", help=_("the report as a PDF to hand over: level card, contents, exact values"))
    pdf.add_argument("evaluation_id")
    pdf.add_argument("-o", "--out", type=Path, required=True, metavar="report.pdf")
    pdf.set_defaults(handler=_pdf)

    park = group(subparsers, "park", _("the zero-carbon park indicator"))
    park_eval = park.add_parser("evaluate", help=_("tCO2 per tce of a set of factories against the 0.20/0.30 bands"))
    park_eval.add_argument("--factory", action="append", required=True, help=_("repeat for each member"))
    park_eval.add_argument("--year", type=int, required=True)
    park_eval.add_argument("--factors", help=_("a bundled factor set id or a .toml file"))
    park_eval.add_argument("--steam", action="append", default=[], metavar=_STEAM_METAVAR, help=_(_STEAM_HELP))
    park_eval.add_argument(
        "--transfer", action="append", default=[], metavar="SELLER,BUYER,SOURCE_ID",
        help=_("steam or heat one member sells another, metered at the buyer by SOURCE_ID: netted; repeat per transfer"),
    )  # fmt: skip
    park_eval.set_defaults(handler=_park_evaluate)


def _factor_choice(value: str | None) -> dict[str, str]:
    """A factor set for the service: a bundled id, or the text of a local .toml file."""
    if value is None:
        return {}
    if value.endswith(".toml") or "/" in value:
        return {"factors_toml": Path(value).read_text(encoding="utf-8")}
    return {"factor_set": value}


def _evaluate(args: argparse.Namespace) -> int:
    from ledger.eip712.typed_data import sign as sign_typed_data

    settings = Settings.from_env()
    service = service_for(args, settings)
    body = {"factory_id": args.factory, "year": args.year, "type": args.type, "grid": args.grid,
            "count_provisional_claims": args.count_provisional_claims, "steam": steam_choice(args.steam),
            "matching": args.matching,
            "scope3_exclusions": [_exclusion(text) for text in args.scope3_exclusion]}  # fmt: skip
    if args.base_year is not None:
        body["base_year"] = json.loads(args.base_year.read_text(encoding="utf-8"))
    if args.consumer_country is not None:
        body["consumer_country"] = args.consumer_country
    report = service.post("/evaluations", body | _factor_choice(args.factors))
    if args.key is not None:
        evaluator = unlock(args.key, args.password_file)
        message = service.get(f"/evaluations/{report['id']}/typed-data", evaluator=evaluator.address)
        message["message"]["reportHash"] = bytes.fromhex(message["message"]["reportHash"][2:])
        signature = sign_typed_data(evaluator, message)
        report = service.post(
            f"/evaluations/{report['id']}/signature",
            {"evaluator": evaluator.address, "signature": "0x" + signature.hex()},
        )
    page = service.get_text(f"/evaluations/{report['id']}/report.html")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    if args.json_file is not None:
        write_json(args.json_file, report)
    if args.json:
        print_json(report)
        return 0
    totals = report["totals"]
    _print_heading(report)
    print(_("factors    %(factors)s  rules %(rules)s", factors=report["factor_set"]["label"],
            rules=report["rule_set"]["label"]))  # fmt: skip
    g = {key: grouped(str(value)) for key, value in totals.items() if isinstance(value, str | int)}
    scope3 = g["scope3"] if report["type"] == "II" else _("%(n)s (outside the Type I boundary)", n=g["scope3"])
    print(_("scope 1    %(s1)s tCO2e   scope 2 %(market)s (market) / %(location)s (location)   scope 3 %(s3)s",
            s1=g["scope1"], market=g["scope2_market"], location=g["scope2_location"], s3=scope3))  # fmt: skip
    print(_("renewable  %(share)s   offsets %(offsets)s   removals %(removals)s   energy %(tce)s tce",
            share=report["electricity"]["renewable_share"], offsets=g["offsets"], removals=g["removals"],
            tce=g["energy_tce"]))  # fmt: skip
    _print_accounting(report)
    _print_matching(report)
    _print_floating_zero(report)
    for period in report["periods"]["missing"]:
        print(_("missing    %(period)s: %(reason)s", period=period["period"], reason=error_text(period["reason"])))
    for period in report["periods"]["used"]:
        if period.get("note"):
            print(_("note       %(period)s: %(note)s", period=period["period"], note=error_text(period["note"])))
    for finding in report["double_counting"]:
        print(_("finding    %(check)s: %(message)s", check=finding["check"], message=error_text(finding["message"])))
    eligibility = report.get("eligibility") or {}
    if eligibility:
        print(_("eligible   rules %(rules)s, consumer in %(country)s", rules=eligibility["rule_set"]["label"],
                country=eligibility["consumer_country"]))  # fmt: skip
    for finding in eligibility.get("findings", []):  # a serial that disagrees with its claim comes first
        label = _("SERIAL") if finding["kind"] == "serial_mismatch" else _("eligible")
        print(f"{pad(label, 10)} {finding['kind']}: {error_text(finding['message'])}")
    _print_data_checks(report["evaluation"])
    _print_excused(report.get("source_register"))
    _print_anchor(report)
    print(_("report     %(file)s (hash %(hash)s)", file=str(args.out), hash=report["report_hash"]))
    print_staleness(report)
    return 0


def _print_accounting(report: dict[str, Any]) -> None:
    """Biogenic CO2 (when there is any: it is in no total) and tCO2e per unit of output."""
    biogenic = (report.get("biogenic_co2") or {}).get("total_tco2", "0")
    if biogenic != "0":
        print(_("biogenic   %(n)s tCO2, reported apart: in no scope and no total", n=grouped(biogenic)))
    for row in (report.get("intensity") or {}).get("rows", []):
        print(_("intensity  %(n)s tCO2e/%(unit)s (%(emissions)s)", n=row["tco2e_per_unit"], unit=row["unit"],
                emissions=row["emissions"]))  # fmt: skip


def _print_matching(report: dict[str, Any]) -> None:
    matching = report.get("matching")
    if not matching:
        return
    others = "   ".join(f"{c['method']} {c['renewable_share']}" for c in matching["compared"] if not c["chosen"])
    print(_("matching   %(method)s   (renewable share by other methods: %(others)s)", method=matching["method"],
            others=others))  # fmt: skip


def _exclusion(text: str) -> dict[str, str]:
    category, _, reason = text.partition("=")
    return {"category": category.strip(), "reason": reason.strip()}


def _print_excused(register: dict[str, Any] | None) -> None:
    """Months completeness did not ask of a source because the factory declared it out of service then."""
    for x in (register or {}).get("excused", []):
        parts = ", ".join([*x["months"], *(f"{d['period']} except {d['owed']}" for d in x["part_months"])])
        print(_("excused    %(source)s %(months)s: %(because)s", source=x["source_id"], months=parts,
                because=error_text(x["because"])))  # fmt: skip


def _print_data_checks(evaluation: dict[str, Any]) -> None:
    """What keeps a level from being awarded or confirmed: gaps per source, Scope 3 without data,
    placeholder thresholds and unconfirmed factors."""
    for gap in (evaluation.get("completeness") or {}).get("findings", []):
        print(_("incomplete %(source)s %(period)s: %(detail)s", source=gap["source_id"], period=gap["period"],
                detail=error_text(gap["detail"])))  # fmt: skip
    scope3 = evaluation.get("scope3")
    if scope3 is not None:
        for c in scope3["categories"]:
            state = c["status"] + (f": {c['reason']}" if c["status"] == "excluded" else "")
            print(_("scope 3    %(category)s: %(state)s", category=c["category"], state=state))
    for reason in evaluation.get("level_unconfirmed_because") or []:
        print(_("UNCONFIRMED %(reason)s", reason=error_text(reason)))


def _show(args: argparse.Namespace) -> int:
    report = service_for(args, Settings.from_env()).get(f"/evaluations/{args.evaluation_id}")
    if args.json:
        print_json(report)
        return 0
    _print_heading(report)
    _print_anchor(report)
    print(_("hash       %(hash)s", hash=report["report_hash"]))
    print_staleness(report)
    return 0


def _pdf(args: argparse.Namespace) -> int:
    """Download the PDF next to ``--out`` and move it there once whole: a failed download leaves no
    half-written file, and an existing one is replaced only by a complete PDF."""
    lang = current().lang  # --lang (before or after the command), else the locale
    service = service_for(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(f".{args.out.name}.partial")
    try:
        with partial.open("wb") as out:
            service.download(f"/evaluations/{args.evaluation_id}/report.pdf?lang={lang}", out)
        partial.replace(args.out)
    finally:
        partial.unlink(missing_ok=True)
    print(_("report     %(file)s (%(lang)s, %(size)s bytes)", file=str(args.out), lang=lang,
            size=f"{args.out.stat().st_size:,}"))  # fmt: skip
    return 0


def _list(args: argparse.Namespace) -> int:
    """One line per evaluation, oldest first; a level that is not confirmed says so on its line."""
    listed = service_for(args, Settings.from_env()).get(f"/factories/{args.factory}/evaluations")
    if args.json:
        print_json(listed)
        return 0
    for e in listed:
        marked = _not_confirmed(e.get("level_status"))
        stale = (" " + _("STALE?") if e.get("stale") is None else " " + _("STALE: %(months)s corrected",
                 months=", ".join(b["period"] for b in e["stale_because"])) if e["stale"] else "")  # fmt: skip
        print(_("%(id)s  %(year)s Type %(type)s  level %(level)s%(marked)s  %(status)s%(stale)s", id=e["id"],
                year=e["year"], type=e["type"], level=e["level"], marked=marked, status=e["status"], stale=stale))  # fmt: skip
    return 0


def _not_confirmed(status: str | None) -> str:
    """What follows a level that is not confirmed (a placeholder, or a material factor unconfirmed)."""
    return "" if status in (None, "none", "confirmed") else " " + _("[NOT CONFIRMED: %(status)s]", status=status)


def _print_heading(report: dict[str, Any]) -> None:
    evaluation = report["evaluation"]
    marked = _not_confirmed(evaluation.get("level_status"))
    print(_("evaluation %(id)s %(factory)s %(year)s Type %(type)s: level %(level)s%(marked)s (%(status)s)",
            id=report["id"], factory=report["factory_id"], year=report["year"], type=report["type"],
            level=evaluation["level"], marked=marked, status=report["status"]))  # fmt: skip


def _print_floating_zero(report: dict[str, Any]) -> None:
    """Own reductions, certificates, offsets and removals on their own: never one "reductions" sum."""
    zero = report.get("floating_zero")
    if not zero:
        return
    own = zero["own_reductions"]
    efficiency = own["efficiency"]
    saved = f"{grouped(efficiency['tco2e'])} tCO2e" if efficiency["tco2e"] is not None else efficiency["status"]
    print(_("own        on-site renewable %(n)s tCO2e   efficiency %(saved)s",
            n=grouped(own["onsite_renewable"]["tco2e"]), saved=saved))  # fmt: skip
    print(_("apart      certificates %(certificates)s tCO2e off market-based Scope 2   offsets %(offsets)s   removals "
            "%(removals)s (never summed)", certificates=grouped(zero["certificates"]["scope2_market_effect_tco2e"]),
            offsets=grouped(zero["offsets"]["tco2e"]), removals=grouped(zero["removals"]["tco2e"])))  # fmt: skip


def _print_anchor(report: dict[str, Any]) -> None:
    if report["status"] == "anchored":
        print(_("anchored   report %(id)s tx %(tx)s block %(block)s, signed by %(evaluator)s",
                id=report["anchor"]["report_id"], tx=report["anchor"]["tx_hash"],
                block=report["anchor"]["block_number"], evaluator=report["evaluator"]))  # fmt: skip
    if report.get("evaluator"):
        who = report.get("evaluator_identity")
        print(_("evaluator  %(address)s: %(who)s", address=report["evaluator"], who=_(
            "%(name)s, %(organisation)s, accreditation %(accreditation)s (signed profile v%(version)s)", **who)
            if who else _("no signed profile (name, organisation and accreditation unknown)")))  # fmt: skip


def print_staleness(report: dict[str, Any]) -> None:
    """A stale report says so in the output, whatever else is shown: the chain has corrected its data."""
    if report.get("stale") is None and "stale" in report:
        print(_("STALE?     unknown: the chain could not be asked whether a month has been corrected since"))
    if not report.get("stale"):
        return
    months = ", ".join(
        _("%(period)s (%(used)s, revision %(latest)s anchored since)", period=b["period"], latest=b["latest_revision"],
          used=_("revision %(n)s used", n=u) if (u := b["used_revision"]) else _("missing"))
        for b in report["stale_because"]
    )  # fmt: skip
    superseded = (_("; superseded by evaluation %(id)s", id=report["superseded_by"]) if report.get("superseded_by")
                  else "")  # fmt: skip
    print(_("STALE: the chain has corrected data this report used: %(months)s%(superseded)s", months=months,
            superseded=superseded))  # fmt: skip


def _park_evaluate(args: argparse.Namespace) -> int:
    transfers = []
    for text in args.transfer:
        seller, buyer, source = (text.split(",", 2) + ["", ""])[:3]  # factory ids hold no comma
        transfers.append({"from_factory": seller, "to_factory": buyer, "source_id": source})
    body = {
        "factories": args.factory,
        "year": args.year,
        "transfers": transfers,
        "steam": steam_choice(args.steam),
    } | _factor_choice(args.factors)
    result = service_for(args, Settings.from_env()).post("/parks/evaluations", body)
    emit(args, result)
    return 0 if result["passed"] else 1
