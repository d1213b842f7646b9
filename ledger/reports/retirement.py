"""A claim's printable retirement certificate: one A4 page (PDF, drawn by WeasyPrint) in Chinese or
English, with a QR code leading to the claim's page, where the reader's browser checks the claim
against the chain.

The certificate states what the chain records (registry, block and units, claimant, consumption
period, claim id, transaction, block, contract, chain) and the details the factory signed (project,
quantity, retirement statement), taken from the claim as the service answers ``GET /claims/{id}``.
It is a convenience, not a proof: the QR code's page and ``zcl certificate status`` are the proof,
and the certificate says so. A claim not yet confirmed by an attestor, or revoked, says that in
its heading.

The QR code is an SVG drawn by ``segno`` (error correction M) and embedded in the page, so nothing
is fetched and it prints sharp. Chinese is drawn with the Noto CJK fonts the setup scripts install
(``fonts-noto-cjk``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import jinja2
import segno

from ledger.i18n import jinja as i18n
from ledger.i18n import translator

QR_ERROR = "m"  # 15 % of the code may be lost (a fold, a stamp) and it still reads

_ENV = i18n.install(
    jinja2.Environment(
        loader=jinja2.PackageLoader("ledger.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def qr_code(url: str) -> segno.QRCode:
    """The QR code of ``url``, as the certificate draws it."""
    return segno.make_qr(url, error=QR_ERROR)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (no XML declaration), black on white, 2-module border."""
    return str(qr_code(url).svg_inline(scale=4, border=2, dark="#000", light="#fff"))


def certificate_html(
    claim: Mapping[str, Any], *, url: str, unit: str, lang: str, factory_name: str | None = None
) -> str:
    """The certificate as an HTML page for WeasyPrint. ``claim`` is the claim as ``GET /claims/{id}``
    answers it, with ``contract`` and ``chain_id`` added; ``url`` the absolute address of its page."""
    t = translator(lang)
    units = int(claim["serial_end"]) - int(claim["serial_start"]) + 1
    details = claim.get("details") or None
    quantity = (
        t.quantity(Decimal(details["quantity"]), details["unit"]) if details else t.quantity(Decimal(units), unit)
    )
    when = datetime.fromtimestamp(int(claim["claimed_at"]), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return _ENV.get_template("retirement.html").render(
        t=t, lang=t.lang, claim=claim, details=details, units=t.number(units), unit=unit, quantity=quantity,
        factory_name=factory_name, claimed_at=when, url=url, qr=qr_svg(url),
    )  # fmt: skip


def certificate_pdf(
    claim: Mapping[str, Any], *, url: str, unit: str, lang: str, factory_name: str | None = None
) -> bytes:
    """The certificate as PDF bytes (see :func:`certificate_html`)."""
    from weasyprint import HTML  # imported here: loading pango takes a moment, and only this needs it

    html = certificate_html(claim, url=url, unit=unit, lang=lang, factory_name=factory_name)
    return bytes(HTML(string=html, base_url=None).write_pdf())
