"""The Flask app: wiring, access control, htmx helpers, errors, presenters, thin views,
templates and static files.
"""
