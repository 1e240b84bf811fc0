"""The pure legal rules every feature asks: what a patent may still do, which licenses conflict, what its
application number says it is, when its term ends.

Plain values in, plain values out: no database, no Flask app, no import from a
feature package (``patents``, ``deals``, ``pledges``, ``openlicense`` …), so each
rule is unit-tested on its own and every feature applies the same one. Codes
are the plain strings the patent vocabularies use (``"invention"``,
``"granted"`` …); the vocabularies' StrEnum members compare equal to them.
"""
