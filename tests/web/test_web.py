"""The dashboard's JSON API: scenarios, validation, runs, downloads, compare, safety, fuzzing."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi import checks as openapi_checks

from gigawatt.report import figures, scenario_or_none
from gigawatt.web.app import MAX_BODY_BYTES, MAX_DRAWS, create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(
        create_app(tmp_path_factory.mktemp("store")),
        raise_server_exceptions=False,
        base_url="http://127.0.0.1",
    )


def _wait(client: TestClient, run_id: str, timeout_s: float = 60) -> dict:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        body = client.get(f"/api/runs/{run_id}").json()
        if body["status"] != "running":
            return body
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def test_page_and_builtins(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="editor"' in page.text and "/static/plotly.min.js" in page.text
    assert client.get("/static/plotly.min.js").text.startswith("/**")
    names = [s["name"] for s in client.get("/api/scenarios").json()]
    assert "stargate" in names
    text = client.get("/api/scenarios/stargate").json()["text"]
    assert text.startswith("# The Stargate programme")
    assert client.get("/api/scenarios/nope").status_code == 404
    assert client.get("/api/scenarios/..%2Fetc").status_code in (404, 422)


def test_validate_locates_errors_like_the_cli(client: TestClient, small_text: str) -> None:
    ok = client.post("/api/validate", json={"text": small_text}).json()
    assert ok == {"ok": True, "problems": [], "warnings": [], "name": "small", "sites": 2, "phases": 2}
    bad = client.post("/api/validate", json={"text": small_text.replace('"300 MW"', '"300 parsecs"')}).json()
    assert not bad["ok"]
    [problem] = bad["problems"]
    line = small_text[: small_text.index('"300 MW"')].count("\n") + 1
    assert problem["line"] == line and problem["path"] == "sites.alpha.phases[0].power"
    assert problem["text"].startswith(f"scenario.yaml:{line}:")
    syntax = client.post("/api/validate", json={"text": "name: [oops"}).json()
    assert not syntax["ok"] and "YAML" in syntax["problems"][0]["message"]


def test_validate_returns_the_as_of_warnings(client: TestClient, small_text: str) -> None:
    text = small_text.replace("step: week}", "step: week, as_of: 2025-09-30}").replace(
        '        capacity: "500 MW"\n', '        capacity: "500 MW"\n        source: [later]\n', 1
    )
    text += "sources:\n  later: {publication: A later report, date: 2026-02-01, url: https://example.org}\n"
    body = client.post("/api/validate", json={"text": text}).json()
    assert body["ok"] and body["problems"] == []
    [warning] = body["warnings"]
    assert warning["path"] == "sites.alpha.power_plan[0].source" and warning["message"].startswith("warning:")


@pytest.mark.parametrize("parent", ["/etc/passwd", "../../secret.yaml", "stargate.yaml", ["stargate"]])
def test_uploaded_scenarios_may_only_extend_builtins(client: TestClient, parent: object) -> None:
    text = f"extends: {parent}\nname: x\n" if isinstance(parent, str) else "extends: [stargate]\nname: x\n"
    body = client.post("/api/validate", json={"text": text}).json()
    assert not body["ok"] and body["problems"][0]["path"] == "extends"
    assert "only extend a built-in" in body["problems"][0]["message"]
    assert client.post("/api/validate", json={"text": "extends: stargate\nname: mine\n"}).json()["ok"]


def test_limits(client: TestClient) -> None:
    big = client.post(
        "/api/validate", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"}
    )
    assert big.status_code == 413
    too_many = client.post("/api/runs", json={"scenario": "stargate", "draws": MAX_DRAWS + 1})
    assert too_many.status_code == 422 and "draws" in too_many.json()["detail"]
    both = client.post("/api/runs", json={"scenario": "stargate", "text": "name: x"})
    assert both.status_code == 422 and "either" in both.json()["detail"]
    assert client.post("/api/runs", json={"scenario": "nope"}).status_code == 422


def test_run_poll_figures_downloads_compare(client: TestClient, small_text: str) -> None:
    first = client.post("/api/runs", json={"text": small_text, "draws": 1024, "seed": 1})
    assert first.status_code == 202 and first.json()["status"] == "running"
    second = client.post("/api/runs", json={"text": small_text, "draws": 1024, "seed": 2}).json()
    a, b = _wait(client, first.json()["id"]), _wait(client, second["id"])
    assert a["status"] == b["status"] == "complete" and a["progress"] == 1.0
    assert a["summary"]["targets"][0]["name"] == "half-gw"
    figs = client.get(f"/api/runs/{a['id']}/figures").json()
    record = client.app.state.store.get(a["id"])  # type: ignore[attr-defined]
    made = figures(record.summary, scenario_or_none(record), kind=record.kind)
    assert list(figs) == list(made) and {"capacity", "phases", "constraints"} <= set(figs)  # report order
    again = client.get(f"/api/runs/{a['id']}/figures")
    assert again.json() == figs and again.headers["content-type"] == "application/json"
    assert figs["capacity"]["data"][2]["y"] == a["summary"]["capacity_gw"]["p50"]
    csv = client.get(f"/api/runs/{a['id']}/capacity.csv")
    assert csv.status_code == 200 and csv.text.startswith("series,quantile,time,facility_mw")
    table = pq.read_table(io.BytesIO(client.get(f"/api/runs/{a['id']}/capacity.parquet").content))
    assert set(table.column("series").to_pylist()) >= {"total", "site:alpha", "site:beta"}
    assert a["per_draw"] is True
    rows = pq.read_table(io.BytesIO(client.get(f"/api/runs/{a['id']}/draws.parquet").content))
    assert rows.num_rows == 1024 and rows.column("draw").to_pylist() == list(range(1024))
    target = a["summary"]["targets"][0]
    # a draw that never meets the target has no date (NULL): it counts as not met
    query = f"SELECT avg(coalesce(\"target:half-gw\" <= DATE '{target['by']}', false)::INT) FROM rows"
    [(met,)] = duckdb.sql(query).fetchall()
    assert met == target["probability"]  # a user's query gives the summary's answer
    draws_csv = client.get(f"/api/runs/{a['id']}/draws.csv")
    assert draws_csv.status_code == 200 and draws_csv.text.startswith("draw,target:half-gw,")
    assert "attachment" in draws_csv.headers["content-disposition"]
    assert len(draws_csv.text.splitlines()) == 1025
    report = client.get(f"/api/runs/{a['id']}/report")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    workbook = client.get(f"/api/runs/{a['id']}/export.xlsx")
    assert workbook.status_code == 200 and "attachment" in workbook.headers["content-disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert {"summary", "targets", "capacity", "inputs", "sources"} <= set(sheets)
    compared = client.get(f"/api/compare?a={a['id']}&b={b['id']}").json()
    assert compared["same_scenario"] and compared["settings"] == [
        {"path": "seed", "a": 1, "b": 2, "change": 1.0}
    ]
    listed = client.get("/api/runs").json()
    assert [r["id"] for r in listed][:2] == [b["id"], a["id"]] and listed[0]["kind"] == "run"


def test_a_failing_run_says_why_without_a_traceback(client: TestClient, tmp_path: Path) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    run_id = store.begin_run(scenario="x", scenario_text="x", draws=5, seed=0, block_draws=1024)
    store.fail_run(run_id, "ValueError: supply curve is empty")
    body = client.get(f"/api/runs/{run_id}").json()
    assert body["status"] == "failed" and body["error"] == "ValueError: supply curve is empty"
    paths = (f"/api/runs/{run_id}/figures", f"/api/runs/{run_id}/report", f"/api/runs/{run_id}/draws.csv")
    for path in (*paths, "/api/runs/abcdef12"):
        response = client.get(path)
        assert response.status_code in (404, 422) and "Traceback" not in response.text
        assert set(response.json()) == {"detail"}


LOCAL = {"host": "localhost"}
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(tempfile.mkdtemp(prefix="gigawatt-fuzz-")), headers=LOCAL
)


#: A request may wait for a worker process on a loaded machine (CI shares its cores): the
#: check is the response, not its speed (the CPU budgets are tested on their own).
FUZZ_TIMEOUT_S = 60

TIMELINES = (Path(__file__).parents[1] / "fixtures" / "epoch_timelines_history.csv").read_text(
    encoding="utf-8"
)

#: Fields whose text has a grammar JSON Schema cannot state (a scenario's YAML, checked by
#: meaning; a quantity read by pint's unit grammar), each with a value known to be valid.
#: A what-if's site ids are the base scenario's, which no static schema can list either.
FREE_FORM = {
    "/api/runs": {"text": "extends: stargate\nname: fuzz\n"},
    "/api/convert": {"quantity": "10 GW"},
    "/api/whatif": {"sites_off": [], "shift_months": {}},
    "/api/stress": {"shocks": ["demand growth -30%"]},
    "/api/sensitivity": {"output": "gw-online:10"},
    "/api/backtest": {"text": TIMELINES},
}


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_fuzz_passes_every_check(case: schemathesis.Case) -> None:
    """schemathesis `--checks all`: no server error, and every status code, content type,
    header and body as the OpenAPI document says; a request its JSON Schema allows is
    accepted (an accelerator id and a built-in name are enums, `scenario` xor `text` a
    oneOf). The one exclusion: positive_data_acceptance on a case carrying a generated
    FREE_FORM text, whose validity no JSON Schema can state (a 422 locates its problem);
    the same case with that text replaced by a valid one is then checked in full."""
    body = case.body
    draws = body.get("draws") if isinstance(body, dict) else None
    if type(draws) in (int, float) and 1024 < draws <= MAX_DRAWS and draws == int(draws):
        body["draws"] = 1024  # keep fuzzed runs small (a negative case's draws stay out of range)
    every = CHECKS.get_all()
    valid = FREE_FORM.get(case.path, {})
    free = [f for f in valid if isinstance(body, dict) and f in body and body[f] != valid[f]]
    if not free:
        case.call_and_validate(headers=LOCAL, checks=every, timeout=FUZZ_TIMEOUT_S)
        return
    case.call_and_validate(
        headers=LOCAL,
        checks=every,
        excluded_checks=[openapi_checks.positive_data_acceptance],
        timeout=FUZZ_TIMEOUT_S,
    )
    if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        body.update({f: valid[f] for f in free})
        case.call_and_validate(headers=LOCAL, checks=every, timeout=FUZZ_TIMEOUT_S)


def test_other_host_names_are_refused(tmp_path: Path) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 is refused."""
    client = TestClient(create_app(tmp_path / "s"), base_url="http://evil.example")
    refused = client.get("/api/runs")
    assert refused.status_code == 400 and "not allowed" in refused.json()["detail"]
    for host in ("127.0.0.1:8050", "localhost", "[::1]:8050"):
        assert client.get("/api/runs", headers={"host": host}).status_code == 200, host
    named = TestClient(create_app(tmp_path / "s", allowed_hosts=["gw.lan"]), base_url="http://gw.lan:8050")
    assert named.get("/api/runs").status_code == 200
    assert named.get("/api/runs", headers={"host": "evil.example"}).status_code == 400


def test_error_bodies_and_content_types_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "413", "422", "500"):
                content = operation["responses"][code]["content"]
                assert content == {"application/json": {"schema": error}}, (method, path, code)
    for table in ("capacity", "draws"):
        ok = spec["paths"][f"/api/runs/{{run_id}}/{table}.{{fmt}}"]["get"]["responses"]["200"]["content"]
        assert {"text/csv", "application/vnd.apache.parquet"} <= set(ok)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    not_allowed = client.put("/api/runs")
    assert not_allowed.status_code == 405 and not_allowed.headers["allow"] == "GET, POST"


def test_a_recorded_plan_lists_its_kind_and_has_no_per_draw_rows(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    plan = store.record_run(kind="plan", scenario="p", scenario_text="p", draws=0, seed=0, summary={})
    listed = {r["id"]: r for r in client.get("/api/runs").json()}
    assert listed[plan.id]["kind"] == "plan" and listed[plan.id]["status"] == "complete"
    assert client.get(f"/api/runs/{plan.id}").json()["per_draw"] is False
    missing = client.get(f"/api/runs/{plan.id}/draws.parquet")
    assert missing.status_code == 422 and "no per-draw rows" in missing.json()["detail"]


def test_a_run_over_its_cpu_budget_stops_and_says_why(tmp_path: Path) -> None:
    import gigawatt.engine
    import gigawatt.finance.summary
    import gigawatt.runner  # noqa: F401 - as the dashboard's worker does, before the budget
    from gigawatt.store import Store, continue_run
    from gigawatt.web.app import cpu_budget

    store = Store(tmp_path / "s")
    run_id = store.begin_run(
        scenario="stargate", scenario_text="", scenario_ref="stargate", draws=10**7, seed=0, block_draws=8192
    )
    from gigawatt.scenario import load_scenario

    started = time.process_time()
    with pytest.raises(TimeoutError), cpu_budget(1.0):
        continue_run(store, run_id, load_scenario("stargate"))
    assert time.process_time() - started < 10
    record = store.get(run_id)
    assert record.status == "failed" and "CPU budget of 1 s" in (record.error or "")


def test_capacity_download_of_a_plan_or_stress_run_is_never_a_500(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    summary = {
        "periods": ["2026Q1", "2026Q2"],
        "sites": {"alpha": {"build_mw": 300.0, "build_mw_by_period": [100.0, 200.0]}},
    }
    plan = store.record_run(kind="plan", scenario="p", scenario_text="p", draws=0, seed=0, summary=summary)
    csv = client.get(f"/api/runs/{plan.id}/capacity.csv")
    assert csv.status_code == 200, csv.text
    assert csv.text.splitlines() == [
        "site,quarter,built_facility_mw,cumulative_facility_mw",
        "alpha,2026Q1,100.0,100.0",
        "alpha,2026Q2,200.0,300.0",
    ]
    stress = store.record_run(kind="stress", scenario="s", scenario_text="s", draws=10, seed=0, summary={})
    refused = client.get(f"/api/runs/{stress.id}/capacity.parquet")
    assert refused.status_code == 422 and "no capacity over time" in refused.json()["detail"]


def test_what_if_form_choices_and_out_of_range_fields(client: TestClient) -> None:
    offered = client.get("/api/scenarios/stargate/whatif").json()
    assert "shackelford" in [s["id"] for s in offered["sites"]] and offered["as_of"] == "2026-06-30"
    assert client.get("/api/scenarios/nope/whatif").status_code == 404
    cases = [
        ({"shift_months": {"shackelford": 99}}, "shift_months.shackelford", "out of range"),
        ({"sites_off": ["atlantis"]}, "sites_off.atlantis", "no site 'atlantis'"),
        ({"supply_share_pct": 150}, "supply_share_pct", "less than or equal to 100"),
        ({"delay_months": -3}, "delay_months", "greater than or equal to 0"),
        ({"base": "nope"}, "base", "no built-in scenario"),
    ]
    for change, field, why in cases:
        answer = client.post("/api/whatif", json={"base": "stargate", **change})
        assert answer.status_code == 422, change
        assert why in answer.json()["fields"][field]
    assert client.get("/api/runs").json() == [] or all(
        r["scenario"] != "stargate-what-if" for r in client.get("/api/runs").json()
    )  # nothing ran


def test_openapi_schema_states_the_422s_on_an_unknown_accelerator_and_on_name_with_text(
    client: TestClient,
) -> None:
    """Two 422s the schema once could not express (schemathesis positive_data_acceptance):
    the accelerator id is a catalog enum, and a run gives `scenario` xor `text`."""
    from gigawatt.catalog import load_catalog
    from gigawatt.sources import builtin_names

    spec = client.get("/openapi.json").json()["components"]["schemas"]
    accelerator = spec["ConvertIn"]["properties"]["accelerator"]["anyOf"]
    [string] = [m for m in accelerator if m.get("type") == "string"]
    assert string["enum"] == sorted(load_catalog().accelerators)
    run = spec["RunIn"]
    assert run["oneOf"] == [{"required": ["scenario"]}, {"required": ["text"]}]
    assert run["properties"]["scenario"]["enum"] == builtin_names()
    assert {"type": "null"} not in run["properties"]["text"].get("anyOf", [])
    unknown = client.post("/api/convert", json={"quantity": "1 GW", "accelerator": "h900"})
    assert unknown.status_code == 422 and "unknown accelerator 'h900'" in unknown.json()["detail"]
    assert client.post("/api/convert", json={"quantity": "1 GW", "accelerator": "h100"}).status_code == 200
    for body in ({"scenario": "stargate", "text": "name: x"}, {"scenario": None}, {}, {"draws": 5}):
        refused = client.post("/api/runs", json=body)
        assert refused.status_code == 422 and "either" in refused.json()["detail"], body
    for bad in ({"draws": True}, {"draws": "5"}, {"seed": 1.5}):
        assert client.post("/api/runs", json={"scenario": "stargate", **bad}).status_code == 422, bad


def test_a_synchronous_request_over_its_cpu_budget_is_a_422_not_a_stuck_server(tmp_path: Path) -> None:
    """Validate, convert and a run's scenario text are computed in a worker process within
    a CPU budget: an 11 kB text of legal YAML aliases (about 1.1 s of CPU) is refused under
    a 0.05 s budget with a 422 that says so, and the server answers the next request."""
    client = TestClient(create_app(tmp_path / "s", request_cpu_budget_s=0.05), base_url="http://127.0.0.1")
    inner = "[" + ", ".join(["1"] * 190) + "]"
    text = "name: x\nbase: &a " + inner + "\nbig:\n" + "\n".join(f"  k{i}: *a" for i in range(990)) + "\n"
    for path, body in (("/api/validate", {"text": text}), ("/api/runs", {"text": text, "draws": 8})):
        started = time.monotonic()
        refused = client.post(path, json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "over the dashboard's CPU budget of 0.05 s per request"
        assert time.monotonic() - started < 30
    assert client.get("/api/runs").json() == []  # the refused run was never begun
    roomy = TestClient(create_app(tmp_path / "t"), base_url="http://127.0.0.1")
    slow = roomy.post("/api/validate", json={"text": text}).json()
    assert not slow["ok"] and "base" in [p["path"] for p in slow["problems"]]  # the same text, within 10 s
    assert roomy.post("/api/convert", json={"quantity": "1 GW"}).json()["accelerator"] == "gb200-nvl72"


def test_the_http_status_comes_from_the_error_class_never_its_message(tmp_path: Path) -> None:
    """A missing run is a 404 by its class; any other error is a 422 whatever its text says."""
    from gigawatt.errors import GigawattError
    from gigawatt.store import RunNotFoundError

    app = create_app(tmp_path / "s")

    @app.get("/raise/{which}", include_in_schema=False)
    def raise_one(which: str) -> None:
        if which == "missing":
            raise RunNotFoundError("no run abcd")
        raise GigawattError("run abcd not found (404)")

    client = TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1")
    assert client.get("/raise/missing").status_code == 404
    worded = client.get("/raise/worded")
    assert worded.status_code == 422 and worded.json()["detail"] == "run abcd not found (404)"
    assert client.get("/api/runs/abcdef").status_code == 404


def test_stress_plan_and_sensitivity_start_from_the_api_and_say_what_is_wrong(client: TestClient) -> None:
    """Each answers 202 with a record of its kind that a worker finishes; its figures are the
    report's; a shock or output the scenario cannot take is a 422 naming the form field."""
    started = {
        "stress": client.post(
            "/api/stress", json={"base": "stargate", "shocks": ["demand growth -30%"], "draws": 64}
        ),
        "plan": client.post("/api/plan", json={"base": "stargate", "periods": 8}),
        "sensitivity": client.post(
            "/api/sensitivity", json={"base": "stargate", "output": "gw-online:10", "samples": 2}
        ),
    }
    sections = {"stress": "stress-short", "plan": "plan-demand", "sensitivity": "sensitivity"}
    for kind, response in started.items():
        assert response.status_code == 202, response.text
        run = response.json()
        assert run["kind"] == kind and run["status"] == "running"
        done = _wait(client, run["id"], timeout_s=180)
        assert done["status"] == "complete", done
        assert done["summary"]["kind"] == kind
        assert sections[kind] in client.get(f"/api/runs/{run['id']}/figures").json()
    bad = client.post("/api/stress", json={"base": "stargate", "shocks": ["demand growth -30%", "rain"]})
    assert bad.status_code == 422 and "cannot read shock" in bad.json()["fields"]["shocks.1"]
    bad = client.post("/api/sensitivity", json={"base": "stargate", "output": "target:nope"})
    assert bad.status_code == 422 and "no target 'nope'" in bad.json()["fields"]["output"]
    bad = client.post("/api/plan", json={"base": "nowhere"})
    assert bad.status_code == 422 and "no built-in scenario" in bad.json()["fields"]["base"]
    backtest = client.post("/api/backtest", json={"text": TIMELINES, "draws": 50})
    assert backtest.status_code == 202, backtest.text
    done = _wait(client, backtest.json()["id"], timeout_s=180)
    assert done["status"] == "complete" and done["kind"] == "backtest", done
    assert done["summary"]["count"] > 0 and 0 <= done["summary"]["coverage"] <= 1
    made = client.get(f"/api/runs/{done['id']}/figures").json()
    figure = made["backtest"]
    assert len(figure["data"][0]["x"]) == 3 * len([m for m in done["summary"]["milestones"] if m["observed"]])
    # the PIT histogram of the observed milestones, and one fan a campus
    assert sum(made["backtest-pit"]["data"][0]["y"]) == done["summary"]["count"]
    campuses = {c["campus"] for c in done["summary"]["campuses"]}
    fans = [key for key in made if key.startswith("backtest-fan-")]
    assert len(fans) == len(campuses) and list(made)[:2] == ["backtest-pit", "backtest"]
    bad = client.post("/api/backtest", json={"text": "a,b\n1,2\n"})
    assert bad.status_code == 422 and "missing columns" in bad.json()["fields"]["text"]


def test_the_dashboards_sensitivity_default_is_the_clis() -> None:
    """The API and the dashboard's form default to the CLI's output, a level every draw has (a
    date the all-median point never reaches measures only what tips the total over it)."""
    from gigawatt.commands.scale import DEFAULT_OUTPUT
    from gigawatt.web.schemas import SensitivityIn

    assert SensitivityIn(base="stargate").output == DEFAULT_OUTPUT == "capacity:2028-12-31"
    page = (Path(__file__).parents[2] / "src/gigawatt/templates/dashboard.html").read_text(encoding="utf-8")
    assert f'id="task-output" type="text" value="{DEFAULT_OUTPUT}"' in page
