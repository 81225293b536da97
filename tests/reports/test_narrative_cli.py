"""`thbhub report-text ...` as a user calls it on the sample database: exit codes, one-line
errors naming the file, line, column and rule, and nothing written when refused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from narrative_support import *  # noqa: F403
from narrative_support import Hub
from thbhub.cli import app

runner = CliRunner()


def run(hub: Hub, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", hub.url, "report-text", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_list_check_history_withdraw(hub: Hub, cli_env: Path, tmp_path: Path) -> None:
    sec = ["--org", "CBSS Secretariat"]
    text = tmp_path / "trends.md"
    text.write_text("Latvia: {{ victims LV 2020 }} victims in 2020.\n", encoding="utf-8")
    code, out, err = run(
        hub, "add", "--report", "country:LV", "--section", "trends", "--file", str(text), *sec,
        "--publish", "-f", "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    block = json.loads(out)
    assert (block["version"], block["state"]) == (1, "published")

    code, out, _ = run(hub, "list", "--report", "country:LV", "-f", "json")
    (listed,) = json.loads(out)
    assert code == 0 and listed["markdown"] == "Latvia: 48 victims in 2020."
    assert listed["figures"][0]["source"] == "unodc-glotip"

    code, out, _ = run(hub, "check", *sec, "-f", "json")
    assert (code, json.loads(out)) == (0, [])

    bad = tmp_path / "bad.md"
    bad.write_text("Fine.\n\nThen {{ victims LV 2020 form:labour }} here.\n", encoding="utf-8")
    code, out, err = run(hub, "edit", str(block["id"]), "--file", str(bad), *sec)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: bad.md: line 3, column 6: {{ victims LV 2020 form:labour }}: ")
    assert "unknown form" in err

    code, out, err = run(
        hub, "add", "--report", "country:LV", "--section", "x", "--text", "a", *sec
    )
    assert code == 1 and "not a section of a country report" in err
    code, _, err = run(hub, "add", "--report", "region", "--section", "overview", "--text", "a",
                       "--org", "CTDC global dataset (demo)")  # fmt: skip
    assert code == 1 and err == (
        "error: only analysts and contributors of the secretariat may write report text\n"
    )
    code, _, err = run(hub, "add", "--report", "region", "--section", "overview", *sec)
    assert code == 1 and "--file FILE or --text TEXT" in err
    code, _, err = run(hub, "add", "--report", "region", "--section", "overview",
                       "--file", str(tmp_path / "missing.md"), *sec)  # fmt: skip
    assert code == 1 and "missing.md" in err and "Traceback" not in err
    code, _, _ = run(hub, "add", "--no-such-option")
    assert code == 2

    code, out, _ = run(hub, "withdraw", str(block["id"]), *sec, "-f", "json")
    assert code == 0 and json.loads(out)["state"] == "withdrawn"
    code, out, _ = run(hub, "list", "-f", "json")
    assert json.loads(out) == []
    code, out, _ = run(hub, "history", str(block["id"]), *sec, "-f", "json")
    assert [v["action"] for v in json.loads(out)] == ["create", "withdraw"]
    code, _, err = run(hub, "history", str(block["id"]))  # the public: withdrawn is gone
    assert code == 1 and err == f"error: no report text {block['id']}\n"
