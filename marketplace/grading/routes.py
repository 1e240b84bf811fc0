"""Pages: the organisation's grade labels and criteria, the grading sheet (batch scores and grades), grade history.

Every member of an organisation that lists patents sees its labels and grades
its patents; only its owners and admins change the labels (the services decide).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.views import page_number, show_errors
from marketplace.grading import services
from marketplace.grading.models import MAX_SCORE, GradeAxis

bp = Blueprint("grading", __name__)
FIXABLE = (ValidationFailed, Conflict, Forbidden)
PER_PAGE = 50
SOURCE_LABELS = {"edit": _l("编辑专利"), "criteria": _l("按标准评分"), "rename": _l("标签改名"), "merge": _l("标签合并")}


@bp.get("/office/grading")
@login_required
def index():
    organisation = services.grading_office(current_user)
    labels = services.labels_of(organisation)
    can_manage = bool(current_user.role and current_user.role.manages_members)
    return render_template("grading/index.html", labels=labels, axes=list(GradeAxis), can_manage=can_manage,
                           max_score=MAX_SCORE)


@bp.post("/office/grading/labels")
@bp.post("/office/grading/labels/<int:label_id>")
@login_required
def save_label(label_id: int | None = None):
    try:
        services.save_label(current_user, request.form, label_id)
    except FIXABLE as error:
        show_errors(None, error)
    else:
        flash(_("分级标准已保存"), "success")
    return redirect(url_for("grading.index"))


@bp.post("/office/grading/labels/<int:label_id>/delete")
@login_required
def delete_label(label_id: int):
    try:
        services.delete_label(current_user, label_id, request.form.get("move_to"))
    except FIXABLE as error:
        show_errors(None, error)
    else:
        flash(_("分级标签已删除"), "success")
    return redirect(url_for("grading.index"))


@bp.get("/office/grading/sheet")
@login_required
def sheet():
    page = page_number()
    only_ungraded = request.args.get("ungraded") == "1"
    grade = request.args.get("grade") or None
    rows, total, labels = services.sheet(current_user, only_ungraded=only_ungraded, grade=grade, page=page,
                                         per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("grading/sheet.html", rows=rows, total=total, labels=labels, axes=list(GradeAxis),
                           page=page, pages=pages, only_ungraded=only_ungraded, grade=grade, max_score=MAX_SCORE)


def _sheet_rows(form: Any) -> list[dict[str, Any]]:
    """The checked rows of the sheet: ``patent_id`` plus ``<axis>-<id>`` scores and ``grade-<id>``."""
    rows = []
    for raw_id in form.getlist("patent_id"):
        row: dict[str, Any] = {"patent_id": raw_id, "grade": form.get(f"grade-{raw_id}", "")}
        for axis in GradeAxis:
            row[axis.value] = form.get(f"{axis.value}-{raw_id}", "")
        rows.append(row)
    return rows


@bp.post("/office/grading/sheet")
@login_required
def grade():
    try:
        graded = services.grade_patents(current_user, _sheet_rows(request.form), note=request.form.get("note", ""))
    except FIXABLE as error:
        show_errors(None, error)
    else:
        flash(_("已保存 %(n)d 件专利的评分与分级", n=len(graded)), "success")
    return redirect(request.form.get("back") if (request.form.get("back") or "").startswith("/office/grading")
                    else url_for("grading.sheet"))


@bp.get("/office/grading/patents/<int:patent_id>")
@login_required
def history(patent_id: int):
    patent, changes = services.history(current_user, patent_id)
    return render_template("grading/history.html", patent=patent, changes=changes,
                           scores=services.patent_grade(patent_id), axes=list(GradeAxis),
                           source_labels={key: str(label) for key, label in SOURCE_LABELS.items()})
