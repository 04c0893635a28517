"""Check that two folders of money outputs (``--json`` of ``finance``, ``flows``, ``stress``) hold
the same numbers: every number within ``--rel`` relative or ``--abs`` absolute (USD near zero),
every other value equal. Keys only the second folder has are listed, not compared (new outputs);
the first folder's ``vendor_financing`` pairs with under $1B of sales are left out (since issue 13's
second round they are listed apart, as ``vendor_financing_minor``).

    for cmd in finance flows; do gigawatt $cmd stargate --draws 2000 --json > A/$cmd.json; done
    (the same with PYTHONPATH=<the other checkout's src> into B)
    .venv/bin/python -m benchmarks.money_same A B
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
from typing import Any


def differences(a: Any, b: Any, path: str, rel: float, abs_: float, new: set[str]) -> list[str]:
    """Where ``b`` differs from ``a``: one line each."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a:
                new.add(key)
            elif key not in b:
                out.append(f"{path}.{key}: missing")
            else:
                old = a[key]
                if key == "vendor_financing":
                    old = [row for row in old if row["sales_usd"] >= 1e9]
                out += differences(old, b[key], f"{path}.{key}", rel, abs_, new)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]", rel, abs_, new)
        ]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        if (math.isnan(a) and math.isnan(b)) or abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_):
            return []
        return [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rel", type=float, default=1e-9)
    parser.add_argument("--abs", type=float, default=1e-6, dest="abs_")
    args = parser.parse_args()
    found, new = [], set[str]()
    for path in sorted(pathlib.Path(args.before).glob("*.json")):
        other = pathlib.Path(args.after) / path.name
        lines = differences(
            json.loads(path.read_text()), json.loads(other.read_text()), path.name, args.rel, args.abs_, new
        )
        print(f"{path.name}: {'same' if not lines else f'{len(lines)} differ'}")
        found += lines
    for line in found[:30]:
        print("  " + line)
    print("only in after (not compared):", ", ".join(sorted(new)) or "none")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
