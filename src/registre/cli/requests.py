"""Commands: request."""

from __future__ import annotations
