"""API: the open-license catalogue, declarations and their eligibility, accepting, paying."""
from __future__ import annotations

from flask import send_file
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, PageArgs, PageMeta, api_user, page_meta
from marketplace.api.inputs import Choice, Parsed, Text
from marketplace.consents.api import ProposalSchema
from marketplace.core.dates import local_today
from marketplace.openlicense import licensing, payments, services
from marketplace.openlicense.models import DeclarationStatus, PaymentStatus
from marketplace.openlicense.terms import (
    COUNTS, MAX_FEE_EXPLANATION, PaymentMethod, RoyaltyBase, parse_count, parse_rate,
)

blp = Blueprint("openlicense_api", __name__, url_prefix="", description="开放许可 / open licenses")

OPTIONAL_AUTH: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


class OpenLicensePartySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class OpenLicensePatentSchema(Schema):
    id = fields.Integer()
    application_number = fields.String()
    title = fields.String()
    patent_type = fields.String()


class DeclarationSchema(Schema):
    id = fields.Integer()
    status = fields.Enum(DeclarationStatus, by_value=True)
    patent = fields.Nested(OpenLicensePatentSchema)
    owner = fields.Nested(OpenLicensePartySchema)
    payment_method = fields.Enum(PaymentMethod, by_value=True)
    fee_type = fields.String(metadata={"description": "fixed, royalty or free"})
    fixed_fee = Money(metadata={"description": "lump sum or entry fee, CNY"})
    royalty_rate = fields.Decimal(places=2, as_string=True, allow_none=True)
    royalty_base = fields.Enum(RoyaltyBase, by_value=True, allow_none=True)
    term_start = fields.Date()
    term_end = fields.Date()
    trial_months = fields.Integer(metadata={"description": "use first, pay later: months before anything is due"})
    installments = fields.Integer()
    installment_interval_months = fields.Integer()
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    commitment = fields.Boolean()
    fee_explanation = fields.String()
    terms_version = fields.Integer(metadata={"description": "raised by every edit of the draft"})
    announced_on = fields.Date(allow_none=True)
    withdrawn_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True, metadata={"description": "the patent terminated, expired or was "
                                                                     "invalidated: the declaration ended"})
    end_reason = fields.String(allow_none=True, metadata={"description": "the legal status that ended it"})
    suspended = fields.Boolean(metadata={"description": "listed, but accepting no new licensee (see flag_reasons)"})
    needs_withdrawal = fields.Boolean()
    flag_reasons = fields.List(fields.String(), attribute="flag_messages")
    licensees = fields.Integer(attribute="licensee_count")
    proposals = fields.List(fields.Nested(ProposalSchema),
                            metadata={"description": "publication and withdrawal, with the patentee's and every "
                                                     "co-owner's consent"})


def _count(name: str) -> Parsed:
    low, high, default = COUNTS[name]
    return Parsed(parse_count, load_default=default, metadata={"type": "integer", "minimum": low, "maximum": high})


class DeclarationWriteSchema(Schema):
    """A declaration's terms: the API's body and the builder page's form (``api.inputs.load_form``); the service
    checks how they fit together (fee and method, rate ceilings, the term against the patent's)."""

    action = fields.String(load_default="draft", validate=validate.OneOf(["draft", "publish"]),
                           metadata={"description": "draft saves; publish also announces after the eligibility check"})
    payment_method = fields.String(required=True, validate=Choice(PaymentMethod))
    fixed_fee = Money(allow_none=True, metadata={"description": "lump sum or entry fee ≤ ¥20,000,000"})
    royalty_rate = Parsed(parse_rate, allow_none=True, metadata={
        "label": _l("提成比例（%）"), "description": "royalty in percent (≤20 of sales, ≤40 of profit)",
        "example": "3.50"})
    royalty_base = fields.String(allow_none=True, validate=Choice(RoyaltyBase),
                                 metadata={"description": "for entry_fee_royalty: sales (≤20%) or profit (≤40%)"})
    term_start = fields.Date(allow_none=True, metadata={"label": _l("许可期限起")})
    term_end = fields.Date(required=True, metadata={"label": _l("许可期限止")})
    trial_months = _count("trial_months")
    installments = _count("installments")
    installment_interval_months = _count("installment_interval_months")
    contact_name = Text(required=True, max=100, metadata={"label": _l("专利权人联系人")})
    contact_phone = Text(max=40, allow_none=True)
    contact_email = Text(max=254, allow_none=True)
    commitment = fields.Boolean(load_default=False)
    fee_explanation = Text(max=MAX_FEE_EXPLANATION, load_default="")


class CatalogueArgs(PageArgs):
    q = fields.String(metadata={"description": "text in the patent's title, abstract or number"})
    patent_type = fields.String(validate=validate.OneOf(["invention", "utility_model", "design"]))
    payment_method = fields.String(validate=Choice(PaymentMethod))
    fee_type = fields.String(validate=validate.OneOf(["fixed", "royalty", "free"]))
    segment = fields.String()
    owner_id = fields.Integer()


class CataloguePage(Schema):
    items = fields.List(fields.Nested(DeclarationSchema))
    meta = fields.Nested(PageMeta)


class EligibilityReasonSchema(Schema):
    code = fields.String()
    message = fields.String()


class EligibilitySchema(Schema):
    patent_id = fields.Integer(attribute="patent.id")
    eligible = fields.Boolean()
    reasons = fields.List(fields.Nested(EligibilityReasonSchema), attribute="refusals")
    expiry = fields.Date(allow_none=True, metadata={"description": "the latest date a license term may end"})
    declaration_id = fields.Integer(attribute="declaration.id", allow_none=True)


class WithdrawSchema(Schema):
    reason = Text(max=500, load_default="", metadata={"label": _l("撤回说明")})


class InstallmentSchema(Schema):
    id = fields.Integer()
    sequence = fields.Integer()
    kind = fields.String(metadata={"description": "fee (fixed amount) or royalty (amount reported)"})
    due_date = fields.Date()
    amount = Money(allow_none=True, metadata={"description": "a royalty period's is null until it is reported"})
    period_end = fields.Date(allow_none=True, metadata={"description": "a royalty period's last day"})
    paid_amount = Money()
    settled = fields.Boolean(attribute="is_settled")
    overdue = fields.Function(lambda installment: installment.is_overdue(local_today()))


class EvidenceSchema(Schema):
    name = fields.String(attribute="evidence_name")
    content_type = fields.String(attribute="evidence_type")
    size = fields.Integer(attribute="evidence_size")


class PaymentSchema(Schema):
    id = fields.Integer()
    license_id = fields.Integer()
    installment_id = fields.Integer(allow_none=True)
    amount = Money()
    paid_on = fields.Date()
    reference = fields.String(allow_none=True)
    status = fields.Enum(PaymentStatus, by_value=True, metadata={
        "description": "reported (awaiting the licensor), confirmed (counts as paid), rejected"})
    confirmed_at = fields.DateTime(allow_none=True)
    evidence = fields.Function(lambda p: EvidenceSchema().dump(p) if p.evidence_path else None, allow_none=True)
    proposals = fields.List(fields.Nested(ProposalSchema))


class LicenseSchema(Schema):
    id = fields.Integer()
    declaration_id = fields.Integer()
    patent = fields.Nested(OpenLicensePatentSchema)
    licensor = fields.Nested(OpenLicensePartySchema)
    licensee = fields.Nested(OpenLicensePartySchema)
    fee_type = fields.String()
    fixed_fee = Money()
    notice_date = fields.Date()
    effective_on = fields.Date(allow_none=True)
    effective = fields.Boolean(attribute="is_effective")
    term_end = fields.Date()
    recordal_number = fields.String(allow_none=True)
    recorded_on = fields.Date(allow_none=True)
    recordal_deadline = fields.Date(metadata={"description": "备案 within 3 months"})
    paid_total = Money(metadata={"description": "confirmed by the licensor; reported payments do not count"})
    installments = fields.List(fields.Nested(InstallmentSchema))
    payments = fields.List(fields.Nested(PaymentSchema))


class PaymentWriteSchema(Schema):
    """A licensee's payment: the API's body and the license page's form (its evidence file comes apart)."""

    amount = Money(required=True)
    paid_on = fields.Date(allow_none=True)
    installment_id = fields.Integer(allow_none=True)
    reference = Text(max=100, allow_none=True)


class PaymentResult(PaymentSchema):
    license = fields.Nested(LicenseSchema)


class EvidenceUpload(Schema):
    evidence = Upload(required=True, metadata={"description": "PDF, PNG or JPEG, at most EVIDENCE_MAX_MB"})


class RecordalSchema(Schema):
    recordal_number = Text(required=True, max=64, metadata={"label": _l("备案号")})
    recorded_on = fields.Date(allow_none=True, metadata={"label": _l("备案日期")})


@blp.get("/open-licenses")
@blp.arguments(CatalogueArgs, location="query")
@blp.response(200, CataloguePage)
@blp.alt_response(422, schema=ErrorSchema)
@blp.doc(security=OPTIONAL_AUTH)
def catalogue(args: dict):
    """Published open licenses with their declared terms, newest first."""
    items, total = services.search_catalogue(args, args["page"], args["per_page"])
    return {"items": items, "meta": page_meta(args["page"], args["per_page"], total)}


@blp.get("/open-licenses/<int:declaration_id>")
@blp.response(200, DeclarationSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.doc(security=OPTIONAL_AUTH)
def get_declaration(declaration_id: int):
    """One declaration (drafts only for their owner)."""
    return services.get_declaration(api_user(required=False), declaration_id)


@blp.post("/patents/<int:patent_id>/open-license")
@blp.arguments(DeclarationWriteSchema)
@blp.response(201, DeclarationSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="ineligible: `fields` names every reason")
@blp.alt_response(422, schema=ErrorSchema)
def declare(body: dict, patent_id: int):
    """Save the patent's draft declaration; ``action=publish`` announces it if the patent is eligible."""
    publish = body.pop("action") == "publish"
    return services.save_declaration(api_user(), patent_id, body, publish=publish)


@blp.get("/patents/<int:patent_id>/open-license/eligibility")
@blp.response(200, EligibilitySchema)
@blp.alt_response(404, schema=ErrorSchema)
def eligibility(patent_id: int):
    """Every reason (if any) the patent may not be declared for open license now."""
    return services.check_eligibility(api_user(), patent_id)


@blp.post("/open-licenses/<int:declaration_id>/withdraw")
@blp.arguments(WithdrawSchema)
@blp.response(200, DeclarationSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def withdraw(body: dict, declaration_id: int):
    """Withdraw the declaration; licenses already obtained stay valid."""
    return services.withdraw_declaration(api_user(), declaration_id, body["reason"])


@blp.post("/open-licenses/<int:declaration_id>/accept")
@blp.response(201, LicenseSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def accept(declaration_id: int):
    """Give written notice and obtain the license (effective now, or once the fee due now is paid)."""
    return licensing.accept_open_license(api_user(), declaration_id)


@blp.get("/licenses")
@blp.response(200, LicenseSchema(many=True))
def my_licenses():
    """Licenses the caller's organisation holds or granted through open licenses."""
    return licensing.licenses_of(api_user())


@blp.get("/licenses/<int:license_id>")
@blp.response(200, LicenseSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_license(license_id: int):
    """A license with its schedule (overdue flags) and payments; for its parties and platform admins."""
    return licensing.get_license(api_user(), license_id)


@blp.post("/licenses/<int:license_id>/payments")
@blp.arguments(PaymentWriteSchema)
@blp.response(201, PaymentResult)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def record_payment(body: dict, license_id: int):
    """Report a payment against an installment (default: the earliest not yet covered).

    Reported by the licensee it counts only once the licensor confirms it
    (``POST /consents/{id}/approve``); recorded by the licensor it is confirmed.
    """
    return payments.record_payment(api_user(), license_id, body)


@blp.post("/licenses/<int:license_id>/payments/<int:payment_id>/evidence")
@blp.arguments(EvidenceUpload, location="files")
@blp.response(200, PaymentSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def add_evidence(files: dict, license_id: int, payment_id: int):
    """Attach the evidence (receipt, bank slip) of a payment awaiting confirmation."""
    return payments.add_evidence(api_user(), license_id, payment_id, files["evidence"])


@blp.get("/payments/<int:payment_id>/evidence")
@blp.response(200)
@blp.alt_response(404, schema=ErrorSchema)
def download_evidence(payment_id: int):
    """The payment's evidence file, for the license's parties and platform admins."""
    path, payment = payments.evidence_file(api_user(), payment_id)
    return send_file(path, mimetype=payment.evidence_type, download_name=payment.evidence_name, as_attachment=True)


@blp.post("/licenses/<int:license_id>/recordal")
@blp.arguments(RecordalSchema)
@blp.response(200, LicenseSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def record_recordal(body: dict, license_id: int):
    """Enter the CNIPA recordal (备案) number."""
    return licensing.record_recordal(api_user(), license_id, body["recordal_number"], body.get("recorded_on"))
