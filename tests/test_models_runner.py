"""The Python runner of the dbt project, the dbt unit tests, the docs, and the
SQL twin of pg_trgm's similarity used when the extension is missing."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

import psycopg
import pytest

from sangkien.transform import (
    ModelBuildError,
    build_models,
    generate_docs,
    run_unit_tests,
)
from sangkien.transform.dbt_runner import DbtConnection

from databases import fresh_warehouse


def test_importing_the_package_does_not_import_dbt() -> None:
    code = "import sys, sangkien.transform; print(any(m.startswith('dbt') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://loader:s%40cret@db.example:6543/wh?sslmode=require",
        "host=db.example port=6543 user=loader password=s@cret dbname=wh sslmode=require",
    ],
)
def test_the_dsn_becomes_the_profile_environment(dsn: str) -> None:
    env = DbtConnection.from_dsn(dsn).environment()
    assert env == {
        "SANGKIEN_DBT_HOST": "db.example",
        "SANGKIEN_DBT_PORT": "6543",
        "SANGKIEN_DBT_USER": "loader",
        "SANGKIEN_DBT_PASSWORD": "s@cret",
        "SANGKIEN_DBT_DBNAME": "wh",
        "SANGKIEN_DBT_SSLMODE": "require",
        # whatever the login, dbt works as the transformer role
        "SANGKIEN_DBT_ROLE": "sangkien_transformer",
        "PGOPTIONS": "-c jit=off",
    }


@pytest.fixture(scope="module")
def built_warehouse(pg_cluster, tmp_path_factory):  # type: ignore[no-untyped-def]
    """An empty warehouse after one build: every table exists, with zero counts."""
    dsn = fresh_warehouse(pg_cluster, "models_runner")
    state = tmp_path_factory.mktemp("dbt_state_runner")
    result = build_models(dsn, state_dir=state)
    return dsn, state, result


def test_an_empty_warehouse_builds_complete_zero_tables(built_warehouse) -> None:  # type: ignore[no-untyped-def]
    dsn, _, result = built_warehouse
    assert {n.status for n in result.nodes} <= {"success", "pass"}
    names = {n.name for n in result.models}
    assert {"fct_initiative", "fct_unit_daily", "rpt_breakdown", "qa_duplicate_link"} <= names
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from marts.fct_unit_daily").fetchone()[0] == 82 * 601
        assert conn.execute("select count(*) from marts.dim_unit").fetchone()[0] == 82
        no_province = "select count(*) from marts.dim_unit where province_code_2025 is null"
        assert conn.execute(no_province).fetchone()[0] == 19  # 17 sector + 2 corporation unions
        assert conn.execute("select count(*) from marts.fct_initiative").fetchone()[0] == 0


def test_dbt_unit_tests_pass(built_warehouse) -> None:  # type: ignore[no-untyped-def]
    dsn, state, _ = built_warehouse
    nodes = run_unit_tests(dsn, state_dir=state)
    passed = {n.name for n in nodes if n.status == "pass"}
    assert {
        "status_precedence_and_invalid_reasons",
        "matching_keys_normalise_vietnamese_text",
        "duplicate_original_choice_and_tie_breaks",
        "ranking_ties_and_week_before",
    } <= passed


def test_docs_generate_offline(built_warehouse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dsn, _, _ = built_warehouse
    page = generate_docs(dsn, tmp_path / "docs")
    assert page.exists()
    assert (tmp_path / "docs" / "catalog.json").exists()
    assert "fct_initiative" in page.read_text(encoding="utf-8")
    # every model, and every column it has in the warehouse, is described
    manifest = json.loads((tmp_path / "docs" / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((tmp_path / "docs" / "catalog.json").read_text(encoding="utf-8"))
    undocumented = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["package_name"] != "sangkien":
            continue
        if not node["description"].strip():
            undocumented.append(node["name"])
        described = {c for c, v in node["columns"].items() if v["description"].strip()}
        in_warehouse = set(catalog["nodes"][unique_id]["columns"])
        undocumented += [f"{node['name']}.{c}" for c in sorted(in_warehouse - described)]
    assert not undocumented


def test_a_failing_model_is_named(built_warehouse) -> None:  # type: ignore[no-untyped-def]
    dsn, state, _ = built_warehouse
    with pytest.raises(ModelBuildError) as failure:
        build_models(dsn, state_dir=state, vars={"programme_start": "not a date"})
    assert "int_programme__dates" in str(failure.value)
    assert any(f.name == "int_programme__dates" for f in failure.value.failures)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdeghiklmnopqrstuvxy0123456789") for _ in range(rng.randint(1, 9)))


def test_the_sql_trigram_twin_equals_pg_trgm(built_warehouse) -> None:  # type: ignore[no-untyped-def]
    dsn, _, _ = built_warehouse
    rng = random.Random(7)
    pairs = []
    for _ in range(400):
        words = [_word(rng) for _ in range(rng.randint(1, 12))]
        other = list(words)
        edit = rng.random()
        if edit < 0.3 and other:  # a typo
            i = rng.randrange(len(other))
            w = other[i]
            j = rng.randrange(len(w))
            other[i] = w[:j] + rng.choice("abcxyz09") + w[j + 1 :]
        elif edit < 0.6 and len(other) > 1:  # swapped words
            i = rng.randrange(len(other) - 1)
            other[i], other[i + 1] = other[i + 1], other[i]
        elif edit < 0.8:
            other = [_word(rng) for _ in range(rng.randint(0, 12))]
        pairs.append((" ".join(words), " ".join(other)))
    with psycopg.connect(dsn) as conn:
        schema = conn.execute(
            "select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace "
            "where e.extname = 'pg_trgm'"
        ).fetchone()
        if schema is None:
            pytest.skip("pg_trgm is not available on this server")
        rows = conn.execute(
            f"""select p.a, p.b, {schema[0]}.similarity(p.a, p.b),
                       intermediate.title_trigram_similarity(p.a, p.b)
                from unnest(%s::text[], %s::text[]) as p (a, b)""",
            ([a for a, _ in pairs], [b for _, b in pairs]),
        ).fetchall()
    mismatches = [r for r in rows if r[2] != r[3]]
    assert not mismatches
    assert {round(r[2], 1) for r in rows} >= {0.0, 1.0}
    assert any(0.85 <= r[2] < 1 for r in rows)
    assert all(re.fullmatch(r"[a-z0-9 ]*", r[0]) for r in rows)


# The `where` tokens that scope a data test to the records this build rebuilt
# (macros/get_where_subquery.sql), and the key they probe each table by.
_RECORD_SCOPES = ("__status_scope__", "__touched_records__")


def test_record_scoped_tests_probe_an_initiative_key_index(built_warehouse) -> None:  # type: ignore[no-untyped-def]
    """Without that index a scoped test would compare every row with every key of the night."""
    dsn, _, result = built_warehouse
    manifest = json.loads((result.target_path / "manifest.json").read_text(encoding="utf-8"))
    scoped = {
        manifest["nodes"][test["attached_node"]]["relation_name"]
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and any(token in (test["config"].get("where") or "") for token in _RECORD_SCOPES)
    }
    assert len(scoped) >= 5  # the record-level tables of the chain and the fact
    with psycopg.connect(dsn) as conn:
        unindexed = [
            relation
            for relation in sorted(scoped)
            if not conn.execute(
                """
                select 1 from pg_index as i
                join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                where i.indrelid = to_regclass(%s) and a.attname = 'initiative_key'
                """,
                (relation,),
            ).fetchone()
        ]
    assert not unindexed


def test_a_scoped_test_fails_on_a_bad_record_the_build_rebuilt(built_warehouse) -> None:  # type: ignore[no-untyped-def]
    dsn, state, _ = built_warehouse
    bad_phase = "accepted_values_fct_initiative_phase__False__1__2"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "insert into marts.fct_initiative (initiative_key, unit_code, record_id, phase, status)"
            " values ('P01:bad', 'P01', 'bad', 3, 'valid')"
        )
        conn.execute("insert into intermediate.int_records__status_scope values ('P01:bad')")
        try:
            with pytest.raises(ModelBuildError) as failure:
                build_models(dsn, state_dir=state, select=[bad_phase])
            assert [f.name for f in failure.value.failures] == [bad_phase]
            # a record this build did not rebuild was checked when it was
            conn.execute("delete from intermediate.int_records__status_scope")
            checked = build_models(dsn, state_dir=state, select=[bad_phase])
            assert bad_phase in {n.name for n in checked.nodes if n.status == "pass"}
        finally:
            conn.execute("delete from marts.fct_initiative where initiative_key = 'P01:bad'")
            conn.execute("delete from intermediate.int_records__status_scope")
