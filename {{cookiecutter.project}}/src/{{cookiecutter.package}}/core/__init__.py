"""Pure logic: no files, no network, no tracking. Everything here is unit-tested in memory."""
