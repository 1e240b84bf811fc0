"""The downloadable import template: our headers, plus a sheet saying what each column takes.

Its headers are the first alias of each column in ``columns.ALIASES`` (the first English one for a visitor reading
English, with the price in "10,000 CNY" as in 万元), so a
filled-in template always imports.
"""
from __future__ import annotations

from marketplace.accounts.models import Organisation
from marketplace.core.i18n import gettext as _
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, to_csv, to_xlsx
from marketplace.imports.columns import ALIASES, column_name, reads_english
from marketplace.patents.vocab import LegalStatus, Maturity, PatentType, TransformationMode
from marketplace.segments.taxonomy import Taxonomy

# The price column counts in 万元 (10,000 CNY); ``columns`` reads the unit from the header in either language.
PRICE_HEADER = {"zh": "价格（万元）", "en": "Price (10,000 CNY)"}
TEMPLATE_TARGETS = ("application_number", "title", "patent_type", "application_date", "publication_numbers",
                    "publication_date", "grant_date", "ipc_main", "ipc_codes", "applicants", "inventors",
                    "legal_status", "abstract", "first_claim", "grade", "segments", "modes", "price", "maturity",
                    "tags")
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}


def template_headers() -> list[str]:
    """The headers in the visitor's language: the first Chinese alias, or the first English one."""
    price = PRICE_HEADER["en" if reads_english() else "zh"]
    return [price if target == "price" else column_name(target) for target in TEMPLATE_TARGETS]


def _labels(enum_cls) -> str:
    return _("、").join(str(member.label) for member in enum_cls)


def _instructions(organisation: Organisation, taxonomy: Taxonomy) -> list[tuple[str, str, str]]:
    locale = "en" if reads_english() else "zh"
    segments = _("、").join(segment.label(locale) for segment in taxonomy.roots()[:6])
    several = _("多个用 ; 或 、 分隔")
    required = _("是")
    same_date = _("同申请日")
    notes = {
        "application_number": (required, _("12位数字加校验位，如 201710601862.3，可带 CN/ZL 前缀；重复导入按申请号更新")),
        "title": (required, _("专利名称")),
        "patent_type": ("", _("%(types)s；留空时按申请号第5位推断", types=_labels(PatentType))),
        "application_date": ("", _("2021-07-30、2021.07.30 或 20210730")),
        "publication_numbers": ("", _("如 %(example)s；%(several)s", example="CN108572939B", several=several)),
        "publication_date": ("", same_date),
        "grant_date": ("", same_date),
        "ipc_main": ("", _("如 %(example)s", example="H01M 10/0525")),
        "ipc_codes": ("", _("如 %(example)s；%(several)s", example="H01M 10/0525", several=several)),
        "applicants": ("", _("本机构为专利权人，其他名称记为共有人；%(several)s", several=several)),
        "inventors": ("", several),
        "legal_status": ("", _labels(LegalStatus)),
        "abstract": ("", ""),
        "first_claim": ("", _("首项权利要求（主权项）")),
        "grade": ("", _("本机构的分级：%(labels)s", labels=_("、").join(organisation.grade_labels))),
        "segments": ("", _("产业领域名称或代码，如 %(segments)s；%(several)s", segments=segments, several=several)),
        "modes": ("", _("%(modes)s；%(several)s", modes=_labels(TransformationMode), several=several)),
        "price": ("", _("单个金额或区间，如 50 或 10-20（万元）；也可写 10-20万、200000元；面议则留空")),
        "maturity": ("", _labels(Maturity)),
        "tags": ("", several),
    }
    return [(header, *notes[target]) for header, target in zip(template_headers(), TEMPLATE_TARGETS, strict=True)]


def inventory_template(fmt: str, organisation: Organisation, taxonomy: Taxonomy) -> bytes:
    """The template as CSV (UTF-8 with BOM, so Excel shows the Chinese) or XLSX with a sheet of instructions."""
    headers = template_headers()
    if fmt == "csv":
        return to_csv(headers, [])
    patents, instructions = _("专利清单"), _("填写说明")
    long_columns = {ALIASES["abstract"][0], ALIASES["first_claim"][0], column_name("abstract", True),
                    column_name("first_claim", True)}
    widths: dict[str, dict[int, float]] = {patents: {index: 40 if header in long_columns else 18
                                                     for index, header in enumerate(headers, start=1)},
                                           instructions: {1: 18, 3: 90}}
    return to_xlsx([(patents, headers, []),
                    (instructions, [_("列"), _("必填"), _("说明")], _instructions(organisation, taxonomy))],
                   widths=widths)
