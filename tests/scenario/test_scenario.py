"""The scenario language: valid files load; each kind of mistake gets a located message."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigawatt import ScenarioError, builtin_scenarios, load_scenario
from gigawatt.errors import UnknownScenarioError


def problems(path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def test_small_scenario_loads(write, small_text):
    scenario = load_scenario(write(small_text))
    assert scenario.sites["alpha"].phases[0].power_mw.mid == 300.0
    assert scenario.contracts["compute"].value_usd.mid == 10e9
    assert scenario.targets["half-gw"].power_mw == 450.0


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_builtin_scenarios_are_valid(name):
    scenario = load_scenario(name)
    assert scenario.sites


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# (what the user wrote wrong, replacement, the line it lands on, the expected path and message)
BAD = [
    (
        "unknown accelerator",
        ("accelerator: gb200-nvl72", "accelerator: gb200-nvl27"),
        "accelerator: gb200-nvl27",
        "sites.alpha.accelerator",
        "unknown accelerator 'gb200-nvl27'; did you mean 'gb200-nvl72'?",
    ),
    (
        "energy for power",
        ('power: "300 MW"', 'power: "1.2 GWh"'),
        '"1.2 GWh"',
        "sites.alpha.phases[0].power",
        "'1.2 GWh' is energy, not power",
    ),
    (
        "missing unit",
        ('power: "300 MW"', "power: 300"),
        "power: 300",
        "sites.alpha.phases[0].power",
        "has no unit",
    ),
    (
        "phase larger than site",
        ('power: "300 MW"', 'power: "900 MW"'),
        '"900 MW"',
        "sites.alpha.phases[0].power",
        "larger than its site's whole power plan",
    ),
    (
        "dates out of order",
        ("start: 2025-03-01", "start: 2028-03-01"),
        "- name: P1",
        "sites.alpha.phases[0]",
        "dates out of order: start is after online",
    ),
    (
        "contract with unknown party",
        ("payee: cloud", "payee: clod"),
        "payee: clod",
        "contracts.compute.payee",
        "unknown party 'clod'; did you mean 'cloud'?",
    ),
    ("typo in a field", ("region: us-oh", "regoin: us-oh"), "regoin", "sites.beta.regoin", "unknown field"),
    (
        "site without power plan",
        (
            """    power_plan:
      - kind: gas
        capacity: "200 MW"
        technology: aeroderivative
        ordered: 2025-01-01
""",
            "",
        ),
        "  beta:",
        "sites.beta.power_plan",
        "required field missing",
    ),
    (
        "unknown distribution",
        ("online: {pert:", "online: {beta:"),
        "online: {beta:",
        "sites.alpha.phases[0].online",
        "unknown distribution 'beta'",
    ),
    (
        "distribution out of order",
        ("[2026-03-31, 2026-09-30, 2027-06-30]", "[2027-06-30, 2026-09-30, 2026-03-31]"),
        "online: {pert:",
        "sites.alpha.phases[0].online",
        "increasing order",
    ),
    (
        "unknown status",
        ("status: announced", "status: rumoured"),
        "status: rumoured",
        "sites.beta.phases[0].status",
        "'rumoured' is not one of announced, committed, under_construction, online",
    ),
    (
        "gas without technology",
        ("        technology: aeroderivative\n", ""),
        "- kind: gas",
        "sites.beta.power_plan[0]",
        "gas power needs a technology",
    ),
    (
        "negative money",
        ('value: "$10B"', 'value: "-$10B"'),
        'value: "-$10B"',
        "contracts.compute.value",
        "must be >= 0",
    ),
    (
        "time backwards",
        ("end: 2030-12-31", "end: 2020-12-31"),
        "time:",
        "time",
        "time.end must be after time.start",
    ),
    (
        "unknown unit",
        ('capacity: "500 MW"', 'capacity: "500 XW"'),
        '"500 XW"',
        "sites.alpha.power_plan[0].capacity",
        "unknown unit",
    ),
    (
        "lognormal inverted",
        ('value: "$10B"', 'value: {lognormal: {p50: "$10B", p90: "$5B"}}'),
        "lognormal",
        "contracts.compute.value",
        "0 < p50 < p90",
    ),
    (
        "payer pays itself",
        ("payer: lab", "payer: cloud"),
        "  compute:",
        "contracts.compute",
        "payer and payee must differ",
    ),
    (
        "site density without its source",
        (
            "    accelerator: gb200-nvl72\n",
            '    accelerator: gb200-nvl72\n    per_accelerator: {facility_power: "2.8 kW"}\n',
        ),
        "per_accelerator:",
        "sites.alpha.per_accelerator.source",
        "required field missing",
    ),
    (
        "site density not a per-accelerator power",
        (
            "    accelerator: gb200-nvl72\n",
            '    accelerator: gb200-nvl72\n    per_accelerator: {facility_power: "2.8 kWh", source: [s]}\n',
        ),
        "per_accelerator:",
        "sites.alpha.per_accelerator.facility_power",
        "is energy",
    ),
    (
        "a power in bytes",
        ('capacity: "500 MW"', 'capacity: "0.9 GB"'),
        '"0.9 GB"',
        "sites.alpha.power_plan[0].capacity",
        "unknown unit 'GB' for a power",
    ),
    (
        "target basis misspelt",
        ("basis: online", "basis: onlin"),
        "basis: onlin",
        "targets.half-gw.basis",
        "'onlin' is not one of announced, committed, under_construction, online, secured",
    ),
    (
        "target on unknown site",
        ("basis: online", "basis: online\n    sites: [alpah]"),
        "sites: [alpah]",
        "targets.half-gw.sites[0]",
        "unknown site 'alpah'; did you mean 'alpha'?",
    ),
]


@pytest.mark.parametrize(("case", "edit", "needle", "path", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_located(write, small_text, case, edit, needle, path, message):
    old, new = edit
    assert old in small_text, case
    text = small_text.replace(old, new, 1)
    file = write(text)
    found = problems(file)
    line = line_of(text, needle)
    expected = f"{file}:{line}:"
    matching = [p for p in found if p.startswith(expected) and f" {path}: " in p and message in p]
    assert matching, f"{case}: wanted {expected} {path}: {message}\ngot: {found}"


def test_a_union_of_literals_is_one_problem(write, small_text):
    """``basis: Status | Literal["secured"]``: one line for the field, no pydantic branch names."""
    found = problems(write(small_text.replace("basis: online", "basis: onlin", 1)))
    assert len(found) == 1, found
    assert "literal[" not in found[0]


def test_every_problem_reported_at_once(write, small_text):
    text = small_text.replace("accelerator: h100", "accelerator: h1000").replace(
        "payee: cloud", "payee: nobody"
    )
    found = problems(write(text))
    assert len(found) == 2


def test_yaml_syntax_error_is_located(write):
    file = write("name: x\nsites: [\n")
    (problem,) = problems(file)
    assert problem.startswith(f"{file}:3:1: YAML syntax")


def test_duplicate_key_is_an_error(write, small_text):
    text = small_text.replace("  beta:\n", "  alpha:\n", 1)
    found = problems(write(text))
    assert any("sites.alpha: key written twice" in p for p in found)


def test_tranche_that_can_never_fire(write, small_text):
    text = small_text.replace(
        '    value: "$10B"\n',
        '    value: "$10B"\n  stake:\n    kind: investment\n    payer: cloud\n    payee: lab\n'
        '    tranches:\n      - {amount: "$1B", gw_deployed: "5 GW"}\n',
    )
    file = write(text)
    found = problems(file)
    assert any(
        f"{file}:{line_of(text, 'gw_deployed')}:" in p and "milestone can never fire" in p for p in found
    ), found


def test_extends_merges_and_locates(write, small_text):
    write(small_text, "base.yaml")
    child = write("extends: base.yaml\nname: child\nsites:\n  alpha:\n    accelerator: h20\n", "child.yaml")
    (problem,) = problems(child)
    assert problem.startswith(f"{child}:5:5: sites.alpha.accelerator: unknown accelerator 'h20'")


def test_extends_override_and_delete(write, small_text):
    write(small_text, "base.yaml")
    child = write("extends: base.yaml\nname: child\nsites:\n  beta: null\ntargets: null\n", "child.yaml")
    scenario = load_scenario(child)
    assert set(scenario.sites) == {"alpha"} and not scenario.targets


def test_extends_loop(write):
    write("extends: b.yaml\nname: a\n", "a.yaml")
    b = write("extends: a.yaml\nname: b\n", "b.yaml")
    assert any("extends loops back" in p for p in problems(b))


def test_unknown_scenario_name_suggests():
    with pytest.raises(UnknownScenarioError, match="did you mean 'stargate'"):
        load_scenario("stargat")


def test_catalog_site_reference(write, small_text):
    text = small_text.replace("  beta:\n", "  abi:\n    catalog: abilen\n  beta:\n", 1)
    found = problems(write(text))
    assert any(
        "sites.abi.catalog: unknown catalog site 'abilen'; did you mean 'abilene'?" in p for p in found
    )


def test_catalog_site_with_override(write, small_text):
    text = small_text.replace("  beta:\n", "  abilene:\n    catalog: abilene\n    priority: 9\n  beta:\n", 1)
    text = text.replace(
        "parties:\n  lab: {name: Lab, kind: ai_lab}\n  cloud: {name: Cloud, kind: cloud}\n", ""
    )
    text = (
        text.replace("contracts:", "old_contracts:").split("old_contracts:")[0]
        + text.split("targets:")[1].join(["targets:", ""])
        if False
        else text
    )
    scenario_text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("    operator", "    tenant"))
    )
    scenario_text = re.sub(r"contracts:\n(?:    .*\n|  .*\n)*?(?=targets:)", "", scenario_text + "\n")
    scenario_text = re.sub(r"parties:\n(?:  .*\n)+?(?=sites:)", "", scenario_text)
    scenario = load_scenario(write(scenario_text))
    assert scenario.sites["abilene"].priority == 9
    assert scenario.sites["abilene"].name.startswith("Stargate Abilene")


YAMLISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "sites",
                    "power",
                    "phases",
                    "time",
                    "pert",
                    "power_plan",
                    "kind",
                    "x",
                    "targets",
                    "extends",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=YAMLISH)
def test_fuzzed_documents_only_raise_validation_errors(write, data):
    import yaml

    file = write(yaml.safe_dump(data))
    try:
        load_scenario(file)
    except (ScenarioError, UnknownScenarioError):
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_fuzzed_text_only_raises_validation_errors(write, text):
    try:
        load_scenario(write(text))
    except (ScenarioError, UnknownScenarioError):
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.text(max_size=20), st.integers(), st.floats(), st.none(), st.lists(st.text(max_size=5), max_size=3)
    )
)
def test_fuzzed_field_values_in_a_valid_scenario(write, small_text, value):
    import json

    text = small_text.replace('power: "300 MW"', f"power: {json.dumps(value)}", 1)
    try:
        load_scenario(write(text))
    except (ScenarioError, UnknownScenarioError):
        pass
