"""Events on `npa.editors.v1`: an editor's sessions end (ADR 21). Every service with editor
pages keeps the newest revocation per editor and refuses sessions issued before it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from npa.contracts.envelope import CloudEvent

SOURCE = "/services/actors"
SESSIONS_REVOKED = "de.npa.editor.sessions_revoked"
TYPES = (SESSIONS_REVOKED,)


class SessionsRevoked(BaseModel):
    """`data`: every session of this editor issued at or before `revoked_at` is over. Only the
    account's id: no login, name or address."""

    model_config = ConfigDict(extra="forbid")

    editor_id: str = Field(min_length=1, max_length=36)
    revoked_at: datetime
    reason: Literal["disabled", "password_changed"]


class EditorEvent(CloudEvent):
    """The envelope as it travels on the topic (documents the AsyncAPI catalogue)."""

    data: SessionsRevoked  # type: ignore[assignment]
