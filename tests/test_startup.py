"""The command starts at once: what `gigawatt --help` and `validate` import is checked here
(a test on modules, not on seconds; benchmarks/cli_compare.py measures the seconds)."""

import subprocess
import sys

HEAVY = ("scipy", "xarray", "pandas", "pint", "plotly", "linopy", "duckdb", "dask", "pyarrow", "fastapi")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_help_imports_nothing_heavy():
    loaded = _loaded_after(
        "import sys\nfrom gigawatt.cli import main\nsys.argv[1:] = ['--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert "gigawatt" in loaded
    assert not loaded & {*HEAVY, "numpy"}, loaded & {*HEAVY, "numpy"}


def test_reading_a_scenario_needs_no_scipy_or_pint():
    loaded = _loaded_after("import gigawatt\ngigawatt.load_scenario('stargate')")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_package_exports_resolve_lazily():
    import gigawatt

    for name in gigawatt.__all__:
        assert getattr(gigawatt, name) is not None
    assert gigawatt.__version__


def test_an_unrecorded_run_imports_neither_xarray_nor_pandas():
    # a run's blocks are plain arrays (engine.Draws) and its summary reads integer histograms:
    # xarray and pandas (~0.5 s before the first block) are imported only for a labelled Dataset
    loaded = _loaded_after(
        "import sys\nfrom gigawatt.cli import main\n"
        "sys.argv[1:] = ['run', 'stargate', '--draws', '9000', '--workers', '2', '--no-record', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )  # two blocks on a process pool: this process warms the model before it forks
    unwanted = {"xarray", "pandas", "dask", "pint", "sparse", "cupy", "pyarrow"}
    assert "numpy" in loaded and not loaded & unwanted, loaded & unwanted


def test_a_labelled_dataset_of_a_block_imports_neither_dask_nor_pint():
    # xarray probes arrays it is given for Dask, pint, sparse and cupy kinds, importing them
    # (0.3-0.5 s); a block's Dataset is built so that it never does
    loaded = _loaded_after(
        "from gigawatt.engine import Model, simulate_block\nfrom gigawatt.scenario import load_scenario\n"
        "simulate_block(Model.from_scenario(load_scenario('stargate')), 0, 0, 64)"
    )
    assert "xarray" in loaded
    assert not loaded & {"dask", "pint", "sparse", "cupy"}, loaded & {"dask", "pint", "sparse", "cupy"}


def _script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``gigawatt`` script's entry point, as a new process."""
    code = "import sys\nfrom gigawatt.cli import script\nsys.argv[0] = 'gigawatt'\nscript()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)


def test_the_script_exits_with_the_commands_code_and_its_output_flushed(tmp_path):
    import json
    import os

    # the script skips the interpreter's teardown: exit handlers must still run and output arrive
    env = {**os.environ, "GIGAWATT_CACHE_DIR": str(tmp_path / "cache")}
    done = _script("run", "stargate", "--draws", "64", "--no-record", "--json", env=env)
    assert done.returncode == 0 and json.loads(done.stdout)["kind"] == "run"
    assert list((tmp_path / "cache").glob("beta-quantiles-*.npz"))  # saved at exit
    missing = _script("validate", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "none.yaml" in missing.stderr
    assert _script("--help").returncode == 0
    assert _script("run", "--bogus").returncode == 2


def test_the_script_freezes_the_objects_its_imports_made_before_the_command_runs():
    # frozen, no collection of the command (nor of the processes a run forks) walks them again
    code = (
        "import gc, sys\nimport gigawatt.cli as cli\n"
        "cli.main = lambda: print(gc.get_freeze_count() > 10_000)\nsys.argv[0] = 'gigawatt'\ncli.script()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
