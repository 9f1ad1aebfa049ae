"""Commands: policy, ropa."""

from __future__ import annotations
