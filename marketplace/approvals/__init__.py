"""A university's internal approval of its own acts, and the publicity (公示) that precedes them.

An institution configures, per act (declaring an open license, signing a
deal, abandoning a patent … any act registered with ``consents``), a
workflow of steps assigned to its office roles or members, and a publicity
period. When the institution is asked to consent to such an act, a review
opens; its consent is refused (``consents`` gate) until every step approved
and, for a price set by negotiation, the notice has been public for the
whole period without an objection left open or upheld.
"""
