"""Meetings without the database: agenda ranking and the minutes (議事録). Pure Python."""
