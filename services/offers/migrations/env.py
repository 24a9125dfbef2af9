from npa.infrastructure.migrations import run_env
from services.offers import models

run_env(models)
