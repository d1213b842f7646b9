"""Chinese and English: the catalogs cover every marked text, placeholders agree, the glossary's
terms are used as written, and the reader's language is chosen as a browser or a shell expects."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from jinja2 import Environment

from ledger.i18n import N_, language_from_env, negotiate, translate_error, translator
from ledger.i18n.catalog import DOMAINS_DIR, read_domain
from ledger.i18n.jinja import context, install

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _marked() -> dict[str, str]:
    """Every text marked for translation in the code and templates → where it is."""
    found: dict[str, str] = {}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
    for top in ("ledger", "api", "zcl"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / top, method_map, options_map=options, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{top}/{filename}:{lineno}")
    return found


def _catalog_entries() -> list[tuple[str, str, str | tuple[str, ...]]]:
    entries = []
    for path in sorted(DOMAINS_DIR.glob("*.po")):
        for message in read_domain(path):
            if message.id:
                msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
                string = tuple(message.string) if isinstance(message.string, (tuple, list)) else message.string
                entries.append((path.name, msgid, string))
    return entries


def test_every_marked_text_has_chinese() -> None:
    chinese = {msgid for _, msgid, string in _catalog_entries() if string and all(string)}
    missing = {msgid: where for msgid, where in _marked().items() if msgid not in chinese}
    assert not missing, "no zh_CN translation for:\n" + "\n".join(f"  {w}: {m!r}" for m, w in sorted(missing.items()))


def test_catalog_entries_keep_their_placeholders_and_agree_across_files() -> None:
    seen: dict[str, tuple[str, str | tuple[str, ...]]] = {}
    wrong = []
    for name, msgid, string in _catalog_entries():
        for text in string if isinstance(string, tuple) else (string,):
            if text and sorted(PLACEHOLDER.findall(text)) != sorted(set(PLACEHOLDER.findall(msgid))):
                wrong.append(f"{name}: {msgid!r} → {text!r}: placeholders differ")
        if msgid in seen and seen[msgid][1] != string:
            other, before = seen[msgid]
            wrong.append(f"{msgid!r} is {before!r} in {other} but {string!r} in {name}")
        seen.setdefault(msgid, (name, string))
    assert not wrong, "\n".join(wrong)


def _glossary() -> list[dict[str, object]]:
    return tomllib.loads((ROOT / "ledger/i18n/glossary.toml").read_text(encoding="utf-8"))["term"]


def test_catalogs_use_the_glossary_terms() -> None:
    """A msgid holding a term (whole words, any case; longer terms first) must carry its Chinese."""
    terms = sorted((t for t in _glossary() if t.get("enforce", True)), key=lambda t: -len(str(t["en"])))
    wrong = []
    for name, msgid, string in _catalog_entries():
        text = " ".join(string) if isinstance(string, tuple) else string
        english = msgid
        for term in terms:
            pattern = re.compile(rf"(?<![\w-]){re.escape(str(term['en']))}(?![\w-])", re.IGNORECASE)
            if not pattern.search(english):
                continue
            english = pattern.sub(" ", english)  # a shorter term inside a longer one is not checked again
            accepted = [str(term["zh"]), *map(str, term.get("also", []))]  # type: ignore[call-overload]
            if not any(zh in text for zh in accepted):
                wrong.append(f"{name}: {msgid!r} → {text!r} should use {' / '.join(accepted)}")
    assert not wrong, "\n".join(wrong)


def test_glossary_entries_are_complete() -> None:
    for term in _glossary():
        assert term["en"] and term["zh"], term
        assert isinstance(term["confirmed"], bool), term
        assert not term["confirmed"] or term.get("source"), f"a confirmed term names its source: {term}"


@pytest.mark.parametrize(
    ("header", "chosen", "expected"),
    [
        (None, None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", None, "en"),
        ("fr-FR,zh;q=0.5", None, "zh-CN"),
        ("zh-TW,zh-HK", None, "en"),  # traditional Chinese is not silently simplified
        ("zh-CN;q=0.2,en;q=0.9", None, "en"),
        ("en", "zh-CN", "zh-CN"),  # the switch (cookie) wins over the browser
        ("zh-CN", "klingon", "zh-CN"),  # a chosen value we do not have is ignored
        ("zh-CN;q=0, en", None, "en"),
        ("zh-CN;q=abc", None, "en"),
    ],
)
def test_negotiate(header: str | None, chosen: str | None, expected: str) -> None:
    assert negotiate(header, chosen) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh-CN"),
        ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_from_env(environ: dict[str, str], expected: str) -> None:
    assert language_from_env(environ) == expected


def test_numbers_quantities_and_dates_per_language() -> None:
    zh, en = translator("zh-CN"), translator("en")
    assert en.number(Decimal("1234567.125"), 2) == "1,234,567.13"  # half up, not to even
    assert zh.number("1234567.125", 2) == "1,234,567.13"
    assert en.number("0.000001") == "0.000001"  # no places: every digit kept
    assert en.number(None) == "—" and en.quantity(None, "MWh") == "—"  # missing is never 0
    assert en.quantity("12345.6", "MWh", 1) == "12,345.6 MWh"
    assert en.percent("99.955") == "99.96 %" and zh.percent("99.955") == "99.96%"
    moment = 1767225600  # 2026-01-01 00:00 UTC = 08:00 in Beijing
    assert en.date(moment) == "Jan 1, 2026" and zh.date(moment) == "2026年1月1日"
    assert zh.datetime(moment) == "2026-01-01 08:00 (北京时间)"
    assert en.datetime(moment) == "2026-01-01 08:00 (China time)"
    assert zh.datetime("2026-01-01T00:00:00") == zh.datetime("2026-01-01T08:00:00+08:00") == zh.datetime(moment)


def test_gettext_fills_placeholders_after_translation() -> None:
    zh = translator("zh-CN")
    assert zh.gettext("Factories") == "工厂"
    assert translator("en").gettext("Factories") == "Factories"
    assert zh.gettext("not in any catalog %(x)s", x=1) == "not in any catalog 1"  # English, never empty
    assert N_("Factories") == "Factories"


def test_errors_translate_by_pattern_and_keep_field_paths() -> None:
    raised = "No factory 示例工厂-01 is registered on chain."
    assert translate_error(raised, "zh-CN") == "链上没有登记工厂 示例工厂-01。"
    assert translate_error(raised, "en") == raised
    assert translate_error("records[3].value: Field required", "zh-CN") == "records[3].value: 缺少此字段"
    unknown = "records[0]: some text nobody translated"
    assert translate_error(unknown, "zh-CN") == unknown


def test_templates_render_in_the_readers_language() -> None:
    env = install(Environment(autoescape=True))
    template = env.from_string('{{ _("Factories") }} · {{ _("Zero-carbon ledger") }} {{ t.number(n, 1) }}')
    assert template.render(**context("zh-CN"), n=Decimal("1234.56")) == "工厂 · 零碳账本 1,234.6"
    assert template.render(**context("en"), n=Decimal("1234.56")) == "Factories · Zero-carbon ledger 1,234.6"
    escaped = env.from_string('{{ _("Chain %(chain_id)s", chain_id=x) }}').render(**context("en"), x="<b>")
    assert escaped == "Chain &lt;b&gt;"
    plural = env.from_string('{{ ngettext("%(count)s record", "%(count)s records", n, count=n) }}')
    assert [plural.render(**context("en"), n=n) for n in (1, 2)] == ["1 record", "2 records"]
    assert plural.render(**context("zh-CN"), n=2) == translator("zh-CN").ngettext("%(count)s record", "", 2, count=2)
    assert plural.render(**context("zh-CN"), n=2) != "2 records"
