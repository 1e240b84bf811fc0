"""Payments of a license, confirmed by the payee: reported with evidence, counted once the licensor confirms.

The licensee reports a payment (reference number, date, optionally a receipt
or bank slip as evidence); it counts as paid — towards installments, the
license taking effect, every total — only when the licensor, the payee,
confirms it through its own account (the ``license_payment`` consent). A
payment the licensor records itself is its own confirmation. Evidence files
are kept under the instance folder, PDF or image only, at most
``EVIDENCE_MAX_MB``.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.locking import lock_row
from marketplace.core.models import utcnow
from marketplace.core.money import format_cny, parse_money
from marketplace.extensions import db
from marketplace.openlicense.licensing import get_license, party_license, past_date, update_effect
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentStatus

SUBJECT = "license_payment"
PAGE = ("openlicense.payment", "payment_id")
EVIDENCE_DIR = "payment_evidence"
EVIDENCE_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
# The first bytes each accepted type starts with: the declared type alone is the client's word.
_SIGNATURES = {"application/pdf": (b"%PDF",), "image/png": (b"\x89PNG",), "image/jpeg": (b"\xff\xd8\xff",)}


def payee_parties(proposal: Proposal | None, payment: LicensePayment) -> list[Party]:
    """Whose confirmation a payment needs: the licensor's, which received it. Who may give it for the licensor
    is decided in one place, ``consents.services.may_decide`` (where an agency the licensor authorised belongs)."""
    return [Party(payment.license.licensor_id, ConsentRole.PAYEE)]


def lock_payment(payment_id: int) -> LicensePayment:
    return lock_row(LicensePayment, payment_id, _("付款记录不存在"))


def _installment(grant: LicenseGrant, raw: Any):
    """The installment a payment is for: the one named, or the earliest with something left to pay. A royalty
    period is payable only once reported: until then nobody knows what it owes."""
    if raw not in (None, ""):
        installment = next((i for i in grant.installments if str(i.id) == str(raw)), None)
        if installment is None:
            raise ValidationFailed.field("installment_id", _("不是该许可的付款期"))
        if installment.awaits_report:
            raise Conflict(_("该提成期尚未申报，请先提交提成报告"), {"installment_id": "royalty not reported"})
        if installment.unclaimed <= 0:
            raise Conflict(_("该期已付清或付款待确认"), {"installment_id": "already paid"})
        return installment
    installment = next((i for i in grant.installments if i.amount is not None and i.unclaimed > 0), None)
    if installment is None:
        raise Conflict(_("没有待付款项"), {"amount": "nothing due"})
    return installment


def record_payment(user: User, license_id: int, raw: Mapping[str, Any],
                   evidence: FileStorage | None = None) -> LicensePayment:
    """Report money paid against an installment (default: the earliest not yet covered).

    An installment refuses more than is left once the payments already
    reported are counted, so what a license records never exceeds what was
    declared or, for a royalty period, reported. Reported by the
    licensee it waits for the licensor's confirmation; recorded by the
    licensor it is confirmed at once.
    """
    grant = party_license(user, license_id)
    today = local_today()
    amount = parse_money(raw.get("amount"), "amount", allow_zero=False)
    paid_on = past_date(raw.get("paid_on"), "paid_on", today)
    reference = str(raw.get("reference") or "").strip()[:100] or None
    installment = _installment(grant, raw.get("installment_id"))
    if amount > installment.unclaimed:
        raise ValidationFailed.field("amount", _("超过该期尚未付清或待确认的余额 %(amount)s",
                                                 amount=format_cny(installment.unclaimed)))
    payment = LicensePayment(license=grant, installment=installment, amount=amount, paid_on=paid_on,
                             reference=reference, recorded_by_id=user.id)
    db.session.add(payment)
    db.session.flush()
    if evidence is not None and evidence.filename:
        attach_evidence(payment, evidence)
    record_audit("license.payment_reported", "license", grant.id,
                 {"payment_id": payment.id, "amount": amount, "paid_on": paid_on, "installment": installment.sequence},
                 actor=user)
    consents.propose(user, ConsentAct.LICENSE_PAYMENT, payment,
                     summary=f"{grant.patent.title[:80]} {format_cny(amount)} {reference or ''}".strip())
    return payment


def _confirm(proposal: Proposal, payment: LicensePayment, user: User) -> None:
    """The payee confirmed: the payment counts, and may make the license effective."""
    payment.status = PaymentStatus.CONFIRMED
    payment.confirmed_at = utcnow()
    db.session.flush()
    grant = payment.license
    update_effect(grant, payment.paid_on)
    record_audit("license.payment_confirmed", "license", grant.id,
                 {"payment_id": payment.id, "amount": payment.amount, "effective_on": grant.effective_on}, actor=user)


def _reject(proposal: Proposal, payment: LicensePayment, user: User) -> None:
    payment.status = PaymentStatus.REJECTED
    record_audit("license.payment_rejected", "license", payment.license_id, {"payment_id": payment.id}, actor=user)


def _evidence_root() -> Path:
    return Path(current_app.instance_path) / EVIDENCE_DIR


def attach_evidence(payment: LicensePayment, upload: FileStorage) -> None:
    """Keep a PDF or image proving the payment, checked by its first bytes and size."""
    content_type = (upload.mimetype or "").lower()
    if content_type not in EVIDENCE_TYPES:
        raise ValidationFailed.field("evidence", _("凭证须为 PDF、PNG 或 JPEG 文件"))
    limit = current_app.config["SETTINGS"].evidence_max_mb * 1024 * 1024
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed.field("evidence", _("凭证文件不能超过 %(n)d MB",
                                                   n=current_app.config["SETTINGS"].evidence_max_mb))
    if not data.startswith(_SIGNATURES[content_type]):
        raise ValidationFailed.field("evidence", _("文件内容与类型不符"))
    relative = Path(str(payment.license_id)) / f"{uuid.uuid4().hex}{EVIDENCE_TYPES[content_type]}"
    target = _evidence_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    payment.evidence_path = relative.as_posix()
    payment.evidence_name = (upload.filename or "")[-200:]
    payment.evidence_type = content_type
    payment.evidence_size = len(data)
    db.session.flush()


def add_evidence(user: User, license_id: int, payment_id: int, upload: FileStorage) -> LicensePayment:
    """Attach evidence to a payment still awaiting confirmation, by the party that reported it."""
    grant = party_license(user, license_id)
    payment = next((p for p in grant.payments if p.id == payment_id), None)
    if payment is None:
        raise NotFound(_("付款记录不存在"))
    if payment.status != PaymentStatus.REPORTED:
        raise Conflict(_("付款已处理，不能再补充凭证"), {"status": payment.status.value})
    if payment.evidence_path:
        raise Conflict(_("该付款已有凭证"))
    attach_evidence(payment, upload)
    record_audit("license.payment_evidence", "license", grant.id, {"payment_id": payment.id}, actor=user)
    return payment


def evidence_file(user: User, payment_id: int) -> tuple[Path, LicensePayment]:
    """The evidence of a payment, for the license's parties and platform admins only."""
    payment = db.session.get(LicensePayment, payment_id)
    if payment is None or not payment.evidence_path:
        raise NotFound(_("凭证不存在"))
    get_license(user, payment.license_id)
    return _evidence_root() / payment.evidence_path, payment


def get_payment(user: User, payment_id: int) -> LicensePayment:
    """A payment, seen by the license's parties and platform admins."""
    payment = db.session.get(LicensePayment, payment_id)
    if payment is None:
        raise NotFound(_("付款记录不存在"))
    get_license(user, payment.license_id)
    return payment


def register() -> None:
    """Declare the payment confirmation's rules to the consents service (called from ``create_app``)."""
    consents.register(ConsentAct.LICENSE_PAYMENT,
                      ActRules(SUBJECT, lock_payment, payee_parties, _confirm, PAGE, on_rejected=_reject))
