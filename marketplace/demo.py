"""Demo data for ``make run``: organisations, users, real patents and real needs.

Only seeded into an empty database. Patents and needs are real records
(``data/demo``); which demo organisation owns them and their grades, segments,
modes and prices are assigned by the deterministic rules below, for
illustration only. Needs keep the GB/T 4754 tag they were posted with; patents
get their segments from the IPC concordance as suggestions, which two demo
owners accept and one leaves pending.
"""
from __future__ import annotations

import json
import re
import zlib
from datetime import timedelta
from importlib import resources
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from marketplace.accounts import services as accounts
from marketplace.accounts.identifiers import credit_code_check
from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.needs.services import create_need
from marketplace.openlicense.demo import seed_open_license_story
from marketplace.core.errors import ValidationFailed
from marketplace.console.demo import seed_agency_volume
from marketplace.deals.demo import seed_deal_modes_story
from marketplace.approvals.demo import seed_office_story
from marketplace.rewards.demo import seed_rewards_story
from marketplace.cnipa.demo import seed_cnipa_story
from marketplace.fees.demo import seed_money_story
from marketplace.pricing.demo import seed_pricing_story
from marketplace.core.dates import local_today, parse_date
from marketplace.patents.models import Patent
from marketplace.patents.services import save_patent, set_published
from marketplace.patents.validation import validate_patent_values
from marketplace.patents.vocab import PatentType
from marketplace.push.services import subscribe
from marketplace.segments.suggestions import accept_all_suggestions

DEMO_PASSWORD = "demo12345"

ORGANISATIONS = [
    # key, kind, name, region, login e-mail, SME
    ("univ1", "university", "贵州理工大学（演示）", "520100", "university@demo.local", False),
    ("univ2", "university", "黔南科技学院（演示）", "522700", "university2@demo.local", False),
    ("inst", "institute", "西部新材料研究院（演示）", "520100", "institute@demo.local", False),
    ("comp1", "company", "黔能新能源科技有限公司（演示）", "520100", "company@demo.local", True),
    ("comp2", "company", "山城智能装备有限公司（演示）", "500100", "company2@demo.local", True),
    ("comp3", "company", "绿野农业发展有限公司（演示）", "522700", "company3@demo.local", False),
    ("agency", "agency", "贵州知识产权运营中心（演示）", "520100", "agency@demo.local", False),
    ("bank", "bank", "贵阳科技支行（演示）", "520100", "bank@demo.local", False),
    # two more licensees, so pricing help has five distinct acquirers to show a range over
    ("comp4", "company", "遵义精密制造有限公司（演示）", "520300", "company4@demo.local", True),
    ("comp5", "company", "安顺新材料科技有限公司（演示）", "520400", "company5@demo.local", True),
]

# The technology market's industry families → our technology-market areas (second level resolved by name first).
INDUSTRY_SEGMENTS = {"现代农业": "TM-H", "新材料": "TM-D", "装备制造": "TM-E", "电子信息": "TM-A", "生物医药": "TM-C",
                     "交通运输": "TM-E2", "技术服务": "TM-Z", "新能源": "TM-F1", "资源环保": "TM-G", "生活必需": "TM-Z",
                     "建筑安装": "TM-E5"}
NEED_KEYWORD_SEGMENTS = [
    ("锂", ["TM-F1", "SEI-06"]), ("电池", ["TM-F1", "SEI-06"]), ("无人机", ["TM-E1", "SEI-02"]),
    ("软件", ["TM-A5", "SEI-01"]), ("数据", ["TM-A2", "SEI-01"]), ("传感", ["TM-E3"]), ("检测", ["TM-E3"]),
    ("路面", ["TM-E5"]), ("桥", ["TM-E5"]), ("混凝土", ["TM-D5"]), ("材料", ["TM-D", "SEI-03"]),
    ("种植", ["TM-H2"]), ("养殖", ["TM-H7"]), ("土壤", ["TM-H3"]), ("污水", ["TM-G", "SEI-07"]),
    ("节能", ["TM-F2", "SEI-07"]), ("电机", ["TM-E3"]), ("农", ["TM-H"]),
]
# A lithium-battery patent the demo university keeps as a draft: publishing it pushes it to the demo company.
PUBLISH_ME = "200910183618.5"
MODES_BY_CLASS = [["transfer", "license"], ["license", "open_license"], ["transfer", "license", "equity"],
                  ["open_license"], ["transfer"]]
MATURITIES = ["research", "lab", "pilot", "sample", "mass_production"]


def _stable(text: str, modulo: int) -> int:
    return zlib.crc32(text.encode("utf-8")) % modulo


def _credit_code(index: int) -> str:
    body = f"12520000{index:02d}MB0{index:04d}"[:17].replace("I", "1").replace("O", "0")
    return body + credit_code_check(body)


def _records(name: str) -> list[dict[str, Any]]:
    text = resources.files("marketplace").joinpath(f"data/demo/{name}").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _source_date(raw: object) -> str:
    """The sources write 20120509, 2012.05.09 or 2012-05-09, and 0 for unknown."""
    try:
        day = parse_date(raw, "date")
    except ValidationFailed:
        return ""
    return day.isoformat() if day else ""


def _filing_year_start(application_number: str) -> str:
    """1 January of the filing year the number encodes (ZC 0006-2003): a date earlier than or equal to the real one,
    so a term computed from it can only be shorter. Used where the source omits the filing date."""
    digits = application_number.removeprefix("CN").split(".")[0]
    return f"{digits[:4]}-01-01" if len(digits) == 12 else ""


def _patent_row(record: dict[str, Any], index: int) -> dict[str, Any]:
    extra = record.get("extra") or {}
    ipc = record.get("ipc") or []
    key = record["app_no"]
    grade = "ABCD"[_stable(key, 4)]
    if "锂" in record["title"] + (record.get("abstract") or ""):
        grade = "A" if _stable(key, 2) else "B"
    low = (1 + _stable(key, 30)) * 10000
    return {
        "application_number": key,
        "publication_numbers": [record["pub_no"]] if record.get("pub_no") else [],
        "patent_type": record.get("patent_type") or "",
        "title": record["title"],
        "abstract": record.get("abstract") or "",
        "first_claim": extra.get("主权项", ""),
        "ipc_main": record.get("ipc_main") if "/" in (record.get("ipc_main") or "") else None,
        # subclass-level codes too (A01B …): the segment suggestions start from them; a bare class (G06) is no IPC code
        "ipc_codes": [c for c in ipc if re.match(r"[A-H]\d\d[A-Z]", c)],
        "inventors": extra.get("发明人") or extra.get("发明（设计）人", ""),
        "application_date": _source_date(extra.get("申请日")) or _filing_year_start(key),
        "publication_date": _source_date(extra.get("公开日") or extra.get("公开（公告）日")),
        "grant_date": _source_date(extra.get("授权公告日") or extra.get("公开（公告）日")
                                   if record.get("patent_type") == "实用新型" else extra.get("授权公告日")),
        "legal_status": "granted" if index % 9 else "pending",
        # a utility model may take an open license only with a positive evaluation report (DOMAIN.md §4)
        "evaluation_report": "positive" if record.get("patent_type") == "实用新型" and index % 2 == 0 else "",
        "grade": grade,
        # segments come from the owner accepting the IPC suggestions (see ``seed``), except the lithium story's
        "segments": ["TM-F1", "SEI-06"] if "锂" in record["title"] + (record.get("abstract") or "") else [],
        "modes": MODES_BY_CLASS[_stable(key, len(MODES_BY_CLASS))],
        "maturity": MATURITIES[1 + _stable(key, 4)],
        "price_min": str(low),
        "price_max": str(low * 3),
        "tags": ["演示数据"],
    }


def _achievement_row(record: dict[str, Any], taxonomy) -> dict[str, Any]:
    """A technology-market achievement that names its granted patent (ZL number) becomes a listing."""
    number = re.search(r"(?:ZL|专利号[:：]?\s*)(\d{12}\.?[0-9Xx])", record["context"]).group(1)
    family, _, area = record["industry"].partition("-")
    segment = taxonomy.resolve(area) if area else None
    modes = [mode for word, mode in (("转让", "transfer"), ("许可", "license"), ("入股", "equity"))
             if word in record.get("cooperationMethod", "")]
    return {"application_number": number, "title": record["name"], "abstract": record["context"].strip(),
            "legal_status": "granted", "maturity": record.get("maturity"), "modes": modes or ["license"],
            "segments": [segment.code if segment else INDUSTRY_SEGMENTS.get(family, "TM-Z")],
            "grade": "AB"[_stable(number, 2)], "tags": ["技术市场成果"]}


def seed(force: bool = False) -> dict[str, int]:
    """Create the demo world; returns counts, or {} when the database already holds organisations."""
    if not force and db.session.scalar(select(func.count()).select_from(Organisation)):
        return {}
    users: dict[str, User] = {}
    for index, (key, kind, name, region, email, sme) in enumerate(ORGANISATIONS, start=1):
        users[key] = accounts.register_organisation(
            kind=kind, name=name, credit_code=_credit_code(index), region_code=region, email=email,
            user_name=name.split("（")[0] + " 管理员", password=DEMO_PASSWORD, is_sme=sme)
    admin = User(email="admin@demo.local", name="平台管理员", is_platform_admin=True,
                 password_hash=users["univ1"].password_hash)
    db.session.add(admin)
    db.session.flush()

    suppliers = [users["univ1"], users["univ2"], users["inst"]]
    patent_ids: dict[int, list[int]] = {user.id: [] for user in suppliers}
    for index, record in enumerate(_records("patents.jsonl")):
        owner = suppliers[0] if "锂" in record["title"] + (record.get("abstract") or "") else suppliers[index % 3]
        row = {k: v for k, v in _patent_row(record, index).items() if v not in ("", None, [])}
        if "patent_type" in row and PatentType.parse(row["patent_type"]) is None:
            row.pop("patent_type")
        organisation = owner.organisation
        patent, _created = save_patent(organisation, validate_patent_values(row, organisation), actor=owner)
        patent.source = f"{record['source_repo']}:{record['source_path']}#{record['source_row']}"
        patent_ids[owner.id].append(patent.id)
    taxonomy = current_app.extensions["taxonomy"]
    for index, record in enumerate(_records("achievements.jsonl")):
        owner = suppliers[1 + index % 2]
        row = _achievement_row(record, taxonomy)
        patent, _created = save_patent(owner.organisation, validate_patent_values(row, owner.organisation), actor=owner)
        patent.source = f"{record['source_repo']}:{record['source_path']}#{record['source_index']}"
        patent_ids[owner.id].append(patent.id)
    # The first university and the institute accept the segments suggested from their patents' IPC codes;
    # the second university leaves them pending, so its inventory shows the suggestions to accept.
    for owner in (users["univ1"], users["inst"]):
        accept_all_suggestions(owner)
    published = 0
    kept_draft = db.session.scalar(select(Patent.id).where(Patent.application_number == PUBLISH_ME))
    for owner in suppliers:
        ids = patent_ids[owner.id]
        to_publish = [i for i in ids[: max(0, len(ids) - 5)] if i != kept_draft]  # keep a few drafts per owner
        set_published(owner, to_publish, True)
        published += len(to_publish)

    companies = [users["comp1"], users["comp2"], users["comp3"]]
    needs = 0
    for index, record in enumerate(_records("needs.jsonl")):
        text = record["name"] + record["context"]
        segments = next((s for k, s in NEED_KEYWORD_SEGMENTS if k in text), ["TM-Z"])
        company = companies[0] if ("锂" in text or "电池" in text) else companies[index % 3]
        need = create_need(company, {
            "title": record["name"][:300], "description": record["context"], "segments": segments,
            "industry": record.get("classification") or [],  # the real GB/T 4754 tag, mapped by the concordance
            "modes": _need_modes(record.get("cooperationMethod", "")), "public": index % 10 != 0,
            "valid_until": (local_today() + timedelta(days=90 + index % 200)).isoformat()})
        need.source = f"{record['source_repo']}:{record['source_path']}#{record['source_index']}"
        needs += 1
    subscribe(users["comp1"], {"segments": ["TM-F1"]})  # its lithium-battery needs hear of new TM-F1 patents
    story = seed_open_license_story(users)  # declared, accepted, recorded; a pledged patent refused; a transfer
    volume = seed_agency_volume(users)  # the agency's deals, licenses and pledges this year and last, its targets
    money = seed_money_story(users)  # a royalty report to confirm, the annual-fee ledger, a D-grade patent to review
    pricing = seed_pricing_story(users)  # comparable deals around one patent (before the office's approvals gate)
    modes = seed_deal_modes_story(users)  # an auction and an entrusted operation (after pricing: not its comparables)
    rewards = seed_rewards_story(users)  # inventors with shares, a 60 % policy, one income's rewards paid
    cnipa = seed_cnipa_story(users)  # a sample CNIPA announcement list: a declaration, a conflict, rows not ours
    office = seed_office_story(users)  # grades by criteria, an approval workflow, a notice running (last: it gates)
    return {"organisations": len(ORGANISATIONS), "users": len(users) + 1, "patents": sum(map(len, patent_ids.values())),
            "published": published, "needs": needs, **office, **rewards, **cnipa,
            **{key: story.get(key, 0) + volume.get(key, 0) for key in {*story, *volume}}, **money, **pricing, **modes}


def _need_modes(raw: str) -> list[str]:
    modes = [mode for word, mode in (("转让", "transfer"), ("许可", "license"), ("入股", "equity")) if word in raw]
    return modes or ["license"]
