"""Commands: lint, diff."""

from __future__ import annotations
