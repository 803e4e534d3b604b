"""The database layer: engines and transactions, tables, migrations, and queries by concern.
Knows the domain, never the web.
"""
