"""Monte Carlo draws of a scenario's uncertain numbers.

Every uncertain number has a path (``sites.abilene.phases[0].online``). Draws
come in fixed blocks of :data:`BLOCK_DRAWS`; block ``b`` of parameter ``p`` is
drawn from its own child seed, ``SeedSequence(seed, spawn_key=(b, crc32(p)))``.
A draw's values therefore depend only on the seed, its index and the parameter's
path: not on how many draws are taken at once, how blocks are spread over
workers, or which other parameters exist (so a shocked scenario re-uses the
same random numbers as its base: common random numbers).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel

from gigawatt.distributions import Dist

__all__ = ["BLOCK_DRAWS", "collect", "sample", "block_ranges"]

#: Draws per random-number block: the unit of reproducibility.
BLOCK_DRAWS = 1024


def collect(node: Any, prefix: str = "") -> dict[str, Dist]:
    """Every :class:`Dist` inside a model tree, keyed by its file path (field aliases)."""
    out: dict[str, Dist] = {}
    if isinstance(node, Dist):
        out[prefix] = node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            if info.exclude:
                continue
            key = info.alias or name
            out.update(collect(getattr(node, name), f"{prefix}.{key}" if prefix else key))
    elif isinstance(node, Mapping):
        for key, item in node.items():
            out.update(collect(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            out.update(collect(item, f"{prefix}[{index}]"))
    return out


def _generator(seed: int, block: int, key: int) -> np.random.Generator:
    """The generator of one block of one parameter (``key``: its path's CRC-32)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, key))))


def sample(parameters: Mapping[str, Dist], seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Draws ``start`` to ``stop`` (exclusive) of each parameter, shape ``(stop - start,)``."""
    if not 0 <= start <= stop:
        raise ValueError("need 0 <= start <= stop")
    first, last = start // BLOCK_DRAWS, max(start, stop - 1) // BLOCK_DRAWS
    offset = first * BLOCK_DRAWS
    out = {}
    for path, dist in parameters.items():
        if dist.is_fixed:
            out[path] = np.full(stop - start, dist.params[0])
            continue
        key = zlib.crc32(path.encode())
        rngs = [_generator(seed, b, key) for b in range(first, last + 1)]
        out[path] = dist.sample_blocks(rngs, BLOCK_DRAWS)[start - offset : stop - offset]
    return out


def block_ranges(draws: int, block_draws: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of at most ``block_draws`` draws."""
    if draws < 0 or block_draws < 1:
        raise ValueError("need draws >= 0 and block_draws >= 1")
    for start in range(0, draws, block_draws):
        yield start, min(draws, start + block_draws)
