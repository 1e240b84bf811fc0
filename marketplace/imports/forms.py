"""The upload form; the file's format and content are judged by the service, not here."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField

from marketplace.imports.models import ImportMode

MODE_CHOICES = [(ImportMode.VALID_ONLY.value, _l("导入有效行，跳过有错误的行")),
                (ImportMode.ALL_OR_NOTHING.value, _l("全部或全不：任一行有错误则不导入任何数据"))]


class ImportForm(FlaskForm):
    file = FileField(_l("专利清单文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件"))],
                     render_kw={"accept": ".xlsx,.csv,.tsv,.txt"})
    mode = RadioField(_l("导入方式"), choices=MODE_CHOICES, default=ImportMode.VALID_ONLY.value)
    publish = BooleanField(_l("导入后立即发布（否则保存为草稿）"))
