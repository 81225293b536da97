"""Every form that posts carries the CSRF token: the middleware refuses a post without it, so
a form that forgets it is a page that cannot be used (the upload form once did)."""

from __future__ import annotations

import re
from pathlib import Path

import thbhub.web

TEMPLATES = Path(thbhub.web.__file__).parent / "templates"
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def test_every_post_form_has_the_csrf_field() -> None:
    forms = [
        (path.name, attrs, body)
        for path in sorted(TEMPLATES.rglob("*.html"))
        for attrs, body in FORM.findall(path.read_text(encoding="utf-8"))
        if re.search(r'method="post"', attrs, re.I)
    ]
    assert len(forms) >= 10  # the templates were found and parsed
    missing = [f"{name}: <form{attrs}>" for name, attrs, body in forms if "csrf_input(" not in body]
    assert missing == []
