"""Browser tests: the real server driven through Playwright in the system Chromium."""
