"""Names the bundled CTDC sample's demo records go under.

Loading them (import into the demo organisation, publication, opening the gated tables) is a
whole-hub step, `thbhub.demo`, beside `init`: done here, as an importer registered in ingest,
it tied ingest -> cases -> privacy into a circle.
"""

from __future__ import annotations

DEMO_ORGANISATION = "CTDC global dataset (demo)"
#: Who the audit log and the publication history name for the loader's actions.
LOADER = "system:sample-loader"
NOTE = "bundled sample data, published by `thbhub init --sample`"
