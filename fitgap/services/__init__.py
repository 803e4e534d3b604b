"""Use cases shared by the web and the command line: record a mark or a decision, apply a
marking sheet, kept scoreboards. Built on the store and the domain.
"""
