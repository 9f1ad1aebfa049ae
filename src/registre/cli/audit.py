"""Commands: audit, hold."""

from __future__ import annotations
