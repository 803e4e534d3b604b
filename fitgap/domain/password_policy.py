"""Password rules a town's security policy can configure (length, kinds of characters, expiry)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from fitgap.domain.i18n import _


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The rules; the defaults follow common municipal information-security guidelines."""

    min_length: int = 12
    min_kinds: int = 3  # of: lower case, upper case, digits, symbols
    max_age_days: int | None = None  # None: passwords do not expire
    forbid_containing_login: bool = True

    def problems(self, password: str, *, login: str = "") -> list[str]:
        """What is wrong with a new password under this policy (empty when it is fine)."""
        found: list[str] = []
        # Full-width characters typed with a Japanese IME count as their ASCII forms.
        normalized = unicodedata.normalize("NFKC", password)
        if len(normalized) < self.min_length:
            found.append(_("パスワードは %(n)s 文字以上にしてください", n=self.min_length))
        kinds = sum(
            (
                any(c.islower() for c in normalized),
                any(c.isupper() for c in normalized),
                any(c.isdigit() for c in normalized),
                any(not c.isalnum() for c in normalized),
            )
        )
        if kinds < self.min_kinds:
            found.append(
                _(
                    "英小文字・英大文字・数字・記号のうち %(n)s 種類以上を使ってください",
                    n=self.min_kinds,
                )
            )
        if self.forbid_containing_login and login and login.lower() in normalized.lower():
            found.append(_("パスワードにログインIDを含めないでください"))
        return found

    def expired(self, changed_at: datetime, now: datetime) -> bool:
        """Whether a password set at `changed_at` must be changed at `now`."""
        if self.max_age_days is None:
            return False
        return now - changed_at >= timedelta(days=self.max_age_days)
