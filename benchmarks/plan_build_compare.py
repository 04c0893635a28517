"""The linopy build of ``gigawatt.plan`` at a git revision against the working tree's.

Both versions of ``build_model`` are imported into one process (the old one from
``git show REV:src/gigawatt/plan/model.py``, or ``plan.py`` before the package split) and
build the same synthetic inputs, interleaved; medians of all builds but each one's first.
Build only: no hand-over, no solve.

    .venv/bin/python -m benchmarks.plan_build_compare 80a3ab7 --sizes 20 200 1000
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from gigawatt import plan


def module_at(revision: str) -> ModuleType:
    """``build_model``'s module at ``revision``: ``plan/model.py``, or ``plan.py`` before the split."""
    for file in ("src/gigawatt/plan/model.py", "src/gigawatt/plan.py"):
        shown = subprocess.run(["git", "show", f"{revision}:{file}"], capture_output=True, text=True)
        if shown.returncode == 0:
            source = shown.stdout
            break
    else:
        raise SystemExit(f"no plan model at {revision}")
    path = Path(tempfile.mkdtemp()) / "plan_at_revision.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("plan_at_revision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--builds", type=int, default=7)
    args = parser.parse_args(argv)
    old = module_at(args.revision)
    print(f"| sites × quarters | build at {args.revision} s | build now s | faster |")
    print("|---|---|---|---|")
    for n in args.sizes:
        inputs = plan.synthetic_inputs(n, args.periods, 0, binary_sites=False)
        times: dict[str, list[float]] = {"old": [], "new": []}
        for r in range(args.builds):
            order = (("old", old), ("new", plan)) if r % 2 == 0 else (("new", plan), ("old", old))
            for name, module in order:
                gc.collect()
                start = time.perf_counter()
                module.build_model(inputs)
                times[name].append(time.perf_counter() - start)
        before, after = (float(np.median(times[k][1:])) for k in ("old", "new"))
        print(f"| {n} × {args.periods} | {before:.3f} | {after:.3f} | {before / after:.1f}× |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
