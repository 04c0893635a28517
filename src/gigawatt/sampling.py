"""Monte Carlo draws of a scenario's uncertain numbers.

Every uncertain number has a path (``sites.abilene.phases[0].online``). Draws
come in fixed blocks of :data:`BLOCK_DRAWS`; block ``b`` of parameter ``p`` is
drawn from its own child seed, ``SeedSequence(seed, spawn_key=(b, crc32(p)))``.
A draw's values therefore depend only on the seed, its index and the parameter's
path: not on how many draws are taken at once, how blocks are spread over
workers, or which other parameters exist (so a shocked scenario re-uses the
same random numbers as its base: common random numbers).

Seeding a generator per parameter and block costs more than its 1,024 draws, so
:func:`sample` hashes the child seeds of all parameters of a block at once
(:func:`_child_states`, numpy's ``SeedSequence`` algorithm on arrays) and sets them
in turn on one generator: the same streams, bit for bit, as
``Generator(PCG64(SeedSequence(seed, spawn_key=(b, crc32(p)))))``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from gigawatt.distributions import Dist, pert_values

__all__ = ["BLOCK_DRAWS", "collect", "sample", "block_ranges"]

#: Draws per random-number block: the unit of reproducibility.
BLOCK_DRAWS = 1024

# numpy.random.SeedSequence's constants (O'Neill, 2015, "Developing a seed_seq alternative",
# pcg-random.org; numpy/random/bit_generator.pyx): the hash of its entropy pool, the mix of
# pool words, the pool's size, and the 128-bit multiplier of PCG64 (O'Neill, 2014, "PCG: a
# family of simple fast space-efficient statistically good algorithms for random number
# generation", HMC-CS-2014-0905).
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = np.uint32(16)
_POOL_SIZE = 4
_MASK32 = 0xFFFFFFFF
_PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MASK128 = (1 << 128) - 1

_Words32 = npt.NDArray[np.uint32]


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


def _words(value: int) -> list[int]:
    """A non-negative integer as SeedSequence reads it: 32-bit words, least significant first."""
    if value < 0:
        raise ValueError(f"a seed must be a non-negative integer, got {value}")
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


def _hash(value: _Words32, const: int, mult: int) -> tuple[_Words32, int]:
    """SeedSequence's hash of 32-bit words: ``value`` hashed with ``const``, and the next const."""
    value = value ^ np.uint32(const)
    const = (const * mult) & _MASK32
    value = value * np.uint32(const)
    return value ^ (value >> _XSHIFT), const


def _child_states(seed: int, blocks: Sequence[int], keys: np.ndarray) -> list[list[Any]]:
    """The PCG64 state of ``SeedSequence(seed, spawn_key=(block, key))`` for each of ``blocks``
    (outer list) and ``keys`` (uint32, inner list): SeedSequence's pool mixed and its four
    64-bit words drawn on arrays of them all, then PCG64's seeding (``pcg64_set_seed``: two
    LCG steps from state 0) on Python integers."""
    block_words = [_words(b) for b in blocks]
    if len({len(w) for w in block_words}) > 1:  # blocks either side of 2**32 hash a word more
        return [_child_states(seed, [b], keys)[0] for b in blocks]
    n = len(blocks) * keys.size
    run = _words(seed)
    run += [0] * (_POOL_SIZE - len(run))
    entropy = [np.full(n, w, np.uint32) for w in run]
    entropy += [
        np.repeat(np.array(column, np.uint32), keys.size) for column in zip(*block_words, strict=True)
    ]
    entropy.append(np.tile(keys.astype(np.uint32), len(blocks)))
    const = _INIT_A

    def hashmix(value: _Words32) -> _Words32:
        nonlocal const
        value, const = _hash(value, const, _MULT_A)
        return value

    def mix(x: _Words32, y: _Words32) -> _Words32:
        result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
        return result ^ (result >> _XSHIFT)

    pool = [hashmix(entropy[i]) for i in range(_POOL_SIZE)]
    for src in range(_POOL_SIZE):
        for dst in range(_POOL_SIZE):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for word in entropy[_POOL_SIZE:]:
        for dst in range(_POOL_SIZE):
            pool[dst] = mix(pool[dst], hashmix(word))
    state = np.empty((n, 2 * _POOL_SIZE), np.uint32)
    const = _INIT_B
    for i in range(2 * _POOL_SIZE):
        state[:, i], const = _hash(pool[i % _POOL_SIZE], const, _MULT_B)
    words = state.astype("<u4").view("<u8").astype(np.uint64).tolist()
    states = []
    for high, low, inc_high, inc_low in words:
        inc = (((inc_high << 64) | inc_low) << 1 | 1) & _MASK128
        pcg = ((inc + ((high << 64) | low)) * _PCG64_MULT + inc) & _MASK128
        states.append(
            {"bit_generator": "PCG64", "state": {"state": pcg, "inc": inc}, "has_uint32": 0, "uinteger": 0}
        )
    return [states[i : i + keys.size] for i in range(0, n, keys.size)] if keys.size else [[] for _ in blocks]


def sample(parameters: Mapping[str, Dist], seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Draws ``start`` to ``stop`` (exclusive) of each parameter, shape ``(stop - start,)``."""
    if not 0 <= start <= stop:
        raise ValueError("need 0 <= start <= stop")
    first, last = start // BLOCK_DRAWS, max(start, stop - 1) // BLOCK_DRAWS
    window = slice(start - first * BLOCK_DRAWS, stop - first * BLOCK_DRAWS)
    drawn = {path: dist for path, dist in parameters.items() if not dist.is_fixed}
    values = _blocks(drawn, seed, range(first, last + 1)) if drawn else {}
    return {
        path: values[path][window] if path in values else np.full(stop - start, dist.params[0])
        for path, dist in parameters.items()
    }


def _blocks(drawn: Mapping[str, Dist], seed: int, blocks: range) -> dict[str, np.ndarray]:
    """Whole ``blocks`` of each of ``drawn``, end to end: PERTs' uniform draws first, then
    their quantile functions at once; the other families drawn one block at a time."""
    keys = np.array([zlib.crc32(path.encode()) for path in drawn], np.uint32)
    states = _child_states(seed, blocks, keys)
    bits = np.random.PCG64(0)  # its state is set before each block's draws
    rng = np.random.Generator(bits)
    perts = [
        i
        for i, dist in enumerate(drawn.values())
        if dist.family == "pert" and dist.params[2] != dist.params[0]
    ]
    u = np.empty((len(perts), len(blocks) * BLOCK_DRAWS))
    for row, i in enumerate(perts):
        for b, block_states in enumerate(states):
            bits.state = block_states[i]
            rng.random(out=u[row, b * BLOCK_DRAWS : (b + 1) * BLOCK_DRAWS])
    dists = list(drawn.values())
    pert_values([dists[i].params for i in perts], u)
    paths = list(drawn)
    values = {paths[i]: u[row] for row, i in enumerate(perts)}
    for i, (path, dist) in enumerate(drawn.items()):
        if path not in values:
            parts = []
            for block_states in states:
                bits.state = block_states[i]
                parts.append(dist.sample(rng, BLOCK_DRAWS))
            values[path] = np.concatenate(parts)
    return values


def block_ranges(draws: int, block_draws: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of at most ``block_draws`` draws."""
    if draws < 0 or block_draws < 1:
        raise ValueError("need draws >= 0 and block_draws >= 1")
    for start in range(0, draws, block_draws):
        yield start, min(draws, start + block_draws)
