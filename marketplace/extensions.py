"""Extension objects, created unbound and initialised by ``create_app``."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_login import LoginManager
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get stable names in every migration."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every model maps a table (SQLAlchemy declares any FromClause)


# Indexes on expressions: Alembic can neither render nor compare them, so the migration writes them by hand
# and autogenerate leaves them alone (tests check they exist).
EXPRESSION_INDEXES = frozenset({"ix_patents_order_application_date", "ix_patents_order_grade"})


def include_in_autogenerate(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


if TYPE_CHECKING:  # models subclass db.Model: see _db_typing.pyi
    from marketplace import _db_typing as db
else:
    db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class MarketplaceApi(Api):
    """flask-smorest's Api without its own HTTP error handler: ``web`` answers every error in one shape."""

    def _register_error_handlers(self) -> None:
        return None


api = MarketplaceApi()
