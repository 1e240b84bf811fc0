"""The operation agency console (运营机构控制台): ledger statistics, targets, funnel, events, exports."""
