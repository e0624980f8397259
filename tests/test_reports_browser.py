"""The reports in a real browser: rendered content, and no request leaving the machine.

The reports folder is served on 127.0.0.1 and headless Chromium (Debian's
`/usr/bin/chromium`) is pointed at a recording proxy. Chromium sends loopback
requests directly, so anything the proxy sees is a request that tried to
leave the machine; the test asserts there is none. A canary page that loads
an external image proves the proxy does see such requests. Chromium's own
services (sign-in, Google APIs, component updates, network time) would call
out at start-up whatever the page is; they are sent to a closed loopback port
so that what the proxy records is what the pages asked for.

Screenshots are kept under `test-artifacts/reports/` at the repository root.
"""

from __future__ import annotations

import functools
import http.server
import re
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sangkien.reports import ReportIndex, publish_docs, write_reports
from test_reports_content import FOCUS, D, seed_known_warehouse

from databases import fresh_warehouse

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "reports"
DEAD_END = "http://127.0.0.1:9"  # nothing listens on the discard port

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium",
)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _RecordingProxy(socketserver.StreamRequestHandler):
    """Records the request line of every proxied request and refuses it."""

    def handle(self) -> None:
        line = self.rfile.readline(65536).decode("latin-1").strip()
        if line:
            self.server.requests.append(line)  # type: ignore[attr-defined]
        self.wfile.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _RecordingProxy)
    server.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def reports(pg_cluster, tmp_path_factory) -> ReportIndex:  # type: ignore[no-untyped-def]
    dsn = fresh_warehouse(pg_cluster, "reports_browser")
    with psycopg.connect(dsn, autocommit=True) as conn:
        seed_known_warehouse(conn)
    index = write_reports(dsn, D, tmp_path_factory.mktemp("reports"), units=[FOCUS, "P01"])
    # A GX Data Docs page as GX writes it: CDN stylesheets and scripts, an S3 logo.
    gx = tmp_path_factory.mktemp("gx")
    (gx / "index.html").write_text(
        """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<style>.brand { background: url('https://s3.example.com/logo.png') }</style>
</head><body><img src="https://great-expectations-web-assets.s3.amazonaws.com/logo-long.png">
<h1 class="brand">Validation results</h1><table><tr><td>quality.delivery</td></tr></table>
</body></html>""",
        "utf-8",
    )
    publish_docs(index.directory, gx, None)
    (index.directory / "canary.html").write_text(
        '<!DOCTYPE html><html><body><img src="http://canary.invalid/pixel.png"></body></html>',
        "utf-8",
    )
    return index


@pytest.fixture(scope="module")
def site(reports: ReportIndex) -> Iterator[str]:
    handler = functools.partial(_QuietFiles, directory=str(reports.directory))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def open_page(url: str, proxy: _Server, profile: Path, screenshot: Path | None = None) -> str:
    """Load `url` in headless Chromium; return the rendered DOM."""
    args = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}",
        f"--gaia-url={DEAD_END}",
        f"--google-apis-url={DEAD_END}",
        f"--lso-url={DEAD_END}",
        f"--component-updater=url-source={DEAD_END}/",
        "--disable-features=NetworkTimeServiceQuerying",
        "--window-size=1280,2000",
        "--dump-dom",
    ]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        args.append(f"--screenshot={screenshot}")
    done = subprocess.run([*args, url], capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _text(dom: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def test_proxy_sees_a_page_that_reaches_out(site, proxy, tmp_path) -> None:
    proxy.requests.clear()
    open_page(f"{site}/canary.html", proxy, tmp_path / "profile")
    assert any("canary.invalid" in r for r in proxy.requests), proxy.requests


def test_national_report_renders_offline(site, proxy, reports, tmp_path) -> None:
    proxy.requests.clear()
    shot = ARTIFACTS / "national-report.png"
    shot.unlink(missing_ok=True)
    dom = open_page(f"{site}/index.html", proxy, tmp_path / "profile", shot)

    assert proxy.requests == []
    text = _text(dom)
    for heading in (
        "Báo cáo toàn quốc",
        "Bảng xếp hạng",
        "Tiến độ chương trình",
        "Mức hoàn thành chỉ tiêu theo đơn vị",
        "Chất lượng dữ liệu",
    ):
        assert heading in text
    first = re.search(r'<tr data-unit="(\w+)" data-rank="1">(.*?)</tr>', dom, re.S)
    assert first is not None and first.group(1) == FOCUS
    assert "LĐLĐ tỉnh Thanh Hóa" in first.group(2) and "tăng 2 bậc" in first.group(2)
    for chart in ("progress", "attainment", "provinces"):
        assert re.search(rf'<svg[^>]*data-chart="{chart}"', dom), chart
    assert shot.stat().st_size > 10_000


def test_province_report_renders_offline(site, proxy, reports, tmp_path) -> None:
    proxy.requests.clear()
    shot = ARTIFACTS / f"bao-cao-chat-luong-{FOCUS}.png"
    shot.unlink(missing_ok=True)
    page = reports.units[FOCUS].html.relative_to(reports.directory).as_posix()
    dom = open_page(f"{site}/{page}", proxy, tmp_path / "profile", shot)

    assert proxy.requests == []
    text = _text(dom)
    for heading in (
        "Báo cáo chất lượng dữ liệu",
        "Dòng bị từ chối",
        "Trùng lặp",
        "Nghi trùng lặp",
        "Đêm không gửi dữ liệu",
        "Tỉ lệ từ chối",
        "Trung vị toàn quốc",
    ):
        assert heading in text
    assert "=HYPERLINK(" in text  # shown as text in the page, escaped
    assert '<svg class="chart" data-chart="rejection-rate"' in dom
    assert shot.stat().st_size > 10_000


def test_copied_data_docs_stay_on_the_machine(site, proxy, tmp_path) -> None:
    proxy.requests.clear()
    dom = open_page(f"{site}/data-docs/index.html", proxy, tmp_path / "profile")
    assert proxy.requests == []
    assert "quality.delivery" in dom and "Validation results" in dom
