"""`thbhub orgs|users|tokens|agreements|audit` through Click's runner, on both backends."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from thbhub.access import auth
from thbhub.cases.sample_importer import DEMO_ORGANISATION
from thbhub.cli import app
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

runner = CliRunner()


def run(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_orgs_users_tokens_agreements_audit(db_url: str, settings: Settings, db: Database) -> None:
    code, out, err = run(db_url, "orgs", "add", "Valsts policija", "--country", "lv", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["country"] == "LV"
    assert (
        run(db_url, "orgs", "add", "Fundacja La Strada", "--country", "PL", "--kind", "ngo")[0] == 0
    )
    code, _, err = run(db_url, "orgs", "add", "Fundacja La Strada", "--country", "PL")
    assert code == 1 and err.startswith("error: ") and "already exists" in err
    code, _, err = run(db_url, "orgs", "add", "X", "--country", "PL", "--kind", "club")
    assert code == 1 and "agency, ngo" in err
    code, out, _ = run(db_url, "orgs", "list", "-f", "csv")
    assert [r["name"] for r in csv.DictReader(io.StringIO(out))] == [
        "Fundacja La Strada",
        "Valsts policija",
    ]

    code, out, err = run(
        db_url,
        "users",
        "add",
        "Ilze@VP.lv",
        "--org",
        "Valsts policija",
        "--role",
        "contributor",
        "--password-stdin",
        "-f",
        "json",
        stdin="a long password\n",
    )
    assert code == 0, err
    assert json.loads(out)["email"] == "ilze@vp.lv" and "password" not in out
    code, out, err = run(
        db_url,
        "users",
        "add",
        "anna@lastrada.pl",
        "--org",
        "Fundacja La Strada",
        "--role",
        "analyst",
    )
    assert code == 0 and "shown once" in err
    code, _, err = run(
        db_url, "users", "add", "boss@vp.lv", "--org", "Valsts policija", "--role", "admin"
    )
    assert code == 1 and "secretariat" in err
    code, out, _ = run(db_url, "users", "list", "--org", "Valsts policija", "-f", "json")
    assert [u["email"] for u in json.loads(out)] == ["ilze@vp.lv"]

    code, token, err = run(
        db_url, "tokens", "create", "ilze@vp.lv", "--expires", "7", "--scope", "write"
    )
    assert code == 0, err
    token = token.strip()
    assert token.startswith("thb_") and "\n" not in token  # the token alone on stdout
    with TestClient(create_app(settings, db)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["email"] == "ilze@vp.lv" and me["role"] == "contributor"
    code, out, _ = run(db_url, "tokens", "list", "-f", "json")
    listed = json.loads(out)
    assert len(listed) == 1 and token not in out and listed[0]["scopes"] == ["read", "write"]
    assert run(db_url, "tokens", "revoke", str(listed[0]["id"]))[0] == 0
    assert auth.token_principal(db, token, None) is None
    assert run(db_url, "tokens", "create", "ilze@vp.lv", "--expires", "1000")[0] == 1

    code, out, err = run(
        db_url,
        "agreements",
        "add",
        "--owner",
        "Valsts policija",
        "--grantee",
        "Fundacja La Strada",
        "--until",
        "2027-12-31",
        "--purpose",
        "victim referral",
        "-f",
        "json",
    )
    assert code == 0, err
    agreement = json.loads(out)
    code, out, _ = run(db_url, "agreements", "list", "-f", "json")
    assert json.loads(out)[0]["active"] is True
    assert run(db_url, "agreements", "revoke", str(agreement["id"]))[0] == 0
    code, out, _ = run(db_url, "agreements", "list", "--org", "Fundacja La Strada", "-f", "json")
    assert json.loads(out)[0]["active"] is False

    code, _, err = run(
        db_url,
        "users",
        "set-password",
        "ilze@vp.lv",
        "--password-stdin",
        stdin="another long one\n",
    )
    assert code == 0 and "set." in err
    assert run(db_url, "users", "disable", "anna@lastrada.pl")[0] == 0
    code, out, _ = run(db_url, "users", "list", "-f", "json")
    assert {u["email"]: u["disabled"] for u in json.loads(out)}["anna@lastrada.pl"] is True

    code, out, _ = run(db_url, "audit", "--org", "Valsts policija", "-f", "json")
    actions = [(r["action"], r["object_type"]) for r in json.loads(out)]
    assert ("create", "api_token") in actions and ("revoke", "sharing_agreement") in actions
    assert all(r["origin"] == "cli" for r in json.loads(out))
    code, out, _ = run(db_url, "audit", "--user", "nobody@x.lt", "-f", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(db_url, "audit", "--since", "2999-01-01", "-f", "json")
    assert json.loads(out) == []
    code, out, _ = run(db_url, "audit", "--limit", "3", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3 and rows[0]["action"] == "disable"


def test_ensure_admin_for_make_run(db_url: str) -> None:
    code, _, err = run(db_url, "users", "ensure-admin")
    assert code == 0 and "Created the first admin" in err and "shown once" in err
    code, _, err = run(db_url, "users", "ensure-admin")
    assert code == 0 and "Admin: log in" in err and "shown once" not in err
    code, out, _ = run(db_url, "users", "list", "-f", "json")
    assert [(u["email"], u["role"]) for u in json.loads(out)] == [("admin@thbhub.local", "admin")]


def test_ensure_demo_for_make_run(db_url: str) -> None:
    code, _, err = run(db_url, "users", "ensure-demo")
    assert code == 1 and "thbhub init --sample" in err and "Traceback" not in err
    assert (
        run(db_url, "orgs", "add", DEMO_ORGANISATION, "--country", "SE", "--kind", "partner")[0]
        == 0
    )
    code, _, err = run(db_url, "users", "ensure-demo", "--url", "http://127.0.0.1:9")
    assert code == 0 and "http://127.0.0.1:9/login" in err and "shown once" in err
    password = err.split("with password ", 1)[1].split()[0]
    code, _, err = run(db_url, "users", "ensure-demo")
    assert code == 0 and "demo@thbhub.local" in err and "shown once" not in err
    code, out, _ = run(db_url, "users", "list", "-f", "json")
    assert [(u["email"], u["role"], u["organisation"]) for u in json.loads(out)] == [
        ("demo@thbhub.local", "contributor", DEMO_ORGANISATION)
    ]
    db = Database(db_url)
    settings = Settings(database_url=db_url, secret_key="x" * 32)
    principal, _ = auth.log_in(db, settings, "demo@thbhub.local", password)
    db.dispose()
    assert principal.role.value == "contributor"
