"""`Tolerance.parse`: a request's tolerance from what a caller gives (an object, a pair, "ATOL,RTOL")."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bisection.errors import InvalidTolerance
from bisection.tolerance import Tolerance

finite = st.floats(min_value=0, max_value=1e30, allow_nan=False, allow_infinity=False)


@given(finite, finite)
def test_every_form_parses_to_the_same_tolerance(atol, rtol):
    t = Tolerance(atol, rtol)
    assert Tolerance.parse(t) is t
    assert Tolerance.parse((atol, rtol)) == Tolerance.parse([atol, rtol]) == t
    assert Tolerance.parse(f"{atol!r},{rtol!r}") == t
    assert Tolerance.unpack(Tolerance.parse(f"{atol!r},{rtol!r}").packed) == t


@pytest.mark.parametrize("bad", ["", "1e-5", "1e-5,1e-4,0", "a,b", "1e-5;1e-4", ",", None, 3, (1.0,), {"atol": 1}])
def test_what_is_not_a_tolerance_is_refused_naming_it(bad):
    with pytest.raises(InvalidTolerance, match="tolerance"):
        Tolerance.parse(bad)


@pytest.mark.parametrize("bad", ["-1,0", "0,nan", "inf,0", (1e40, 0)])
def test_a_pair_out_of_range_is_refused_by_the_value_type(bad):
    with pytest.raises(InvalidTolerance):
        Tolerance.parse(bad)
