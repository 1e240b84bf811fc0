"""Type-ahead lookups for the form pickers: organisations and patents by a few typed characters."""
