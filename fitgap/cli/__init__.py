"""The `fitgap` command."""
