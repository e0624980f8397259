"""Reports: the national report and each unit's data-quality report, written after each night.

Public surface:

- `write_reports(dsn, business_date, reports_dir, *, units=None) -> ReportIndex`
  writes `reports_dir/<YYYY-MM-DD>/index.html` (national, offline HTML with
  inline SVG charts) and, per unit, `units/<UNIT>/bao-cao-chat-luong-<UNIT>-<date>`
  as HTML, CSV (UTF-8 with BOM) and XLSX.
- `publish_docs(reports_day_dir, gx_docs_dir, dbt_docs_file)` copies GX Data
  Docs and dbt docs next to the national report, without CDN references.
- `neutralise(text)` is the spreadsheet formula-injection rule both writers use.

Inputs are the contract's `marts` and `quality` tables only (warehouse-v1).
What each report shows: docs/reports.md.
"""

from sangkien.reports.cells import neutralise
from sangkien.reports.docs import publish_docs
from sangkien.reports.queries import ReportError
from sangkien.reports.writer import ReportIndex, UnitReportFiles, write_reports

__all__ = [
    "ReportError",
    "ReportIndex",
    "UnitReportFiles",
    "neutralise",
    "publish_docs",
    "write_reports",
]
