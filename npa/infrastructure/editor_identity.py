"""Who an editor is, as the audit trail and the use cases name them; the session cookie that
carries it to every service is npa/infrastructure/editor_session.py (which needs the web framework)."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Editor:
    id: str
    login: str
    display_name: str
    issued_at: datetime | None = field(default=None, compare=False)  # of the session it came from

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.login})"
