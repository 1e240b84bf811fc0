"""The serving process's memory settings."""
from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# After glibc has mapped and unmapped a 4 MiB block (its mmap threshold then follows it), 200 arrays of 100,000
# scores are allocated between longer-lived blocks and freed; prints the MiB that stay resident.
RETAINED = """
import sys, numpy as np
from marketplace.core.memory import tune_allocator
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024
if sys.argv[1] == "tuned":
    assert tune_allocator() is True
big = np.ones(4 * 2**20, np.uint8)
del big
before, arrays, kept = rss(), [], []
for i in range(200):
    arrays.append(np.ones(100_000, np.float32))
    kept.append(b"x" * 2000 + bytes(i))
del arrays
print(round(rss() - before))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc's settings are glibc's")
def test_a_tuned_allocator_gives_a_requests_temporary_arrays_back() -> None:
    def retained(mode: str) -> int:
        return int(subprocess.run([sys.executable, "-c", RETAINED, mode], capture_output=True, text=True,
                                  check=True).stdout)

    assert retained("default") > 40  # ~77 MiB of the 78 the arrays took
    assert retained("tuned") < 10
