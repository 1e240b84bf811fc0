"""The open license's two-sided acts: declaring and withdrawing a co-owned patent's declaration, confirming payments.

| act (``ConsentAct``) | who may propose | who must approve | takes effect |
| --- | --- | --- | --- |
| declaration (``open_license_declaration``) | the patentee (publishing its draft) | the patentee and every co-owner | declaration *published* (announced) |
| withdrawal (``open_license_withdrawal``) | the patentee or a co-owner | the patentee and every co-owner | declaration *withdrawn*; licenses obtained stay valid |
| payment (``license_payment``) | the licensee (reporting) or the licensor | the licensor (payee) | payment *confirmed*: counts, may make the license effective |

Without co-owners the patentee is the only party, so its own act takes effect
at once. Editing a draft raises its terms version and lapses the consents
given to the earlier terms. A patent that lapses ends its declaration by law,
without any consent (``services.recheck_patent``).
"""
from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.openlicense import payments, services
from marketplace.openlicense.models import OpenLicenseDeclaration

PAGE = ("openlicense.detail", "declaration_id")


def co_owner_parties(proposal: Proposal | None, declaration: OpenLicenseDeclaration) -> list[Party]:
    """The patentee and every co-owner linked on the platform (an unlinked one blocks through the rules)."""
    co_owners = [org_id for org_id in declaration.patent.co_owner_organisations().values()
                 if org_id and org_id != declaration.owner_id]
    return [Party(declaration.owner_id, ConsentRole.PATENTEE),
            *[Party(org_id, ConsentRole.CO_OWNER) for org_id in dict.fromkeys(co_owners)]]


def _publish(proposal: Proposal, declaration: OpenLicenseDeclaration, user: User) -> None:
    services.publish_declaration(declaration, user)


def _withdraw(proposal: Proposal, declaration: OpenLicenseDeclaration, user: User) -> None:
    services.end_withdrawn(declaration, proposal.details.get("reason") or "", user)


def register() -> None:
    """Declare the open-license acts' rules to the consents service (called from ``create_app``)."""
    consents.register(ConsentAct.OPEN_LICENSE_DECLARATION,
                      ActRules(services.ENTITY, services.lock_for_decision, co_owner_parties, _publish, PAGE))
    consents.register(ConsentAct.OPEN_LICENSE_WITHDRAWAL,
                      ActRules(services.ENTITY, services.lock_for_decision, co_owner_parties, _withdraw, PAGE))
    payments.register()
