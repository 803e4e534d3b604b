"""Reading and writing the files people exchange: YAML catalogs, towns and marks, the official
Excel function lists, the marking sheet, edition diffs. Pure Python.
"""
