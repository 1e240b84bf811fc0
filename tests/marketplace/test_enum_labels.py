"""Shared labels on the enums (issue 11): each enum's page labels are written once, next to the enum, in lazy
gettext; every page, form, export and API message takes them from there (``member.label``, ``*_LABELS``)."""
from __future__ import annotations

import ast
import enum
from pathlib import Path

import pytest

from marketplace.patents import vocab
from marketplace.patents.vocab import (
    MODE_LABELS, LegalStatus, PatentType, TransformationMode, label_of, lazy_labels,
)
from marketplace.push.models import FeedbackReason

ROOT = Path(__file__).resolve().parents[2] / "marketplace"
# Where an enum's labels may live outside its module, and why.
ELSEWHERE = {("marketplace.legal.annual_fees", "PatentType"):
             "the pure legal rules sit below patents and name the types; vocab registers these same labels"}


def _enums() -> list[type[enum.Enum]]:
    found, todo = [], list(enum.Enum.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("marketplace.") and list(cls):
            found.append(cls)
    return found


def _is_lazy_label(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_l", "lazy_gettext")


def _label_dicts(tree: ast.AST) -> list[ast.Dict]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Dict) and len(node.keys) >= 2
            and all(_is_lazy_label(value) for value in node.values)]


def _enums_of(node: ast.Dict, enums: list[type[enum.Enum]]) -> list[type[enum.Enum]]:
    """The enums whose members a label dict's keys all are (``"transfer"`` or ``TransformationMode.TRANSFER``)."""
    found = []
    for cls in enums:
        values, names = {str(m.value) for m in cls}, {m.name for m in cls}
        keys = node.keys
        if all(isinstance(k, ast.Constant) and k.value in values for k in keys) \
                or all(isinstance(k, ast.Attribute) and isinstance(k.value, ast.Name) and k.value.id == cls.__name__
                       and k.attr in names for k in keys):
            found.append(cls)
    return found


def test_no_enum_has_its_labels_written_twice(app):
    """A dict of lazy labels keyed by an enum's members lives in the enum's own module; anywhere else it is a
    second copy that drifts (MODE_LABELS was written in patents/forms.py, needs/forms.py and console)."""
    enums = _enums()
    assert TransformationMode in enums and FeedbackReason in enums
    copies = []
    for path in sorted(ROOT.rglob("*.py")):
        module = "marketplace." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in _label_dicts(ast.parse(path.read_text(encoding="utf-8"))):
            labelled = _enums_of(node, enums)
            if labelled and module.removesuffix(".__init__") not in {cls.__module__ for cls in labelled} \
                    and not any((module, cls.__name__) in ELSEWHERE for cls in labelled):
                copies.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} labels {labelled[0].__name__}")
    assert copies == []


def test_the_guard_sees_a_copy():
    tree = ast.parse('MODE = {"transfer": _l("转让"), "open_license": _l("开放许可")}')
    assert TransformationMode in _enums_of(_label_dicts(tree)[0], _enums())


def test_labels_follow_the_visitor_language(app):
    with app.test_request_context("/api/v1/patents", headers={"Accept-Language": "en"}):
        assert PatentType.UTILITY_MODEL.label == "Utility model"
        assert LegalStatus.GRANTED.label == "In force"
        assert FeedbackReason.PRICE.label == "Price"
        assert str(MODE_LABELS[TransformationMode.EQUITY]) == TransformationMode.EQUITY.label != "作价入股"
    with app.test_request_context("/api/v1/patents", headers={"Accept-Language": "zh"}):
        assert (LegalStatus.GRANTED.label, FeedbackReason.PRICE.label) == ("有效", "价格")
        assert MODE_LABELS["open_license"] == MODE_LABELS[TransformationMode.OPEN_LICENSE]  # codes look them up too


def test_every_member_needs_a_label():
    class Colour(enum.StrEnum):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="BLUE"):
        lazy_labels(Colour, {Colour.RED: "红"})
    lazy_labels(Colour, {Colour.RED: "红", Colour.BLUE: "蓝"})
    assert label_of(Colour.BLUE) == "蓝"
    vocab._LAZY_LABELS.pop(Colour)
