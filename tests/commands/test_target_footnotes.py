"""`run` marks what it did not draw: a target it does not forecast, year ends before the as-of date."""

from __future__ import annotations

from gigawatt.commands.buildout import _in_draws


def test_a_status_count_reads_in_words_not_as_a_probability() -> None:
    assert _in_draws(0.0) == "in no draw"
    assert _in_draws(1.0) == "in every draw"
    assert _in_draws(0.4) == "in 40% of draws"
    assert _in_draws(0.001) == "in <1% of draws"  # never "0%" beside a count that holds somewhere


def test_year_ends_before_the_as_of_date_are_marked_observed() -> None:
    from gigawatt.commands.buildout import _year

    assert _year("2025-12-31", "2026-06-30") == "2025*"
    assert _year("2026-12-31", "2026-06-30") == "2026"
    assert _year("2025-12-31", None) == "2025"  # a run recorded without an as-of date
