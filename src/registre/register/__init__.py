"""The register model, its loader and its cross-checks (no I/O beyond reading the YAML)."""
