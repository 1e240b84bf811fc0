"""What pricing help stores itself: ``price_points``, its index of comparable concluded deals.

One row per concluded priced deal (or open license that took effect for a
lump sum), per patent of it and per technology key of that patent
(``seg:<segment code>``, ``ipc:<IPC subclass>``), so that the most recent
comparables of one mode and one key are an index range, not a scan of a
million deals. It is derived data: ``pricing.points`` rewrites a deal's or a
license's rows from the ledger whenever it (or one of its patents' traits)
changes, and ``flask pricing rebuild-points`` rewrites them all. Hence no
foreign keys: a deleted deal's rows go when its change is handled.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class PricePoint(db.Model):
    """One comparable as pricing help reads it: the whole ``amount`` over ``parts`` patents (shared on read,
    as ``stats.share_of`` does), its date, the parties deciding who may see it, and its patent's traits."""

    __tablename__ = "price_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # a TransformationMode value (an auction prices a transfer)
    technology: Mapped[str] = mapped_column(String(48))  # seg:<segment code> or ipc:<IPC subclass>
    concluded_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    parts: Mapped[int]
    patent_id: Mapped[int] = mapped_column(index=True)
    deal_id: Mapped[int | None] = mapped_column(index=True)
    license_id: Mapped[int | None] = mapped_column(index=True)
    seller_id: Mapped[int]
    buyer_id: Mapped[int]
    agency_id: Mapped[int | None]
    # the patent's traits pricing help ranks by, as stored on the patent (so a request reads no patent)
    patent_type: Mapped[str] = mapped_column(String(32))
    ipc_main: Mapped[str | None] = mapped_column(String(20))
    maturity: Mapped[str | None] = mapped_column(String(32))
    segments: Mapped[str] = mapped_column(Text)  # its segment codes, comma-separated

    # A mode's and a key's most recent, most recent first; on PostgreSQL the index holds every column a request
    # reads (INCLUDE), so the 500 rows come from a few index pages (index-only) rather than 500 table pages.
    __table_args__ = (Index("ix_price_points_recent", "mode", "technology", "concluded_on", "deal_id", "license_id",
                            postgresql_include=["patent_id", "amount", "parts", "seller_id", "buyer_id", "agency_id",
                                                "patent_type", "ipc_main", "maturity", "segments"]),)
