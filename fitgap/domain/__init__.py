"""Pure Python: value objects, labels, files, the risk engine, meetings. No Flask, no
SQLAlchemy (tests/test_quality.py imports every module to check).
"""
