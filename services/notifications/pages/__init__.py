"""HTML pages of the notifications service, German first and English: subscribe, and the
pages behind the signed links in every mail."""

from fastapi import APIRouter

from services.notifications.pages import links, subscribe

router = APIRouter(include_in_schema=False)
router.include_router(subscribe.router)
router.include_router(links.router)
