"""The package's reference list of municipalities: official names for running text."""

import pytest

from analysis.data import reference
from analysis.errors import InputError


def test_official_names_of_all_98_municipalities():
    names = reference.official_names()
    assert len(names) == 98
    assert names[101] == "Københavns Kommune"  # genitive, not "København Kommune"
    assert names[400] == "Bornholms Regionskommune"  # a regional municipality, not "Bornholm Kommune"
    assert names[147] == "Frederiksberg Kommune"
    assert names[706] == "Syddjurs Kommune"
    assert names[173] == "Lyngby-Taarbæk Kommune"
    # every other one is "<name> Kommune"
    ref = reference.municipalities().set_index("municipality_code")
    others = ref.drop([101, 400])
    assert (others["official_name"] == others["municipality"] + " Kommune").all()
    assert reference.official_name(400) == "Bornholms Regionskommune"
    with pytest.raises(InputError, match="unknown municipality code 999"):
        reference.official_name(999)
