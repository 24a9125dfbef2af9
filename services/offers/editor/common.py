"""Templates the offers service's editor pages share."""

from pathlib import Path

from npa.infrastructure.pages import make_templates

templates = make_templates(Path(__file__).resolve().parents[1])

