"""The Galapagos risk engine, pure Python: scoreboard (Scoreboard, galapagos_risk), divergence
(its rows and divergence kinds), scores (the values it answers with), steering (asks, evidence,
explanations), cost (the 10-year cost lens) and report (the text and JSON output).
"""
