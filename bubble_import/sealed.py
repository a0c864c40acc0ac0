"""The Data API token while the admin needs it, encrypted as the project's secrets are
(``workflows.secrets``) and sealed to its use: the purpose, the app's address and the
moment are inside the ciphertext, so a sealed token is good for that app only, a page's
for an hour only, and no other ciphertext of the project (a stored secret) passes for one."""

from __future__ import annotations

import json
import time

from workflows import secrets
from workflows.exceptions import WorkflowError

PURPOSE = "bubble-import-token"
#: how long the token a plan's page carries (to start the import) stays good
PAGE_MAX_AGE = 3600.0


class NotSealed(Exception):
    """Not a token sealed for this app, or one too old: it must be given again."""


def seal(token: str, address: str) -> str:
    if not token:
        return ""
    inside = {"purpose": PURPOSE, "address": address, "token": token, "at": time.time()}
    return secrets.encrypt(json.dumps(inside))


def unseal(sealed: str, address: str, *, max_age: float | None = None) -> str:
    if not sealed:
        return ""
    try:
        inside = json.loads(secrets.decrypt(sealed, "import token"))
    except (WorkflowError, ValueError):
        raise NotSealed("the token cannot be read: give it again") from None
    if not isinstance(inside, dict) or inside.get("purpose") != PURPOSE:
        raise NotSealed("not a sealed import token: give the token again")
    if inside.get("address") != address:
        raise NotSealed("the token was given for another address: give it again")
    if max_age is not None and time.time() - float(inside.get("at", 0)) > max_age:
        raise NotSealed("the token given on that page is too old: give it again")
    return str(inside.get("token", ""))
