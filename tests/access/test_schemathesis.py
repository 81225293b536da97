"""schemathesis over /openapi.json, in-process (ASGI), as every kind of caller and on both
backends: no 500s, and every response matches the document (status code, content type,
body schema).  A bounded number of examples per operation keeps it fast.

(schemathesis' own pytest fixture loader does not work with this pytest; the operations
are walked here instead, each with a Hypothesis run of its own.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from access_support import PRINCIPALS, bearer, build_world
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 6


def test_api_conforms_for_every_caller(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, db))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            for who in PRINCIPALS:
                response = case.call(headers=bearer(world, who))
                case.validate_response(response, checks=CHECKS)

        run()
