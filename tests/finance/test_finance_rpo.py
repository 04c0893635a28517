"""RPO over time: the public series other code compares with reported RPO."""

import numpy as np
import pytest

from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.rpo import rpo_series
from gigawatt.scenario import load_scenario
from gigawatt.units import parse_date


def test_oracle_rpo_series_books_at_signing_and_runs_off_with_delivery():
    scenario = load_scenario("stargate")
    money = simulate_money(scenario, buildout(scenario, 30, 0), 0)
    # the books signed after 31 May 2025, as the crosschecks compare them with reported RPO
    series = rpo_series(money, "oracle", signed_after=parse_date("2025-05-31"))
    assert series.rpo_usd.shape == (30, len(money.edges) - 1) and len(series.dates) == len(series.days)
    # the $300B OpenAI contract (22 Jul 2025) and the other AI customers' books ($17B, mid-July;
    # $68B, mid-October) are booked at signing, before any delivery
    assert series.at(parse_date("2025-06-30")) == pytest.approx(np.zeros(30))
    assert series.at(parse_date("2026-01-01")) == pytest.approx(np.full(30, 385e9))
    # all books: OpenAI's Abilene contract too, booked at its signing (23 May 2025) and running off
    # from its first building (28 Jun 2025)
    every = rpo_series(money, "oracle")
    abilene = money.parameters["contracts.oracle-openai-abilene.value"]
    assert every.at(parse_date("2025-03-31")) == pytest.approx(np.zeros(30))
    assert every.at(parse_date("2025-07-01")) == pytest.approx(abilene, rel=0.01)
    assert np.all(every.at(parse_date("2025-07-01")) < abilene)
    assert np.all(every.at(parse_date("2026-01-01")) - series.at(parse_date("2026-01-01")) < abilene)
    # then it runs off as capacity delivers: lower at end-2028 than at its peak in every draw
    peak = series.rpo_usd.max(axis=1)
    assert np.all(series.at(parse_date("2028-12-31")) < peak - 50e9)
    q = series.quantiles()
    assert all(a <= b <= c for a, b, c in zip(q["p10"], q["p50"], q["p90"], strict=True))
    assert q["p50"][-1] == 0.0  # the term has ended by the horizon
    assert rpo_series(money, "nobody").rpo_usd.sum() == 0.0
