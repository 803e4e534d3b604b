"""fitgap's tests: fixtures in conftest.py, shared helpers in helpers.py, builders in
factories.py, sample data in samples.py, hypothesis strategies in strategies.py, hostile files
in hostile.py, and the helpers of one part of the app in workspace.py, sheets.py and
meetings.py (the browser tests': browser/conftest.py and browser/support.py).

A test module imports none of the others (tests/test_layout.py checks): what two modules share
lives in one of these."""
