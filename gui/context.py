"""AppContext: what every window needs, handed down explicitly (no globals)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from gui.settings import Settings
from gui.tasks import TaskRunner
from models.paths import current_username
from models.services.office import Office
from models.services.users import UserInfo

T = TypeVar("T")


@dataclass
class AppContext:
    """Session factory, settings, task runner, the office, the database path and the user."""

    session_factory: sessionmaker[Session]
    settings: Settings
    tasks: TaskRunner
    office: Office
    db_path: Path | None
    username: str = field(default_factory=current_username)
    user: UserInfo | None = None  # the signed-in user (None in setup mode and in most tests: everything allowed)
    db_label: str = ""  # how to name the database to the user (a server URL without its password); "" → db_path

    @property
    def database_label(self) -> str:
        return self.db_label or (str(self.db_path) if self.db_path is not None else "")

    def can(self, action: str, state_id: int | None = None) -> bool:
        """Whether the UI should offer ``action`` (the services check again on every write)."""
        return self.user is None or self.user.can(action, state_id)

    def read(self, work: Callable[[Session], T]) -> Callable[[], T]:
        """Wrap ``work(session)`` into a read-only job for the task runner."""

        def job() -> T:
            with self.session_factory() as session:
                return work(session)

        return job

    def write(self, work: Callable[[Session], T]) -> Callable[[], T]:
        """Wrap ``work(session)`` into a job that runs in one transaction (commit or roll back)."""

        def job() -> T:
            with self.session_factory.begin() as session:
                return work(session)

        return job

    def run_read(self, work: Callable[[Session], Any], on_done=None, on_error=None, **kw) -> None:
        self.tasks.run(self.read(work), on_done, on_error, **kw)

    def run_write(self, work: Callable[[Session], Any], on_done=None, on_error=None, **kw) -> None:
        self.tasks.run(self.write(work), on_done, on_error, write=True, **kw)
