"""Bulk import of a partner's offers (JSON lines or CSV) with a per-row report."""

from fastapi import APIRouter

router = APIRouter(tags=["partners"])
