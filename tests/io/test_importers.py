"""Epoch CSV importers: synthetic fixtures in Epoch's columns, plus the real files when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from gigawatt import units
from gigawatt.catalog import load_catalog
from gigawatt.cli import app
from gigawatt.engine import Model, simulate_block
from gigawatt.errors import GigawattError
from gigawatt.io import import_data_centers, import_gpu_clusters, import_hardware
from gigawatt.io.epoch import degrees, place
from gigawatt.scenario import load_scenario

FIXTURES = Path(__file__).parents[1] / "fixtures"
AS_OF = units.parse_date("2025-12-15")
_CANDIDATES = (Path("/work/shared/data/epoch"), Path(__file__).parents[3] / "shared" / "data" / "epoch")
EPOCH = next((p for p in _CANDIDATES if (p / "data_centers.csv").exists()), None)
runner = CliRunner()


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _skipped(result):
    return {(i.line, i.row): i.message for i in result.issues if i.action == "skipped"}


def test_places_and_coordinates():
    assert place("1 Main St, Abilene, TX 79601") == ("US", "us-tx")
    assert place("1626 County Line Road Ridgeland, Mississippi") == ("US", "us-ms")
    assert place("Zhangbei County, Hebei, China") == ("CN", "cn")
    assert place("nowhere in particular") is None
    assert degrees("32°30'00\"N") == pytest.approx(32.5)
    assert degrees("99°45'36\"W") == pytest.approx(-99.76)
    assert degrees("north-ish") is None


def test_data_centers_with_timelines():
    result = import_data_centers(
        _text("epoch_data_centers.csv"), as_of_date=AS_OF, timelines_text=_text("epoch_timelines.csv")
    )
    assert result.rows == 5
    assert [i["id"] for i in result.items] == ["alpha-campus-texas", "beta-park-ohio", "epsilon-hebei"]
    assert {i["id"]: i["facility_mw"] for i in result.items} == {
        "alpha-campus-texas": 400.0,
        "beta-park-ohio": 150.0,
        "epsilon-hebei": 80.0,
    }
    # Row lines count the header as 1 and Beta's two-line address: Gamma starts on line 5.
    skipped = _skipped(result)
    assert set(skipped) == {
        (5, "Gamma Site"),
        (6, "Delta Planned Georgia"),
        (11, "Zeta Campus"),  # timelines line 11: unreadable date
        (7, "Omega Campus"),  # timelines: no such campus
        (9, "Zeta Campus"),
    }
    assert "country" in skipped[(5, "Gamma Site")]
    assert "0 MW" in skipped[(6, "Delta Planned Georgia")]
    assert "Date" in skipped[(11, "Zeta Campus")]
    unmatched = {(i.line, i.row) for i in result.issues if "no campus" in i.message}
    assert unmatched == {(7, "Omega Campus"), (9, "Zeta Campus")}
    alpha = result.document["sites"]["alpha-campus-texas"]
    # a row dated after the snapshot is Epoch's projection: kept for comparison, never `online:`
    assert [
        (p["name"], p["power"], p["status"], p.get("online"), p.get("projected_online"))
        for p in alpha["phases"]
    ] == [
        ("Buildings 1-2", "200 MW", "online", "2024-07-01", None),
        ("Building 3", "100 MW", "online", "2025-03-01", None),
        ("Building 4", "100 MW", "under_construction", None, "2026-06-01"),
    ]
    assert alpha["region"] == "us-tx" and alpha["location"] == {"lat": 32.5, "lon": -99.75}
    # Epoch's confidence tags survive in the note and the items.
    assert "Users: LabCo (#speculative), OtherLab (#likely)" in alpha["note"]
    assert result.items[0]["owner"] == [{"name": "Acme", "confidence": "confident"}]
    assert result.items[0]["project"] == [{"name": "Project Alpha", "confidence": "likely"}]


def _online_dates(result):
    return [
        units.parse_date(p["online"])
        for site in result.document["sites"].values()
        for p in site["phases"]
        if "online" in p
    ]


def test_as_of_never_writes_a_later_date(tmp_path):
    early = units.parse_date("2024-12-31")
    result = import_data_centers(
        _text("epoch_data_centers.csv"), as_of_date=early, timelines_text=_text("epoch_timelines.csv")
    )
    assert _online_dates(result) and max(_online_dates(result)) <= early
    alpha = result.document["sites"]["alpha-campus-texas"]["phases"]
    assert [p["status"] for p in alpha] == ["online", "under_construction", "under_construction"]
    # sizes are the campus's stated build-out; every start is on or before the as-of date
    assert [p["power"] for p in alpha] == ["200 MW", "100 MW", "100 MW"]
    assert all(units.parse_date(p["start"]) <= early for p in alpha)
    out = tmp_path / "early.yaml"
    out.write_text(result.yaml_text(), encoding="utf-8")
    scenario = load_scenario(out)
    # the engine sees no floor from the projections: building 4 is simulated, not Epoch's date
    model = Model.from_scenario(scenario)
    ds = simulate_block(model, 1, 0, 200)
    online = ds["online_date"].sel(phase="alpha-campus-texas/Building 4").values
    assert np.quantile(online, 0.1) < units.parse_date("2026-06-01")


def test_zero_mw_campus_and_falling_power(tmp_path):
    timelines = (
        "Date,Data center,Construction status,Power (MW),Buildings operational\n"
        "2024-01-01,Alpha Campus Texas,Land clearing begins,0,0\n"
        "2025-01-01,Alpha Campus Texas,Roof on building 1,0,0\n"
        "2024-02-01,Beta Park Ohio,Land clearing,0,0\n"
        "2025-02-01,Beta Park Ohio,Building 1 operational,100,1\n"
        "2025-04-01,Beta Park Ohio,Revised down,80,1\n"
        "2025-06-01,Beta Park Ohio,Building 2 operational,150,2\n"
        "2025-01-01,Epsilon Hebei,Just one row,80,1\n"
    )
    result = import_data_centers(_text("epoch_data_centers.csv"), as_of_date=AS_OF, timelines_text=timelines)
    issues = {(i.file, i.line): (i.action, i.message) for i in result.issues}
    # Alpha has only 0 MW rows: a clear skip, not an IndexError
    assert "every timeline row is 0 MW" in issues[("", 2)][1]
    assert issues[("<timelines>", 6)] == (
        "skipped",
        "power falls from 100 to 80 MW (a revision or retirement): row set aside, the campus keeps its peak",
    )
    assert (
        issues[("<timelines>", 8)][0] == "warning"
        and "only one timeline row" in issues[("<timelines>", 8)][1]
    )
    beta = result.document["sites"]["beta-park-ohio"]["phases"]
    assert [(p["power"], p["online"]) for p in beta] == [("100 MW", "2025-02-01"), ("50 MW", "2025-06-01")]


def test_bad_timelines_exit_2_with_a_location(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Data center,Power (MW)\n2024-01-01,X,0\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["import", "epoch-data-centers", str(FIXTURES / "epoch_data_centers.csv"), "--timelines", str(bad)],
    )
    assert result.exit_code == 2
    assert f"{bad}:1: not an Epoch CSV of this kind: missing columns" in result.stderr
    assert "Traceback" not in result.output


def test_data_centers_without_timelines_date_phases_by_as_of():
    result = import_data_centers(_text("epoch_data_centers.csv"), as_of_date=AS_OF)
    assert [i["facility_mw"] for i in result.items] == [300.0, 150.0, 80.0]
    phase = result.document["sites"]["alpha-campus-texas"]["phases"][0]
    assert (phase["power"], phase["status"], phase["online"]) == ("300 MW", "online", "2025-12-15")


def test_gpu_clusters():
    result = import_gpu_clusters(_text("epoch_gpu_clusters.csv"), as_of_date=AS_OF)
    assert result.rows == 7
    assert [(i["id"], i["facility_mw"], i["accelerator"], i["certainty"]) for i in result.items] == [
        ("cluster-a", 150.0, "h100", "Confirmed"),
        ("cluster-b", 1000.0, "gb200-nvl72", "Likely"),
        ("cluster-g", 20.0, "h100", "Unlikely"),
    ]
    skipped = _skipped(result)
    assert set(skipped) == {(5, "Cluster C"), (6, "Cluster D"), (7, "Cluster E Phase 1"), (8, "Cluster F")}
    assert "superseded" in skipped[(7, "Cluster E Phase 1")]
    warnings = [(i.line, i.message) for i in result.issues if i.action == "warning"]
    assert [line for line, _ in warnings] == [9, 9]
    sites = result.document["sites"]
    assert sites["cluster-a"]["region"] == "us-tn"
    assert sites["cluster-a"]["phases"][0]["online"] == "2024-09-02"
    assert sites["cluster-b"]["phases"][0]["status"] == "announced"
    assert sites["cluster-b"]["phases"][0]["projected_online"] == "2026-12-31"
    assert "online" not in sites["cluster-b"]["phases"][0]
    assert sites["cluster-g"]["phases"][0]["online"] == "2023-05-01"


def test_gpu_clusters_without_power_get_it_imputed_through_convert(tmp_path):
    from gigawatt.compute import convert

    text = (
        "Name,Status,Certainty,Country,Power Capacity (MW),First Operational Date,H100 equivalents,"
        "Chip type (primary),Chip quantity (primary)\n"
        "By H100e,Existing,Likely,China,,2024-01-01,20000,,\n"
        "By chips,Planned,Likely,China,,2026-06-01,,NVIDIA GB200,50000\n"
        "Nothing,Existing,Likely,China,,2024-01-01,,Some ASIC,\n"
    )
    result = import_gpu_clusters(text, as_of_date=AS_OF)
    items = {i["name"]: i for i in result.items}
    assert set(items) == {"By H100e", "By chips"}
    expected = convert("20000 h100", draws=4000).facility_mw
    assert items["By H100e"]["facility_mw"] == pytest.approx(expected[1])
    assert items["By H100e"]["facility_mw_p10_p90"] == pytest.approx([expected[0], expected[2]])
    assert items["By chips"]["accelerator"] == "gb200-nvl72"
    assert items["By chips"]["facility_mw"] == pytest.approx(
        convert("50000 gb200-nvl72", draws=4000).facility_mw[1]
    )
    phase = result.document["sites"]["by-h100e"]["phases"][0]
    assert set(phase["power"]) == {"lognormal"}  # the conversion's uncertainty, not a point
    assert "IMPUTED" in result.document["sites"]["by-h100e"]["note"]
    notes = [(i.line, i.action, i.message) for i in result.issues]
    assert any(n[:2] == (2, "imputed") and "20,000 H100 equivalents" in n[2] for n in notes)
    assert any(n[:2] == (3, "imputed") and "50,000 gb200-nvl72" in n[2] for n in notes)
    assert any(n[:2] == (4, "skipped") and "no H100 equivalents or count" in n[2] for n in notes)
    out = tmp_path / "c.yaml"
    out.write_text(result.yaml_text(), encoding="utf-8")
    assert len(load_scenario(out).sites) == 2


def test_hardware_skips_consumer_cards_and_keeps_unpriced_chips():
    result = import_hardware(_text("epoch_ml_hardware.csv"))
    assert result.rows == 6
    assert _skipped(result) == {
        (7, "Vendor GeForce RTX 9090"): "consumer/workstation graphics card (GeForce), not a data-center "
        "accelerator",
        (8, "Chip W"): "missing TDP",
    }
    assert [(i["id"], i["base"], i["price_usd"]) for i in result.items] == [
        ("chip-x", "b200", 30000.0),  # nearest dense BF16 of its vendor (2.25 vs 2.0 PFLOP/s)
        ("chip-y", "mi300x", None),
        ("chip-z", "trainium2", 10000.0),  # no catalog vendor: nearest BF16 overall (0.667 vs 0.5)
        ("google-tpu-v7-ironwood", "tpu-v7", None),  # by name
    ]
    warnings = {(i.line, i.message) for i in result.issues if i.action == "warning"}
    assert (3, "no release price: capex uses mi300x's catalog price (fallback)") in warnings
    assert (6, "no release price: capex uses tpu-v7's catalog price (fallback)") in warnings
    text = result.yaml_text()
    assert "# price: NOT IN EPOCH - FALLBACK to base tpu-v7's catalog price ($20,000)" in text
    doc = yaml.safe_load(text)
    assert doc["extends"] == "stargate"
    chip = doc["accelerators"]["chip-x"]
    assert chip == {
        "base": "b200",
        "name": "Chip X",
        "available": "2024-03-01",
        "chip_tdp": "1000 W",
        "it_power": "1744 W",  # 1.53 x 1.14 x TDP, 4 significant figures
        "bf16_dense": "2e+15 FLOP/s",
        "h100_equivalents": round(2e15 / load_catalog().accelerators["h100"].bf16_flops.value, 4),
        "vendor": "nvidia",
        "price": "$30,000",
    }
    assert "price" not in doc["accelerators"]["google-tpu-v7-ironwood"]


def test_imported_hardware_validates_and_runs(tmp_path):
    out = tmp_path / "hw.yaml"
    result = runner.invoke(
        app, ["import", "epoch-hardware", str(FIXTURES / "epoch_ml_hardware.csv"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "4 of 6 rows imported, 2 skipped" in " ".join(result.stdout.split())
    assert "epoch_ml_hardware.csv:7: Vendor GeForce RTX 9090: skipped: consumer" in result.stderr
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0, check.output
    scenario = load_scenario(out)
    assert scenario.accelerators["chip-x"].base == "b200"
    tpu = scenario.accelerator("google-tpu-v7-ironwood")
    catalog_tpu = scenario.accelerator("tpu-v7")
    assert tpu.price_usd == catalog_tpu.price_usd  # the marked fallback
    assert tpu.it_power_w.mid == pytest.approx(960 * 1.53 * 1.14, rel=1e-3)  # Epoch's TDP, not the catalog's
    # A scenario that extends the import and builds one site on an imported chip runs.
    user = tmp_path / "mine.yaml"
    user.write_text(
        "name: mine\nextends: hw.yaml\nsites:\n  test-campus:\n    name: Test campus\n"
        "    country: US\n    region: us-tx\n    power_basis: it\n    accelerator: chip-x\n"
        "    power_plan: [{kind: grid, capacity: 100 MW, available: 2026-01-01}]\n"
        "    phases: [{name: Hall 1, power: 17.44 MW, status: announced}]\n",
        encoding="utf-8",
    )
    mine = load_scenario(user)
    model = Model.from_scenario(mine)
    k = next(i for i, ph in enumerate(model.phases) if ph.site == "test-campus")
    ds = simulate_block(model, seed=1, start=0, stop=8)
    # IT basis: 17.44 MW of IT power / 1,744 W per chip-x = 10,000 chips, 2 PFLOP/s each
    assert ds["accelerators"].values[:, k] == pytest.approx(np.full(8, 10_000.0))
    assert ds["bf16_flops"].values[:, k] == pytest.approx(np.full(8, 2e19))
    assert ds["capex_usd"].values[:, k] == pytest.approx(np.full(8, 3e8))  # Epoch's $30,000 each
    # its own H100-equivalents (dense BF16 over the H100's), not its base's
    h100_flops = load_catalog().accelerators["h100"].bf16_flops.value
    assert ds["h100_equivalents"].values[:, k] == pytest.approx(np.full(8, 1e4 * 2e15 / h100_flops), rel=1e-4)
    assert mine.accelerator("chip-x").vendor == "nvidia"
    assert np.isfinite(ds["online_date"].values[:, k]).all()


def test_missing_columns_is_a_located_error():
    with pytest.raises(GigawattError, match=r"x\.csv:1: .*missing columns"):
        import_hardware("a,b\n1,2\n", file="x.csv")


def test_cli_import_writes_a_scenario_that_validates(tmp_path):
    out = tmp_path / "dc.yaml"
    result = runner.invoke(
        app,
        [
            "import",
            "epoch-data-centers",
            str(FIXTURES / "epoch_data_centers.csv"),
            "--timelines",
            str(FIXTURES / "epoch_timelines.csv"),
            "--as-of",
            "2025-12-15",
            "-o",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # the main file's 5 rows: 3 imported, 2 skipped; the timelines' skipped rows counted apart
    assert (data["rows"], data["imported"], data["skipped"], data["skipped_timelines"]) == (5, 3, 2, 3)
    assert "epoch_data_centers.csv:5: Gamma Site: skipped" in result.stderr
    scenario = load_scenario(out)
    assert sum(p.power_mw.mid for s in scenario.sites.values() for p in s.phases) == 630.0
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0 and "3 sites, 5 phases" in " ".join(check.stdout.split())
    assert "epoch_timelines.csv:11: Zeta Campus: skipped: unreadable Date" in result.stderr


def test_cli_import_gpu_clusters_validates(tmp_path):
    out = tmp_path / "gc.yaml"
    result = runner.invoke(
        app, ["import", "epoch-gpu-clusters", str(FIXTURES / "epoch_gpu_clusters.csv"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 of 7 rows imported, 4 skipped" in " ".join(result.stdout.split())
    assert len(load_scenario(out).sites) == 3


def test_cli_import_wrong_kind_exits_2():
    result = runner.invoke(app, ["import", "epoch-hardware", str(FIXTURES / "epoch_gpu_clusters.csv")])
    assert result.exit_code == 2
    assert "missing columns" in result.stderr


@pytest.mark.skipif(EPOCH is None, reason="Epoch AI's CSVs are not in ../shared/data/epoch")
def test_real_epoch_files(tmp_path):
    assert EPOCH is not None
    dc = import_data_centers(
        (EPOCH / "data_centers.csv").read_text(encoding="utf-8"),
        as_of_date=AS_OF,
        timelines_text=(EPOCH / "data_center_timelines_part.csv").read_text(encoding="utf-8"),
    )
    # 4 campuses, plus xAI Colossus 1's two rows where power falls below its 424 MW peak
    assert (dc.rows, len(dc.items), len(_skipped(dc))) == (17, 13, 6)
    assert max(_online_dates(dc)) <= AS_OF
    mw = {i["id"]: i["facility_mw"] for i in dc.items}
    assert mw["anthropic-amazon-project-rainier-new-carlisle-indiana"] == 1229.0
    assert mw["openai-oracle-stargate-abilene-texas"] == 295.0
    out = tmp_path / "dc.yaml"
    out.write_text(dc.yaml_text(), encoding="utf-8")
    assert len(load_scenario(out).sites) == 13
    clusters = import_gpu_clusters((EPOCH / "gpu_clusters.csv").read_text(encoding="utf-8"), as_of_date=AS_OF)
    # 77 rows without power are imported with it imputed from chips (65 in China); 64 still lack both
    assert (clusters.rows, len(clusters.items), len(_skipped(clusters))) == (786, 604, 182)
    imputed = [i for i in clusters.items if i["power_imputed"]]
    assert len(imputed) == 77
    assert sum(clusters.document["sites"][i["id"]]["country"] == "CN" for i in imputed) == 65
    hardware = import_hardware((EPOCH / "ml_hardware.csv").read_text(encoding="utf-8"))
    assert (hardware.rows, len(hardware.items), len(_skipped(hardware))) == (170, 57, 113)
    names = {i["name"]: i for i in hardware.items}
    assert (names["NVIDIA H100 SXM5 80GB"]["bf16_flops"], names["NVIDIA H100 SXM5 80GB"]["price_usd"]) == (
        9.894e14,
        33600.0,
    )
    assert (
        names["Google TPU v7 Ironwood"]["base"] == "tpu-v7" and names["Amazon Trainium3"]["price_usd"] is None
    )
    assert not any("GeForce" in n or "RTX" in n for n in names)
    consumer = [m for m in _skipped(hardware).values() if m.startswith("consumer")]
    assert len(consumer) == 35
    out = tmp_path / "hw.yaml"
    out.write_text(hardware.yaml_text(), encoding="utf-8")
    assert len(load_scenario(out).accelerators) == 57


def test_a_snapshot_in_the_future_is_refused_and_one_after_the_catalog_noted(tmp_path):
    # rows up to a snapshot are taken as observed: after today they can only be projections
    args = [
        "import",
        "epoch-data-centers",
        str(FIXTURES / "epoch_data_centers.csv"),
        "-o",
        str(tmp_path / "o.yaml"),
    ]
    future = runner.invoke(app, [*args, "--as-of", "2999-01-01"])
    assert future.exit_code == 2 and "--as-of 2999-01-01: a snapshot cannot be in the future" in future.stderr
    assert not (tmp_path / "o.yaml").exists()
    catalog = load_catalog().sources["epoch-data-centers"].date
    later = units.format_date(units.parse_date(str(catalog)) + 10)
    noted = runner.invoke(app, [*args, "--as-of", later])
    assert noted.exit_code == 0 and f"--as-of {later} is after the catalog's Epoch snapshot" in noted.stderr
    quiet = runner.invoke(app, [*args[:3], "-o", str(tmp_path / "default.yaml")])  # the catalog's date
    assert quiet.exit_code == 0 and "after the catalog's Epoch snapshot" not in quiet.stderr


def test_csv_rows_read_any_line_end_and_a_bad_line_is_located():
    from gigawatt.errors import GigawattError
    from gigawatt.io.epoch import read_rows

    for end in ("\n", "\r\n", "\r"):
        rows = read_rows(end.join(["a,b", "1,2", "3,4"]) + end, ("a", "b"))
        assert [(r.line, r.values["b"]) for r in rows] == [(2, "2"), (3, "4")]
    with pytest.raises(GigawattError, match=r"^f\.csv:3: not readable as CSV: field larger"):
        read_rows("a,b\n1,2\n3," + "x" * 200_000 + "\n", ("a", "b"), "f.csv")
