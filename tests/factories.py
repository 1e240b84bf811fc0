"""Factories that build realistic rows through the real services.

Returned ``UserRef``s are plain values (ids and e-mail), safe to use across
application contexts and requests.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.security import generate_password_hash

from marketplace.accounts import services as accounts
from marketplace.accounts.identifiers import CREDIT_CODE_CHARSET, credit_code_check
from marketplace.accounts.models import Organisation, User
from marketplace.core import transaction
from marketplace.extensions import db

PASSWORD = "correct-horse-9"
FIXTURES = Path(__file__).parent / "fixtures"
_serial = itertools.count(1)


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str
    organisation_id: int | None

    def load(self) -> User:
        return db.session.get(User, self.id)

    def organisation(self) -> Organisation:
        return db.session.get(Organisation, self.organisation_id)


def credit_code(seed: int) -> str:
    """A valid unified social credit code, distinct per seed."""
    body = "91" + "110108" + "".join(CREDIT_CODE_CHARSET[(seed * 7 + i * 3) % 31] for i in range(9))
    return body + credit_code_check(body)


def make_user(kind: str, *, email: str | None = None, org_name: str | None = None, region: str = "520100",
              is_sme: bool = False) -> UserRef:
    """Register an organisation of ``kind`` with its owner, committed."""
    n = next(_serial)
    user = accounts.register_organisation(
        kind=kind, name=org_name or f"{kind}-{n}", credit_code=credit_code(n * 131 + 17), region_code=region,
        email=email or f"{kind}{n}@example.test", user_name=f"{kind} owner {n}", password=PASSWORD, is_sme=is_sme)
    transaction.commit()
    return UserRef(user.id, user.email, user.organisation_id)


def add_member(owner: UserRef, role: str = "member", email: str | None = None) -> UserRef:
    from marketplace.accounts.models import Membership, Role
    n = next(_serial)
    user = User(email=email or f"member{n}@example.test", name=f"member {n}",
                password_hash=generate_password_hash(PASSWORD))
    db.session.add(user)
    db.session.add(Membership(user=user, organisation_id=owner.organisation_id, role=Role(role)))
    transaction.commit()
    return UserRef(user.id, user.email, owner.organisation_id)


def make_platform_admin(email: str) -> UserRef:
    user = User(email=email, name="Platform admin", is_platform_admin=True,
                password_hash=generate_password_hash(PASSWORD))
    db.session.add(user)
    transaction.commit()
    return UserRef(user.id, user.email, None)


def bearer(user: UserRef) -> dict[str, str]:
    _token, raw = accounts.issue_api_token(user.load(), "tests")
    return {"Authorization": f"Bearer {raw}"}


def load_fixture(name: str) -> list[dict[str, Any]]:
    """Real records copied from ../shared/data (provenance kept in each record)."""
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def make_need(owner: UserRef, **values: Any) -> int:
    """Post a technology need through the real service, committed; ``values`` as ``create_need`` takes them."""
    from marketplace.needs import services as needs
    need = needs.create_need(owner.load(), {"title": "LED升压恒流驱动的电路", **values})
    transaction.commit()
    return need.id


@dataclass(frozen=True)
class PatentRef:
    id: int
    application_number: str
    owner_id: int

    def load(self):
        from marketplace.patents.models import Patent
        return db.session.get(Patent, self.id)


_patent_sample_index = itertools.count()


def patent_values(record: dict[str, Any]) -> dict[str, Any]:
    """The raw form values a real patent record (tests/fixtures/patents_sample.jsonl) stands for."""
    extra = record.get("extra") or {}
    applicants = [a for a in (record.get("applicant") or "").split(";") if a]
    values: dict[str, Any] = {
        "application_number": record["app_no"], "title": record["title"], "abstract": record.get("abstract") or "",
        "first_claim": extra.get("主权项", ""), "ipc_main": record.get("ipc_main"), "ipc_codes": record.get("ipc") or [],
        "publication_numbers": [record["pub_no"]] if record.get("pub_no") else [], "co_owners": applicants[1:],
        "inventors": extra.get("发明人") or extra.get("发明（设计）人") or extra.get("Inventors") or [],
        "application_date": (extra.get("申请日") or extra.get("ApplicationDate") or "")[:10],
    }
    if record.get("legal_status"):
        values["legal_status"] = record["legal_status"]
    return values


def make_patent(owner: UserRef, record: dict[str, Any] | None = None, **overrides: Any) -> PatentRef:
    """A patent of ``owner``'s organisation saved through ``save_patent``, committed.

    ``record`` defaults to the next real record of the sample; ``overrides`` replace raw
    field values (``segments=["TM-H11"]``, ``grade="A"`` …); ``publish=True`` publishes it.
    """
    from marketplace.patents import services as patents

    if record is None:
        sample = load_fixture("patents_sample.jsonl")
        record = sample[next(_patent_sample_index) % len(sample)]
    publish = overrides.pop("publish", False)
    user = owner.load()
    values = patents.validate_patent_values({**patent_values(record), **overrides}, user.organisation)
    patent, _created = patents.save_patent(user.organisation, values, actor=user)
    patent.source = f"{record['source_repo']}:{record['source_path']}@{record['source_commit'][:12]}#{record['source_row']}"
    if publish:
        patents.set_published(user, [patent.id], True)
    transaction.commit()
    return PatentRef(patent.id, patent.application_number, patent.owner_id)


def make_granted_patent(owner: UserRef, patent_type: str = "invention", **overrides: Any) -> PatentRef:
    """A granted, in-force patent of ``owner`` filed three years ago: a real sample record not yet on the platform.

    Utility models and designs come with a positive evaluation report and no
    co-owners, so the patent qualifies for open license and pledge unless
    ``overrides`` say otherwise.
    """
    from datetime import timedelta

    from sqlalchemy import select

    from marketplace.core.dates import local_today
    from marketplace.legal.identity import implied_type
    from marketplace.legal.term import add_months
    from marketplace.patents.models import Patent
    from marketplace.patents.numbers import normalise_application_number

    taken = set(db.session.scalars(select(Patent.application_number)))
    record = next(r for r in load_fixture("patents_sample.jsonl")
                  if len(r["app_no"].removeprefix("CN").split(".")[0]) == 12
                  and (number := normalise_application_number(r["app_no"])) not in taken
                  and implied_type(number) == patent_type)
    filed = add_months(local_today(), -36)
    values: dict[str, Any] = {"legal_status": "granted", "application_date": filed.isoformat(),
                              "grant_date": (filed + timedelta(days=400)).isoformat(), "co_owners": [],
                              "patent_type": patent_type, "publish": True}
    if patent_type != "invention":
        values["evaluation_report"] = "positive"
    return make_patent(owner, record, **{**values, **overrides})


def open_license_terms(**overrides: Any) -> dict[str, Any]:
    """Valid declared terms (a ¥50,000 lump sum over three years), as a form or the API sends them."""
    from marketplace.core.dates import local_today
    from marketplace.legal.term import add_months

    return {"payment_method": "lump_sum", "fixed_fee": "50000.00", "term_start": local_today().isoformat(),
            "term_end": add_months(local_today(), 36).isoformat(), "contact_name": "技术转移办公室",
            "contact_phone": "0851-88888888", "contact_email": "tto@example.test", "commitment": True,
            "fee_explanation": "按专利评估价值的一定比例确定。", **overrides}


def make_open_license(owner: UserRef, patent: PatentRef, *, publish: bool = True, **terms: Any) -> int:
    """Declare (and by default publish) an open license through the real service, committed."""
    from marketplace.openlicense import services as openlicense

    declaration = openlicense.save_declaration(owner.load(), patent.id, open_license_terms(**terms), publish=publish)
    transaction.commit()
    return declaration.id


def approve(subject_type: str, subject_id: int, *parties: UserRef) -> int:
    """Each party approves, through its own account, what the object's open proposals ask of it; committed.

    For tests that are not about consent: a deal, pledge or declaration they
    record only takes effect once its parties have consented.
    """
    from marketplace.consents.demo import approve_as

    given = approve_as([party.load() for party in parties], subject_type, subject_id)
    transaction.commit()
    return given


def pay_license(licensee: UserRef, licensor: UserRef, license_id: int, amount: str, *, confirmed: bool = True) -> int:
    """The licensee reports a payment and, unless ``confirmed`` is False, the licensor confirms its receipt; committed."""
    from marketplace.openlicense import payments

    payment = payments.record_payment(licensee.load(), license_id, {"amount": amount})
    transaction.commit()
    if confirmed:
        approve("license_payment", payment.id, licensor)
    return payment.id


def make_pledge(pledgor: UserRef, pledgee: UserRef, patents: list[PatentRef], *, registered: bool = True,
                proposer: UserRef | None = None, **values: Any) -> int:
    """A pledge of ``patents`` proposed by ``proposer`` (default the pledgee) and, unless ``registered`` is False,
    registered by the consent of pledgor and pledgee, each through its own account; committed."""
    from datetime import timedelta

    from marketplace.core.dates import local_today
    from marketplace.pledges import services as pledges

    n = next(_serial)
    pledge = pledges.register_pledge((proposer or pledgee).load(), {
        "pledgor_id": pledgor.organisation_id, "pledgee_id": pledgee.organisation_id,
        "patent_ids": [p.id for p in patents], "amount": "1000000.00",
        "term_end": (local_today() + timedelta(days=365)).isoformat(), "registration_number": f"Y-F-{n:06d}",
        **values})
    transaction.commit()
    if registered:
        approve("pledge", pledge.id, pledgor, pledgee)
    return pledge.id


def link_co_owner(owner: UserRef, patent: PatentRef, name: str, co_owner: UserRef) -> None:
    """Link a co-owner name of ``owner``'s patent to ``co_owner``'s organisation (registered under that name)."""
    from marketplace.patents import co_owners

    co_owners.link_co_owner(owner.load(), patent.id, name, co_owner.organisation_id)
    transaction.commit()


def authorise_agency(agency: UserRef, organisation: UserRef, permissions: tuple[str, ...] = ("open_licenses",),
                     start_on: Any = None) -> int:
    """The agency asks to serve the organisation and the organisation accepts, both through the real services,
    committed; returns the relationship's id."""
    from marketplace.agencies import services as agencies

    relationship = agencies.request_relationship(agency.load(), {"organisation_id": organisation.organisation_id,
                                                                 "permissions": list(permissions)})
    agencies.accept_relationship(organisation.load(), relationship.id,
                                 {"permissions": list(permissions), "start_on": start_on})
    transaction.commit()
    return relationship.id
