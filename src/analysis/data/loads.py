"""Loading users' own files: one name for what the loaders share, gathered from the modules that do each job.

The loaders (:mod:`analysis.data.statbank`, :mod:`analysis.data.ledger`, :mod:`analysis.data.case_extract`,
:mod:`analysis.data.member_extract`) turn a file into warehouse rows with what these modules hold; import from here
(``loads.<name>``) or from the module:

:mod:`analysis.data.reading`
    Reading files: CSV and Excel, strictly, in chunks (:func:`open_table`) or whole (:func:`read_file`);
    :func:`file_sha256`.
:mod:`analysis.data.values`
    Danish amounts, dates, function and municipality codes (:func:`parse_amounts`, :func:`parse_dates`,
    :func:`function_code`, :func:`municipality_column`; :class:`Fields`, a file's mapped cells parsed field by
    field, an optional field defaulting when absent), and how errors show a value (:func:`shown`,
    :func:`remap_error`; a CPR-shaped value is never repeated).
:mod:`analysis.data.mappings`
    The YAML column mappings of ``parameters/mappings/`` (:func:`read_mapping`, :func:`select_columns`).
:mod:`analysis.data.loadlog`
    The record of loads: :func:`write` (rows, load record, findings and history in one transaction),
    :func:`replace_side_rows` (a side table's rows, undone with the load), :func:`undo`,
    :func:`previous_loads`, the tables ``_loads``, ``_findings`` and ``_history_<table>``.

Errors are :class:`~analysis.data.schema.SchemaError`: they name the file, the row as a spreadsheet shows it (the
header is row 1), the column as the file calls it, what was expected and what was found.
"""

from __future__ import annotations

from analysis.data.loadlog import (  # noqa: F401 - re-exported
    FINDINGS_TABLE,
    LOADS_TABLE,
    OWN_DATA_KIND,
    Finding,
    LoadResult,
    ensure_tables,
    history_table,
    previous_loads,
    replace_side_rows,
    undo,
    write,
    write_side,
)
from analysis.data.mappings import (  # noqa: F401 - re-exported
    ColumnMapping,
    read_mapping,
    select_columns,
)
from analysis.data.reading import (  # noqa: F401 - re-exported
    CHUNK_ROWS,
    FileFormat,
    SourceTable,
    TableReader,
    file_sha256,
    open_table,
    parse_csv,
    read_file,
    read_text,
    source_name,
)
from analysis.data.values import (  # noqa: F401 - re-exported
    DATE_FORMATS,
    Fields,
    _codes,
    _first_row,
    function_code,
    is_missing,
    kr,
    municipality_column,
    optional_amounts,
    optional_dates,
    parse_amount,
    parse_amounts,
    parse_codes,
    parse_date,
    parse_dates,
    parse_function_codes,
    remap_error,
    shown,
)

__all__ = [
    "FINDINGS_TABLE",
    "FileFormat",
    "Fields",
    "Finding",
    "LOADS_TABLE",
    "LoadResult",
    "OWN_DATA_KIND",
    "ColumnMapping",
    "SourceTable",
    "ensure_tables",
    "file_sha256",
    "function_code",
    "kr",
    "parse_amount",
    "parse_amounts",
    "parse_csv",
    "parse_date",
    "parse_dates",
    "history_table",
    "open_table",
    "previous_loads",
    "read_file",
    "read_mapping",
    "read_text",
    "replace_side_rows",
    "remap_error",
    "select_columns",
    "shown",
    "source_name",
    "undo",
    "write",
    "write_side",
]
