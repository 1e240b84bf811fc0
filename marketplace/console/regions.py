"""Readable names for 6-digit administrative division codes, at province level (GB/T 2260 prefixes)."""
from __future__ import annotations

from marketplace.core.i18n import lazy_gettext as _l

PROVINCES = {
    "11": _l("北京市"), "12": _l("天津市"), "13": _l("河北省"), "14": _l("山西省"), "15": _l("内蒙古自治区"),
    "21": _l("辽宁省"), "22": _l("吉林省"), "23": _l("黑龙江省"), "31": _l("上海市"), "32": _l("江苏省"),
    "33": _l("浙江省"), "34": _l("安徽省"), "35": _l("福建省"), "36": _l("江西省"), "37": _l("山东省"),
    "41": _l("河南省"), "42": _l("湖北省"), "43": _l("湖南省"), "44": _l("广东省"), "45": _l("广西壮族自治区"),
    "46": _l("海南省"), "50": _l("重庆市"), "51": _l("四川省"), "52": _l("贵州省"), "53": _l("云南省"),
    "54": _l("西藏自治区"), "61": _l("陕西省"), "62": _l("甘肃省"), "63": _l("青海省"), "64": _l("宁夏回族自治区"),
    "65": _l("新疆维吾尔自治区"), "71": _l("台湾省"), "81": _l("香港特别行政区"), "82": _l("澳门特别行政区"),
}


def region_label(code: str) -> str:
    """``贵州省 520100``: the province spelled out (in the visitor's language), the code kept for the city or
    county."""
    province = PROVINCES.get((code or "")[:2])
    return f"{province} {code}" if province else code
