"""Copying GX Data Docs and dbt docs next to the national report, readable offline.

GX Data Docs pages load Bootstrap, jQuery, Vega and Font Awesome from CDNs and
their logo from S3; offline they would hang on those requests and leak each
visit. The copies here get every `<link>`/`<script>` to an http(s) (or
protocol-relative) URL removed, external images dropped, external CSS
`url(...)`s blanked, and a small inline stylesheet so tables and headings
stay readable without Bootstrap. Interactive widgets (sortable tables, Vega
charts) are lost; the validation results themselves are static HTML.

The dbt docs site (`dbt docs generate --static`) is one self-contained
`static_index.html`; it is copied as `dbt-docs/index.html`, with its
anonymous-usage tracking forced off (it would fetch a tracker script).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

GX_DIR = "data-docs"
DBT_DIR = "dbt-docs"

_EXTERNAL = r"""(?:https?:)?//"""
# A tag whose src/href points outside: <script src="https://…"></script>, <link href="//…">.
_EXTERNAL_SCRIPT = re.compile(
    rf"""<script\b[^>]*\bsrc\s*=\s*["']?{_EXTERNAL}[^>]*>.*?</script\s*>""", re.I | re.S
)
_EXTERNAL_LINK = re.compile(rf"""<link\b[^>]*\bhref\s*=\s*["']?{_EXTERNAL}[^>]*>""", re.I | re.S)
_EXTERNAL_IMG = re.compile(rf"""<img\b[^>]*\bsrc\s*=\s*["']?{_EXTERNAL}[^>]*>""", re.I | re.S)
_EXTERNAL_CSS_URL = re.compile(rf"""url\(\s*["']?{_EXTERNAL}[^)]*\)""", re.I)
_EXTERNAL_IMPORT = re.compile(rf"""@import\s+(?:url\()?\s*["']?{_EXTERNAL}[^;]*;""", re.I)
_HEAD_END = re.compile(r"</head\s*>", re.I)
_DBT_TRACKING = re.compile(r"""(["']?send_anonymous_usage_stats["']?\s*:\s*)true""")

OFFLINE_CSS = """
/* sangkien: offline copy — CDN stylesheets and scripts removed. */
body { font-family: "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif;
       margin: 0 auto; max-width: 1400px; padding: 12px 24px; color: #1b1b1b; line-height: 1.45; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #d5dbe1; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
a { color: #1f4e79; }
nav, .navbar { display: block; padding: 6px 0; border-bottom: 1px solid #d5dbe1; }
.row { display: flex; flex-wrap: wrap; gap: 16px; }
.col-lg-2, .col-md-2 { flex: 0 0 260px; } .col-lg-10, .col-md-10 { flex: 1 1 600px; }
.card { border: 1px solid #d5dbe1; margin: 8px 0; padding: 8px; }
.text-danger, .fa-times { color: #c0392b; } .text-success, .fa-check { color: #1e7b34; }
.sangkien-offline { background: #fff6d6; border: 1px solid #e0c870; padding: 6px 10px;
                    font-size: 13px; margin-bottom: 10px; }
"""
_NOTICE = (
    '<div class="sangkien-offline">Bản sao ngoại tuyến: đã bỏ các tài nguyên tải từ Internet '
    "(CDN); một số phần tương tác có thể không hoạt động.</div>"
)


def offline_html(text: str) -> str:
    """An HTML page without references that would make the browser leave the machine."""
    text = _EXTERNAL_SCRIPT.sub("", text)
    text = _EXTERNAL_LINK.sub("", text)
    text = _EXTERNAL_IMG.sub("", text)
    text = _EXTERNAL_IMPORT.sub("", text)
    text = _EXTERNAL_CSS_URL.sub("none", text)
    style = f"<style>{OFFLINE_CSS}</style>"
    if _HEAD_END.search(text):
        text = _HEAD_END.sub(lambda m: style + m.group(0), text, count=1)
    else:
        text = style + text
    return re.sub(r"<body\b[^>]*>", lambda m: m.group(0) + _NOTICE, text, count=1, flags=re.I)


def offline_css(text: str) -> str:
    return _EXTERNAL_CSS_URL.sub("none", _EXTERNAL_IMPORT.sub("", text))


def publish_docs(
    reports_day_dir: Path, gx_docs_dir: Path | None, dbt_docs_file: Path | None
) -> dict[str, Path]:
    """Copy the docs sites next to the national report; returns their index pages.

    `gx_docs_dir`: the GX Data Docs site folder (with `index.html`), copied to
    `data-docs/`. `dbt_docs_file`: `static_index.html` from
    `dbt docs generate --static`, copied to `dbt-docs/index.html`. A previous
    copy is replaced; None skips that site.
    """
    published: dict[str, Path] = {}
    if gx_docs_dir is not None:
        target = reports_day_dir / GX_DIR
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(gx_docs_dir, target)
        for page in target.rglob("*"):
            if page.suffix.lower() in (".html", ".htm"):
                page.write_text(offline_html(page.read_text("utf-8")), "utf-8")
            elif page.suffix.lower() == ".css":
                page.write_text(offline_css(page.read_text("utf-8")), "utf-8")
        published["gx"] = target / "index.html"
    if dbt_docs_file is not None:
        target = reports_day_dir / DBT_DIR
        target.mkdir(parents=True, exist_ok=True)
        page = target / "index.html"
        page.write_text(_DBT_TRACKING.sub(r"\1false", dbt_docs_file.read_text("utf-8")), "utf-8")
        published["dbt"] = page
    return published
