"""Commands: to be filled."""
