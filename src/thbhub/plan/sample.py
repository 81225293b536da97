"""The example portfolio `make run` loads (``sample/portfolio.yaml``, marked as example data
in the file, in its notice shown on every plan page, and in every title)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thbhub.domain.principals import Principal, Role
from thbhub.plan import service
from thbhub.storage import Database
from thbhub.storage import plan as q

SAMPLE = Path(__file__).parent / "sample" / "portfolio.yaml"
LOADER = "system:sample-loader"


def load_plan_sample(db: Database) -> dict[str, Any]:
    """Load the example portfolio into a database that holds no portfolio yet (a portfolio
    someone imported is never replaced by the example)."""
    with db.connect() as conn:
        if q.read_portfolio(conn)["projects"]:
            return {"file": SAMPLE.name, "loaded": False}
    loader = Principal(role=Role.admin, email=LOADER, origin="cli")
    return {**service.import_portfolio(db, loader, SAMPLE), "loaded": True}
