"""The downloadable import template: our headers, plus a sheet saying what each column takes.

Its headers are the first alias of each column in ``columns.ALIASES``, so a
filled-in template always imports.
"""
from __future__ import annotations

from marketplace.accounts.models import Organisation
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, to_csv, to_xlsx
from marketplace.imports.columns import ALIASES
from marketplace.patents.vocab import LegalStatus, Maturity, PatentType, TransformationMode
from marketplace.segments.taxonomy import Taxonomy

PRICE_HEADER = "价格（万元）"
TEMPLATE_TARGETS = ("application_number", "title", "patent_type", "application_date", "publication_numbers",
                    "publication_date", "grant_date", "ipc_main", "ipc_codes", "applicants", "inventors",
                    "legal_status", "abstract", "first_claim", "grade", "segments", "modes", "price", "maturity",
                    "tags")
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}


def template_headers() -> list[str]:
    return [PRICE_HEADER if target == "price" else ALIASES[target][0] for target in TEMPLATE_TARGETS]


def _labels(enum_cls) -> str:
    return "、".join(member.label_zh for member in enum_cls)


def _instructions(organisation: Organisation, taxonomy: Taxonomy) -> list[tuple[str, str, str]]:
    segments = "、".join(segment.name for segment in taxonomy.roots()[:6])
    several = "多个用 ; 或 、 分隔 / separate several with ; or 、"
    notes = {
        "application_number": ("是", "12位数字加校验位，如 201710601862.3，可带 CN/ZL 前缀；重复导入按申请号更新"),
        "title": ("是", "专利名称"),
        "patent_type": ("", f"{_labels(PatentType)}；留空时按申请号第5位推断"),
        "application_date": ("", "2021-07-30、2021.07.30 或 20210730"),
        "publication_numbers": ("", f"如 CN108572939B；{several}"),
        "publication_date": ("", "同申请日"),
        "grant_date": ("", "同申请日"),
        "ipc_main": ("", "如 H01M 10/0525"),
        "ipc_codes": ("", f"如 H01M 10/0525；{several}"),
        "applicants": ("", f"本机构为专利权人，其他名称记为共有人；{several}"),
        "inventors": ("", several),
        "legal_status": ("", _labels(LegalStatus)),
        "abstract": ("", ""),
        "first_claim": ("", "首项权利要求（主权项）"),
        "grade": ("", "本机构的分级：" + "、".join(organisation.grade_labels)),
        "segments": ("", f"产业领域名称或代码，如 {segments}；{several}"),
        "modes": ("", f"{_labels(TransformationMode)}；{several}"),
        "price": ("", "单个金额或区间，如 50 或 10-20（万元）；也可写 10-20万、200000元；面议则留空"),
        "maturity": ("", _labels(Maturity)),
        "tags": ("", several),
    }
    return [(header, *notes[target]) for header, target in zip(template_headers(), TEMPLATE_TARGETS, strict=True)]


def inventory_template(fmt: str, organisation: Organisation, taxonomy: Taxonomy) -> bytes:
    """The template as CSV (UTF-8 with BOM, so Excel shows the Chinese) or XLSX with a sheet of instructions."""
    headers = template_headers()
    if fmt == "csv":
        return to_csv(headers, [])
    widths: dict[str, dict[int, float]] = {"专利清单": {index: 40 if header in ("摘要", "首项权利要求") else 18
                       for index, header in enumerate(headers, start=1)},
              "填写说明": {1: 18, 3: 90}}
    return to_xlsx([("专利清单", headers, []),
                    ("填写说明", ["列 / column", "必填 / required", "说明 / what to enter"],
                     _instructions(organisation, taxonomy))], widths=widths)
