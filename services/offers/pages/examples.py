"""Public pages of the good examples."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
