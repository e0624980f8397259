"""The gate's Data Docs: what every night's checkpoints rebuild."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from sangkien.gate.runner import DSN_VARIABLE, GX_PROJECT


def test_the_docs_index_lists_the_latest_runs_so_a_night_does_not_read_them_all(
    tmp_path: Path, monkeypatch
) -> None:
    """Each checkpoint rebuilds the index, and GX reads every validation result the
    index lists: without a limit, a night's checks would read every night before it."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    import sangkien.gate.expectation  # noqa: F401 - registers the suites' expectation type

    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv(DSN_VARIABLE, "postgresql://nobody@127.0.0.1:1/none")
    project = tmp_path / "expectations"
    # The committed project, without this checkout's own results and docs.
    shutil.copytree(GX_PROJECT, project, ignore=shutil.ignore_patterns("uncommitted"))
    config = yaml.safe_load((project / "gx" / "great_expectations.yml").read_text())
    limit = config["data_docs_sites"]["local_site"]["site_index_builder"][
        "validation_results_limit"
    ]
    context = gx.get_context(mode="file", project_root_dir=str(project))

    first_night = datetime(2022, 1, 8, 18, tzinfo=UTC)
    nights = [first_night + timedelta(days=n) for n in range(limit + 10)]
    for night in nights:
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name="landing"),
            run_id=RunIdentifier(run_time=night),
            batch_identifier="warehouse-quality.delivery",
        )
        result = ExpectationSuiteValidationResult(
            success=True, results=[], suite_name="landing", meta={"run_id": key.run_id}
        )
        context.validation_results_store.set(key, result)
    context.build_data_docs()  # every result's page, then the index

    index = (project / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").read_text()
    listed = set(re.findall(r"validations/landing/__none__/(\d{8}T\d{6})", index))
    stamp = [n.strftime("%Y%m%dT%H%M%S") for n in nights]
    assert listed == set(stamp[len(stamp) - limit :])
    # The results themselves are kept: the index is what stops growing.
    stored = project / "gx" / "uncommitted" / "validations" / "landing" / "__none__"
    assert len(list(stored.iterdir())) == len(nights)
