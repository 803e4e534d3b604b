"""Every read and write of accounts, fn(*, session, ...). Who may do what is fitgap.web.authz's
business; this module only keeps accounts consistent (a staff account has a town, the last
administrator stays, ...)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlmodel import Session

from fitgap.domain.i18n import _
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import Account, AccountArea, Role, utcnow

_account = Account.__table__  # type: ignore[attr-defined]
_account_area = AccountArea.__table__  # type: ignore[attr-defined]

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")


class AccountError(ValueError):
    """An account change that cannot be made; carries the reasons in the user's language."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def normalize_login(text: str) -> str:
    """A login id as stored and looked up: NFKC (full-width typed with an IME is the same
    id), trimmed, lower case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


@dataclass(frozen=True, slots=True)
class AccountInput:
    """An account's details as typed in the admin form or on the command line."""

    login: str
    display_name: str
    role: str
    town_id: str | None = None
    all_areas: bool = False
    area_ids: tuple[str, ...] = field(default_factory=tuple)


def check_input(session: Session, data: AccountInput, *, account_id: int | None) -> AccountInput:
    """The input cleaned up, or AccountError with every problem at once."""
    problems: list[str] = []
    login = normalize_login(data.login)
    if account_id is None:
        if not LOGIN_PATTERN.fullmatch(login):
            problems.append(
                _(
                    "ログインIDは英小文字・数字で始まる 2〜64 文字（英小文字・数字・. _ @ -）"
                    "にしてください"
                )
            )
        elif get_by_login(session=session, login=login) is not None:
            problems.append(_("ログインID %(login)s はすでに使われています", login=login))
    name = data.display_name.strip()
    if not name:
        problems.append(_("表示名を入力してください"))
    elif len(name) > 200:
        problems.append(_("表示名は 200 文字以内にしてください"))
    try:
        role = Role(data.role)
    except ValueError:
        problems.append(_("役割 %(role)s はありません", role=data.role))
        role = None
    town_id = (data.town_id or "").strip() or None
    if town_id is not None and town_id not in catalog_queries.active_town_ids(session=session):
        problems.append(_("町ID %(id)s は登録されていません", id=town_id))
    if role is Role.STAFF and town_id is None:
        problems.append(_("職員のアカウントには町を指定してください"))
    if role in (Role.MODERATOR, Role.ADMIN) and town_id is not None:
        problems.append(_("進行役と管理者のアカウントには町を指定しません"))
    if role is Role.VENDOR and town_id is not None:
        problems.append(_("ベンダーのアカウントには町を指定しません"))
    area_ids = tuple(dict.fromkeys(a.strip() for a in data.area_ids if a.strip()))
    known = {area.id for area in catalog_queries.list_areas(session=session)}
    unknown = [a for a in area_ids if a not in known]
    if unknown:
        problems.append(_("業務 %(area)s はカタログにありません。", area=", ".join(unknown)))
    if role is not Role.STAFF and (area_ids or data.all_areas):
        problems.append(_("担当業務は職員のアカウントにだけ割り当てます"))
    if problems:
        raise AccountError(problems)
    return AccountInput(
        login=login,
        display_name=name,
        role=str(role),
        town_id=town_id,
        all_areas=data.all_areas and role is Role.STAFF,
        area_ids=area_ids if role is Role.STAFF and not data.all_areas else (),
    )


def create_account(
    *, session: Session, data: AccountInput, password_hash: str, must_change_password: bool
) -> Account:
    """A new account with its assigned areas."""
    clean = check_input(session, data, account_id=None)
    account = Account(
        login=clean.login,
        display_name=clean.display_name,
        role=clean.role,
        town_id=clean.town_id,
        all_areas=clean.all_areas,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    session.add(account)
    session.flush()
    assert account.id is not None  # noqa: S101 - flushed just above
    _set_areas(session, account.id, clean.area_ids)
    return account


def _set_areas(session: Session, account_id: int, area_ids: Collection[str]) -> None:
    session.execute(delete(_account_area).where(_account_area.c.account_id == account_id))
    for area_id in sorted(area_ids):
        session.add(AccountArea(account_id=account_id, area_id=area_id))
    session.flush()


def _lock(session: Session, account_id: int) -> Account:
    # FOR UPDATE serializes changes of one account on PostgreSQL (SQLite's BEGIN IMMEDIATE
    # already does).
    account = session.scalars(
        select(Account).where(_account.c.id == account_id).with_for_update()
    ).first()
    if account is None:
        raise LookupError(account_id)
    return account


def update_account(*, session: Session, account_id: int, data: AccountInput) -> dict[str, Any]:
    """Change an account's name, role, town and areas (its login id stays); returns what
    changed as {field: [before, after]} for the audit trail."""
    account = _lock(session, account_id)
    clean = check_input(session, data, account_id=account_id)
    before_areas = sorted(account_areas(session=session, account_id=account_id))
    if account.role == Role.ADMIN and clean.role != Role.ADMIN and account.disabled_at is None:
        _keep_an_admin(session, account_id)
    changes: dict[str, Any] = {}
    for name, value in (
        ("display_name", clean.display_name),
        ("role", clean.role),
        ("town_id", clean.town_id),
        ("all_areas", clean.all_areas),
    ):
        if getattr(account, name) != value:
            changes[name] = [getattr(account, name), value]
            setattr(account, name, value)
    if sorted(clean.area_ids) != before_areas:
        changes["areas"] = [before_areas, sorted(clean.area_ids)]
    _set_areas(session, account_id, clean.area_ids)
    if "role" in changes or "town_id" in changes:
        # What the account may do changed: its open sessions start over.
        account.session_version += 1
    session.flush()
    return changes


def _keep_an_admin(session: Session, leaving_id: int) -> None:
    statement = select(func.count()).where(
        _account.c.role == Role.ADMIN.value,
        _account.c.disabled_at.is_(None),
        _account.c.id != leaving_id,
    )
    if int(session.execute(statement).scalar_one()) == 0:
        raise AccountError([_("有効な管理者が 1 人もいなくなるため、変更できません")])


def set_password(
    *, session: Session, account_id: int, password_hash: str, must_change_password: bool
) -> Account:
    """A new password: unlocks the account and ends its other sessions."""
    account = _lock(session, account_id)
    account.password_hash = password_hash
    account.password_changed_at = utcnow()
    account.must_change_password = must_change_password
    account.failed_attempts = 0
    account.locked_until = None
    account.session_version += 1
    session.flush()
    return account


def disable_account(*, session: Session, account_id: int) -> Account:
    """Disable an account (never deleted: the history and the audit trail name it)."""
    account = _lock(session, account_id)
    if account.disabled_at is None:
        if account.role == Role.ADMIN:
            _keep_an_admin(session, account_id)
        account.disabled_at = utcnow()
        account.session_version += 1
    session.flush()
    return account


def enable_account(*, session: Session, account_id: int) -> Account:
    """Let a disabled account sign in again."""
    account = _lock(session, account_id)
    account.disabled_at = None
    account.failed_attempts = 0
    account.locked_until = None
    session.flush()
    return account


def unlock_account(*, session: Session, account_id: int) -> Account:
    """End a lockout after failed sign-ins."""
    account = _lock(session, account_id)
    account.failed_attempts = 0
    account.locked_until = None
    session.flush()
    return account


def claim_sign_in_attempt(
    *, session: Session, account_id: int, attempts: int, lock_minutes: float
) -> int | None:
    """Claim one password check for the account, before checking it: the number of the
    attempt (1 to `attempts`), or None when the account is locked or disabled.

    One UPDATE ... RETURNING, so parallel sign-ins cannot pass the limit: each one counts
    itself in before its (slow) password check, and the `attempts`-th claim locks the account
    at once for `lock_minutes`. Checking no more than `attempts` passwords per lockout holds
    on SQLite and PostgreSQL alike. A successful sign-in clears the count and the lock
    (`record_sign_in`); a failed one leaves them as claimed. Once a lock has run out, the
    next claim starts the count anew.
    """
    now = utcnow()
    count = _account.c.failed_attempts
    until = _account.c.locked_until
    expired = and_(until.is_not(None), until <= now)
    free = and_(until.is_(None), count < attempts)
    claimed = case((expired, 1), else_=count + 1)
    statement = (
        update(_account)
        .where(_account.c.id == account_id, _account.c.disabled_at.is_(None), or_(free, expired))
        .values(
            failed_attempts=claimed,
            locked_until=case(
                (claimed >= attempts, now + timedelta(minutes=lock_minutes)), else_=None
            ),
        )
        .returning(_account.c.failed_attempts)
    )
    number = session.execute(statement).scalar_one_or_none()
    return None if number is None else int(number)


def record_sign_in(*, session: Session, account_id: int, claimed: int) -> Account | None:
    """A successful sign-in on the attempt `claimed`: the failure count and the lock start
    again. None when the account was disabled, or locked by other attempts, since its password
    was checked (the sign-in is then refused). The attempt that locked the account itself
    (the last one allowed, with the right password) signs in."""
    account = _lock(session, account_id)
    if account.disabled_at is not None or (
        is_locked(account, utcnow()) and account.failed_attempts != claimed
    ):
        return None
    account.failed_attempts = 0
    account.locked_until = None
    account.last_login_at = utcnow()
    session.flush()
    return account


def aware(value: datetime) -> datetime:
    """A stored time, timezone-aware (SQLite returns naive datetimes; they are in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def is_locked(account: Account, now: datetime) -> bool:
    """Whether the account is locked out at `now`."""
    return account.locked_until is not None and aware(account.locked_until) > now


def password_changed_at(account: Account) -> datetime:
    """When the account's password was set (timezone-aware)."""
    return aware(account.password_changed_at)


def get_account(*, session: Session, account_id: int) -> Account | None:
    """One account."""
    return session.get(Account, account_id)


def get_by_login(*, session: Session, login: str) -> Account | None:
    """The account with this login id (normalized first), if any."""
    statement = select(Account).where(_account.c.login == normalize_login(login))
    return session.scalars(statement).first()


def list_accounts(*, session: Session) -> list[Account]:
    """Every account: active first, then by role and login id."""
    statement = select(Account).order_by(
        _account.c.disabled_at.is_not(None), _account.c.role, _account.c.login
    )
    return list(session.scalars(statement))


def count_accounts(*, session: Session) -> int:
    """How many accounts exist (none: the sign-in page says how to make the first)."""
    return int(session.execute(select(func.count()).select_from(_account)).scalar_one())


def account_areas(*, session: Session, account_id: int) -> set[str]:
    """The areas assigned to an account."""
    statement = select(_account_area.c.area_id).where(_account_area.c.account_id == account_id)
    return set(session.scalars(statement))


def areas_by_account(*, session: Session) -> dict[int, list[str]]:
    """Every account's assigned areas, for the accounts page."""
    result: dict[int, list[str]] = {}
    statement = select(_account_area.c.account_id, _account_area.c.area_id).order_by(
        _account_area.c.area_id
    )
    for account_id, area_id in session.execute(statement):
        result.setdefault(int(account_id), []).append(area_id)
    return result


def bump_session_version(*, session: Session, account_id: int) -> None:
    """End every open session of the account."""
    session.execute(
        update(_account)
        .where(_account.c.id == account_id)
        .values(session_version=_account.c.session_version + 1)
    )
