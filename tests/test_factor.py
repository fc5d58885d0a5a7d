"""The distance kernel of pso_env.factor on shapes that exercise its padding and coordinate blocking."""

import numpy as np
from scipy.spatial.distance import cdist

from pso_env.factor import batch_evolutionary_factor, batch_mean_distances


def test_mean_distances_match_cdist_for_unpadded_shapes_and_odd_dimensions():
    rng = np.random.default_rng(3)
    for n in (2, 7, 8, 9, 33):
        for d in (1, 4, 5, 31):
            # swarms of very different scale in one batch: scratch reused across swarms must not leak
            pos = rng.standard_normal((3, n, d)) * np.array([1e3, 1e-3, 1.0])[:, None, None] + 50.0
            got = batch_mean_distances(np.asfortranarray(pos))  # another memory layout, same values
            for b in range(3):
                expected = cdist(pos[b], pos[b]).sum(axis=1) / (n - 1)
                np.testing.assert_allclose(got[b], expected, rtol=1e-12, err_msg=f"n={n} d={d} b={b}")


def test_factor_of_each_swarm_in_a_batch_depends_on_that_swarm_only():
    rng = np.random.default_rng(4)
    pos, fit = rng.uniform(-1, 1, (4, 13, 6)), rng.random((4, 13))
    f = batch_evolutionary_factor(pos, fit)
    for b in range(4):
        for other in (pos[::-1], pos * 1e6):
            mixed = other.copy()
            mixed[b] = pos[b]
            assert batch_evolutionary_factor(mixed, fit)[b] == f[b]
