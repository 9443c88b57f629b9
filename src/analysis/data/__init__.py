"""The data layer: schema, warehouse, sample and loaders.

>>> from analysis.data import connect
>>> con = connect()            # the embedded sample warehouse, built on first use  # doctest: +SKIP
>>> con.sql("SELECT count(*) FROM accounts").fetchone()                             # doctest: +SKIP
"""

from analysis.data.schema import TABLES, SchemaError
from analysis.data.warehouse import connect, load

__all__ = ["TABLES", "SchemaError", "connect", "load"]
