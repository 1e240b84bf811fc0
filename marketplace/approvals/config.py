"""The institution's office roles and approval workflows: configured by its owners and admins, seen by its members.

Workflows are keyed by act (a ``ConsentAct`` value): any act registered with
``consents`` can be given one, so an act another feature adds later is
reviewed by configuration alone.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app
from marketplace.core.i18n import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import Membership, Organisation, OrganisationKind, User
from marketplace.approvals.models import LEGAL_PUBLICITY_DAYS, OfficeRole, OfficeRoleMember, Workflow, WorkflowStep
from marketplace.consents.models import ConsentAct, ConsentRole
from marketplace.consents.services import registered_acts
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.accounts.permissions import require_organisation
from marketplace.extensions import db
from marketplace.accounts.permissions import get_visible

OFFICE_KINDS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE)
MAX_STEPS = 10
DEFAULT_ROLES = ("seller", "patentee", "co_owner")


def office_of(user: User) -> Organisation:
    """The user's institution (a university or institute); 403 for anyone else, platform admins included."""
    return require_organisation(user, OFFICE_KINDS)


def manager_office(user: User) -> Organisation:
    """The institution of one of its owners or admins: who configures roles and workflows."""
    organisation = office_of(user)
    if user.role is None or not user.role.manages_members:
        raise Forbidden(_("仅机构管理员可以配置审批流程"))
    return organisation


def roles_of(organisation_id: int) -> list[OfficeRole]:
    return list(db.session.scalars(select(OfficeRole).where(OfficeRole.organisation_id == organisation_id)
                                   .order_by(OfficeRole.id)))


def _member_ids(organisation_id: int) -> set[int]:
    return set(db.session.scalars(select(Membership.user_id).where(Membership.organisation_id == organisation_id)))


def _role(organisation: Organisation, role_id: Any, field: str = "role_id") -> OfficeRole:
    try:
        role = db.session.get(OfficeRole, int(role_id))
    except (TypeError, ValueError):
        role = None
    if role is None or role.organisation_id != organisation.id:
        raise ValidationFailed.field(field, _("本机构没有这个角色"))
    return role


def save_role(user: User, raw: Mapping[str, Any], role_id: int | None = None) -> OfficeRole:
    """Create or edit an office role: its name, description and members (users of the institution)."""
    organisation = manager_office(user)
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", _("须填写角色名称（≤100字）"))
    members = _parse_ids(raw.get("member_ids"), "member_ids")
    strangers = set(members) - _member_ids(organisation.id)
    if strangers:
        raise ValidationFailed.field("member_ids", _("只能指定本机构的成员"))
    clash = db.session.scalar(select(OfficeRole.id).where(OfficeRole.organisation_id == organisation.id,
                                                          OfficeRole.name == name))
    if clash is not None and clash != role_id:
        raise ValidationFailed.field("name", _("已有同名角色"))
    if role_id is None:
        role = OfficeRole(organisation_id=organisation.id, name=name)
        db.session.add(role)
        changes: dict[str, Any] = {"name": name}
    else:
        role = _role(organisation, role_id)
        changes = diff(role, {"name": name})
    changes.update(diff(role, {"description": str(raw.get("description") or "").strip()[:500]}))
    before = sorted(role.user_ids)
    if "member_ids" in raw and before != sorted(members):
        role.members = [OfficeRoleMember(user_id=user_id) for user_id in members]
        changes["member_ids"] = [before, sorted(members)]
    db.session.flush()
    record_audit("office_role.saved", "office_role", role.id, changes, actor=user)
    return role


def delete_role(user: User, role_id: int) -> None:
    """Remove a role no workflow step uses (steps under way keep their assignee's name)."""
    organisation = manager_office(user)
    role = _role(organisation, role_id)
    if db.session.scalar(select(WorkflowStep.id).where(WorkflowStep.role_id == role.id).limit(1)):
        raise Conflict(_("该角色仍被审批流程使用，请先修改流程"))
    record_audit("office_role.deleted", "office_role", role.id, {"name": role.name}, actor=user)
    db.session.delete(role)
    db.session.flush()


def _parse_ids(raw: Any, field: str) -> list[int]:
    parts = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw or [])
    try:
        return sorted({int(str(p).strip()) for p in parts if str(p).strip()})
    except ValueError:
        raise ValidationFailed.field(field, _("应为编号列表")) from None


def act_choices() -> list[ConsentAct]:
    """The acts a workflow may govern: every act the platform registered."""
    return registered_acts()


def minimum_publicity_days() -> int:
    """15 days by law; a demo may set shorter periods."""
    return 1 if current_app.config["SETTINGS"].demo_mode else LEGAL_PUBLICITY_DAYS


def workflows_of(organisation_id: int) -> list[Workflow]:
    return list(db.session.scalars(select(Workflow).where(Workflow.organisation_id == organisation_id)
                                   .order_by(Workflow.id)))


def save_workflow(user: User, raw: Mapping[str, Any]) -> Workflow:
    """Create or replace the institution's workflow for one act: steps in order, publicity, contact, roles.

    ``steps`` is a list of ``{"name", "role_id" | "user_id"}``; reviews under
    way keep the steps they started with.
    """
    organisation = manager_office(user)
    act = ConsentAct.parse(str(raw.get("act") or ""))
    if act is None or act not in act_choices():
        raise ValidationFailed.field("act", _("请选择需要内部审批的事项"))
    errors: dict[str, str] = {}
    name = str(raw.get("name") or "").strip() or act.label_zh
    roles = [r for r in (raw.get("roles") or list(DEFAULT_ROLES))]
    if isinstance(roles, str):
        roles = [r.strip() for r in roles.split(",") if r.strip()]
    if not roles or any(ConsentRole.parse(r) is None for r in roles):
        errors["roles"] = _("请选择本机构以何种身份确认时需要审批")
    try:
        days = int(str(raw.get("publicity_days", current_app.config["SETTINGS"].publicity_days)).strip() or 0)
    except ValueError:
        days = -1
    minimum = minimum_publicity_days()
    if days != 0 and not minimum <= days <= 90:
        errors["publicity_days"] = _("公示期应为 0（不公示）或 %(low)d–90 天", low=minimum)
    steps = _steps(organisation, raw.get("steps") or [], errors)
    objection_role = None
    if raw.get("objection_role_id") not in (None, ""):
        try:
            objection_role = _role(organisation, raw["objection_role_id"], "objection_role_id")
        except ValidationFailed as error:
            errors.update(error.fields)
    contact = {key: str(raw.get(key) or "").strip()[:limit]
               for key, limit in (("contact_name", 100), ("contact_phone", 40), ("contact_email", 254))}
    if days and not (contact["contact_phone"] or contact["contact_email"]):
        errors["contact_phone"] = _("公示须写明异议受理电话或邮箱")
    if errors:
        raise ValidationFailed(str(_("；")).join(errors.values()), errors)
    workflow = db.session.scalar(select(Workflow).where(Workflow.organisation_id == organisation.id,
                                                        Workflow.act == act.value))
    created = workflow is None
    if created:
        workflow = Workflow(organisation_id=organisation.id, act=act.value, name=name)
        db.session.add(workflow)
    values = {"name": name[:100], "roles": ",".join(ConsentRole.parse(r).value for r in roles),
              "publicity_days": days, "objection_role_id": objection_role.id if objection_role else None,
              "active": str(raw.get("active", True)).lower() not in ("0", "false", "no", "off"), **contact}
    changes = diff(workflow, values)
    old_steps = [(s.name, s.role_id, s.user_id) for s in workflow.steps]
    new_steps = [(s.name, s.role_id, s.user_id) for s in steps]
    if old_steps != new_steps:
        workflow.steps = steps
        changes["steps"] = [old_steps, new_steps]
    db.session.flush()
    record_audit("approval_workflow.saved", "approval_workflow", workflow.id, {"act": act.value, **changes},
                 actor=user)
    return workflow


def _steps(organisation: Organisation, raw_steps: Sequence[Mapping[str, Any]], errors: dict[str, str]
           ) -> list[WorkflowStep]:
    steps: list[WorkflowStep] = []
    members = _member_ids(organisation.id)
    for position, raw in enumerate(raw_steps, start=1):
        name = str(raw.get("name") or "").strip()
        role_id, user_id = raw.get("role_id") or None, raw.get("user_id") or None
        if not name and not role_id and not user_id:
            continue
        if not name or len(name) > 100:
            errors["steps"] = _("第 %(n)d 步须填写名称（≤100字）", n=position)
            continue
        if bool(role_id) == bool(user_id):
            errors["steps"] = _("第 %(n)d 步须指定一个角色或一名成员", n=position)
            continue
        try:
            role = _role(organisation, role_id) if role_id else None
            user_id = int(user_id) if user_id else None
        except (ValidationFailed, ValueError):
            errors["steps"] = _("第 %(n)d 步的角色或成员不属于本机构", n=position)
            continue
        if user_id is not None and user_id not in members:
            errors["steps"] = _("第 %(n)d 步的角色或成员不属于本机构", n=position)
            continue
        steps.append(WorkflowStep(position=len(steps) + 1, name=name, role_id=role.id if role else None,
                                  user_id=user_id))
    if not steps and "steps" not in errors:
        errors["steps"] = _("至少需要一个审批步骤")
    if len(steps) > MAX_STEPS:
        errors["steps"] = _("最多 %(n)d 个步骤", n=MAX_STEPS)
    return steps


def delete_workflow(user: User, workflow_id: int) -> None:
    """Stop reviewing an act: reviews already opened stay, new consents are no longer held back."""
    manager_office(user)
    workflow = get_visible(user, Workflow, workflow_id, lambda row: [row.organisation_id], _("审批流程不存在"),
                           admins=False)
    record_audit("approval_workflow.deleted", "approval_workflow", workflow.id, {"act": workflow.act}, actor=user)
    db.session.delete(workflow)
    db.session.flush()


def workflow_for(organisation_id: int, act: str, role: str) -> Workflow | None:
    """The active workflow an organisation set for ``act`` when it consents in ``role``, if any."""
    workflow = db.session.scalar(select(Workflow).where(Workflow.organisation_id == organisation_id,
                                                        Workflow.act == act, Workflow.active.is_(True)))
    return workflow if workflow is not None and role in workflow.role_values else None
