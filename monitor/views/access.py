"""Who may open what: the role check every non-public view goes through."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ..models import User


def role_required(*roles: str):
    """Signed in, with one of ``roles`` (admins may do everything)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def offices_of(user: User) -> list[str] | None:
    """The offices whose data the user may see; None means every office (admin)."""
    if user.role == "admin":
        return None
    if user.role == "supervisor":
        return [office.code for office in user.supervised]
    return [user.office_code] if user.office_code else []
