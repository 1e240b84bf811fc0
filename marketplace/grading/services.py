"""Grade labels with criteria, grading patents by their scores, and each patent's grade history.

Owners and admins of an organisation that lists patents configure its labels
(name, rank, description, minimum score per axis); any member grades. A
patent's three scores (0–100) suggest the highest-ranked label whose every
minimum they meet. Grades reach the patent through ``patents.services``
(``grading.hooks`` keeps the history), so search, lists and the audit log see
every change.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import DEFAULT_GRADE_LABELS, Organisation, User
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.outbox import record_changes
from marketplace.accounts.permissions import require_organisation
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.extensions import db
from marketplace.grading.hooks import grade_source
from marketplace.grading.models import MAX_SCORE, GradeAxis, GradeChange, GradeCriterion, GradeLabel, PatentGrade
from marketplace.navigation import SUPPLY
from marketplace.patents.models import Patent
from marketplace.accounts.permissions import get_visible

ENTITY = "grade_label"
MAX_LABELS = 10
# The seeds' default grading (DOMAIN.md §2): A core/high value, ready to license; B promising; C ordinary;
# D candidate to abandon. Minimum scores per axis (legal, technical, market), 0–100.
DEFAULT_CRITERIA = {
    "A": (_l("核心/高价值专利，可立即推广许可"), (80, 80, 80)),
    "B": (_l("有潜力的专利，需培育或组合"), (60, 60, 60)),
    "C": (_l("一般专利"), (40, 40, 40)),
    "D": (_l("拟放弃维持的专利"), (0, 0, 0)),
}


def _default_description(name: str) -> tuple[str, tuple[int, int, int]]:
    """A default label's description as stored: the platform's language, whatever the visitor's."""
    description, minimums = DEFAULT_CRITERIA.get(name, ("", (0, 0, 0)))
    with force_locale("zh"):
        return str(description), minimums


def grading_office(user: User) -> Organisation:
    """The user's organisation, when it lists patents (universities, institutes, companies)."""
    return require_organisation(user, SUPPLY)


def _manager(user: User) -> Organisation:
    organisation = grading_office(user)
    if user.role is None or not user.role.manages_members:
        raise Forbidden(_("仅机构管理员可以设置分级标准"))
    return organisation


def labels_of(organisation: Organisation) -> list[GradeLabel]:
    """The organisation's labels, highest first, with their criteria (unsaved defaults when none were stored yet)."""
    labels = list(db.session.scalars(select(GradeLabel).where(GradeLabel.organisation_id == organisation.id)
                                     .options(selectinload(GradeLabel.criteria)).order_by(GradeLabel.position)))
    return labels or _defaults(organisation, shown=True)


def _defaults(organisation: Organisation, *, shown: bool = False) -> list[GradeLabel]:
    """The labels an organisation starts with; ``shown``: descriptions in the visitor's language (not stored)."""
    labels = []
    for position, name in enumerate(organisation.grade_labels or DEFAULT_GRADE_LABELS, start=1):
        description, minimums = _default_description(name)
        if shown and name in DEFAULT_CRITERIA:
            description = str(DEFAULT_CRITERIA[name][0])
        labels.append(GradeLabel(organisation_id=organisation.id, name=name, position=position,
                                 description=description,
                                 criteria=[GradeCriterion(axis=axis, description="", min_score=minimum)
                                           for axis, minimum in zip(GradeAxis, minimums)]))
    return labels


def ensure_labels(organisation: Organisation) -> list[GradeLabel]:
    """The stored labels, creating them from the organisation's label names (A–D with criteria by default)."""
    labels = list(db.session.scalars(select(GradeLabel).where(GradeLabel.organisation_id == organisation.id)
                                     .order_by(GradeLabel.position)))
    if labels:
        return labels
    labels = _defaults(organisation)
    db.session.add_all(labels)
    db.session.flush()
    return labels


def _mirror(organisation: Organisation) -> None:
    """``Organisation.grade_labels`` lists the label names in rank order (what patent validation accepts)."""
    names = list(db.session.scalars(select(GradeLabel.name).where(GradeLabel.organisation_id == organisation.id)
                                    .order_by(GradeLabel.position)))
    if organisation.grade_labels != names:
        organisation.grade_labels = names


def _label(organisation: Organisation, label_id: Any, field: str = "label_id") -> GradeLabel:
    try:
        label = db.session.get(GradeLabel, int(label_id))
    except (TypeError, ValueError):
        label = None
    if label is None or label.organisation_id != organisation.id:
        raise NotFound(_("分级标签不存在"))
    return label


def _score(value: Any, field: str, errors: dict[str, str], *, required: bool = False) -> int | None:
    if value in (None, ""):
        if required:
            errors[field] = _("必填")
        return None
    try:
        score = int(str(value).strip())
    except ValueError:
        errors[field] = _("应为 0–%(max)d 的整数", max=MAX_SCORE)
        return None
    if not 0 <= score <= MAX_SCORE:
        errors[field] = _("应为 0–%(max)d 的整数", max=MAX_SCORE)
        return None
    return score


def save_label(user: User, raw: Mapping[str, Any], label_id: int | None = None) -> GradeLabel:
    """Create or edit a label: name, rank, description and per axis a criterion and its minimum score.

    Renaming migrates every patent graded with the label (their displayed
    grade changes, search is updated; the history keeps the label record).
    """
    organisation = _manager(user)
    labels = ensure_labels(organisation)
    errors: dict[str, str] = {}
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 16:
        errors["name"] = _("须填写标签名称（≤16字）")
    elif any(other.name.upper() == name.upper() and other.id != label_id for other in labels):
        errors["name"] = _("已有同名标签")
    criteria = {}
    for axis in GradeAxis:
        minimum = _score(raw.get(f"{axis.value}_min", 0), f"{axis.value}_min", errors)
        text = str(raw.get(f"{axis.value}_criterion") or "").strip()
        if len(text) > 500:
            errors[f"{axis.value}_criterion"] = _("最多 %(n)d 字", n=500)
        criteria[axis] = (text, minimum or 0)
    if label_id is None and len(labels) >= MAX_LABELS:
        errors["name"] = _("最多 %(n)d 个分级标签", n=MAX_LABELS)
    if errors:
        raise ValidationFailed(str(_("；")).join(errors.values()), errors)
    if label_id is None:
        label = GradeLabel(organisation_id=organisation.id, name=name, position=len(labels) + 1)
        db.session.add(label)
        changes: dict[str, Any] = {"name": [None, name]}
        renamed: list[int] = []
    else:
        label = _label(organisation, label_id)
        old_name = label.name
        changes = diff(label, {"name": name})
        renamed = _rename_patents(user, organisation, old_name, name) if "name" in changes else []
    changes.update(diff(label, {"description": str(raw.get("description") or "").strip()[:500]}))
    for axis, (text, minimum) in criteria.items():
        criterion = label.criterion(axis)
        if criterion is None:
            criterion = GradeCriterion(axis=axis)
            label.criteria.append(criterion)
        found = diff(criterion, {"description": text, "min_score": minimum})
        changes.update({f"{axis.value}_{key}": value for key, value in found.items()})
    if raw.get("position") not in (None, ""):
        _move(organisation, label, raw.get("position"))
    db.session.flush()
    _mirror(organisation)
    record_audit("grade_label.saved", ENTITY, label.id, {**changes, "patents_renamed": len(renamed)}, actor=user)
    return label


def _graded(organisation: Organisation, name: str) -> list[int]:
    return list(db.session.scalars(select(Patent.id).where(Patent.owner_id == organisation.id,
                                                           Patent.grade == name)))


def _rename_patents(user: User, organisation: Organisation, old: str, new: str) -> list[int]:
    """Every patent of the organisation graded ``old`` now shows ``new`` (history kept); search reindexes them."""
    ids = _graded(organisation, old)
    if ids:
        db.session.execute(update(Patent).where(Patent.id.in_(ids)).values(grade=new, updated_at=utcnow())
                           .execution_options(synchronize_session="fetch"))
        db.session.execute(GradeChange.__table__.insert(), [
            {"patent_id": patent_id, "organisation_id": organisation.id, "from_name": old, "to_name": new,
             "source": "rename", "note": "", "changed_by_id": user.id, "changed_at": utcnow()} for patent_id in ids])
        record_changes("patent", ids)
    return ids


def _move(organisation: Organisation, label: GradeLabel, raw: Any) -> None:
    labels = [other for other in ensure_labels(organisation) if other.id != label.id]
    try:
        position = max(1, min(len(labels) + 1, int(raw)))
    except (TypeError, ValueError):
        raise ValidationFailed.field("position", _("应为整数")) from None
    labels.insert(position - 1, label)
    for rank, other in enumerate(labels, start=1):
        other.position = rank


def delete_label(user: User, label_id: int, move_to: Any = None) -> None:
    """Remove a label; patents graded with it move to ``move_to`` (required when there are any), with history."""
    organisation = _manager(user)
    label = _label(organisation, label_id)
    graded = _graded(organisation, label.name)
    if len(ensure_labels(organisation)) <= 1:
        raise Conflict(_("至少保留一个分级标签"))
    target = None
    if graded:
        if move_to in (None, ""):
            raise ValidationFailed.field("move_to", _("有 %(n)d 件专利使用该标签，请选择将其并入的标签", n=len(graded)))
        target = _label(organisation, move_to, "move_to")
        if target.id == label.id:
            raise ValidationFailed.field("move_to", _("请选择另一个标签"))
        _regrade(user, organisation, graded, target.name, source="merge")
    record_audit("grade_label.deleted", ENTITY, label.id,
                 {"name": label.name, "moved_to": target.name if target else None, "patents": len(graded)}, actor=user)
    db.session.delete(label)
    db.session.flush()
    for rank, other in enumerate(ensure_labels(organisation), start=1):
        other.position = rank
    _mirror(organisation)


def set_label_names(user: User, organisation: Organisation, names: Sequence[str]) -> None:
    """The organisation profile's label list: keep labels by name, add new ones, drop unused ones, in this order.

    A label still used by patents cannot be dropped here (rename or merge it
    on the grading page instead), so no patent's grade is left dangling.
    """
    labels = {label.name: label for label in ensure_labels(organisation)}
    dropped = [label for name, label in labels.items() if name not in names]
    used = [label.name for label in dropped if _graded(organisation, label.name)]
    if used:
        raise ValidationFailed.field("grade_labels", _("分级 %(labels)s 仍有专利在用，请在分级标准页面改名或合并",
                                                       labels=str(_("、")).join(used)))
    for label in dropped:
        db.session.delete(label)
    db.session.flush()
    for position, name in enumerate(names, start=1):
        label = labels.get(name)
        if label is None:
            description, minimums = _default_description(name)
            label = GradeLabel(organisation_id=organisation.id, name=name, description=description, position=position,
                               criteria=[GradeCriterion(axis=axis, min_score=m) for axis, m in zip(GradeAxis, minimums)])
            db.session.add(label)
        label.position = position
    db.session.flush()
    _mirror(organisation)


def suggest(labels: Sequence[GradeLabel], scores: Mapping[GradeAxis, int | None]) -> GradeLabel | None:
    """The highest-ranked label whose minimum on every axis the scores meet (None without all three scores)."""
    if any(scores.get(axis) is None for axis in GradeAxis):
        return None
    return next((label for label in sorted(labels, key=lambda lb: lb.position)
                 if all(scores[axis] >= label.minimum(axis) for axis in GradeAxis)), None)


@dataclass
class SheetRow:
    """One row of the grading sheet: the patent, its scores, its grade and the grade its scores suggest."""

    patent: Patent
    grade: PatentGrade | None
    suggestion: GradeLabel | None


def sheet(user: User, *, only_ungraded: bool = False, grade: str | None = None, page: int = 1,
          per_page: int = 50) -> tuple[list[SheetRow], int, list[GradeLabel]]:
    """The organisation's patents with their scores and suggested grades, for batch grading."""
    organisation = grading_office(user)
    labels = labels_of(organisation)
    stmt = select(Patent).where(Patent.owner_id == organisation.id)
    if only_ungraded:
        stmt = stmt.where(Patent.grade.is_(None))
    elif grade:
        stmt = stmt.where(Patent.grade == grade)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    patents = list(db.session.scalars(stmt.order_by(Patent.id).limit(per_page).offset((page - 1) * per_page)))
    grades = {g.patent_id: g for g in db.session.scalars(
        select(PatentGrade).where(PatentGrade.patent_id.in_([p.id for p in patents])))} if patents else {}
    rows = [SheetRow(p, grades.get(p.id),
                     suggest(labels, {axis: grades[p.id].score(axis) for axis in GradeAxis}) if p.id in grades else None)
            for p in patents]
    return rows, total, labels


def grade_patents(user: User, rows: Iterable[Mapping[str, Any]], *, note: str = "") -> list[Patent]:
    """Batch grading: per patent its scores on the three axes and its grade.

    Each row is ``{"patent_id", "legal", "technical", "market", "grade"}``;
    ``grade`` may be a label name, ``"suggested"`` (the label the scores
    suggest) or absent (keep the grade, record the scores). Every wrong value
    is named with its row; nothing is saved unless all rows are valid.
    """
    organisation = grading_office(user)
    labels = ensure_labels(organisation)
    by_name = {label.name.upper(): label for label in labels}
    errors: dict[str, str] = {}
    plans: list[tuple[Patent, dict[GradeAxis, int | None], GradeLabel | None, bool]] = []
    rows = list(rows)
    if not rows:
        raise ValidationFailed.field("patent_ids", _("请选择要分级的专利"))
    ids = {}
    for index, row in enumerate(rows, start=1):
        try:
            ids[index] = int(row.get("patent_id"))
        except (TypeError, ValueError):
            errors[f"rows[{index}].patent_id"] = _("专利不存在")
    patents = {p.id: p for p in db.session.scalars(select(Patent).where(Patent.id.in_(list(ids.values())),
                                                                        Patent.owner_id == organisation.id))}
    for index, row in enumerate(rows, start=1):
        patent = patents.get(ids.get(index))
        if patent is None:
            errors[f"rows[{index}].patent_id"] = _("专利不存在")
            continue
        scores = {axis: _score(row.get(axis.value), f"rows[{index}].{axis.value}", errors) for axis in GradeAxis}
        wanted = str(row.get("grade") or "").strip()
        label, change = None, bool(wanted)
        if wanted == "suggested":
            label = suggest(labels, scores)
            if label is None:
                errors[f"rows[{index}].grade"] = _("三项评分齐全且满足某一分级的标准时才能采用建议分级")
        elif wanted:
            label = by_name.get(wanted.upper())
            if label is None:
                errors[f"rows[{index}].grade"] = _("分级 %(grade)s 不在本机构的分级标签中", grade=wanted)
        plans.append((patent, scores, label, change))
    if errors:
        raise ValidationFailed(str(_("；")).join(list(errors.values())[:5]), errors)
    for patent, scores, label, change in plans:
        _apply_scores(user, organisation, patent, scores, label, change, note)
    return [plan[0] for plan in plans]


def _apply_scores(user: User, organisation: Organisation, patent: Patent, scores: Mapping[GradeAxis, int | None],
                  label: GradeLabel | None, change: bool, note: str) -> None:
    from marketplace.patents.services import save_patent
    from marketplace.patents.validation import PatentValues

    grade = db.session.get(PatentGrade, patent.id)
    if grade is None:
        grade = PatentGrade(patent_id=patent.id)
        db.session.add(grade)
    given = {f"{axis.value}_score": value for axis, value in scores.items() if value is not None}
    scores_changed = diff(grade, given)
    grade.note = (note or "").strip()[:1000]
    grade.graded_by_id, grade.graded_at = user.id, utcnow()
    db.session.flush()
    if change and label is not None and (patent.grade or "") != label.name:
        with grade_source("criteria", user.id, grade.note):
            save_patent(organisation, PatentValues({"grade": label.name}), patent=patent, actor=user)
    elif scores_changed:
        db.session.add(GradeChange(patent_id=patent.id, organisation_id=organisation.id, from_name=patent.grade,
                                   to_name=patent.grade, legal_score=grade.legal_score,
                                   technical_score=grade.technical_score, market_score=grade.market_score,
                                   source="criteria", note=grade.note, changed_by_id=user.id))
    if scores_changed:
        record_audit("patent.scored", "patent", patent.id, scores_changed, actor=user,
                     organisation_id=organisation.id)


def _regrade(user: User, organisation: Organisation, patent_ids: list[int], name: str, source: str) -> None:
    from marketplace.patents.services import save_patent
    from marketplace.patents.validation import PatentValues

    with grade_source(source, user.id):
        for patent in db.session.scalars(select(Patent).where(Patent.id.in_(patent_ids))):
            save_patent(organisation, PatentValues({"grade": name}), patent=patent, actor=user)


def history(user: User, patent_id: int) -> tuple[Patent, list[GradeChange]]:
    """A patent and its grade changes, newest first, for members of its owner (404 for anyone else)."""
    grading_office(user)
    patent = get_visible(user, Patent, patent_id, lambda row: [row.owner_id], _("专利不存在"), admins=False)
    return patent, list(db.session.scalars(select(GradeChange).where(GradeChange.patent_id == patent_id)
                                           .options(selectinload(GradeChange.changed_by))
                                           .order_by(GradeChange.id.desc())))


def patent_grade(patent_id: int) -> PatentGrade | None:
    return db.session.get(PatentGrade, patent_id)
