"""Issue 15's size habits, checked on the source with ``ast``: no function over 80 lines
unless its docstring says why (:data:`REASON`), and no module over 700 lines."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "gigawatt"

MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 700
#: what a long function's docstring says to keep its length: "Long because ..." and the reason
REASON = "Long because"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """From ``def`` (decorators not counted) to the last line of the body."""
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def long_functions_without_reason(package: Path = PACKAGE) -> list[str]:
    """``module:function (N lines)`` for each function over the limit whose docstring gives no
    reason."""
    found = []
    for path in sorted(package.rglob("*.py")):
        module = path.relative_to(package).as_posix()
        for node in _functions(path):
            doc = ast.get_docstring(node) or ""
            if _lines(node) > MAX_FUNCTION_LINES and REASON not in doc:
                found.append(f"{module}:{node.name} ({_lines(node)} lines)")
    return found


def test_no_long_function_without_a_reason():
    long = long_functions_without_reason()
    assert not long, (
        f"functions over {MAX_FUNCTION_LINES} lines: split them into named steps, or say in the "
        f"docstring why not ({REASON!r} ...): " + ", ".join(long)
    )


def test_no_module_over_the_limit():
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    large = [f"{p.relative_to(PACKAGE)} ({n} lines)" for p, n in sizes.items() if n > MAX_MODULE_LINES]
    assert not large, f"modules over {MAX_MODULE_LINES} lines: " + ", ".join(large)


def test_the_check_finds_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f'def f():\n    """Does a lot."""\n{body}\n', encoding="utf-8")
    (tmp_path / "kept.py").write_text(
        f'def g():\n    """Does a lot. {REASON} it is one table."""\n{body}\n', encoding="utf-8"
    )
    (tmp_path / "short.py").write_text('def h():\n    """Little."""\n    return 1\n', encoding="utf-8")
    assert long_functions_without_reason(tmp_path) == [f"long.py:f ({MAX_FUNCTION_LINES + 2} lines)"]
