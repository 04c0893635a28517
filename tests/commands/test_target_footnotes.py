"""A target `run` does not forecast says in how many draws the as-of status holds, in words."""

from __future__ import annotations

from gigawatt.commands.buildout import _in_draws


def test_a_status_count_reads_in_words_not_as_a_probability() -> None:
    assert _in_draws(0.0) == "in no draw"
    assert _in_draws(1.0) == "in every draw"
    assert _in_draws(0.4) == "in 40% of draws"
    assert _in_draws(0.001) == "in <1% of draws"  # never "0%" beside a count that holds somewhere
