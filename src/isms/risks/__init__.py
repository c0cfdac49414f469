"""Threats and risk assessment (seed 2.3, 2.8): the threat catalog, scales, risks, analyses."""
