"""Good examples ("Gute Beispiele"): editors create drafts, publish, update, withdraw."""

from fastapi import APIRouter

router = APIRouter(tags=["examples"])
