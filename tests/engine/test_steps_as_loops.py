"""The engine's vectorised steps give, bit for bit, what their plain per-phase loops give."""

import numpy as np
import pytest

from gigawatt import load_scenario
from gigawatt.engine import CAUSES, Model
from gigawatt.engine.power import _POWER_KINDS, _power_day, site_power
from gigawatt.engine.simulate import _Block, _construction, _draw_parameters, _sizes


@pytest.fixture(scope="module", params=["stargate", "stargate-2025-09"])
def drawn(request):
    model = Model.from_scenario(load_scenario(request.param))
    return model, _draw_parameters(model, 5, 1000, 1700, None)


def test_sizes_are_the_per_phase_formula(drawn):
    model, p = drawn
    b = _Block.empty(700, len(model.phases))
    _sizes(model, p, b)
    for k, ph in enumerate(model.phases):
        size, pue = p[f"{model.phase_path(k)}.power"], p[f"pue.{ph.cooling}"]
        it = size if ph.basis == "it" else size / pue
        facility = size * pue if ph.basis == "it" else size
        acc = f"accelerators.{ph.accelerator}"
        # a site whose count is published (Abilene) states its own facility W per accelerator
        count = facility * 1e6 / p[ph.density_path] if ph.density_path else it * 1e6 / p[f"{acc}.it_power_w"]
        assert np.array_equal(b.facility_mw[:, k], facility)
        assert np.array_equal(b.it_mw[:, k], it)
        assert np.array_equal(b.accelerators[:, k], count)
        assert np.array_equal(b.bf16_flops[:, k], count * p[f"{acc}.bf16_flops"])
        assert np.array_equal(b.h100_equivalents[:, k], count * p[f"{acc}.h100_equivalents"])
        assert np.array_equal(b.capex_usd[:, k], count * p[f"{acc}.price_usd"])


def test_site_power_is_the_per_phase_search(drawn):
    """Each phase to build waits for the first source, in order of availability, whose
    cumulative firm MW covers it and the site's phases before it; none: never (inf), under
    the last source's kind."""
    model, p = drawn
    b = _Block.empty(700, len(model.phases))
    _sizes(model, p, b)
    _construction(model, p, b)
    observed = np.array([ph.status == "online" for ph in model.phases])
    site_power(model, p, b.facility_mw, b.commissioning, observed, b.power_day, b.candidates)
    for site_id, site in model.scenario.sites.items():
        ks = [k for k, ph in enumerate(model.phases) if ph.site == site_id]
        base = [f"sites.{site_id}.power_plan[{i}]" for i in range(len(site.power_plan))]
        days = np.stack([_power_day(p, s, src) for s, src in zip(base, site.power_plan, strict=True)], axis=1)
        mw = np.stack([p[f"{s}.capacity"] * p[f"{s}.firm_fraction"] for s in base], axis=1)
        order = np.argsort(days, axis=1, kind="stable")
        day_sorted = np.take_along_axis(days, order, axis=1)
        cum = np.cumsum(np.take_along_axis(mw, order, axis=1), axis=1)
        kinds = np.array([_POWER_KINDS.index(src.kind) for src in site.power_plan])[order]
        need = np.cumsum(b.facility_mw[:, ks], axis=1)
        for j, k in enumerate(ks):
            if observed[k]:
                continue
            idx = (cum < need[:, j : j + 1] - 1e-6).sum(axis=1)
            safe = np.minimum(idx, cum.shape[1] - 1)
            ready = np.where(idx < cum.shape[1], day_sorted[np.arange(700), safe], np.inf)
            assert np.array_equal(b.power_day[:, k], ready)
            kind = kinds[np.arange(700), safe]
            for code, name in enumerate(_POWER_KINDS):
                want = np.where(kind == code, ready + b.commissioning[:, k], -np.inf)
                assert np.array_equal(b.candidates[CAUSES.index(f"power:{name}"), :, k], want)
