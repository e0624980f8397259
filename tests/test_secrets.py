"""Secrets stay out of output: DSN passwords are redacted wherever a DSN is shown."""

from __future__ import annotations

import logging

import psycopg
import pytest

from sangkien.cli import main
from sangkien.warehouse.connection import connect, redact

PASSWORD = "s3cret-Pa55-word"


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://loader:{PASSWORD}@db.example.invalid:5432/sangkien",
        f"host=db.example.invalid user=loader password={PASSWORD} dbname=sangkien",
        f"host=db.example.invalid user=loader password='{PASSWORD}' dbname=sangkien",
    ],
)
def test_redact_hides_the_password_of_every_dsn_form(dsn: str) -> None:
    shown = redact(dsn)
    assert PASSWORD not in shown and "***" in shown and "loader" in shown


def test_db_status_never_prints_the_warehouse_password(monkeypatch, capsys) -> None:
    monkeypatch.setenv(
        "SANGKIEN_WAREHOUSE_DSN", f"postgresql://loader:{PASSWORD}@127.0.0.1:1/sangkien"
    )
    assert main(["db", "status"]) == 0
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and "127.0.0.1:1" in out.out


def test_a_failed_connection_does_not_reveal_the_password(monkeypatch, caplog) -> None:
    monkeypatch.setenv(
        "SANGKIEN_WAREHOUSE_DSN", f"postgresql://loader:{PASSWORD}@127.0.0.1:1/sangkien"
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(psycopg.OperationalError) as failure:
        connect(connect_timeout=2)
    assert PASSWORD not in str(failure.value)
    assert PASSWORD not in caplog.text
