"""The Galapagos risk engine: divergence, scores, steering (asks and evidence), the 10-year
cost lens and its text/JSON report. Pure Python.
"""
