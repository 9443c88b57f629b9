"""Cell readers of the loaders (analysis.data.values): a value that could be read two ways is refused."""

import pandas as pd
import pytest

from analysis.data.schema import SchemaError
from analysis.data.values import municipality_column


def _codes(values, given=None):
    df = pd.DataFrame({"municipality_code": values})
    rows = list(range(2, 2 + len(values)))  # the file's row numbers, after the heading
    return municipality_column(
        df, given, source="f.csv", mapping_source="m.yaml", rows=rows, column="Kommune"
    )


def test_a_municipality_code_is_read_from_a_code_or_a_text_that_starts_with_one():
    assert _codes([706, "706", "0706", 706.0, "706 Syddjurs", "706 - Syddjurs", "  101 København"]) == [
        706,
        706,
        706,
        706,
        706,
        706,
        101,
    ]


@pytest.mark.parametrize("value", ["7060", "1010", "706.5", "706Syddjurs", "Syddjurs"])
def test_the_first_three_digits_of_a_longer_number_are_no_municipality_code(value):
    # before: '7060' was read as 706 and '1010' as 101 (København), from their first three digits
    with pytest.raises(
        SchemaError,
        match=r"f.csv, row 3, column 'Kommune': expected a municipality code of Statistics Denmark",
    ):
        _codes(["706", value])
