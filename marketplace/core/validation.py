"""Field-by-field validation that names every wrong field at once (forms, API bodies, import rows)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import ValidationFailed
from marketplace.core.text import normalise_text


def clean_text(value: Any, field: str, limit: int, *, required: bool = False, multiline: bool = True) -> str:
    """Normalised (``core.text``), stripped text of at most ``limit`` characters; ``required`` refuses blank."""
    text = normalise_text(str(value or ""), multiline=multiline).strip()
    if required and not text:
        raise ValidationFailed.field(field, _("必填"))
    if len(text) > limit:
        raise ValidationFailed.field(field, _("最多 %(n)d 字", n=limit))
    return text


# Field → label, shared by pages and the API: an error names a field by its label in the visitor's language,
# never by its code. Keyed by the field's name across features (one name, one meaning); a schema field's own
# ``metadata["label"]`` overrides it where a feature's field needs more precise words.
FIELD_LABELS = {
    "page": _l("页码"),
    "per_page": _l("每页条数"),
    "q": _l("检索词"),
    "sort": _l("排序"),
    "absent": _l("缺席机构"),
    "abstract": _l("摘要"),
    "act": _l("事项"),
    "action": _l("批量操作"),
    "agency_id": _l("运营机构"),
    "agreement": _l("与发明人的约定"),
    "alerts": _l("有新结果时邮件提醒"),
    "all": _l("全部"),
    "all_matching": _l("应用于全部符合当前筛选的专利"),
    "amount": _l("金额（元）"),
    "annual_sales": _l("预计年净销售额（元）"),
    "application_date": _l("申请日"),
    "application_number": _l("申请号"),
    "approve": _l("决定"),
    "attended": _l("出席机构"),
    "base": _l("提成基数"),
    "base_amount": _l("本期申报金额（元）"),
    "body": _l("消息"),
    "budget_max": _l("最高预算（元）"),
    "budget_min": _l("最低预算（元）"),
    "buyer_id": _l("受让方/被许可方"),
    "changes": _l("更正内容"),
    "co_owners": _l("共同权利人"),
    "comment": _l("意见"),
    "commitment": _l("本专利权人承诺：该专利符合开放许可条件，声明内容真实"),
    "completed_on": _l("完成日"),
    "consent_on": _l("同意日期"),
    "contact": _l("异议渠道"),
    "contact_email": _l("联系邮箱"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "contract_date": _l("合同签订日"),
    "conversion_amount": _l("高校院所专利转化合同金额（元）"),
    "conversion_count": _l("高校院所专利转化笔数"),
    "deal_id": _l("交易"),
    "decision": _l("决定"),
    "description": _l("说明"),
    "discount_rate": _l("年折现率（%）"),
    "email": _l("邮箱"),
    "email_mode": _l("邮件通知"),
    "equity_percent": _l("作价入股比例"),
    "evaluation_report": _l("专利权评价报告"),
    "events_count": _l("供需对接活动场次"),
    "evidence": _l("付款凭证（PDF 或图片，可选）"),
    "fee_explanation": _l("许可使用费说明（≤2000字）"),
    "fee_type": _l("付费方式"),
    "file": _l("文件"),
    "filters": _l("筛选条件"),
    "first_claim": _l("首项权利要求"),
    "fixed_fee": _l("一次性费用或入门费（元）"),
    "from": _l("起始日期"),
    "grade": _l("分级"),
    "grant_date": _l("授权公告日"),
    "group_by": _l("分组方式"),
    "held_on": _l("日期"),
    "industry": _l("所属行业"),
    "installment_id": _l("付款期"),
    "installment_interval_months": _l("分期间隔（月）"),
    "installments": _l("固定费用分期数"),
    "invalidation_accepted": _l("双方书面接受：专利权无效宣告请求正在审查中"),
    "inventors": _l("发明人"),
    "invited_organisation_ids": _l("邀请机构"),
    "ipc_codes": _l("IPC 分类号"),
    "ipc_main": _l("IPC 主分类号"),
    "item_id": _l("收入"),
    "keywords": _l("关键词"),
    "kind": _l("类型"),
    "legal_criterion": _l("法律稳定性标准"),
    "legal_min": _l("法律稳定性最低分"),
    "legal_status": _l("法律状态"),
    "legal_status_on": _l("法律状态日期"),
    "license_kind": _l("许可类型"),
    "listed_until": _l("推介截止日"),
    "market_criterion": _l("市场前景标准"),
    "market_min": _l("市场前景最低分"),
    "match_id": _l("来源匹配编号"),
    "maturity": _l("成熟度"),
    "member_ids": _l("成员"),
    "message": _l("说明"),
    "min_grade": _l("最低分级"),
    "mine": _l("只看本机构"),
    "mode": _l("方式"),
    "modes": _l("转化方式"),
    "month": _l("月份"),
    "name": _l("名称"),
    "note": _l("备注"),
    "notes": _l("备注"),
    "objection_role_id": _l("异议处理角色"),
    "offer_mode": _l("推介方式"),
    "offer_price": _l("推介价格（元）"),
    "online": _l("线上活动"),
    "open_license_consent": _l("质权人书面同意开放许可继续有效"),
    "open_license_consent_reference": _l("同意书编号"),
    "open_license_count": _l("开放许可笔数"),
    "open_license_only": _l("只推送开放许可专利"),
    "organisation": _l("机构"),
    "organisation_id": _l("机构"),
    "organisation_ids": _l("机构"),
    "organisations_served": _l("服务机构数"),
    "owner_id": _l("权利人"),
    "paid_on": _l("付款日期"),
    "password": _l("密码"),
    "patent_id": _l("专利编号"),
    "patent_ids": _l("专利"),
    "patent_type": _l("专利类型"),
    "payment_method": _l("许可使用费支付方式"),
    "permissions": _l("授权范围"),
    "place": _l("地点"),
    "pledge_amount": _l("质押融资金额（元）"),
    "pledge_count": _l("质押融资笔数"),
    "pledge_growth_pct": _l("质押融资同比增长（%）"),
    "pledgee_id": _l("质权人"),
    "pledgor_id": _l("出质人（专利权人）"),
    "position": _l("顺序"),
    "price_max": _l("最高价格（元）"),
    "price_min": _l("最低价格（元）"),
    "proceedings_suspended": _l("程序中止（权属纠纷、财产保全）"),
    "public": _l("公开"),
    "publication_date": _l("公开日"),
    "publication_numbers": _l("公开（公告）号"),
    "publicity_days": _l("公示天数"),
    "publish": _l("导入后立即发布（否则保存为草稿）"),
    "quarter": _l("季度"),
    "reason": _l("理由"),
    "recordal_number": _l("登记/备案号"),
    "recorded_on": _l("登记日"),
    "reference": _l("凭证号"),
    "region": _l("地区"),
    "registered_on": _l("登记生效日"),
    "registration_number": _l("质押登记号"),
    "released_on": _l("注销日期"),
    "resolution": _l("处理结果"),
    "review_year": _l("评估年度"),
    "roles": _l("角色"),
    "rows": _l("明细"),
    "royalty_base": _l("提成基数（入门费+提成时）"),
    "royalty_rate": _l("提成率（%）"),
    "segment": _l("产业领域"),
    "segments": _l("产业领域"),
    "seller_id": _l("转让方/许可方（专利权人）"),
    "share": _l("份额"),
    "sme": _l("中小企业"),
    "source": _l("收入来源"),
    "sme_growth_pct": _l("受让高校院所专利的中小企业数同比增长（%）"),
    "staff_number": _l("工号"),
    "start_on": _l("开始日期"),
    "state": _l("发布状态"),
    "status": _l("状态"),
    "steps": _l("审批步骤"),
    "tags": _l("标签"),
    "technical_criterion": _l("技术先进性标准"),
    "technical_min": _l("技术先进性最低分"),
    "term_end": _l("期限止"),
    "term_start": _l("期限起"),
    "text": _l("内容"),
    "title": _l("名称"),
    "to": _l("截止日期"),
    "transfer_license_count": _l("转让、许可笔数"),
    "transfer_license_percent": _l("转让、许可比例"),
    "trial_months": _l("先使用后付费：试用期（月）"),
    "units": _l("数量（件）"),
    "unread": _l("只看未读"),
    "upheld": _l("异议成立"),
    "valid_until": _l("有效期至"),
    "year": _l("年度"),
    "year_start_month": _l("报告年度起始月"),
    "years": _l("收益年限（年）"),
}


def field_message(errors: Mapping[str, str], labels: Mapping[str, Any]) -> str:
    """The errors as one sentence in the visitor's language, each field named by its label (never its code)."""
    return str(_("；")).join(_("%(label)s：%(reason)s", label=str(labels.get(name, name)), reason=reason)
                            for name, reason in errors.items())


class FieldCollector:
    """Parses the fields present in ``raw`` into ``values``, collecting errors instead of stopping at the first.

    ``labels`` (field → lazy label) name the fields in the error's message: an input's one schema (the page
    and the API both call it) passes its labels, so both answer the same fields in the same words.
    """

    def __init__(self, raw: Mapping[str, Any], labels: Mapping[str, Any] | None = None) -> None:
        self.raw = raw
        self.labels = labels
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def parse(self, field: str, parser: Callable[[Any], Any]) -> None:
        """Set ``values[field]`` from ``raw[field]`` when given; a ValidationFailed is recorded, not raised."""
        if field not in self.raw:
            return
        try:
            self.values[field] = parser(self.raw[field])
        except ValidationFailed as error:
            self.errors.update(error.fields or {field: error.message})

    def check(self, parse_many: Callable[[], dict[str, Any]]) -> None:
        """Run a parser that sets several values together (a price range); record its errors."""
        try:
            self.values.update(parse_many())
        except ValidationFailed as error:
            self.errors.update(error.fields)

    def require(self, *fields: str) -> None:
        for field in fields:
            if field not in self.raw and field not in self.errors:
                self.errors[field] = _("必填")

    def raise_errors(self, error_class: type[ValidationFailed] = ValidationFailed) -> None:
        if self.errors:
            message = field_message(self.errors, self.labels) if self.labels is not None \
                else "; ".join(f"{k}: {v}" for k, v in self.errors.items())
            raise error_class(message, self.errors)
