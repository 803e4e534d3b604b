"""Translation for the domain and the command line, without Flask.

Source strings are Japanese (Japanese first); English comes from the same gettext catalog
(`fitgap/translations/en/LC_MESSAGES/messages.po`) that the web app uses through Flask-Babel.
The language is held in a context variable so each request or command can set its own.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "translations"
SUPPORTED_LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"

_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "fitgap_language", default=DEFAULT_LANGUAGE
)


def normalize_language(value: str | None) -> str:
    """Map a locale string such as 'en_US.UTF-8' to a supported language, else Japanese."""
    if not value:
        return DEFAULT_LANGUAGE
    short = value.replace("-", "_").split("_")[0].split(".")[0].lower()
    return short if short in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def language_from_environment() -> str:
    """The command line's language: FITGAP_LANG, else LANGUAGE/LC_ALL/LANG, else Japanese."""
    for name in ("FITGAP_LANG", "LANGUAGE", "LC_ALL", "LANG"):
        value = os.environ.get(name)
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return normalize_language(value)
    return DEFAULT_LANGUAGE


def set_language(language: str) -> contextvars.Token[str]:
    """Make `language` the current one; returns a token for `reset_language`."""
    return _language.set(normalize_language(language))


def reset_language(token: contextvars.Token[str]) -> None:
    """Undo a `set_language`."""
    _language.reset(token)


def current_language() -> str:
    """The language messages are rendered in now."""
    return _language.get()


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation("messages", LOCALE_DIR, languages=[language], fallback=True)


def _(message: str, /, **params: object) -> str:
    """Translate a Japanese source string into the current language, then fill %(name)s."""
    text = _catalog(_language.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The singular or plural form of a message for `n` in the current language."""
    text = _catalog(_language.get()).ngettext(singular, plural, n)
    return text % params if params else text


def N_(message: str, /) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def yen(amount: int | None, *, signed: bool = False) -> str:
    """An amount of money as the current language writes it: 1,500,000円 / ¥1,500,000."""
    if amount is None:
        return ""
    return _("%(amount)s円", amount=f"{amount:+,}" if signed else f"{amount:,}")


def paren(text: object) -> str:
    """A remark in brackets: （…） in Japanese, " (…)" in English."""
    return _("（%(text)s）", text=text)


def labelled(label: str) -> str:
    """A label before its value: 「要旨：」 in Japanese, "Summary: " in English."""
    return _("%(label)s：", label=label)
