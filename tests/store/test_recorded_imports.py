"""What a recorded run loads beyond the engine. Its own process: the store, neither the money's
modules nor pandas (the money is worked out in a process of its own, and the block tables are
built without ``pa.array``, which imports pandas). The money: neither xarray nor pandas (~0.35 s
of CPU: it reads the engine's draws as plain arrays, ``DrawsBuildout``), nor Dask (xarray imports
``dask.array``, 0.4 s of CPU, the first time it is handed an array it has not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_recorded_run_leaves_the_money_and_pandas_to_the_moneys_process(tmp_path: Path) -> None:
    code = (
        "import sys; from gigawatt.cli import main\n"
        f"sys.argv = ['gigawatt', 'run', 'stargate', '--draws', '300', '--store', {str(tmp_path / 's')!r},"
        " '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(*(m in sys.modules for m in ('gigawatt.store', 'gigawatt.finance', 'xarray', 'pandas')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"money"' in done.stdout  # the run has money (Stargate has contracts)
    assert done.stdout.splitlines()[-1] == "True False False False"


def test_a_recorded_runs_money_imports_neither_xarray_nor_pandas_nor_dask() -> None:
    code = (
        "import sys\n"
        "from gigawatt.engine import Model\n"
        "from gigawatt.engine.simulate import simulate_drawn\n"
        "from gigawatt.scenario import load_scenario\n"
        "from gigawatt.store.recorded import _with_money\n"
        "loaded = load_scenario('stargate')\n"
        "draws = simulate_drawn(Model.from_scenario(loaded), 0, 0, 300)[0]\n"
        "money = _with_money(loaded, 300, 0, draws)\n"
        "print(money['money']['draws'], *(m in sys.modules for m in ('xarray', 'pandas', 'dask')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["300", "False", "False", "False"]
