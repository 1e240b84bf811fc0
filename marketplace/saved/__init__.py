"""Saved patent searches: a user keeps a query with its filters and hears of new results."""
