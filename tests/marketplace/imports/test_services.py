"""The import service on real records: counts, row errors, modes, idempotency, ownership."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.errors import Forbidden
from marketplace.core.models import AuditEntry, OutboxEvent
from marketplace.extensions import db
from marketplace.imports import services
from marketplace.imports.errors import ImportRejected, UnreadableFile
from marketplace.imports.models import ImportBatch
from marketplace.patents.models import Patent
from marketplace.patents.vocab import PublicationState
from tests.marketplace.imports.conftest import CNIPA_HEADERS, with_wrong_check_digit

NUMBER, TITLE, APPLICANTS, STATUS = (CNIPA_HEADERS.index(h) for h in ("申请号", "名称", "申请（专利权）人", "法律状态"))


def run_import(user, path, **options):
    with path.open("rb") as handle:
        return services.import_inventory(user.load(), path.name, handle, **options)


def patent_count(owner_id: int | None = None) -> int:
    query = select(func.count()).select_from(Patent)
    if owner_id is not None:
        query = query.where(Patent.owner_id == owner_id)
    return db.session.scalar(query)


def test_imports_every_real_record_and_names_the_bad_row(ctx, university, export_rows, make_csv):
    bad = list(export_rows[3])
    bad[NUMBER] = with_wrong_check_digit(bad[NUMBER])
    path = make_csv([*export_rows, bad], title_rows=[["专利检索结果导出"], ["导出时间：2024-05-01"]])

    batch = run_import(university, path)

    assert (batch.total_rows, batch.created_count, batch.updated_count, batch.failed_count) == (31, 30, 0, 1)
    assert patent_count(university.organisation_id) == 30
    [error] = batch.report["errors"]
    assert (error["row"], error["column"], error["field"]) == (34, "申请号", "application_number")
    assert "校验位错误" in error["reason"]
    assert batch.report["header_row"] == 3
    patent = db.session.scalar(select(Patent).where(Patent.application_number == "202223220665.2"))
    assert patent.state == PublicationState.DRAFT
    assert patent.title == "一种无人机机载多功能盒"
    assert patent.inventors == ["刘迪", "刘敏", "王煜伟", "付艳波", "王元卓"]
    assert patent.co_owners == ["中科大数据研究院"]
    assert (patent.price_min, patent.price_max) == (Decimal("100000.00"), Decimal("200000.00"))
    assert patent.grade == "A" and patent.modes == ["transfer", "license"]
    assert patent.source == f"import-batch:{batch.id}"


BAD_CELLS = [
    ("申请日", "2021-13-45", "application_date", "日期无效"),
    ("主分类号", "XYZ", "ipc_main", "IPC"),
    ("分级", "S", "grade", "分级 S 不在本机构的分级标签"),
    ("产业领域", "外太空产业", "segments", "未知的产业领域"),
    ("价格（万元）", "很贵", "price_min", "价格无法识别"),
    ("法律状态", "撤回", "legal_status", "无效取值"),
    ("成熟度", "快好了", "maturity", "无效取值"),
    ("转化方式", "赠送", "modes", "无效取值"),
    ("公开（公告）号", "US123", "publication_numbers", "公开号格式无效"),
    ("名称", "", "title", "必填"),
    ("申请号", "20171060186", "application_number", "申请号格式"),
]


def test_each_validation_failure_is_named_by_row_column_and_field(ctx, university, export_rows, make_csv):
    rows = []
    for (column, value, _field, _reason), row in zip(BAD_CELLS, export_rows, strict=False):
        row = list(row)
        row[CNIPA_HEADERS.index(column)] = value
        rows.append(row)
    good = export_rows[len(BAD_CELLS)]
    duplicate = list(export_rows[len(BAD_CELLS) + 1])
    duplicate[NUMBER] = "CN" + good[NUMBER].removeprefix("CN").replace(".", "")  # same number, other spelling
    path = make_csv([*rows, good, duplicate])

    batch = run_import(university, path)

    found = [(e["row"], e["column"], e["field"]) for e in batch.report["errors"]]
    expected = [(n, column, field) for n, (column, _v, field, _r) in enumerate(BAD_CELLS, start=2)]
    duplicate_row = len(BAD_CELLS) + 3
    assert found == [*expected, (duplicate_row, "申请号", "application_number")]
    for error, (_c, _v, _f, reason) in zip(batch.report["errors"], BAD_CELLS, strict=False):
        assert reason in error["reason"]
    assert f"与第 {duplicate_row - 1} 行的申请号重复" in batch.report["errors"][-1]["reason"]
    assert (batch.created_count, batch.failed_count) == (1, len(BAD_CELLS) + 1)


def test_reimport_is_idempotent(ctx, university, export_rows, make_csv):
    path = make_csv(export_rows)
    first = run_import(university, path)
    transaction.commit()

    second = run_import(university, path)
    transaction.commit()

    assert (first.created_count, first.unchanged_count) == (30, 0)
    assert (second.created_count, second.updated_count, second.unchanged_count, second.failed_count) == (0, 0, 30, 0)
    assert patent_count() == 30


def test_reimport_updates_changed_rows_in_place(ctx, university, export_rows, make_csv, make_xlsx):
    run_import(university, make_csv(export_rows))
    changed = [list(row) for row in export_rows]
    changed[0][TITLE] = "一种无人机机载多功能盒（改进型）"
    changed[1][CNIPA_HEADERS.index("分级")] = "D"

    batch = run_import(university, make_xlsx(changed))

    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 2, 28)
    assert db.session.scalar(select(Patent.title).where(Patent.application_number == "202223220665.2")) \
        == "一种无人机机载多功能盒（改进型）"
    assert patent_count() == 30


def test_blank_cells_never_erase_what_the_office_entered(ctx, university, export_rows, make_csv):
    run_import(university, make_csv(export_rows[:1]))
    blanked = list(export_rows[0])
    blanked[CNIPA_HEADERS.index("分级")] = ""
    batch = run_import(university, make_csv([blanked], name="again.csv"))
    assert batch.unchanged_count == 1
    assert db.session.scalar(select(Patent.grade)) == "A"


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(ctx, university, export_rows, make_csv):
    bad = list(export_rows[0])
    bad[NUMBER] = with_wrong_check_digit(bad[NUMBER])
    path = make_csv([*export_rows[1:], bad])

    with pytest.raises(ImportRejected) as rejected:
        run_import(university, path, mode="all_or_nothing")
    transaction.rollback()

    report = rejected.value.report
    assert report["id"] is None and report["failed"] == 1 and report["created"] == 0
    assert report["errors"][0]["row"] == 31
    assert patent_count() == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_all_or_nothing_imports_a_clean_file(ctx, university, export_rows, make_csv):
    batch = run_import(university, make_csv(export_rows), mode="all_or_nothing")
    assert batch.created_count == 30


def test_another_organisations_number_is_a_row_error(ctx, university, other_university, export_rows, make_csv):
    run_import(other_university, make_csv(export_rows[:2], name="theirs.csv"))
    transaction.commit()

    batch = run_import(university, make_csv(export_rows))

    assert (batch.created_count, batch.failed_count) == (28, 2)
    assert [(e["row"], e["field"]) for e in batch.report["errors"]] == [(2, "application_number"), (3, "application_number")]
    assert "其他机构" in batch.report["errors"][0]["reason"]
    assert patent_count(other_university.organisation_id) == 2


def test_another_organisations_number_rejects_all_or_nothing(ctx, university, other_university, export_rows,
                                                             make_csv):
    run_import(other_university, make_csv(export_rows[:1], name="theirs.csv"))
    transaction.commit()

    with pytest.raises(ImportRejected) as rejected:
        run_import(university, make_csv(export_rows), mode="all_or_nothing")
    transaction.rollback()

    assert rejected.value.report["errors"][0]["field"] == "application_number"
    assert patent_count(university.organisation_id) == 0


def test_publish_after_import_keeps_lapsed_patents_as_drafts(ctx, university, export_rows, make_csv):
    lapsed = list(export_rows[1])
    lapsed[STATUS] = "未缴年费专利权终止"
    batch = run_import(university, make_csv([export_rows[0], lapsed]), publish=True)

    states = dict(db.session.execute(select(Patent.application_number, Patent.state)).all())
    assert states == {"202223220665.2": PublicationState.PUBLISHED, "202122975192.6": PublicationState.DRAFT}
    assert [(w["row"], w["column"]) for w in batch.report["warnings"]] == [(3, "法律状态")]


def test_the_importing_organisation_is_owner_and_other_applicants_co_owners(ctx, university, export_rows, make_csv):
    row = list(export_rows[0])
    row[APPLICANTS] = "测试大学；中科大数据研究院、 浙江大学"
    run_import(university, make_csv([row]))
    patent = db.session.scalar(select(Patent))
    assert patent.owner_id == university.organisation_id
    assert patent.co_owners == ["中科大数据研究院", "浙江大学"]


def test_one_audit_entry_per_batch_and_an_outbox_row_per_patent(ctx, university, export_rows, make_csv):
    run_import(university, make_csv(export_rows))
    audits = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "patent")).all()
    assert [a.action for a in audits] == ["patent.batch_saved"]
    assert len(audits[0].changes["created"]) == 30
    outbox_ids = db.session.scalars(select(OutboxEvent.entity_id).where(OutboxEvent.entity_type == "patent")).all()
    assert set(outbox_ids) == set(db.session.scalars(select(Patent.id)))


def test_each_new_patent_gets_the_segment_of_its_own_row(ctx, university, export_rows, make_csv):
    """Patents and their segments are written in bulk (COPY on PostgreSQL): each link goes to its row's patent."""
    run_import(university, make_csv(export_rows))  # 分级 and 产业领域 cycle together: A/信息技术, B/装备, C/材料
    segments_of_grade: dict[str, set[tuple[str, ...]]] = {}
    for patent in db.session.scalars(select(Patent)):
        segments_of_grade.setdefault(patent.grade, set()).add(tuple(patent.segments))
    assert sorted(segments_of_grade) == ["A", "B", "C"]
    assert all(len(segments) == 1 for segments in segments_of_grade.values())
    distinct = {segments for [segments] in map(list, segments_of_grade.values())}
    assert len(distinct) == 3 and all(len(segments) == 1 for segments in distinct)


def test_header_only_file_is_unreadable(ctx, university, make_csv):
    with pytest.raises(UnreadableFile):
        run_import(university, make_csv([]))


def test_agencies_and_banks_cannot_import(ctx, agency, bank, export_rows, make_csv):
    path = make_csv(export_rows[:1])
    for user in (agency, bank):
        with pytest.raises(Forbidden):
            run_import(user, path)
    assert patent_count() == 0


def test_history_lists_only_the_own_organisations_batches(ctx, university, other_university, export_rows, make_csv):
    mine = run_import(university, make_csv(export_rows[:1]))
    run_import(other_university, make_csv(export_rows[1:2], name="theirs.csv"))
    assert services.list_batches(university.load()) == [mine]


def test_a_type_contradicting_the_application_number_is_a_row_error(ctx, university, export_rows, make_csv):
    from marketplace.legal.identity import implied_type
    from marketplace.patents.numbers import normalise_application_number

    row = list(export_rows[0])
    number = normalise_application_number(row[NUMBER])
    declared = "外观设计" if implied_type(number) != "design" else "发明"
    row[CNIPA_HEADERS.index("专利类型")] = declared
    blank = list(export_rows[1])
    blank[CNIPA_HEADERS.index("专利类型")] = ""
    batch = run_import(university, make_csv([row, blank]))
    [error] = batch.report["errors"]
    assert (error["row"], error["field"]) == (2, "patent_type")
    assert declared in error["reason"] and number in error["reason"]
    [patent] = db.session.scalars(db.select(Patent)).all()
    assert patent.patent_type == implied_type(patent.application_number), "a blank type follows the number"
