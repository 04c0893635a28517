"""Shared fixtures: a small valid scenario users can break one field at a time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Commands keep PERT tables in a cache folder (gigawatt.tablecache): the tests' own, never the user's.
os.environ["GIGAWATT_CACHE_DIR"] = tempfile.mkdtemp(prefix="gigawatt-test-cache-")

SMALL = """\
name: small
description: two sites, for tests
time: {start: 2025-01-01, end: 2030-12-31, step: week}
parties:
  lab: {name: Lab, kind: ai_lab}
  cloud: {name: Cloud, kind: cloud}
sites:
  alpha:
    name: Alpha
    country: US
    region: us-tx
    operator: cloud
    tenant: lab
    power_basis: facility
    accelerator: gb200-nvl72
    power_plan:
      - kind: grid
        capacity: "500 MW"
        available: 2026-06-30
    phases:
      - name: P1
        power: "300 MW"
        status: committed
        start: 2025-03-01
        online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}
  beta:
    name: Beta
    country: US
    region: us-oh
    power_basis: facility
    accelerator: h100
    power_plan:
      - kind: gas
        capacity: "200 MW"
        technology: aeroderivative
        ordered: 2025-01-01
    phases:
      - name: B1
        power: "150 MW"
        status: announced
contracts:
  compute:
    kind: compute
    payer: lab
    payee: cloud
    value: "$10B"
    term: "5 years"
targets:
  half-gw:
    power: "0.45 GW"
    by: 2027-12-31
    basis: online
"""

#: Demand for SMALL: training flat at 100 MW, inference doubling yearly from 50 MW.
DEMAND = """
demand:
  training: {start: 2025-01-01, level: "100 MW", growth_per_year: 0.0}
  inference: {start: 2025-01-01, level: "50 MW", growth_per_year: 1.0}
  model_active_params: 1e11
  utilisation: 0.5
"""


@pytest.fixture
def small_text() -> str:
    return SMALL


@pytest.fixture
def write(tmp_path: Path):
    """Write a scenario text to a file and return its path."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def _private_run_store(tmp_path, monkeypatch):
    """`gigawatt run` records into a store; keep each test's store to itself."""
    monkeypatch.setenv("GIGAWATT_STORE", str(tmp_path / "run-store"))
