"""skhpa.utils: the shared helpers (channel statistics, sample-count check, fitted state)."""

import numpy as np
import pytest

from skhpa.utils import (
    channel_mean_std,
    check_n_samples,
    fitted_attributes,
    set_fitted_attributes,
)


class _CountingArray:
    """An array that records the rows each read asks for (like a lazy image array)."""

    def __init__(self, X):
        self.X, self.shape, self.dtype, self.reads = X, X.shape, X.dtype, []

    def __len__(self):
        return len(self.X)

    def __getitem__(self, key):
        self.reads.append(key)
        return self.X[key]


def test_channel_mean_std_is_numpys_in_chunks():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (23, 3, 5, 4)).astype(np.uint8)
    lazy = _CountingArray(X)
    mean, std = channel_mean_std(lazy, chunk_size=5)
    expected = X.astype(np.float64)
    np.testing.assert_allclose(mean, expected.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(std, expected.std(axis=(0, 2, 3)), rtol=1e-9)
    # 5 contiguous slices of at most 5 samples: never the whole array at once
    assert len(lazy.reads) == 5 and all(isinstance(r, slice) for r in lazy.reads)


def test_channel_mean_std_subset_feature_vectors_and_constant_channels():
    rng = np.random.RandomState(1)
    X = np.stack([rng.normal(2.0, 3.0, 500), np.full(500, 7.0)], axis=1)  # (n, 2) features
    mean, std = channel_mean_std(X, max_samples=100, random_state=0)
    idx = np.sort(np.random.default_rng(0).choice(500, 100, replace=False))
    np.testing.assert_allclose(mean, X[idx].mean(0))
    assert np.isclose(std[0], X[idx, 0].std()) and std[1] == 1.0  # constant channel -> 1.0
    mean_all, _ = channel_mean_std(X)
    np.testing.assert_allclose(mean_all, X.mean(0))


def test_check_n_samples_names_both_counts():
    assert check_n_samples([[1], [2]], np.zeros((2, 3))) == 2
    with pytest.raises(ValueError, match="X has 2 samples but Y has 3 rows"):
        check_n_samples(np.zeros((2, 4)), np.zeros((3, 1)), y_name="Y")


def test_fitted_attributes_follow_sklearn_naming():
    class Est:
        pass

    est = Est()
    est.param, est.coef_, est._private, est.__dunder__ = 1, 2, 3, 4
    assert fitted_attributes(est) == {"coef_": 2}
    set_fitted_attributes(Est(), {"coef_": 1, "_y": 2}, private=("_y",))
    for name in ("param", "_private", "__class__"):
        with pytest.raises(ValueError, match="is not a fitted attribute of Est"):
            set_fitted_attributes(Est(), {name: 0})
