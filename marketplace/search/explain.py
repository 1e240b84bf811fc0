"""Match explanations in the visitor's language: each factor from its code and parameters, through the catalogue.

The engine returns factors as ``code`` + ``params`` (+ points); the page
renders them here with gettext, so a visitor reads one language only.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from marketplace.patents.vocab import Maturity

_MODE_MSGIDS = {"transfer": "转让", "license": "许可", "open_license": "开放许可", "equity": "作价入股"}


def _modes(codes: list[str]) -> str:
    return _("、").join(_(_MODE_MSGIDS[c]) if c in _MODE_MSGIDS else c for c in codes)


def _maturity(code: str) -> str:
    try:
        return Maturity(code).label
    except ValueError:
        return code


def factor_text(factor: Mapping[str, Any]) -> str:
    """One factor of a stored or fresh explanation (``Factor.to_dict()`` shape) as a sentence."""
    code = factor.get("code")
    p: Mapping[str, Any] = factor.get("params") or {}
    if code == "text":
        return _("文本相关度 %(value)s", value=round(float(factor.get("contribution", 0))))
    if code == "segment_match":
        names = p.get("names") or []
        return _("产业领域一致：%(names)s", names=_("、").join(names)) if names else _("产业领域不同")
    if code == "ipc_match":
        label = p.get("title") or p.get("code") or ""
        return _("技术领域（IPC）一致：%(label)s", label=label) if not p.get("inferred") else \
            _("技术领域（IPC）与最相关专利一致：%(label)s", label=label)
    if code == "grade":
        return _("专利分级 %(grade)s", grade=p.get("grade", ""))
    if code == "maturity":
        level = p.get("level")
        label = _maturity(str(p.get("maturity", "")))
        if level == "mature":
            return _("技术成熟（%(label)s）", label=label)
        if level == "mid":
            return _("已中试（%(label)s）", label=label)
        return _("尚处早期（%(label)s）", label=label)
    if code == "open_license":
        return _("已发布开放许可声明，可直接获得许可")
    if code == "mode_match":
        modes = p.get("modes") or []
        return _("合作方式一致：%(modes)s", modes=_modes(modes)) if modes else _("合作方式不符")
    if code == "budget":
        return _("报价在预算范围内") if p.get("fits") else _("报价高于预算")
    if code == "legal_status":
        return _("尚未授权（审查中）")
    return str(factor.get("label_zh") or code)


def factor_points(factor: Mapping[str, Any]) -> str:
    """The factor's effect on the score, in points (the text factor is the relevance itself)."""
    if factor.get("code") == "text":
        return ""
    value = float(factor.get("contribution", 0))
    return f"{value:+.1f}"
