"""The announcement upload and the export's filters; the file itself is judged by the service."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField

from marketplace.imports.forms import MODE_CHOICES
from marketplace.imports.models import ImportMode


class AnnouncementImportForm(FlaskForm):
    file = FileField(_l("开放许可公告文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件"))],
                     render_kw={"accept": ".xlsx,.csv,.tsv,.txt"})
    mode = RadioField(_l("导入方式"), choices=MODE_CHOICES, default=ImportMode.VALID_ONLY.value)
