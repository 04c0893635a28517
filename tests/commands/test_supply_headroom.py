"""`run` says how far the accelerators offered exceed those installed (supply is an input)."""

from __future__ import annotations

import pytest

from gigawatt.commands import buildout


def _family(delivered: list[float], offered: list[float]) -> dict[str, object]:
    dates = [f"{2025 + i}-12-31" for i in range(len(delivered))]
    return {"dates": dates, "delivered_mean": delivered, "offered_mean": offered}


def test_headroom_is_read_where_ninety_percent_of_installs_are_in(capsys: pytest.CaptureFixture[str]) -> None:
    supply = {
        "chips": _family([0.0, 50.0, 95.0, 100.0], [10.0, 100.0, 380.0, 900.0]),
        "unused": _family([0.0, 0.0, 0.0, 0.0], [5.0, 5.0, 5.0, 5.0]),
    }
    buildout._print_supply_headroom(supply)
    out = " ".join(capsys.readouterr().out.split())
    # 95 of 100 installed by end-2027, against 380 offered: 4.0x, not the 9.0x at the end
    assert "chips 4.0x by end-2027" in out
    assert "unused" not in out  # nothing installed: no ratio to give
    assert "(`supply`, an input)" in out


def test_nothing_is_said_without_installs(capsys: pytest.CaptureFixture[str]) -> None:
    buildout._print_supply_headroom({})
    buildout._print_supply_headroom({"chips": _family([0.0, 0.0], [1.0, 2.0])})
    assert capsys.readouterr().out == ""
