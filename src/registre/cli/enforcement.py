"""Commands: plan, sweep."""

from __future__ import annotations
