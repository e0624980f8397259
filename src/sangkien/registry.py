"""The source registry: one small YAML file per reporting unit under `sources/`.

A file names the unit and how it delivers: `transport: file` (the unit writes
into the landing area) or `transport: http` (the pipeline pulls its API).
Credentials are never in the file, only the *name* of an environment variable
or Airflow connection that holds the bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from sangkien.reference import reporting_units


class RegistryError(ValueError):
    """A registry file is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    unit_code: str
    transport: str = "file"
    base_url: str | None = None
    #: Name of the env variable or Airflow connection holding the bearer token.
    credential: str | None = None
    timeout_seconds: float = 30.0
    retries: int = 3

    @classmethod
    def from_file(cls, path: Path) -> Source:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise RegistryError(f"{path.name}: not valid YAML: {exc}") from None
        unit_code = data.get("unit_code")
        if unit_code != path.stem:
            raise RegistryError(
                f"{path.name}: unit_code {unit_code!r} does not match the file name"
            )
        if unit_code not in reporting_units():
            raise RegistryError(f"{path.name}: {unit_code} is not a reporting unit")
        transport = data.get("transport", "file")
        if transport not in ("file", "http"):
            raise RegistryError(f"{path.name}: transport must be 'file' or 'http'")
        if transport == "http" and not data.get("base_url"):
            raise RegistryError(f"{path.name}: an http source needs base_url")
        known = {
            "unit_code",
            "transport",
            "base_url",
            "credential",
            "timeout_seconds",
            "retries",
            "name",
            "contact",
            "notes",
        }
        if unknown := set(data) - known:
            raise RegistryError(f"{path.name}: unknown keys {sorted(unknown)}")
        return cls(
            unit_code=unit_code,
            transport=transport,
            base_url=data.get("base_url"),
            credential=data.get("credential"),
            timeout_seconds=float(data.get("timeout_seconds", 30)),
            retries=int(data.get("retries", 3)),
        )


def load_registry(sources_dir: Path) -> dict[str, Source]:
    """Every source, by unit code, in unit-code order."""
    files = sorted(sources_dir.glob("*.yml"))
    if not files:
        raise RegistryError(f"no source files (*.yml) in {sources_dir}")
    sources = [Source.from_file(f) for f in files]
    return {s.unit_code: s for s in sorted(sources, key=lambda s: s.unit_code)}
