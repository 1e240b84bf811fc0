"""The small core every feature package builds on: errors, money, audit, outbox, jobs."""
