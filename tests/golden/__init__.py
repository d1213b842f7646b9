"""Golden tests: one file per row of issue 15's table, each driven through the API as a user would,
with the expected figures worked out by hand in the test's docstring."""
