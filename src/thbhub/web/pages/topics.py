"""Topic pages: browse the taxonomy by scheme; one page per concept."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from thbhub.analytics.service import DEFAULT_WINDOW
from thbhub.analytics.views import alert_views, topic_alerts
from thbhub.domain.concepts import LANGUAGES
from thbhub.library.service import documents_about
from thbhub.taxonomy import service
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, DbDep, PrincipalDep, TemplatesDep

router = APIRouter(include_in_schema=False)

LANGUAGE_NAMES = {
    "en": "English",
    "da": "Dansk",
    "et": "Eesti",
    "fi": "Suomi",
    "de": "Deutsch",
    "is": "Íslenska",
    "lv": "Latviešu",
    "lt": "Lietuvių",
    "no": "Norsk",
    "pl": "Polski",
    "sv": "Svenska",
}


@router.get("/topics", response_class=HTMLResponse)
@access(Access.public)
@cached
def topics(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    scheme: str | None = Query(None, max_length=64, pattern=r"^[a-z0-9-]+$"),
) -> HTMLResponse:
    schemes = service.list_schemes(db)
    current = scheme or (schemes[0]["id"] if schemes else None)
    concepts = service.list_concepts(db, current) if current else []
    return templates.TemplateResponse(
        request,
        "topics.html",
        {"schemes": schemes, "current": current, "concepts": concepts},
    )


@router.get("/topics/{concept_id}", response_class=HTMLResponse)
@access(Access.public)
@cached
def topic(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    principal: PrincipalDep,
    concept_id: str = Path(max_length=200, pattern=CLEAN),
) -> HTMLResponse:
    concept = service.get_concept(db, concept_id)
    # The topic's alerts: about it or a concept narrower than it (a form and its sub-forms).
    found = topic_alerts(
        db, concept["scheme"], [concept["id"], *(n["id"] for n in concept["narrower"])]
    )
    docs = documents_about(db, principal, concept=concept_id)
    return templates.TemplateResponse(
        request,
        "topic.html",
        {
            "c": concept,
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "alerts": alert_views(found),
            "alert_window": DEFAULT_WINDOW,
            "library_documents": docs,
        },
    )
