"""Transformations: the dbt project in `dbt_project/` turns raw + quality into marts.

`build_models(dsn)` runs after landing each night (incremental: the cost follows
the night's deliveries); `build_models(dsn, full_refresh=True)` rebuilds
everything and must give the same tables. `generate_docs` writes the dbt docs
site. dbt itself is imported only when one of these runs.
"""

from sangkien.transform.dbt_runner import (
    BuildResult,
    ModelBuildError,
    NodeResult,
    build_models,
    generate_docs,
    run_unit_tests,
)

__all__ = [
    "BuildResult",
    "ModelBuildError",
    "NodeResult",
    "build_models",
    "generate_docs",
    "run_unit_tests",
]
