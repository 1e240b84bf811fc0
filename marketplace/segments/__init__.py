"""The industry-segment taxonomy (产业细分领域): data loaded from a file, not a table."""
