from npa.infrastructure.migrations import run_env
from services.notifications import models

run_env(models)
