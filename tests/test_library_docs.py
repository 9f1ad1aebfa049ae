"""docs/library.md is a tested document: its Python examples run, in order, as written.

They run in one namespace, in a temporary folder holding the online-shop example's register
and a SQLite database of its generated customers, as the page says. Every name the package
exports is described on the page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

import registre
from registre.demo.loader import load_app, load_demo_data

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "library.md"
EXAMPLE = ROOT / "examples" / "online-shop"


def examples() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", PAGE.read_text(), flags=re.S | re.M)


def test_the_examples_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLE / "register.yaml", tmp_path / "register.yaml")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    load_demo_data(load_app(EXAMPLE), engine, subjects=200, seed=1)
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHOP_DATABASE_URL", "sqlite:///shop.sqlite")
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    namespace: dict[str, object] = {"__name__": "library_docs"}
    blocks = examples()
    assert len(blocks) >= 10
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"docs/library.md, example {number}", "exec")
        exec(code, namespace)
    # what the examples did, seen from outside
    assert (tmp_path / "registre-state.sqlite").exists()  # beside the register
    report = namespace["report"]
    assert isinstance(report, registre.SweepReport) and report.ok and report.changed > 0
    assert namespace["exit_code"] == 0
    # the FastAPI route answers as the page says, now that Camille objected
    from fastapi.testclient import TestClient

    with TestClient(namespace["app"]) as client:  # type: ignore[arg-type]
        assert client.post("/newsletter/camille.martin@example.fr").status_code == 409
        assert client.post("/newsletter/someone.else@example.fr").json() == {
            "sent": "someone.else@example.fr"
        }


def test_every_exported_name_is_described() -> None:
    text = PAGE.read_text()
    described = set(re.findall(r"`([A-Za-z_]+)", text)) | set(re.findall(r"registre\.(\w+)", text))
    missing = [name for name in registre.__all__ if name not in described]
    assert missing == []
