"""One module per pipeline stage; each has `run(paths) -> None` and is one CLI command."""
