"""Which assumptions matter: global sensitivity of one output to every uncertain parameter.

:func:`analyse` is the whole method and knows nothing about scenarios: SALib
samples the unit hypercube (Sobol' sequences for Sobol' indices, Saltelli's
scheme; or Morris trajectories for screening many parameters), each column goes
through its parameter's quantile function :meth:`Dist.ppf` so the marginals are
the scenario's own, the ``evaluate`` callable turns that parameter matrix into
one output value per row, and SALib analyses the outputs. A one-at-a-time
tornado (each parameter at its P10 and P90, the rest at their medians) comes with
it. :func:`scenario_sensitivity` plugs the buildout engine in as ``evaluate``:
row blocks of the matrix run through :func:`gigawatt.engine.simulate_block` with
the parameters given (not sampled), on any :class:`~gigawatt.backends.Backend`;
a money output (``npv:PARTY``) also runs each block's money through
:func:`gigawatt.finance.simulate_money` with the contract and party terms given.

Sobol' (2001), "Global sensitivity indices for nonlinear mathematical models",
Math. Comput. Simul. 55; Saltelli et al. (2010), Comput. Phys. Commun. 181;
Morris (1991), Technometrics 33(2); Campolongo et al. (2007) for mu*.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from gigawatt import observations, units
from gigawatt.distributions import Dist
from gigawatt.engine import Model, first_reach, simulate_block, target_days
from gigawatt.errors import GigawattError
from gigawatt.runner import Backend, BlockOut, run_blocks
from gigawatt.scenario import Scenario

__all__ = [
    "EXCLUDED_SECTIONS",
    "OUTPUT_UNITS",
    "Output",
    "SensitivityResult",
    "analyse",
    "output_units",
    "parse_output",
    "scenario_sensitivity",
    "sensitivity_figure",
]

Method = Literal["sobol", "morris"]
Evaluate = Callable[[dict[str, np.ndarray]], np.ndarray]
#: Sections the buildout engine does not read (finance and demand inputs); left
#: out of a scenario's parameters unless asked for by ``include`` (or, but for
#: demand, when the output is money).
EXCLUDED_SECTIONS = ("contracts.", "parties.", "demand.")
#: Rows of the design per money block: the ledger is (draw, period, entry) floats.
_MONEY_ROWS = 256
#: Morris levels are mapped to the middles of equal-probability strata so that
#: unbounded distributions (lognormal) never see the quantiles 0 or 1.
_EDGE = 1e-9


@dataclass(frozen=True)
class Output:
    """One number per draw: ``gw-online:N`` (the date N facility GW are online, days
    since 1970, censored at the horizon's end), ``target:NAME`` (1 if the target is
    met by its date, else 0), ``capacity:DATE`` (facility GW online on DATE) or
    ``npv:PARTY`` (the NPV of the party's net cash, USD, at ``value`` per year, valued at the
    scenario's as-of date over the flows from it on, as ``gigawatt finance``'s)."""

    kind: Literal["gw-online", "target", "capacity", "npv"]
    text: str
    value: float = 0.0
    name: str = ""

    @property
    def label(self) -> str:
        if self.kind == "gw-online":
            return f"date {self.value / 1e3:g} GW (facility) is online, days since 1970"
        if self.kind == "target":
            return f"P(target {self.name} met by its date), per-draw indicator"
        if self.kind == "npv":
            return f"NPV of {self.name}'s net cash from the as-of date on, at {self.value:.1%} a year, USD"
        return f"facility GW online on {units.format_date(self.value)}"

    @property
    def is_date(self) -> bool:
        return self.kind == "gw-online"

    def show(self, value: float) -> str:
        """A value of this output as a person reads it (an ISO date for dates)."""
        if self.kind == "npv":
            return f"${value / 1e9:,.2f}B"
        return units.format_date(value) if self.is_date else f"{value:,.4g}"


def parse_output(text: str, scenario: Scenario, discount_rate: float = 0.10) -> Output:
    """Read ``--output``; a clear error for anything else."""
    kind, _, arg = text.partition(":")
    if kind == "npv" and arg:
        if arg not in scenario.parties:
            raise GigawattError(f"--output {text}: no party {arg!r} (parties: {', '.join(scenario.parties)})")
        return Output("npv", text, value=discount_rate, name=arg)
    try:
        if kind == "gw-online" and arg:
            gw = float(arg)
            if gw <= 0:
                raise ValueError
            return Output("gw-online", text, value=gw * 1e3)
        if kind == "target" and arg:
            if arg not in scenario.targets:
                known = ", ".join(scenario.targets) or "none"
                raise GigawattError(f"--output {text}: no target {arg!r} (targets: {known})")
            return Output("target", text, name=arg)
        if kind == "capacity" and arg:
            return Output("capacity", text, value=units.parse_date(arg))
    except (ValueError, units.UnitError):
        pass
    raise GigawattError(
        f"--output {text!r}: use gw-online:N (N facility GW), target:NAME, "
        "capacity:DATE (e.g. capacity:2028) or npv:PARTY"
    )


def output_values(model: Model, output: Output, ds: Any) -> np.ndarray:
    """The output of each draw of a simulated block (``simulate_block``'s dataset)."""
    online = ds["online_date"].values
    mw = ds["facility_mw"].values
    if output.kind == "gw-online":
        days = first_reach(online, mw, output.value)
        return np.where(np.isfinite(days), days, model.grid_days[-1])
    if output.kind == "target":
        target = model.scenario.targets[output.name]
        fact = observations.outcome(model.scenario, target)
        if fact is not None:  # decided by what was observed: no parameter moves it
            return np.full(online.shape[0], float(fact.met))
        met = target_days(model, ds)[output.name] <= target.by_date
        return met.astype(float)
    return (mw * (online <= output.value)).sum(axis=1) / 1e3


@dataclass
class SensitivityResult:
    """Indices per parameter (sorted most important first) and the tornado."""

    method: Method
    output: str
    parameters: list[str]
    #: Sobol': S1, S1_conf, ST, ST_conf; Morris: mu, mu_star, mu_star_conf, sigma
    indices: dict[str, np.ndarray]
    evaluations: int
    output_mean: float
    output_std: float
    #: output with every parameter at its median, and per parameter at its P10 / P90
    tornado_base: float
    tornado: dict[str, tuple[float, float]]
    notes: list[str] = field(default_factory=list)
    #: what makes the indices mean something else than asked (e.g. a date the all-median point
    #: never reaches): printed first, as warnings
    warnings: list[str] = field(default_factory=list)

    @property
    def ranking(self) -> str:
        return "ST" if self.method == "sobol" else "mu_star"

    def as_dict(self) -> dict[str, Any]:
        rows = [
            {
                "parameter": name,
                **{k: _finite(v[i]) for k, v in self.indices.items()},
                "tornado_p10": self.tornado[name][0],
                "tornado_p90": self.tornado[name][1],
            }
            for i, name in enumerate(self.parameters)
        ]
        return {
            "method": self.method,
            "output": self.output,
            "evaluations": self.evaluations,
            "output_mean": self.output_mean,
            "output_std": self.output_std,
            "tornado_base": self.tornado_base,
            "parameters": rows,
            "notes": self.notes,
            "warnings": self.warnings,
        }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def analyse(
    parameters: Mapping[str, Dist],
    evaluate: Evaluate,
    method: Method = "sobol",
    samples: int = 512,
    seed: int = 0,
    levels: int = 4,
    output: str = "output",
    show: Callable[[float], str] = "{:g}".format,
) -> SensitivityResult:
    """Global sensitivity of ``evaluate`` (parameter path -> values per row, to one
    output per row) to ``parameters``.

    ``samples`` is Sobol's base sample N (a power of 2; N·(D+2) evaluations) or the
    number of Morris trajectories (r·(D+1) evaluations); ``show`` writes an output
    value in messages."""
    names = list(parameters)
    if not names:
        raise GigawattError("no uncertain parameters to analyse")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if method == "sobol":
        # SALib is imported only when an analysis runs (slow to import).
        from SALib.analyze import sobol as sobol_analyze  # noqa: PLC0415
        from SALib.sample import sobol as sobol_sample  # noqa: PLC0415

        if samples < 2 or samples & (samples - 1):
            raise GigawattError(f"Sobol' samples must be a power of 2, got {samples}")
        unit = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
        quantiles = np.clip(unit, _EDGE, 1 - _EDGE)
    elif method == "morris":
        from SALib.analyze import morris as morris_analyze  # noqa: PLC0415 (see sobol)
        from SALib.sample import morris as morris_sample  # noqa: PLC0415

        unit = morris_sample.sample(problem, samples, num_levels=levels, seed=seed)
        quantiles = (unit * (levels - 1) + 0.5) / levels
    else:
        raise GigawattError(f"unknown method {method!r}: use sobol or morris")
    values = {name: np.asarray(parameters[name].ppf(quantiles[:, j]), float) for j, name in enumerate(names)}
    y = np.asarray(evaluate(values), float)
    if y.shape != (unit.shape[0],) or not np.isfinite(y).all():
        raise GigawattError(f"the output {output!r} must be one finite number per evaluation")
    if np.ptp(y) == 0:
        raise GigawattError(
            f"the output {output!r} is {show(y[0])} in every evaluation: no parameter moves it"
        )
    rng = np.random.default_rng(seed)  # bootstrap confidence intervals (SALib ignores a seed of 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SALib's constant-subset warning; see notes
        if method == "sobol":
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=rng)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            si = morris_analyze.analyze(problem, unit, y, num_levels=levels, seed=rng)
            keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    indices = {k: np.asarray(si[k], float) for k in keys}
    base, swings = _tornado(parameters, evaluate)
    rank = indices["ST" if method == "sobol" else "mu_star"]
    order = np.argsort(-np.nan_to_num(rank, nan=-np.inf), kind="stable")
    return SensitivityResult(
        method=method,
        output=output,
        parameters=[names[i] for i in order],
        indices={k: v[order] for k, v in indices.items()},
        evaluations=int(y.size + 2 * len(names) + 1),
        output_mean=float(y.mean()),
        output_std=float(y.std()),
        tornado_base=base,
        tornado=swings,
        notes=_notes(y, show),
    )


def _notes(y: np.ndarray, show: Callable[[float], str]) -> list[str]:
    """Warn when most evaluations give one value (a rare event): the indices are then noisy."""
    values, counts = np.unique(y, return_counts=True)
    share = counts.max() / y.size
    if share < 0.9:
        return []
    return [
        f"{share:.1%} of evaluations give the same output ({show(values[counts.argmax()])}): "
        "indices rest on few evaluations; raise --samples"
    ]


def _tornado(
    parameters: Mapping[str, Dist], evaluate: Evaluate
) -> tuple[float, dict[str, tuple[float, float]]]:
    """Output at all medians, then each parameter alone at its P10 and its P90."""
    names = list(parameters)
    rows = 2 * len(names) + 1
    values = {name: np.full(rows, float(parameters[name].ppf(0.5))) for name in names}
    for j, name in enumerate(names):
        values[name][1 + 2 * j] = float(parameters[name].ppf(0.1))
        values[name][2 + 2 * j] = float(parameters[name].ppf(0.9))
    y = np.asarray(evaluate(values), float)
    return float(y[0]), {name: (float(y[1 + 2 * j]), float(y[2 + 2 * j])) for j, name in enumerate(names)}


def all_parameters(model: Model, money: bool = False) -> dict[str, Dist]:
    """Every parameter by path: the engine's, and with ``money`` the finance terms too."""
    if not money:
        return dict(model.parameters)
    from gigawatt.finance.model import money_parameters  # noqa: PLC0415 (money only for npv:)

    return {**model.parameters, **money_parameters(model.scenario)}


def uncertain_parameters(model: Model, include: Sequence[str] = (), money: bool = False) -> dict[str, Dist]:
    """The scenario's non-fixed parameters by path: those under any ``include``
    prefix, or else all but :data:`EXCLUDED_SECTIONS` (for a ``money`` output, all
    but demand: contract and party terms are inputs then)."""
    excluded = ("demand.",) if money else EXCLUDED_SECTIONS
    out = {}
    for path, dist in all_parameters(model, money).items():
        if dist.is_fixed:
            continue
        if include and not any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in include):
            continue
        if not include and path.startswith(excluded):
            continue
        out[path] = dist
    return out


def _rows(shared: tuple[Model, Output, dict[str, float]], values: dict[str, np.ndarray]) -> np.ndarray:
    """One block of the design through the engine (module level: runs on workers)."""
    model, output, held = shared
    n = len(next(iter(values.values())))
    params = {**{k: np.full(n, v) for k, v in held.items()}, **values}
    ds = simulate_block(model, 0, 0, n, params=params)
    if output.kind != "npv":
        return output_values(model, output, ds)
    from gigawatt.finance import simulate_money  # noqa: PLC0415 (money only for npv:)
    from gigawatt.finance.statements import as_of_npv_usd, party_net_usd  # noqa: PLC0415

    money = simulate_money(model.scenario, ds, 0, params=params)
    return as_of_npv_usd(money, party_net_usd(money, output.name), output.value)


def blockwise(
    fn: Callable[[Any, dict[str, np.ndarray]], np.ndarray],
    shared: Any,
    backend: Backend,
    rows_per_block: int = 8192,
) -> Evaluate:
    """An ``evaluate`` that runs ``fn(shared, rows)`` on row blocks on ``backend``."""

    def evaluate(values: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(values.values())))
        blocks = [(i, lo, min(n, lo + rows_per_block)) for i, lo in enumerate(range(0, n, rows_per_block))]
        out = np.empty(n)

        def place(block: BlockOut) -> None:
            lo = blocks[block.index][1]
            out[lo : lo + block.draws] = block.value

        run_blocks(_row_blocks, (fn, shared, values), blocks, [place], executor=backend)
        return out

    return evaluate


def _row_blocks(
    work: tuple[Callable[[Any, dict[str, np.ndarray]], np.ndarray], Any, dict[str, np.ndarray]],
    blocks: Sequence[tuple[int, int, int]],
) -> list[BlockOut]:
    """The runner's work for :func:`blockwise`: ``fn(shared, rows)`` on each block of rows."""
    fn, shared, values = work
    return [
        BlockOut(i, hi - lo, fn(shared, {k: v[lo:hi] for k, v in values.items()})) for i, lo, hi in blocks
    ]


def scenario_sensitivity(
    scenario: Scenario,
    output: str,
    method: Method = "sobol",
    samples: int = 512,
    seed: int = 0,
    include: Sequence[str] = (),
    backend: Backend | None = None,
    discount_rate: float = 0.10,
    guard: Callable[[int, bool], None] | None = None,
) -> SensitivityResult:
    """:func:`analyse` with the buildout engine (and for ``npv:PARTY`` the money at
    ``discount_rate`` a year) as the model; parameters not analysed are held at their medians.
    ``guard(rows, money)`` is called with the evaluations to come before any starts."""
    model = Model.from_scenario(scenario)
    out = parse_output(output, scenario, discount_rate)
    money = out.kind == "npv"
    parameters = uncertain_parameters(model, include, money)
    if not parameters:
        raise GigawattError(f"no uncertain parameters under {', '.join(include) or 'the scenario'}")
    held = {k: float(d.ppf(0.5)) for k, d in all_parameters(model, money).items() if k not in parameters}
    if guard is not None:
        per_sample = len(parameters) + (2 if method == "sobol" else 1)
        guard(samples * per_sample, money)
    rows = _MONEY_ROWS if money else 8192
    evaluate = blockwise(_rows, (model, out, held), backend or Backend(), rows_per_block=rows)
    result = analyse(parameters, evaluate, method, samples, seed, output=output, show=out.show)
    result.notes.append(f"{len(parameters)} uncertain parameters; the others are held at their medians")
    if out.kind == "gw-online":
        result.notes.append(f"draws that never reach {out.value / 1e3:g} GW count as the horizon's end")
        if result.tornado_base >= model.grid_days[-1]:
            result.warnings.append(
                f"with every input at its median, {out.value / 1e3:g} GW is never reached by the horizon "
                f"({units.format_date(model.grid_days[-1])}): the indices measure what tips the total over "
                f"{out.value / 1e3:g} GW, not what drives the buildout; ask for a level the median "
                "reaches (a lower gw-online:N) or capacity:DATE"
            )
    if money:
        at = scenario.time.as_of_date
        result.notes.append(
            f"NPV at {units.format_date(scenario.time.as_of_day)} (the as-of date) of the flows from then on "
            f"at {out.value:.0%} a year: what was paid before it is sunk, not counted"
            if at is not None
            else f"NPV at {units.format_date(scenario.time.as_of_day)} (the start: no as-of date) at "
            f"{out.value:.0%} a year"
        )
    return result


#: Per output kind: the unit after a value (a date and $…B say their own) and the unit of
#: a Morris effect (mu*, sigma) and of the tornado's values.
OUTPUT_UNITS = {
    "gw-online": ("", "days"),
    "capacity": (" facility GW", "facility GW"),
    "npv": ("", "$B"),
    "target": (" (1: met by its date, 0: not)", "P(met)"),
}


def output_units(output: str) -> tuple[str, str]:
    """:data:`OUTPUT_UNITS` of an ``--output`` text (nothing for one not known)."""
    return OUTPUT_UNITS.get(output.partition(":")[0], ("", ""))


def sensitivity_figure(result: SensitivityResult, top: int = 15) -> Any:
    """Plotly figure: Sobol' S1/ST (or Morris mu*) bars above the P10/P90 tornado, each with
    its parameter names."""
    import plotly.graph_objects as go  # noqa: PLC0415 (plotly only to draw)
    from plotly.subplots import make_subplots  # noqa: PLC0415

    names = result.parameters[:top][::-1]
    picked = [result.parameters.index(n) for n in names]
    # stacked, each with its own row labels: readable alone and on a narrow screen
    fig = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=0.12,
        subplot_titles=(
            "Sobol' indices" if result.method == "sobol" else "Morris screening (mu*)",
            "Tornado: each parameter at P10 / P90, others at median",
        ),
    )
    bars = ("S1", "ST") if result.method == "sobol" else ("mu_star",)
    for key in bars:
        fig.add_trace(
            go.Bar(
                y=names,
                x=result.indices[key][picked],
                error_x={"array": result.indices[f"{key}_conf"][picked]},
                orientation="h",
                name=key,
            ),
            row=1,
            col=1,
        )
    base = result.tornado_base
    for index, label in ((0, "P10"), (1, "P90")):
        fig.add_trace(
            go.Bar(
                y=names,
                x=[result.tornado[n][index] - base for n in names],
                base=base,
                orientation="h",
                name=label,
            ),
            row=2,
            col=1,
        )
    fig.update_layout(
        barmode="group",
        title=f"What moves {result.output} ({result.method}, {result.evaluations:,} evaluations)",
        height=max(600, 2 * 28 * len(names) + 200),
    )
    return fig
