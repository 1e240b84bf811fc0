"""The benchmark's search requests (shared by the speed run and the ranking check)."""

from __future__ import annotations

from matching import NeedDoc, PatentQuery


def search_requests(needs: list[NeedDoc], segments: list[list[str]]) -> list[PatentQuery]:
    """Short keyword queries (first words of need titles) with rotating filters and sorts."""
    out = []
    for i, need in enumerate(needs):
        seg = segments[i % len(segments)]
        out.append(PatentQuery(q=need.title[:6], segments=seg[-1:] if i % 2 else (),
                               grades=["A", "B"] if i % 3 == 0 else (),
                               sort=("relevance", "application_date_desc", "grade")[i % 3], page=1 + i % 3))
    return out


# One-word searches whose hits are a large part of the corpus (the 方法, 一种), and common ones.
ONE_WORDS = ("方法", "一种", "装置", "系统", "制备", "电池", "材料", "控制", "锂", "设备")


def one_word_requests() -> list[PatentQuery]:
    """Each word on the relevance sort, page 1 and 2, and on the date sort."""
    out = []
    for word in ONE_WORDS:
        out += [PatentQuery(q=word), PatentQuery(q=word, page=2),
                PatentQuery(q=word, sort="application_date_desc")]
    return out
