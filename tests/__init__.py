"""fitgap's tests: fixtures in conftest.py, shared helpers in helpers.py, builders in
factories.py."""
