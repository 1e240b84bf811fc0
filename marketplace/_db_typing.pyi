# What ``marketplace.extensions.db`` is to a type checker (never imported at run time).
#
# Models subclass ``db.Model``; a type checker cannot take a base class from an attribute of an
# object, so ``extensions`` presents ``db`` as this module under TYPE_CHECKING: ``Model`` is the
# declarative ``Base`` (whose subclass Flask-SQLAlchemy builds at run time), the rest mirrors
# ``flask_sqlalchemy.SQLAlchemy``.
from typing import Any

from flask import Flask
from flask_sqlalchemy.pagination import Pagination
from flask_sqlalchemy.session import Session
from sqlalchemy import Engine, MetaData, Select
from sqlalchemy.orm import scoped_session

from marketplace.extensions import Base

Model = Base
session: scoped_session[Session]
engine: Engine
metadata: MetaData

def init_app(app: Flask) -> None: ...
def get_engine(bind_key: str | None = None, **kwargs: Any) -> Engine: ...
def create_all(bind_key: str | None | list[str | None] = "__all__") -> None: ...
def drop_all(bind_key: str | None | list[str | None] = "__all__") -> None: ...
def paginate(select: Select[Any], *, page: int | None = None, per_page: int | None = None,
             max_per_page: int | None = None, error_out: bool = True, count: bool = True) -> Pagination: ...
def __getattr__(name: str) -> Any: ...  # SQLAlchemy names proxied by the extension (db.func, db.or_ …)
