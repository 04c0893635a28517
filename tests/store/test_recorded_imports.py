"""What a recorded run loads beyond the engine: the store, not Dask. xarray imports
``dask.array`` (0.4 s of CPU) the first time it is handed an array it has not checked; the
engine's datasets and the money's ledger hand it checked variables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_recorded_run_with_money_never_imports_dask(tmp_path: Path) -> None:
    code = (
        "import sys; from gigawatt.cli import main\n"
        f"sys.argv = ['gigawatt', 'run', 'stargate', '--draws', '300', '--store', {str(tmp_path / 's')!r},"
        " '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('dask.array' in sys.modules, 'gigawatt.store' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"money"' in done.stdout  # the run has money (Stargate has contracts)
    assert done.stdout.splitlines()[-1] == "False True"
