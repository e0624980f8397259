"""Running the gate's checks as Great Expectations checkpoints.

`expectations/` is the GX file project. The suites are built from
`sangkien.gate.checks` (code is the source of truth) and written into the
project on every run, so `expectations/gx/expectations/*.json` show every
change in review. The datasource's connection string is a `${…}` reference
resolved from the environment at run time: no password is ever written.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sangkien.gate.checks import (
    CHANGED,
    CHANGED_KEYS,
    FULL_SCOPE,
    LANDING_CHECKS,
    MODEL_CHECKS,
    RECENT_DELIVERIES,
    Check,
)
from sangkien.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

GX_PROJECT = PROJECT_ROOT / "expectations"
DSN_VARIABLE = "SANGKIEN_GX_WAREHOUSE_DSN"
CANDIDATE_SCHEMA = "marts_candidate"
PUBLISHED_SCHEMA = "marts"

#: Each suite validates one anchor table (its GX batch); checks may read others.
SUITES: dict[str, tuple[tuple[str, str], tuple[Check, ...]]] = {
    "landing": (("quality", "delivery"), LANDING_CHECKS),
    "models": ((CANDIDATE_SCHEMA, "fct_unit_daily"), MODEL_CHECKS),
}


@dataclass
class CheckOutcome:
    name: str
    success: bool
    blocking: bool
    violations: int
    units: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class SuiteResult:
    suite: str
    outcomes: list[CheckOutcome]

    @property
    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if not o.success and o.blocking]

    @property
    def success(self) -> bool:
        return not self.failed

    def message(self) -> str:
        if self.success:
            return f"gate '{self.suite}': all {len(self.outcomes)} checks passed"
        parts = []
        for o in self.failed:
            units = ", ".join(o.units[:20]) + (" …" if len(o.units) > 20 else "")
            what = o.error or f"{o.violations} violating row(s)"
            parts.append(f"{o.name} ({what}{'; units: ' + units if units else ''})")
        return f"gate '{self.suite}' blocked publication: " + "; ".join(parts)


def expectation_query(check: Check, anchor: tuple[str, str]) -> str:
    """The check's SQL as GX runs it: `{batch}` names the suite's anchor table."""
    body = (
        check.query.replace("{candidate}", CANDIDATE_SCHEMA)
        .replace("{published}", PUBLISHED_SCHEMA)
        .replace("{recent_deliveries}", RECENT_DELIVERIES)
        .replace("{changed}", CHANGED)
        .replace("{changed_keys}", CHANGED_KEYS)
        .replace("{full_scope}", FULL_SCOPE)
        .strip()
    )
    # The checks read several tables; the (unused) CTE ties the query to the batch.
    # GX aliases `{batch}` itself unless the query has a join (then the author must).
    alias = " as anchor" if re.search(r"\bjoin\b", body, re.IGNORECASE) else ""
    anchor_cte = f"gate_batch as (select 1 from {{batch}}{alias} limit 1)"
    if re.match(r"with\s", body, re.IGNORECASE):
        return f"with {anchor_cte},\n{body[4:].lstrip()}"
    return f"with {anchor_cte}\n{body}"


def build_suite(name: str) -> Any:
    import great_expectations as gx

    from sangkien.gate.expectation import ExpectNoViolatingRows, violation_query

    anchor, checks = SUITES[name]
    suite = gx.ExpectationSuite(name=name, meta={"source": "sangkien.gate.checks"})
    for check in checks:
        suite.add_expectation(
            ExpectNoViolatingRows(
                unexpected_rows_query=violation_query(expectation_query(check, anchor)),
                description=check.description,
                meta={"check": check.name, "blocking": check.blocking, **check.meta},
            )
        )
    return suite


def _context(dsn: str) -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ[DSN_VARIABLE] = dsn
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(GX_PROJECT))
    # Create what is missing only, so the committed project does not change on a run.
    try:
        context.data_sources.get("warehouse")
    except KeyError:
        context.data_sources.add_postgres(
            name="warehouse", connection_string="${" + DSN_VARIABLE + "}"
        )
    return context


def _comparable(suite: Any) -> list[tuple[str, str, str]]:
    """A suite's content without the ids GX gives each expectation."""
    configs = [e.configuration for e in suite.expectations]
    return sorted(
        (
            c.type,
            json.dumps(
                {k: v for k, v in c.kwargs.items() if k != "id"}, sort_keys=True, default=str
            ),
            json.dumps(c.meta or {}, sort_keys=True, default=str),
        )
        for c in configs
    )


def _current_suite(context: Any, name: str) -> Any:
    """The stored suite, rewritten only when the code's checks changed."""
    wanted = build_suite(name)
    try:
        stored = context.suites.get(name)
    except Exception:
        stored = None
    if stored is not None:
        if _comparable(stored) == _comparable(wanted):
            return stored
        # add_or_update would merge into the stored suite: replace it whole.
        context.suites.delete(name)
    return context.suites.add(wanted)


def run_suite(name: str, dsn: str) -> SuiteResult:
    """Run one suite as a checkpoint against the warehouse at `dsn`."""
    import great_expectations as gx

    context = _context(dsn)
    (schema, table), checks = SUITES[name]
    source = context.data_sources.get("warehouse")
    asset_name = f"{schema}.{table}"
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_table_asset(name=asset_name, table_name=table, schema_name=schema)
    try:
        batch = asset.get_batch_definition("whole_table")
    except KeyError:
        batch = asset.add_batch_definition_whole_table("whole_table")
    suite = _current_suite(context, name)
    try:
        definition = context.validation_definitions.get(f"{name}_gate")
    except Exception:
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{name}_gate", data=batch, suite=suite)
        )
    try:
        checkpoint = context.checkpoints.get(f"{name}_checkpoint")
    except Exception:
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                result_format={"result_format": "COMPLETE"},
            )
        )
    result = checkpoint.run()
    by_name = {c.name: c for c in checks}
    outcomes = []
    for validation in result.run_results.values():
        for item in validation.results:
            meta = item.expectation_config.meta or {}
            check = by_name[meta["check"]]
            rows = (item.result.get("details") or {}).get("unexpected_rows") or []
            units = sorted({str(r["unit_code"]) for r in rows if r.get("unit_code")})
            error = _raised(item.exception_info)
            outcomes.append(
                CheckOutcome(
                    check.name,
                    bool(item.success) and error is None,
                    check.blocking,
                    int(item.result.get("observed_value") or 0),
                    units,
                    error,
                )
            )
    suite_result = SuiteResult(name, outcomes)
    log.info("%s", suite_result.message())
    return suite_result


def _raised(info: dict[str, Any] | None) -> str | None:
    """The first exception GX caught while computing a check (its info is nested per metric)."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message", "error")).split("\n")[0][:300]
    return None


def data_docs_index() -> Path:
    return GX_PROJECT / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
