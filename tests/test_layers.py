"""Imports run one way: the import-linter contract in pyproject.toml holds, and the CLI
registers its commands by plain imports (no importlib detour)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contract_is_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_cli_has_no_importlib_detour():
    text = (ROOT / "src" / "gigawatt" / "cli.py").read_text(encoding="utf-8")
    assert "importlib" not in text
    for module in (ROOT / "src" / "gigawatt" / "commands").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "from gigawatt.cli import" not in text and "import gigawatt.cli" not in text, module.name


def test_a_missing_optional_part_says_which_extra(monkeypatch):
    import builtins

    from typer.testing import CliRunner

    from gigawatt.cli import app

    real_import = builtins.__import__

    def no_linopy(name, *args, **kwargs):
        if name == "linopy" or name.startswith("linopy."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_linopy)
    optimizer = ("gigawatt.plan.", "linopy")
    for module in [m for m in sys.modules if m == "gigawatt.plan" or m.startswith(optimizer)]:
        monkeypatch.delitem(sys.modules, module)
    result = CliRunner().invoke(app, ["plan", "stargate"])
    assert result.exit_code == 2
    assert "gigawatt[optimizer]" in result.stderr
