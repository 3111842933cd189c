"""Prepare, train, evaluate and track this project's model; `cli` is the entry point."""
