from sqlmodel import SQLModel

import services.reports.models  # noqa: F401  (registers the tables)
from npa.infrastructure.migrations import run_env

run_env(SQLModel.metadata)
