"""Helpers for tests and demos (never used by the pipeline itself)."""

from sangkien.testing.province_api import ProvinceApi, RecordedRequest, closed_port_url

__all__ = ["ProvinceApi", "RecordedRequest", "closed_port_url"]
