"""Identity: the users' API keys. No Identity API route is emulated yet; registering a key is a
seed (a test that needs a second user, or a key made in another process, adds it here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import realm
from ..routing import ApiError

if TYPE_CHECKING:
    from ..state import State


def seed_api_key(state: State, body: dict) -> dict:
    """{"public_key_pem": ..., "user"?: ..., "tenancy"?: ...} -> {"key_id": ..., "fingerprint": ...}"""
    if not body.get("public_key_pem"):
        raise ApiError(400, "InvalidParameter", "public_key_pem is required")
    try:
        key_id = state.add_api_key(body["public_key_pem"], user=body.get("user", realm.USER),
                                   tenancy=body.get("tenancy", realm.TENANCY))
    except ValueError as exc:
        raise ApiError(400, "InvalidParameter", f"public_key_pem is not a PEM public key: {exc}") from None
    return {"key_id": key_id, "fingerprint": key_id.rsplit("/", 1)[1]}


ROUTES: list = []
SEEDERS = {"api-key": seed_api_key}
