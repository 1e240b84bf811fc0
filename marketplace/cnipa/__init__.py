"""CNIPA open-license announcements in and out: import the office's lists, export the platform's declarations."""
