"""Named refusals: every legal rule that says no gives a code, a message and the record that blocks."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import Conflict

REASONS = {
    "not_granted": _l("专利尚未授权"),
    "lapsed": _l("专利权已终止、届满或被宣告无效"),
    "fees_unpaid": _l("年费未缴纳"),
    "suspended": _l("有关程序已中止（权属纠纷或财产保全）"),
    "exclusive_license": _l("存在有效的独占或排他许可"),
    "pledged_without_consent": _l("专利已质押，且无质权人同意开放许可的书面意见"),
    "no_positive_evaluation": _l("实用新型或外观设计未提交肯定性的专利权评价报告"),
    "co_owner_not_on_platform": _l("共有人尚未在平台注册或未关联机构，无法通过其账户表示同意"),
    "not_patentee": _l("出质人不是专利权人"),
    "seller_not_patentee": _l("转让方或许可方不是专利权人"),
    "already_pledged": _l("专利权已经质押"),
    "term_past_expiry": _l("债务履行期限超过专利权有效期"),
    "expiry_unknown": _l("缺少申请日，无法确定专利权期限"),
    "open_license_without_consent": _l("专利已声明开放许可，需质权人关于开放许可继续有效的书面声明"),
    "invalidation_pending": _l("专利权无效宣告请求正在审查中，需双方书面接受该风险"),
    "withdraw_open_license_first": _l("转让前须先撤回开放许可声明"),
    "pledged": _l("专利权已质押，转让须先解除质押"),
    "exclusive_license_in_force": _l("期限重叠的独占许可排除其他一切许可及专利权人的开放许可声明"),
    "sole_license_in_force": _l("期限重叠的排他许可排除其他被许可人"),
    "open_license_declared": _l("期限重叠的开放许可声明排除独占许可和排他许可"),
    "licenses_granted": _l("期限重叠的已有许可与拟授予的独占或排他许可冲突"),
    "withdraw_open_license_before_abandoning": _l("放弃专利权前须先撤回开放许可声明"),
    "pledged_cannot_abandon": _l("专利权已质押，放弃须先解除质押"),
}


@dataclass(frozen=True)
class Refusal:
    """One reason a patent may not do something; ``detail`` names the blocking record (a license, a co-owner)."""

    code: str
    detail: str = ""

    @property
    def message(self) -> str:
        base = str(REASONS[self.code])
        return _("%(reason)s：%(detail)s", reason=base, detail=self.detail) if self.detail else base


class Ineligible(Conflict):
    """A legal rule refuses the operation (409); ``fields`` maps each reason's code to its message."""

    code = "ineligible"

    def __init__(self, summary: str, refusals: Iterable[tuple[str, Refusal]]) -> None:
        fields: dict[str, str] = {}
        for label, refusal in refusals:
            message = _("%(label)s：%(reason)s", label=label, reason=refusal.message) if label else refusal.message
            fields[refusal.code] = f"{fields[refusal.code]}; {message}" if refusal.code in fields else message
        super().__init__(_("%(summary)s：%(reasons)s", summary=summary, reasons="; ".join(fields.values())), fields)
