"""API: grade labels with criteria, batch scoring and grading, a patent's grade history.

Members of an organisation that lists patents read its labels and grade its
patents; its owners and admins edit the labels. Renaming a label renames
the grade of every patent that carries it.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, api_user
from marketplace.grading import services
from marketplace.grading.models import MAX_SCORE, GradeAxis

blp = Blueprint("grading_api", __name__, url_prefix="/grading",
                description="Grading with criteria: the organisation's grade labels, each with a criterion and a "
                            "minimum score (0–100) on the axes `legal` (法律稳定性), `technical` (技术先进性) and "
                            "`market` (市场前景); a patent's three scores suggest the highest-ranked label whose "
                            "every minimum they meet.")

_score = fields.Integer(allow_none=True, validate=validate.Range(0, MAX_SCORE))


class CriterionSchema(Schema):
    axis = fields.Enum(GradeAxis, by_value=True)
    description = fields.String()
    min_score = fields.Integer()


class LabelSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null until the labels were first stored"})
    name = fields.String()
    position = fields.Integer(metadata={"description": "1 is the highest grade"})
    description = fields.String()
    criteria = fields.List(fields.Nested(CriterionSchema))


class LabelInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=16))
    position = fields.Integer(validate=validate.Range(1, 100))
    description = fields.String(validate=validate.Length(max=500))
    legal_min = _score
    technical_min = _score
    market_min = _score
    legal_criterion = fields.String(validate=validate.Length(max=500))
    technical_criterion = fields.String(validate=validate.Length(max=500))
    market_criterion = fields.String(validate=validate.Length(max=500))


class GradeRowSchema(Schema):
    patent_id = fields.Integer(required=True)
    legal = _score
    technical = _score
    market = _score
    grade = fields.String(validate=validate.Length(max=16),
                          metadata={"description": "a label name, `suggested`, or absent to keep the grade"})


class GradeBatchSchema(Schema):
    rows = fields.List(fields.Nested(GradeRowSchema), required=True, validate=validate.Length(min=1, max=500))
    note = fields.String(validate=validate.Length(max=1000))


class GradedSchema(Schema):
    id = fields.Integer()
    application_number = fields.String()
    grade = fields.String(allow_none=True)


class ChangeSchema(Schema):
    changed_at = fields.DateTime()
    from_name = fields.String(allow_none=True)
    to_name = fields.String(allow_none=True)
    legal_score = fields.Integer(allow_none=True)
    technical_score = fields.Integer(allow_none=True)
    market_score = fields.Integer(allow_none=True)
    source = fields.String(metadata={"description": "edit | criteria | rename | merge"})
    note = fields.String()
    changed_by = fields.String(attribute="changed_by.name", allow_none=True)


@blp.get("/labels")
@blp.response(200, LabelSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_labels():
    """The caller's organisation's labels, highest first, with their criteria."""
    return services.labels_of(services.grading_office(api_user()))


@blp.post("/labels")
@blp.arguments(LabelInputSchema)
@blp.response(201, LabelSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not an owner or admin")
@blp.alt_response(422, schema=ErrorSchema)
def create_label(body: dict):
    return services.save_label(api_user(), body)


@blp.put("/labels/<int:label_id>")
@blp.arguments(LabelInputSchema)
@blp.response(200, LabelSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not an owner or admin")
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def update_label(body: dict, label_id: int):
    """Edit a label; a new name renames the grade of every patent graded with it (history kept)."""
    return services.save_label(api_user(), body, label_id)


@blp.post("/grades")
@blp.arguments(GradeBatchSchema)
@blp.response(200, GradedSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema, description="any row wrong: nothing saved, each error named by row")
def grade(body: dict):
    """Batch grading: scores per patent and its grade (a label, `suggested`, or unchanged)."""
    return services.grade_patents(api_user(), body["rows"], note=body.get("note", ""))


@blp.get("/patents/<int:patent_id>/history")
@blp.response(200, ChangeSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema, description="not a patent of the caller's organisation")
def history(patent_id: int):
    """The patent's grade changes, newest first."""
    return services.history(api_user(), patent_id)[1]
