"""Browser tests: a package, so this conftest does not replace tests/conftest.py as `conftest`."""
