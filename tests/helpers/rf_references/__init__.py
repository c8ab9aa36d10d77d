"""Reference models used by the tests (not part of the package)."""
