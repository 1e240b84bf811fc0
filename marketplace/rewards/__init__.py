"""Inventors and their rewards (issue 15 item 3), and the yearly report for the authorities (item 4).

An institution (university or institute) records its inventors, their shares in
each of its patents, its reward policy (default: the statutory minimums of
``legal.rewards``) and the deductible costs of each income; the rewards due on
every income (a binding deal it sold, a confirmed open-license payment it
received) are computed per inventor, never stored until the finance office
marks them paid. Only members of the institution see any of it.
"""
