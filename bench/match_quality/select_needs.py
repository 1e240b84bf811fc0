"""Choose the relevance set's needs and split them into dev and test (writes needs_split.jsonl).

    python -m bench.match_quality.select_needs [--count 240] [--seed 2026]

Strata are the needs' 国民经济行业 门类 (the first one named in
``classification``). Each stratum gets ``max(proportional share, min(6,
available))`` needs so small fields are represented; 制造业 keeps the
largest share, as in the data. Within a stratum, needs are taken in a
seeded shuffle, skipping:

* needs whose text is too thin to judge: after removing generic words
  (研发, 技术, 自动化, 升级, 生产线 …) fewer than 4 content characters remain
  in title + description (e.g. 生产线自动化升级, 企业研究院的建立);
* needs listed in ``EXCLUDED`` below, read and rejected by hand with a reason
  (recruitment, a company name, a confidential need …);
* a second need with the same title as one already chosen.

The chosen needs of a stratum alternate dev/test in shuffled order (the
starting side alternates between strata), so both halves have the same
spread. ``CALIBRATION`` dev needs (the first ones of each stratum holding at least 3
dev needs, proportionally, at least one each) are the ones the relevance
helper judged first to calibrate the rubric.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from bench.match_quality.supply import Need, needs

HERE = Path(__file__).parent
OUT = HERE / "needs_split.jsonl"
CALIBRATION = 20

DOORS = ("制造业", "信息传输、软件和信息技术服务业", "科学研究和技术服务业", "农、林、牧、渔业",
         "水利、环境和公共设施管理业", "电力、热力、燃气、及水生产和供应业", "建筑业", "交通运输、仓储和邮政业",
         "金融业", "卫生和社会工作", "批发和零售业", "文化、体育和娱乐业", "居民服务、修理和其他服务业", "教育",
         "采矿业")

GENERIC = sorted("""
研发 研究 开发 技术 关键技术 关键 突破 项目 系统 方面 相关 问题 解决 寻求 寻找 需求 技术需求 主要内容 内容
提升 提高 优化 改进 改造 升级 创新 新型 新产品 产品 新技术 新工艺 工艺 设计 方案 合作 引进 转化 应用 及其
自动化 智能化 智能 信息化 数字化 生产线 生产 车间 厂房 设备 机器 机器换人 实现 公司 企业 现有 基础 新 高效 稳定
性能 质量 成本 降低 效率 效能 管理 专业 人才 专家 工程师 人员 招聘 培训 服务 咨询 指导 建立 研究院 产业化
一种 一款 等 的 和 与 及 或 在 对 为 了 中 上 下 是 有 用 可 能 要 需要 进行 我们 我司 本公司 目前 现在
""".split(), key=len, reverse=True)
_GENERIC = re.compile("|".join(map(re.escape, GENERIC)))
_CONTENT = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")

# Read by hand and rejected (need id → reason). Only needs that the seeded
# walk reaches matter; the list records every one looked at and refused.
EXCLUDED: dict[str, str] = {
    "need-13": "not a technical problem: an appearance design request, the text is about recruiting",
    "need-56": "no specific problem: 'electric control systems; high-end textile machine parts'",
    "need-157": "no problem stated: a company profile only",
    "need-172": "no specific problem: a move into 'smart home products', seeking staff",
    "need-175": "no specific problem: 'pharmaceutical research on chemical generic drugs'",
    "need-233": "not a technology: patent commercialisation management",
    "need-246": "not a technology: asks for government support for a site and an environmental assessment",
    "need-355": "not a technology: a purchasing/sales platform and procurement standards",
    "need-360": "no specific problem: 'new materials, energy saving and equipment for surface treatment'",
    "need-398": "no specific problem: 'better development tools than Java'",
    "need-400": "not a technology: recruitment (the title says 'improve efficiency')",
    "need-436": "too thin: four characters (磨具加工), no description",
    "need-411": "not a technology: recruitment (the title says 'improve efficiency')",
    "need-477": "not a technology: consulting and training",
    "need-569": "no product named: 'automation of production monitoring and inspection equipment'",
    "need-715": "no problem stated: a company wishing to learn 'new technology'",
    "need-885": "no specific problem: 'a smooth airport experience for passengers', any technology",
    "need-980": "not a technology: marketing and promotion of a leisure-farming platform",
    "need-981": "not a technology: a new-retail business plan",
    "need-1080": "not a technology: cultural product (graphic) design",
    "need-1148": "not a technology: choosing investment projects",
    "need-1284": "not a technology: an artistic presentation of the history of science",
    "need-1301": "no specific problem: 'widen our product line' of a microbial company",
    "need-1326": "not a technology: brand image redesign",
    "need-1401": "not a technology: brand repositioning of a tea house",
    "need-1512": "no specific problem: 'key technology breakthrough in the lithium battery industry'",
    "need-1638": "no specific problem: 'electric control, display control, PLC programming'",
    "need-1728": "no specific problem: 'new products of integrated moulding equipment'",
    "need-1730": "no specific problem: 'a domestic controller'",
    "need-1914": "no specific problem: 'cooperation on solid waste treatment'",
}


def door(classification: str) -> str:
    return next((d for d in DOORS if d in classification), "（未分类）")


def specific_chars(n: Need) -> int:
    text = n.title if n.text in n.title else f"{n.title} {n.text}"
    return len(_CONTENT.findall(_GENERIC.sub(" ", text)))


def thin_reason(n: Need) -> str | None:
    if not n.title:
        return "no title"
    if specific_chars(n) < 4:
        return "thin: fewer than 4 content characters besides generic words"
    return EXCLUDED.get(n.id)


def allocate(sizes: dict[str, int], count: int, floor: int = 6) -> dict[str, int]:
    total = sum(sizes.values())
    want = {k: max(round(count * v / total), min(floor, v)) for k, v in sizes.items()}
    # trim or pad the largest stratum so the total is exact
    big = max(sizes, key=lambda k: sizes[k])
    want[big] += count - sum(want.values())
    return want


def select(count: int, seed: int) -> tuple[list[dict], list[tuple[str, str]]]:
    by_door: dict[str, list[Need]] = defaultdict(list)
    for n in needs():
        by_door[door(n.classification)].append(n)
    eligible = {k: [n for n in v if not thin_reason(n)] for k, v in by_door.items()}
    quota = allocate({k: len(v) for k, v in eligible.items() if v}, count)
    rng = random.Random(seed)
    chosen, skipped, titles = [], [], set()
    for i, d in enumerate(sorted(quota, key=lambda k: (-len(eligible[k]), k))):
        pool = sorted(by_door[d], key=lambda n: n.row)
        rng.shuffle(pool)
        picked = []
        for n in pool:
            if len(picked) == quota[d]:
                break
            why = thin_reason(n) or ("same title as a chosen need" if n.title in titles else None)
            if why:
                skipped.append((n.id, why))
                continue
            titles.add(n.title)
            picked.append(n)
        for j, n in enumerate(picked):
            split = "dev" if (j + i) % 2 == 0 else "test"
            chosen.append({"need": n.id, "split": split, "stratum": d})
    # calibration: the first dev needs of each stratum with at least 3 of them, proportionally
    # (at least one each), so the calibration part looks like the whole
    dev_by_door: dict[str, list[dict]] = defaultdict(list)
    for row in chosen:
        if row["split"] == "dev":
            dev_by_door[row["stratum"]].append(row)
    share = allocate({k: len(v) for k, v in dev_by_door.items() if len(v) >= 3}, CALIBRATION, floor=1)
    calib = {row["need"] for d, k in share.items() for row in dev_by_door[d][:k]}
    for row in chosen:
        row["calibration"] = row["need"] in calib
    chosen.sort(key=lambda r: int(r["need"].split("-")[1]))
    return chosen, skipped


def load_split() -> list[dict]:
    return [json.loads(line) for line in OUT.read_text("utf-8").splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=240)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    chosen, skipped = select(args.count, args.seed)
    with OUT.open("w", encoding="utf-8") as fh:
        for row in chosen:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    per = defaultdict(lambda: [0, 0])
    for row in chosen:
        per[row["stratum"]][row["split"] == "test"] += 1
    for d, (dev, test) in sorted(per.items(), key=lambda kv: -sum(kv[1])):
        print(f"{d:<24} dev {dev:>3}  test {test:>3}")
    print(f"{len(chosen)} needs ({sum(r['split'] == 'dev' for r in chosen)} dev, "
          f"{sum(r['split'] == 'test' for r in chosen)} test); skipped on the way: {len(skipped)}")
    reasons = defaultdict(int)
    for _, why in skipped:
        reasons[why] += 1
    for why, k in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {k:>3}  {why}")


if __name__ == "__main__":
    main()
