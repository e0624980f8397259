"""The gate's one kind of expectation: a query that returns the violating rows.

GX's `UnexpectedRowsExpectation` runs its query twice, once to count the rows
and once to list them; a full audit's checks read the whole history, so that
doubled the gate (38 s of queries on the bench's full audit, half of them
repeats). This one runs the query once: `violation_query` has the query return
its first rows, each carrying the total (`count(*) over ()`, computed before
the limit). Imported only where GX runs: it pulls in GX.
"""

from __future__ import annotations

from typing import Any, ClassVar

import great_expectations.expectations as gxe

#: Rows kept for the report and the Data Docs (the count is always whole).
LISTED_ROWS = 200
TOTAL_COLUMN = "violations_total"


def violation_query(query: str) -> str:
    """`query` as run once: at most `LISTED_ROWS` rows, each with the total."""
    # A materialized CTE is planned as the query alone would be: as a subquery under
    # the limit, the planner chose a fast-start plan for one check (6 s became 205 s).
    return (
        f"with violation as materialized (\n{query}\n)\n"
        f"select *, count(*) over () as {TOTAL_COLUMN} from violation limit {LISTED_ROWS}"
    )


class ExpectNoViolatingRows(gxe.UnexpectedRowsExpectation):
    """The query lists the rows that break a rule of the contract; none may."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> dict:
        listed = metrics["unexpected_rows_query.table"]
        total = int(listed[0][TOTAL_COLUMN]) if listed else 0
        rows = [{k: v for k, v in row.items() if k != TOTAL_COLUMN} for row in listed]
        return {
            "success": total == 0,
            "result": {"observed_value": total, "details": {"unexpected_rows": rows}},
        }
