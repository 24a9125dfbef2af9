"""Editors read the dead-lettered messages (`<topic>.dlq`) with their reasons: what a consumer
could not apply, from where, after how many tries. Read-only; nothing here changes anything."""

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from npa.infrastructure import dead_letters, editor_pages
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from npa.infrastructure.pages import make_templates

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parent.parent)


@router.get("/editor/dead-letters", response_class=HTMLResponse)
async def dead_letter_page(request: Request, topic: str = "",
                           editor: Editor = Depends(require_editor)) -> HTMLResponse:
    settings = request.app.state.runtime.settings
    letters, problem = [], None
    try:
        letters = await dead_letters.recent(settings.kafka_bootstrap, settings.kafka_security)
    except Exception as error:  # the broker is away: say so, the page still answers
        problem = f"Kafka ist gerade nicht erreichbar ({type(error).__name__})."
    topics = sorted({letter.topic for letter in letters})
    if topic:
        letters = [letter for letter in letters if letter.topic == topic]
    return editor_pages.render(templates, request, "editor_dead_letters.html", editor, 503 if problem else 200,
                               letters=letters, topics=topics, topic=topic, problem=problem)
