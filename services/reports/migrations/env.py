from npa.infrastructure.migrations import run_env
from services.reports import models

run_env(models)
