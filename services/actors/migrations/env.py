from npa.infrastructure.migrations import run_env
from services.actors import models

run_env(models)
