"""Consent as data: an act that changes another organisation's rights takes effect only when every party
whose rights it changes has approved it through its own account."""
