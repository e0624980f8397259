"""The quality gate: checks before anything is published (Great Expectations)."""
