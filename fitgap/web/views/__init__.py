"""Thin blueprints: parse the request, call a service or a query, render a presenter's result."""
