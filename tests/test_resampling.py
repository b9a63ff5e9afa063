import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier

from skhpa.datasets import hpa_label_matrix
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.resampling import MLROS, MLRUS, MLSMOTE, LabelPowersetSampler, imbalance_report


@pytest.fixture(scope="module")
def Y_real():
    return hpa_label_matrix(random_state=0)


def _label_sets(Y):
    return {tuple(r) for r in np.unique(Y, axis=0)}


def test_imbalance_report_on_real_labels(Y_real):
    r = imbalance_report(Y_real)
    counts = Y_real.sum(0)
    assert np.isclose(r["IRLbl"][0], 1.0) and np.isclose(r["IRLbl"][27], 12885 / 11)
    assert np.isclose(r["MeanIR"], np.mean(counts.max() / counts))
    assert np.isclose(r["cardinality"], 50782 / 31072)
    assert 0 < r["SCUMBLE"] < 1
    # SCUMBLE is 0 when no sample mixes labels
    assert imbalance_report(np.eye(3, dtype=int)[[0, 0, 1, 2]])["SCUMBLE"] == 0


def test_mlros_on_real_labels(Y_real):
    ids = np.array([f"id{i}" for i in range(len(Y_real))])
    ids_res, Y_res = MLROS(sampling_ratio=0.1, random_state=0).fit_resample(ids, Y_real)
    assert len(Y_res) == len(Y_real) + round(0.1 * len(Y_real))
    assert imbalance_report(Y_res)["MeanIR"] < imbalance_report(Y_real)["MeanIR"]
    assert _label_sets(Y_res) == _label_sets(Y_real)  # no new label set
    # duplicated Ids, consistent with their labels
    pos = {s: i for i, s in enumerate(ids)}
    rows = np.array([pos[s] for s in ids_res])
    assert np.array_equal(Y_real[rows], Y_res)
    assert Y_res[:, 27].sum() > 11


def test_mlrus_on_real_labels(Y_real):
    ids = np.arange(len(Y_real))
    sampler = MLRUS(sampling_ratio=0.1, random_state=0)
    ids_res, Y_res = sampler.fit_resample(ids, Y_real)
    assert len(Y_res) == len(Y_real) - round(0.1 * len(Y_real))
    assert imbalance_report(Y_res)["MeanIR"] < imbalance_report(Y_real)["MeanIR"]
    assert Y_res[:, 27].sum() == 11  # minority samples are kept
    assert _label_sets(Y_res) <= _label_sets(Y_real)


def test_deterministic_and_picklable(Y_real):
    ids = np.arange(len(Y_real))
    a = MLROS(random_state=1).fit_resample(ids, Y_real)[0]
    b = pickle.loads(pickle.dumps(MLROS(random_state=1))).fit_resample(ids, Y_real)[0]
    assert np.array_equal(a, b)


def test_label_powerset_sampler():
    Y = np.array([[1, 0]] * 8 + [[1, 1]] * 3 + [[0, 1]] * 1)
    ids = np.array([f"s{i}" for i in range(12)])
    ids_res, Y_res = LabelPowersetSampler(RandomOverSampler(random_state=0)).fit_resample(ids, Y)
    sets, counts = np.unique(Y_res, axis=0, return_counts=True)
    assert counts.tolist() == [8, 8, 8]
    assert set(ids_res) <= set(ids)
    _, Y_under = LabelPowersetSampler(RandomUnderSampler(random_state=0)).fit_resample(ids, Y)
    assert np.unique(Y_under, axis=0, return_counts=True)[1].tolist() == [1, 1, 1]


class _CountingSMOTE:
    """SMOTE that counts its fits (clones included) on the class."""

    fits = 0

    def __init__(self, k_neighbors=2, random_state=0):
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"k_neighbors": self.k_neighbors, "random_state": self.random_state}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit_resample(self, X, y):
        from imblearn.over_sampling import SMOTE

        type(self).fits += 1
        return SMOTE(k_neighbors=self.k_neighbors, random_state=self.random_state).fit_resample(
            X, y
        )


class _NewRows(BaseEstimator):
    """A sampler that appends a copy of the first row as a new sample (no sample_indices_)."""

    def fit_resample(self, X, y):
        return np.r_[X, X[:1]], np.r_[y, y[:1]]


def test_label_powerset_sampler_fits_the_wrapped_sampler_once():
    rng = np.random.RandomState(0)
    Y = np.array([[1, 0]] * 12 + [[1, 1]] * 5 + [[0, 1]] * 4)
    X = rng.normal(size=(len(Y), 3))
    _CountingSMOTE.fits = 0
    sampler = LabelPowersetSampler(_CountingSMOTE())
    X_res, Y_res = sampler.fit_resample(X, Y)
    assert _CountingSMOTE.fits == 1
    assert X_res.shape == (36, 3)
    assert np.unique(Y_res, axis=0, return_counts=True)[1].tolist() == [12, 12, 12]
    assert np.array_equal(X_res[: len(X)], X) and not hasattr(sampler, "sample_indices_")
    # Ids have no distances: a clear error before any fit (imbalanced-learn's own error,
    # "Expected n_neighbors <= n_samples_fit", named neither the sampler nor the cause)
    with pytest.raises(ValueError, match="_CountingSMOTE measures distances.*2-D numeric X"):
        LabelPowersetSampler(_CountingSMOTE()).fit_resample(np.arange(len(Y)).astype(str), Y)
    from imblearn.over_sampling import SMOTE

    with pytest.raises(ValueError, match="SMOTE measures distances"):
        LabelPowersetSampler(SMOTE()).fit_resample(np.arange(len(Y)).astype(str), Y)
    assert _CountingSMOTE.fits == 1
    # a sampler that makes new rows without distances: one fit, then a clear error
    with pytest.raises(ValueError, match="creates new samples; it needs 2-D numeric X"):
        LabelPowersetSampler(_NewRows()).fit_resample(np.arange(len(Y)).astype(str), Y)
    # a row-selecting sampler on features sees the features and keeps sample_indices_
    ros = LabelPowersetSampler(RandomOverSampler(random_state=0))
    X_ros, Y_ros = ros.fit_resample(X, Y)
    idx = ros.sample_indices_
    assert np.array_equal(X_ros, X[idx]) and np.array_equal(Y_ros, Y[idx])


def test_minority_and_majority_labels_have_one_definition(Y_real):
    from skhpa.resampling._imbalance import _minority_and_majority

    counts = Y_real.sum(0)
    ir = counts.max() / counts
    mean_ir, minority, majority = _minority_and_majority(counts)
    assert np.isclose(mean_ir, ir.mean())
    assert np.array_equal(minority, ir > ir.mean()) and np.array_equal(majority, ir < ir.mean())
    assert minority[27] and majority[0] and not (minority & majority).any()
    # an absent label is in neither; no label at all gives empty masks, not a warning
    mean_ir, minority, majority = _minority_and_majority([5, 0, 1])
    assert mean_ir == 3.0 and minority.tolist() == [False, False, True]
    assert majority.tolist() == [True, False, False]
    _, minority, majority = _minority_and_majority([0, 0])
    assert not minority.any() and not majority.any()


def test_mlsmote():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(5, 0.5, (8, 2))])
    Y = np.zeros((88, 3), int)
    Y[:80, 0] = 1
    Y[80:, 1] = 1
    Y[80:84, 2] = 1
    X_res, Y_res = MLSMOTE(k_neighbors=3, random_state=0).fit_resample(X, Y)
    new = X_res[88:]
    assert len(new) > 0 and Y_res[88:, 1].all()
    # synthetic points lie between minority samples (the 5-centred cluster)
    assert (np.linalg.norm(new - 5, axis=1) < 3).all()
    with pytest.raises(ValueError, match="2-D numeric X"):
        MLSMOTE().fit_resample(np.array(["a"] * 88), Y)


def test_imblearn_pipeline_gridsearch_not_applied_at_predict():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    Y = np.stack([X[:, 0] > 1.5, X[:, 1] > 0, X[:, 2] > 0.8], axis=1).astype(int)
    pipe = ImbPipeline(
        [("resample", MLROS(random_state=0)), ("clf", OneVsRestClassifier(LogisticRegression()))]
    )
    gs = GridSearchCV(
        pipe,
        {"resample__sampling_ratio": [0.1, 0.5]},
        cv=MultilabelStratifiedKFold(3, shuffle=True, random_state=0),
        scoring="f1_macro",
    ).fit(X, Y)
    assert gs.best_estimator_.predict(X).shape == (300, 3)  # no resampling at predict
    assert gs.best_estimator_.named_steps["resample"].sample_indices_.shape[0] > 300
    assert not hasattr(MLROS(), "transform")


def test_bad_input(Y_real):
    with pytest.raises(ValueError, match="binary"):
        MLROS().fit_resample(np.arange(3), np.array([[0, 2], [1, 0], [1, 1]]))
    with pytest.raises(ValueError, match="X has 2 samples but y has 3 rows"):
        MLROS().fit_resample(np.arange(2), np.eye(3))
    with pytest.raises(ValueError, match="does not support sample_weight"):
        MLROS().fit_resample(np.arange(3), np.eye(3), sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="'sampling_ratio' parameter of MLROS"):
        MLROS(sampling_ratio=-1).fit_resample(np.arange(3), np.eye(3))


@pytest.mark.filterwarnings("ignore:MLROS cloned")  # labels all equally frequent: it stops
@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(5, 60), q=st.integers(2, 6), ratio=st.floats(0.05, 1.0), seed=st.integers(0, 999)
)
def test_resampler_invariants(n, q, ratio, seed):
    rng = np.random.RandomState(seed)
    Y = (rng.rand(n, q) < 0.3).astype(int)
    Y[np.arange(n), rng.randint(0, q, n)] = 1
    ids = np.arange(n)
    ids_o, Y_o = MLROS(sampling_ratio=ratio, random_state=seed).fit_resample(ids, Y)
    assert np.array_equal(Y[ids_o], Y_o) and set(ids) <= set(ids_o)
    assert len(ids_o) <= n + round(ratio * n)
    assert _label_sets(Y_o) == _label_sets(Y)
    ids_u, Y_u = MLRUS(sampling_ratio=min(ratio, 0.9), random_state=seed).fit_resample(ids, Y)
    assert np.array_equal(Y[ids_u], Y_u) and len(set(ids_u)) == len(ids_u)


def test_label_dataframes_stay_dataframes_like_x():
    pd = pytest.importorskip("pandas")  # not a dependency: run where pandas is installed
    Y = np.array([[1, 0]] * 6 + [[1, 1]] * 2 + [[0, 1]] * 2)
    X = pd.DataFrame({"id": [f"s{i}" for i in range(10)]})
    y = pd.DataFrame(Y, columns=["c0", "c1"])
    X_res, y_res = MLROS(random_state=0).fit_resample(X, y)
    assert isinstance(y_res, pd.DataFrame) and list(y_res.columns) == ["c0", "c1"]
    assert (X_res.index == y_res.index).all() and len(y_res) > len(y)


@pytest.mark.parametrize("sampler_first", [True, False])
def test_held_out_thresholds_with_a_sampler_in_the_pipeline(synthetic_root, sampler_first):
    # fit_with_thresholds fits the pipeline step by step to hand the held-out part to
    # the network: the sampler must resample the training part only, as in Pipeline.fit
    from skhpa import HPAClassifier
    from skhpa.datasets import load_hpa
    from skhpa.nn import SeedCNN
    from skhpa.preprocessing import ImageLoader
    from skhpa.recipes import fit_with_thresholds

    train = load_hpa(synthetic_root, "train")
    steps = [("resample", MLROS(sampling_ratio=0.5, random_state=0)), ("load", ImageLoader())]
    net = HPAClassifier(SeedCNN, max_epochs=1, batch_size=8, random_state=0, verbose=0)
    pipe = ImbPipeline((steps if sampler_first else steps[::-1]) + [("net", net)])
    model = fit_with_thresholds(pipe, train.stems, train.target, valid_size=0.25)
    batches = model.estimator_.named_steps["net"].history_[-1]["batches"]
    n_train = sum(b.get("train_batch_size", 0) for b in batches)
    n_valid = sum(b.get("valid_batch_size", 0) for b in batches)
    assert (n_train, n_valid) == (18 + 9, 6)  # 18 training images + half as many again; 6 held out
    assert model.predict(train.stems).shape == train.target.shape


def test_mlros_says_when_no_label_is_rarer():
    X = np.arange(300)[:, None]
    Y = (np.arange(300) % 5 == 0).astype(int)[:, None]  # one label column: nothing to catch up
    with pytest.warns(UserWarning, match=r"MLROS cloned 0 of the 150 samples that sampling_"):
        X_res, _ = MLROS(sampling_ratio=0.5, random_state=0).fit_resample(X, Y)
    assert len(X_res) == 300
