"""Who may change which town's marks: the one place every mark-changing view asks.

Accounts do not exist yet. Until they do, "which town am I" is the user's own choice, made with
the town selector and kept in the signed session cookie; a town's staff may change only the
marks of the town they chose. The accounts issue replaces the bodies below (the session town
becomes the logged-in user's town, and `changed_by` the user's name); the views stay as they are.
"""

from __future__ import annotations

from flask import abort, session

from fitgap.models import Town

SESSION_KEY = "town_id"


def current_town_id() -> str | None:
    """The town the user works for, or None when they have not chosen one."""
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) and value else None


def choose_town(town: Town | None) -> None:
    """Remember the user's town (None forgets it); the views check that the town exists."""
    if town is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = town.id


def can_edit_marks(town_id: str) -> bool:
    """Whether the current user may change this town's marks: only their own town's."""
    return current_town_id() == town_id


def require_edit(town_id: str) -> None:
    """Refuse (403) a change of another town's marks."""
    if not can_edit_marks(town_id):
        abort(403)


def changed_by(town: Town) -> str:
    """The name recorded in the history for a change made by this town's staff."""
    return f"{town.name} 職員"
