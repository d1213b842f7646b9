"""Which language a reader gets: an explicit choice (``?lang=``, a cookie, ``--lang``) first, then
what the browser or the environment asks for, then English."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "zh-CN")
DEFAULT = "en"

# Everything a browser or a locale may call Chinese as written in the mainland: zh, zh-CN, zh-Hans,
# zh_CN.UTF-8, zh-SG. Traditional Chinese (zh-TW, zh-HK, zh-Hant) is not offered: it falls through
# to the next preference rather than silently getting simplified characters.
_SIMPLIFIED = {"zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg", "zh-hans-sg"}


def normalize(tag: str | None) -> str | None:
    """``tag`` as one of :data:`LANGUAGES`, or None when it names neither (``en-GB`` → ``en``,
    ``zh_CN.UTF-8`` → ``zh-CN``)."""
    if not tag:
        return None
    tag = tag.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if tag in _SIMPLIFIED:
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The language for a reader: ``chosen`` (a cookie or flag) when it is one we have, else the
    best of ``Accept-Language`` by its q-values, else :data:`DEFAULT`."""
    explicit = normalize(chosen)
    if explicit:
        return explicit
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = normalize(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT


def language_from_env(environ: Mapping[str, str]) -> str:
    """The CLI's language from the POSIX locale variables, in their order of precedence
    (``LANGUAGE`` may list several, separated by colons)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        for tag in value.split(":"):
            if tag in ("C", "POSIX"):
                return DEFAULT
            language = normalize(tag)
            if language:
                return language
    return DEFAULT
