"""Golden cases of issue 15's table, one file per row, each driven through the API and computed by hand."""
