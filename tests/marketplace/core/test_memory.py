"""The serving process's memory settings."""
from __future__ import annotations

import platform

import pytest

from marketplace.core.memory import limit_allocator_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")
def test_glibc_takes_the_arena_cap() -> None:
    # 16: as many as this test process's cores allow by default, so the suite's own threads are not capped
    assert limit_allocator_arenas(16) is True
