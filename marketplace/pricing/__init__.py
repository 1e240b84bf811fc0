"""Pricing help: what comparable concluded deals paid, and an income-approach estimate (issue 14, item 4)."""
