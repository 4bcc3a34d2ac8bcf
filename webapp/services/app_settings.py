"""Settings the unit edits in the UI (rows of app_setting; a missing row means the default)."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import AppSetting, Role, User
from webapp.models.people import COLLEAGUE_INVITES_NEED_APPROVAL
from webapp.services import ServiceError, audit

DEFAULTS = {COLLEAGUE_INVITES_NEED_APPROVAL: "0"}


def get(key: str) -> str:
    row = db.session.get(AppSetting, key)
    return row.value if row is not None else DEFAULTS[key]


def get_bool(key: str) -> bool:
    return get(key) == "1"


def set_bool(actor: User, key: str, value: bool) -> bool:
    """Returns whether anything changed; a change is audited."""
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ändra inställningarna.")
    if key not in DEFAULTS:
        raise ServiceError("Okänd inställning.")
    new = "1" if value else "0"
    if get(key) == new:
        return False
    row = db.session.get(AppSetting, key)
    if row is None:
        db.session.add(AppSetting(key=key, value=new))
    else:
        row.value = new
    audit.record(actor, "setting.change", "app_setting", None, comment=f"{key} = {new}")
    db.session.flush()
    return True
