"""Grading with criteria: labels and minimum scores, suggestions, batch grading, renames, history, access."""
from __future__ import annotations

import pytest

from marketplace.accounts import services as accounts
from marketplace.core import transaction
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.grading import services
from marketplace.grading.models import GradeAxis, GradeChange
from marketplace.patents import services as patents
from marketplace.patents.models import Patent
from tests import factories


def _grade(patent_id: int) -> str | None:
    return db.session.get(Patent, patent_id).grade


def _label(user, name):
    return next(label for label in services.labels_of(user.load().organisation) if label.name == name)


def test_defaults_are_a_to_d_with_criteria_and_scores_suggest_the_highest_met(ctx, university):
    labels = services.labels_of(university.load().organisation)
    assert [label.name for label in labels] == ["A", "B", "C", "D"]
    scores = {GradeAxis.LEGAL: 85, GradeAxis.TECHNICAL: 90, GradeAxis.MARKET: 70}
    assert services.suggest(labels, scores).name == "B"  # market below A's 80
    assert services.suggest(labels, {**scores, GradeAxis.MARKET: 80}).name == "A"
    assert services.suggest(labels, {**scores, GradeAxis.MARKET: None}) is None  # all three scores needed
    # labels not stored yet read like stored ones (the API documents every description as a string)
    assert all(isinstance(criterion.description, str) for label in labels for criterion in label.criteria)


def test_batch_grading_by_scores_records_history_with_who_and_why(ctx, university):
    first, second = factories.make_patent(university), factories.make_patent(university)
    services.grade_patents(university.load(), [
        {"patent_id": first.id, "legal": 90, "technical": 85, "market": 80, "grade": "suggested"},
        {"patent_id": second.id, "legal": 50, "technical": 45, "market": 41, "grade": "suggested"}],
        note="2026 年度评审")
    transaction.commit()
    assert _grade(first.id) == "A" and _grade(second.id) == "C"
    patent, [change] = services.history(university.load(), first.id)
    assert (change.from_name, change.to_name, change.source, change.note) == (None, "A", "criteria", "2026 年度评审")
    assert (change.legal_score, change.technical_score, change.market_score) == (90, 85, 80)
    assert change.changed_by_id == university.id


def test_a_wrong_row_saves_nothing_and_is_named(ctx, university):
    good, other = factories.make_patent(university), factories.make_patent(university)
    with pytest.raises(ValidationFailed) as error:
        services.grade_patents(university.load(), [
            {"patent_id": good.id, "legal": 90, "technical": 90, "market": 90, "grade": "A"},
            {"patent_id": other.id, "legal": 101, "technical": 1, "market": 1, "grade": "Z"}])
    assert set(error.value.fields) == {"rows[2].legal", "rows[2].grade"}
    transaction.rollback()
    assert _grade(good.id) is None


def test_a_manual_grade_change_elsewhere_is_in_the_history(ctx, university):
    patent = factories.make_patent(university)
    user = university.load()
    patents.save_patent(user.organisation, patents.validate_patent_values({"grade": "b"}, user.organisation,
                                                                          partial=True),
                        patent=db.session.get(Patent, patent.id), actor=user)
    _patent, [change] = services.history(user, patent.id)
    assert (change.from_name, change.to_name, change.source) == (None, "B", "edit")


def test_renaming_a_label_migrates_patents_and_keeps_criteria(ctx, university):
    patent = factories.make_patent(university, grade="A")
    label = _label(university, "A")
    services.ensure_labels(university.load().organisation)
    label = _label(university, "A")
    services.save_label(university.load(), {"name": "核心", "legal_min": 75, "technical_min": 80, "market_min": 80},
                        label.id)
    transaction.commit()
    assert _grade(patent.id) == "核心"
    organisation = university.load().organisation
    assert organisation.grade_labels == ["核心", "B", "C", "D"]
    assert _label(university, "核心").minimum(GradeAxis.LEGAL) == 75
    _patent, history = services.history(university.load(), patent.id)
    assert history[0].source == "rename" and (history[0].from_name, history[0].to_name) == ("A", "核心")


def test_deleting_a_used_label_needs_a_target_and_moves_patents(ctx, university):
    patent = factories.make_patent(university, grade="D")
    services.ensure_labels(university.load().organisation)
    label, target = _label(university, "D"), _label(university, "C")
    with pytest.raises(ValidationFailed):
        services.delete_label(university.load(), label.id)
    services.delete_label(university.load(), label.id, target.id)
    assert _grade(patent.id) == "C"
    assert university.load().organisation.grade_labels == ["A", "B", "C"]


def test_profile_cannot_drop_a_label_in_use(ctx, university):
    factories.make_patent(university, grade="B")
    with pytest.raises(ValidationFailed):
        accounts.update_organisation(university.load(), {"grade_labels": ["A", "C", "D"]})
    accounts.update_organisation(university.load(), {"grade_labels": ["A", "B", "C", "D", "E"]})
    assert [label.name for label in services.labels_of(university.load().organisation)][-1] == "E"


def test_only_managers_edit_labels_members_grade(ctx, university):
    member = factories.add_member(university)
    patent = factories.make_patent(university)
    with pytest.raises(Forbidden):
        services.save_label(member.load(), {"name": "S"})
    services.grade_patents(member.load(), [{"patent_id": patent.id, "grade": "B"}])
    assert _grade(patent.id) == "B"


def test_other_organisations_cannot_grade_or_read_history(ctx, university, other_university, company, agency):
    patent = factories.make_patent(university)
    with pytest.raises(ValidationFailed):  # not one of its patents: named, nothing saved
        services.grade_patents(other_university.load(), [{"patent_id": patent.id, "grade": "A"}])
    with pytest.raises(NotFound):
        services.history(other_university.load(), patent.id)
    with pytest.raises(Forbidden):
        services.sheet(agency.load())
    assert _grade(patent.id) is None


def test_pages_sheet_and_history(app, client, login, university, other_university):
    with app.app_context():
        patent = factories.make_patent(university)
    login(university)
    page = client.get("/office/grading").get_data(as_text=True)
    assert 'data-label="A"' in page and "法律稳定性" in page
    sheet = client.get("/office/grading/sheet").get_data(as_text=True)
    assert f'data-patent="{patent.id}"' in sheet
    response = client.post("/office/grading/sheet", data={
        "patent_id": [str(patent.id)], f"legal-{patent.id}": "70", f"technical-{patent.id}": "65",
        f"market-{patent.id}": "60", f"grade-{patent.id}": "suggested"})
    assert response.status_code == 302
    history = client.get(f"/office/grading/patents/{patent.id}").get_data(as_text=True)
    assert 'data-grade>B<' in history and "按标准评分" in history
    client.post("/logout")
    login(other_university)
    assert client.get(f"/office/grading/patents/{patent.id}").status_code == 404


def test_pages_need_sign_in_and_a_supplier(client, login, bank):
    assert client.get("/office/grading").status_code == 302
    login(bank)
    assert client.get("/office/grading").status_code == 403
    assert client.post("/office/grading/labels", data={"name": "X"}).status_code in (302, 403)


def test_api_labels_grades_history(app, client, token_for, university):
    with app.app_context():
        patent = factories.make_patent(university)
    headers = token_for(university)
    labels = client.get("/api/v1/grading/labels", headers=headers).get_json()
    assert [label["name"] for label in labels] == ["A", "B", "C", "D"]
    graded = client.post("/api/v1/grading/grades", headers=headers, json={"rows": [
        {"patent_id": patent.id, "legal": 95, "technical": 95, "market": 95, "grade": "suggested"}]})
    assert graded.status_code == 200 and graded.get_json()[0]["grade"] == "A"
    bad = client.post("/api/v1/grading/grades", headers=headers, json={"rows": [{"patent_id": patent.id,
                                                                                  "legal": 500}]})
    assert bad.status_code == 422
    history = client.get(f"/api/v1/grading/patents/{patent.id}/history", headers=headers).get_json()
    assert history[0]["to_name"] == "A" and history[0]["source"] == "criteria"
