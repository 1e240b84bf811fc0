"""A small ledger world written straight into the tables, and an independent SQL oracle over it.

Rows go in through the ORM (so the rollup's session hooks see them) but not
through the ledger's services: random ledgers need deals in any status, on
any date, which the services rightly refuse to backdate. Patents are real
records from ``tests/fixtures/patents_sample.jsonl``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from marketplace.accounts.models import Organisation, OrganisationKind
from marketplace.agencies.models import (
    AgencyPermission, AgencyPermissionPeriod, AgencyRelationship, RelationshipStatus, RequestSide,
)
from marketplace.console.models import EventInvitation, MatchmakingEvent
from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus
from marketplace.extensions import db
from marketplace.openlicense.models import (
    DeclarationStatus, LicenseGrant, LicensePayment, OpenLicenseDeclaration, PaymentInstallment, PaymentStatus,
)
from marketplace.openlicense.terms import PaymentMethod
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.numbers import normalise_application_number
from marketplace.patents.vocab import PatentType
from marketplace.pledges.models import Pledge, PledgePatent, PledgeStatus
from tests import factories

ORGANISATIONS = {
    # key: kind, region, SME
    "u1": ("university", "520100", False), "u2": ("university", "522700", False),
    "i1": ("institute", "510100", False), "c1": ("company", "520100", True), "c2": ("company", "500100", True),
    "c3": ("company", "440300", False), "b1": ("bank", "520100", False), "a1": ("agency", "520100", False),
    "a2": ("agency", "110000", False),
}
PATENT_SEGMENTS = [["TM-A"], ["TM-A", "SEI-01"], [], ["TM-H11"], ["SEI-01"], ["TM-D"]]
FEE_METHOD = {"fixed": PaymentMethod.LUMP_SUM, "royalty": PaymentMethod.ROYALTY_SALES, "free": PaymentMethod.FREE}
_serial = itertools.count(1)


@dataclass
class World:
    orgs: dict[str, int]
    patents: list[int]
    declarations: list[int]
    registrations: itertools.count = field(default_factory=lambda: itertools.count(1))


def build_world() -> World:
    """Organisations of every kind, six patents with known segments and a declaration on each."""
    orgs: dict[str, int] = {}
    for key, (kind, region, sme) in ORGANISATIONS.items():
        n = next(_serial)
        organisation = Organisation(kind=OrganisationKind(kind), name=f"{key}-测试机构-{n}",
                                    credit_code=factories.credit_code(9000 + n * 37), region_code=region, is_sme=sme)
        db.session.add(organisation)
        db.session.flush()
        orgs[key] = organisation.id
    records = [r for r in factories.load_fixture("patents_sample.jsonl")
               if len(r["app_no"].removeprefix("CN").split(".")[0]) == 12][:len(PATENT_SEGMENTS)]
    patents, declarations = [], []
    for record, segments in zip(records, PATENT_SEGMENTS):
        patent = Patent(application_number=normalise_application_number(record["app_no"]), title=record["title"],
                        patent_type=PatentType.INVENTION, owner_id=orgs["u1"],
                        source=f"{record['source_repo']}:{record['source_path']}#{record['source_row']}",
                        segment_links=[PatentSegment(segment_code=code) for code in segments])
        db.session.add(patent)
        db.session.flush()
        declaration = OpenLicenseDeclaration(patent_id=patent.id, owner_id=orgs["u1"],
                                             status=DeclarationStatus.PUBLISHED, payment_method=PaymentMethod.LUMP_SUM,
                                             term_start=date(2020, 1, 1), term_end=date(2030, 1, 1))
        db.session.add(declaration)
        db.session.flush()
        patents.append(patent.id)
        declarations.append(declaration.id)
    return World(orgs, patents, declarations)


def add_deal(world: World, *, mode: str, status: str, seller: str, buyer: str, agency: str | None, cents: int,
             day: date | None, patents: list[int]) -> Deal:
    deal = Deal(mode=DealMode(mode), status=DealStatus(status), seller_id=world.orgs[seller],
                buyer_id=world.orgs[buyer], agency_id=world.orgs[agency] if agency else None,
                amount=Decimal(cents) / 100, contract_date=day, title=f"测试交易 {next(_serial)}",
                patent_links=[DealPatent(patent_id=world.patents[i]) for i in patents])
    db.session.add(deal)
    return deal


def add_grant(world: World, *, licensor: str, licensee: str, fee: str, cents: int, day: date | None,
              patent: int, paid_pct: int = 100) -> LicenseGrant:
    """A license obtained; ``paid_pct`` of its fixed fee paid on a fee installment, and a royalty payment on a
    royalty installment (never a contract amount); the payments confirmed by the licensor."""
    installments = [PaymentInstallment(sequence=1, kind="fee", due_date=day or date(2023, 1, 1),
                                       amount=Decimal(cents) / 100)]
    paid = cents * paid_pct // 100
    if paid:
        installments[0].payments = [LicensePayment(amount=Decimal(paid) / 100, paid_on=day or date(2023, 1, 1),
                                                   status=PaymentStatus.CONFIRMED)]
    if fee == "royalty":
        installments.append(PaymentInstallment(sequence=2, kind="royalty", due_date=date(2029, 1, 1), payments=[
            LicensePayment(amount=Decimal("1234.56"), paid_on=day or date(2023, 1, 1), status=PaymentStatus.CONFIRMED)]))
    grant = LicenseGrant(declaration_id=world.declarations[patent], patent_id=world.patents[patent],
                         licensor_id=world.orgs[licensor], licensee_id=world.orgs[licensee], fee_type=fee,
                         fixed_fee=Decimal(cents) / 100, notice_date=day or date(2023, 1, 1), effective_on=day,
                         term_end=date(2030, 1, 1), installments=installments)
    for installment in installments:
        for payment in installment.payments:
            payment.license = grant
    db.session.add(grant)
    return grant


def authorise(world: World, *, agency: str, organisation: str, permission: str, start: date,
              end: date | None) -> AgencyPermissionPeriod:
    """One permission period (and the ended relationship holding it): what an organisation granted an agency."""
    relationship = AgencyRelationship(agency_id=world.orgs[agency], organisation_id=world.orgs[organisation],
                                      status=RelationshipStatus.REVOKED, requested_by_side=RequestSide.AGENCY,
                                      started_on=start, ended_on=end)
    period = AgencyPermissionPeriod(agency_id=world.orgs[agency], organisation_id=world.orgs[organisation],
                                    permission=AgencyPermission(permission), started_on=start, ended_on=end)
    relationship.periods.append(period)
    db.session.add(relationship)
    return period


def add_pledge(world: World, *, pledgor: str, agency: str | None, cents: int, day: date, released: bool,
               patents: list[int]) -> Pledge:
    pledge = Pledge(pledgor_id=world.orgs[pledgor], pledgee_id=world.orgs["b1"],
                    agency_id=world.orgs[agency] if agency else None, amount=Decimal(cents) / 100,
                    term_start=day, term_end=day + timedelta(days=365), registered_on=day,
                    registration_number=f"Y{next(world.registrations):08d}",
                    status=PledgeStatus.RELEASED if released else PledgeStatus.REGISTERED,
                    patent_links=[PledgePatent(patent_id=world.patents[i], active=False) for i in patents])
    db.session.add(pledge)
    return pledge


def invite(world: World, agency: str, guests: list[str], held_on: date = date(2023, 6, 1)) -> MatchmakingEvent:
    event = MatchmakingEvent(agency_id=world.orgs[agency], title="供需对接会", held_on=held_on, online=True,
                             invitations=[EventInvitation(organisation_id=world.orgs[g]) for g in guests])
    db.session.add(event)
    return event


# --- the oracle: plain SQL, written without the console's query builder ---------------------------------

_LEDGER = """
SELECT 'deal' AS source, d.id AS item_id, d.mode AS mode, d.contract_date AS day, ROUND(d.amount * 100) AS cents,
       d.agency_id AS agency_id, d.seller_id AS holder_id, d.buyer_id AS acquirer_id, b.region_code AS region_code,
       NULL AS fee_type
  FROM deals d JOIN organisations b ON b.id = d.buyer_id
 WHERE d.status IN ('signed', 'recorded', 'completed') AND d.contract_date IS NOT NULL
UNION ALL
SELECT 'open_license', g.id, 'open_license', g.effective_on,
       ROUND(COALESCE((SELECT SUM(pay.amount) FROM open_license_payments pay
                         JOIN open_license_installments i ON i.id = pay.installment_id
                        WHERE pay.license_id = g.id AND i.kind = 'fee'), 0) * 100),
       NULL, g.licensor_id, g.licensee_id, l.region_code, g.fee_type
  FROM open_license_grants g JOIN organisations l ON l.id = g.licensee_id
 WHERE g.effective_on IS NOT NULL
UNION ALL
SELECT 'pledge', p.id, 'pledge', p.registered_on, ROUND(p.amount * 100), p.agency_id, p.pledgor_id, p.pledgee_id,
       o.region_code, NULL
  FROM pledges p JOIN organisations o ON o.id = p.pledgor_id
"""
_AUTHORISED = """
EXISTS (SELECT 1 FROM agency_permission_periods p
         WHERE p.agency_id = {a} AND p.organisation_id IN (s.holder_id, s.acquirer_id)
           AND p.permission = 'open_licenses' AND p.started_on <= s.day AND (p.ended_on IS NULL OR p.ended_on > s.day))
"""
_LINKS = """
SELECT DISTINCT links.source, links.item_id, ps.segment_code FROM (
  SELECT 'deal' AS source, deal_id AS item_id, patent_id FROM deal_patents
  UNION ALL SELECT 'open_license', id, patent_id FROM open_license_grants
  UNION ALL SELECT 'pledge', pledge_id, patent_id FROM pledge_patents) links
JOIN patent_segments ps ON ps.patent_id = links.patent_id
"""


def _year_month(dialect: str) -> tuple[str, str]:
    if dialect == "postgresql":
        return "CAST(EXTRACT(YEAR FROM s.day) AS INTEGER)", "CAST(EXTRACT(MONTH FROM s.day) AS INTEGER)"
    return "CAST(strftime('%Y', s.day) AS INTEGER)", "CAST(strftime('%m', s.day) AS INTEGER)"


def _scope(agency_id: int | None) -> str:
    """Brokered deals and pledges; open licenses a party had authorised the agency to see on their effective day."""
    if agency_id is None:
        return "1 = 1"
    return (f"((s.source <> 'open_license' AND s.agency_id = {int(agency_id)}) OR "
            f"(s.source = 'open_license' AND {_AUTHORISED.format(a=int(agency_id))}))")


def oracle_served(agency_id: int, start: date, end: date) -> int:
    """Organisations with a non-empty ``serve`` period overlapping ``[start, end]``."""
    sql = ("SELECT COUNT(DISTINCT organisation_id) FROM agency_permission_periods WHERE agency_id = :a "
           "AND permission = 'serve' AND started_on <= :end AND (ended_on IS NULL OR (ended_on > :start "
           "AND ended_on > started_on))")
    return int(db.session.execute(text(sql), {"a": agency_id, "start": start, "end": end}).scalar())


def oracle(grouping: str, agency_id: int | None, start: date | None, end: date | None,
           mode: str | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(key, mode): (items, cents)}`` for one grouping, by a direct GROUP BY over the ledger tables."""
    dialect = db.session.get_bind().dialect.name
    year, month = _year_month(dialect)
    keys = {"month": f"{year} * 100 + {month}", "quarter": f"{year} * 10 + ({month} + 2) / 3", "year": year,
            "mode": "s.mode", "segment": "COALESCE(seg.segment_code, '')", "region": "s.region_code",
            "organisation": "s.holder_id"}
    scope = _scope(agency_id)
    joins = ""
    where = [scope]
    if grouping == "segment":
        joins = f"LEFT JOIN ({_LINKS}) seg ON seg.source = s.source AND seg.item_id = s.item_id"
    if grouping == "organisation":
        joins = "JOIN organisations h ON h.id = s.holder_id"
        where.append("h.kind IN ('university', 'institute')")
    params = {}
    if start is not None:
        where.append("s.day >= :start")
        params["start"] = start
    if end is not None:
        where.append("s.day <= :end")
        params["end"] = end
    if mode is not None:
        where.append("s.mode = :mode")
        params["mode"] = mode
    sql = (f"SELECT {keys[grouping]} AS k, s.mode, COUNT(*), SUM(s.cents) FROM ({_LEDGER}) s {joins} "
           f"WHERE {' AND '.join(where)} GROUP BY {keys[grouping]}, s.mode")
    return {(str(k), m): (int(n), int(c)) for k, m, n, c in db.session.execute(text(sql), params)}


def oracle_distinct_smes(agency_id: int | None, start: date, end: date) -> int:
    scope = _scope(agency_id)
    sql = (f"SELECT COUNT(DISTINCT s.acquirer_id) FROM ({_LEDGER}) s JOIN organisations h ON h.id = s.holder_id "
           f"JOIN organisations a ON a.id = s.acquirer_id WHERE {scope} AND s.mode <> 'pledge' AND a.is_sme "
           f"AND h.kind IN ('university', 'institute') AND s.day BETWEEN :start AND :end")
    return int(db.session.execute(text(sql), {"start": start, "end": end}).scalar())
