import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.distributions import Dist, fixed
from gigawatt.sampling import BLOCK_DRAWS, _child_states, block_ranges, collect, sample
from gigawatt.scenario import load_scenario

PARAMS = {
    "a": Dist("pert", (1.0, 2.0, 5.0)),
    "b": Dist("lognormal", (10.0, 20.0)),
    "c": fixed(3.0),
    "d": Dist("choice", (1.0, 2.0), (0.5, 0.5)),
}


@settings(max_examples=25, deadline=None)
@given(
    draws=st.integers(min_value=1, max_value=3 * BLOCK_DRAWS + 7),
    chunk=st.integers(min_value=1, max_value=2 * BLOCK_DRAWS),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_same_seed_same_arrays_for_any_chunking(draws, chunk, seed):
    whole = sample(PARAMS, seed, 0, draws)
    parts = [sample(PARAMS, seed, lo, hi) for lo, hi in block_ranges(draws, chunk)]
    for key in PARAMS:
        joined = np.concatenate([p[key] for p in parts])
        assert np.array_equal(joined, whole[key])
        assert whole[key].shape == (draws,)


def test_different_seed_differs_and_params_are_independent():
    one, two = sample(PARAMS, 1, 0, 500), sample(PARAMS, 2, 0, 500)
    assert not np.array_equal(one["a"], two["a"])
    assert abs(np.corrcoef(one["a"], one["b"])[0, 1]) < 0.15


def test_adding_a_parameter_keeps_the_others():
    base = sample(PARAMS, 7, 0, 100)
    more = sample({**PARAMS, "z": Dist("uniform", (0.0, 1.0))}, 7, 0, 100)
    assert np.array_equal(base["a"], more["a"])


def test_collect_uses_file_paths():
    scenario = load_scenario("stargate")
    params = collect(scenario)
    assert "sites.abilene.phases[0].power" in params
    assert any(key.startswith("supply.nvidia-blackwell.share") for key in params)


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1, 2**32, 2**64 + 5, 2**130 + 7])
@pytest.mark.parametrize("block", [0, 97, 2**32 - 1, 2**40 + 3])
def test_child_states_are_numpys_seed_sequence(seed, block):
    """The hashed child seeds are exactly those of numpy's SeedSequence and PCG64 (any seed length)."""
    keys = np.array([0, 1, 12345, 2**31, 2**32 - 1], np.uint32)
    blocks = [block, block + 1, 2**32 - 1 + block % 2]  # some either side of 2**32, with a word more
    for b, states in zip(blocks, _child_states(seed, blocks, keys), strict=True):
        for key, state in zip(keys.tolist(), states, strict=True):
            assert state == np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b, key))).state


def test_draws_are_each_parameters_own_seeded_stream():
    """Every family's draws are those of a generator seeded per block and parameter path."""
    params = {**PARAMS, "e": Dist("uniform", (0.0, 2.0)), "f": Dist("triangular", (1.0, 1.5, 4.0))}
    got = sample(params, 11, 1500, 3100)
    for path, dist in params.items():
        rngs = [
            np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(11, spawn_key=(b, zlib.crc32(path.encode()))))
            )
            for b in (1, 2, 3)
        ]
        want = np.concatenate([dist.sample(rng, BLOCK_DRAWS) for rng in rngs])[1500 - 1024 : 3100 - 1024]
        assert np.array_equal(got[path], want), path


def test_a_negative_seed_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        sample(PARAMS, -1, 0, 10)
