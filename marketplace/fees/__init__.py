"""Annual fees: the ledger per patent and fee year, reductions explained, grace and surcharge, the status changes
they drive, and the yearly keep-or-abandon review."""
