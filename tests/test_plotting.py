"""The figures: values held by the displays, what they draw, and montage text layout."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402

from skhpa import ThresholdOptimizer  # noqa: E402
from skhpa.datasets import CLASS_NAMES  # noqa: E402
from skhpa.plotting import (  # noqa: E402
    MontageDisplay,
    PerClassF1Display,
    ThresholdCurveDisplay,
    TrainingCurveDisplay,
    plot_montage,
    plot_per_class_f1,
    plot_sample,
    plot_threshold_curves,
    plot_training_curves,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def labels():
    """Truth with two classes that have no positives, and two models' predictions."""
    rng = np.random.RandomState(0)
    Y = (rng.rand(80, 28) < 0.15).astype(int)
    Y[:, [9, 27]] = 0
    A = np.where(rng.rand(*Y.shape) < 0.8, Y, 1 - Y)
    B = np.where(rng.rand(*Y.shape) < 0.6, Y, 1 - Y)
    return Y, A, B


@pytest.fixture(scope="module")
def optimizer_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(160, 3))
    Y = np.stack([X[:, 0] > 0.8, X[:, 1] > 0, X[:, 2] + X[:, 0] > 0.3], axis=1).astype(int)
    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2, random_state=0)
    return X, Y, opt.fit(X, Y)


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- PerClassF1Display ---------------------------------------------------------------------


def test_per_class_f1_values_and_bars(labels):
    Y, A, B = labels
    disp = PerClassF1Display.from_predictions(Y, {"a": A, "b": B})
    for j, pred in enumerate((A, B)):
        expected = f1_score(Y, pred, average=None, zero_division=0)
        np.testing.assert_allclose(disp.f1[j], expected)
        heights = [bar.get_height() for bar in disp.bars_[j]]
        np.testing.assert_allclose(heights, expected)
        assert disp.macro_f1[j] == pytest.approx(
            f1_score(Y, pred, average="macro", zero_division=0)
        )
        assert disp.macro_lines_[j].get_ydata()[0] == pytest.approx(disp.macro_f1[j])
    np.testing.assert_array_equal(disp.support, Y.sum(axis=0))
    assert disp.n_samples == 80 and disp.model_names == ["a", "b"]


def test_per_class_f1_marks_classes_without_positives(labels):
    Y, A, B = labels
    disp = PerClassF1Display.from_predictions(Y, {"a": A, "b": B})
    # classes 9 and 27 have no positives: two hatched spans centred on their bars
    centres = sorted(span.get_x() + span.get_width() / 2 for span in disp.no_positive_spans_)
    assert centres == pytest.approx([9, 27])
    assert all(span.get_hatch() for span in disp.no_positive_spans_)
    ticks = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert ticks[0] == f"{CLASS_NAMES[0]} ({Y[:, 0].sum()})"
    assert ticks[9] == f"{CLASS_NAMES[9]} (0)"
    legend = _legend_texts(disp.ax_)
    assert any("no positives" in t and "macro-F1" in t for t in legend)
    assert f"a: macro-F1 {disp.macro_f1[0]:.3f}" in legend
    assert "macro-F1" in disp.ax_.get_title()
    assert disp.ax_.get_ylabel() == "F1" and disp.ax_.get_xlabel()


def test_per_class_f1_draws_on_given_axes_in_given_order(labels):
    Y, A, _ = labels
    fig, ax = plt.subplots()
    order = np.argsort(f1_score(Y, A, average=None, zero_division=0))
    disp = PerClassF1Display.from_predictions(Y, A, name="a", ax=ax, order=order)
    assert disp.ax_ is ax and disp.figure_ is fig
    heights = [bar.get_height() for bar in disp.bars_[0]]
    np.testing.assert_allclose(heights, disp.f1[0][order])
    assert np.all(np.diff(heights) >= 0)
    assert ax.get_xticklabels()[0].get_text().startswith(CLASS_NAMES[order[0]])


def test_per_class_f1_from_estimator(optimizer_data):
    X, Y, opt = optimizer_data
    disp = PerClassF1Display.from_estimator(opt, X, Y, target_names=["a", "b", "c"])
    np.testing.assert_allclose(disp.f1[0], f1_score(Y, opt.predict(X), average=None))
    assert disp.model_names == ["ThresholdOptimizer"]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()][0] == f"a ({Y[:, 0].sum()})"


def test_per_class_f1_bad_input(labels):
    Y, A, _ = labels
    with pytest.raises(ValueError, match=r"y_pred\['b'\] has shape \(80, 27\)"):
        PerClassF1Display.from_predictions(Y, {"a": A, "b": A[:, 1:]})
    P = A.astype(float) * 0.7
    with pytest.raises(ValueError, match=r"y_pred\['m'\] must be a binary"):
        PerClassF1Display.from_predictions(Y, {"m": P})
    with pytest.raises(ValueError, match="target_names has 2 names but the data have 28"):
        PerClassF1Display.from_predictions(Y, A, target_names=["x", "y"])
    with pytest.raises(ValueError, match="permutation"):
        PerClassF1Display.from_predictions(Y, A, order=[0, 1])


# --- ThresholdCurveDisplay -----------------------------------------------------------------


def test_threshold_curves_of_an_optimizer(optimizer_data):
    _, _, opt = optimizer_data
    disp = ThresholdCurveDisplay.from_estimator(opt, target_names=["a", "b", "c"])
    np.testing.assert_array_equal(disp.chosen_thresholds, opt.thresholds_)
    for k in range(3):
        np.testing.assert_array_equal(disp.thresholds[k], opt.cv_results_["thresholds"][k])
        np.testing.assert_array_equal(disp.scores[k], opt.cv_results_["scores"][k])
        assert disp.chosen_lines_[k].get_xdata()[0] == opt.thresholds_[k]
        assert disp.reference_lines_[k].get_xdata()[0] == 0.5
        # the drawn curve is the stored one without the "never predict" threshold above 1
        keep = disp.thresholds[k] <= 1
        np.testing.assert_array_equal(disp.lines_[k].get_xdata(), disp.thresholds[k][keep])
        legend = _legend_texts(disp.axes_[k])
        assert legend == [f"chosen threshold {opt.thresholds_[k]:.2f}", "threshold 0.5"]
        assert disp.axes_[k].get_title() == f"{k} {'abc'[k]}"
    assert disp.axes_[0].get_xlabel() == "threshold" and disp.axes_[0].get_ylabel() == "F1"
    assert "tuning data" in disp.figure_._suptitle.get_text()


def test_threshold_curves_from_predictions_match_brute_force(optimizer_data):
    X, Y, opt = optimizer_data
    P = opt.predict_proba(X)
    disp = ThresholdCurveDisplay.from_predictions(Y, P, classes=[2, 0], target_names=list("abc"))
    np.testing.assert_array_equal(disp.classes, [2, 0])
    for i, k in enumerate([2, 0]):
        t, s = disp.thresholds[i], disp.scores[i]
        for j in range(0, len(t), 7):  # every score is F1 of proba >= threshold
            assert s[j] == pytest.approx(
                f1_score(Y[:, k], P[:, k] >= t[j], zero_division=0), abs=1e-12
            )
        # the marked threshold reaches the best F1 of any cut of this class
        pred = P[:, k][None, :] >= np.unique(P[:, k])[:, None]  # every cut of this class
        tp = (pred & (Y[:, k] == 1)).sum(axis=1)
        best = np.max(2 * tp / (pred.sum(axis=1) + Y[:, k].sum()))
        chosen = disp.chosen_thresholds[i]
        assert f1_score(Y[:, k], P[:, k] >= chosen) == pytest.approx(best)


def test_threshold_curves_on_new_data_keep_the_optimizer_thresholds(optimizer_data):
    X, Y, opt = optimizer_data
    disp = ThresholdCurveDisplay.from_estimator(opt, X[:80], Y[:80], classes=[1])
    assert disp.chosen_thresholds.tolist() == [opt.thresholds_[1]]
    ref = ThresholdCurveDisplay.from_predictions(Y[:80], opt.predict_proba(X[:80]))
    np.testing.assert_array_equal(disp.scores[0], ref.scores[1])
    # any multilabel estimator works with data; the optimizer's choice on them is marked
    est = opt.estimator_
    plain = ThresholdCurveDisplay.from_estimator(est, X[:80], Y[:80])
    np.testing.assert_array_equal(plain.chosen_thresholds, ref.chosen_thresholds)
    with pytest.raises(ValueError, match="not a ThresholdOptimizer: pass X and y"):
        ThresholdCurveDisplay.from_estimator(est)
    with pytest.raises(ValueError, match="class index 3 is out of range"):
        ThresholdCurveDisplay.from_estimator(opt, classes=[0, 3])


def test_threshold_curves_on_one_or_several_given_axes(optimizer_data):
    _, _, opt = optimizer_data
    fig, ax = plt.subplots()
    disp = ThresholdCurveDisplay.from_estimator(
        opt, classes=[0, 2], target_names=list("abc"), ax=ax
    )
    assert disp.ax_ is ax and disp.figure_ is fig
    assert all(a is ax for a in disp.axes_) and len(ax.lines) == 5  # 2 curves, 2 chosen, 0.5
    legend = _legend_texts(ax)
    assert "0 a" in legend and "2 c" in legend and "threshold 0.5" in legend
    assert f"a: chosen threshold {opt.thresholds_[0]:.2f}" in legend
    assert ax.get_xlabel() == "threshold" and ax.get_ylabel() == "F1"

    fig, axes = plt.subplots(1, 3)
    disp = ThresholdCurveDisplay.from_estimator(opt, ax=axes)
    assert [a for a in disp.axes_] == list(axes)
    assert all(len(a.lines) == 3 for a in axes)
    assert all(a.get_xlabel() == "threshold" for a in axes)
    with pytest.raises(ValueError, match="ax holds 2 Axes for 3 classes"):
        ThresholdCurveDisplay.from_estimator(opt, ax=axes[:2])


def test_threshold_axis_follows_the_probabilities():
    rng = np.random.RandomState(0)
    Y = (rng.rand(60, 2) < 0.3).astype(int)
    P = 0.47 + 0.06 * np.clip(Y * 0.3 + rng.rand(60, 2) * 0.7, 0, 1)  # all within 0.47-0.53
    disp = ThresholdCurveDisplay.from_predictions(Y, P)
    low, high = disp.axes_[0].get_xlim()
    # from the "predict all" cut (halfway between the lowest probability and its half) on
    lowest = min(t.min() for t in disp.thresholds)
    assert lowest == pytest.approx(0.75 * P.min(axis=0).min())
    assert lowest - 0.03 < low < lowest and 0.53 < high < 0.56
    # a class never predicted (threshold above every probability) is named so
    never = ThresholdCurveDisplay(
        [np.array([np.nextafter(1, 2), 0.6, 0.4])],
        [np.array([0.0, 0.5, 0.4])],
        chosen_thresholds=[np.nextafter(1, 2)],
        target_names=["a"],
    ).plot()
    assert _legend_texts(never.axes_[0]) == ["chosen: never predicted", "threshold 0.5"]
    assert never.axes_[0].get_xlim()[1] < 0.62


def test_threshold_curve_label_names_the_score():
    rng = np.random.RandomState(1)
    Y = (rng.rand(50, 2) < 0.4).astype(int)
    P = np.clip(Y * 0.4 + rng.rand(50, 2) * 0.6, 0, 1)
    disp = ThresholdCurveDisplay.from_predictions(Y, P, scoring="fbeta", beta=2)
    assert disp.score_name == "F-beta (beta=2)"
    assert disp.axes_[0].get_ylabel() == "F-beta (beta=2)"


# --- TrainingCurveDisplay ------------------------------------------------------------------


def _history(f1_tuned, valid_loss=None):
    rows = []
    for e, f in enumerate(f1_tuned, start=1):
        row = {"epoch": e, "train_loss": 1.0 / e, "valid_f1": f / 2, "valid_f1_tuned": f}
        row["valid_loss"] = None if valid_loss is None else valid_loss[e - 1]
        rows.append(row)
    return rows


def test_training_curves_best_epoch_is_the_first_highest_valid_f1_tuned():
    history = _history([0.1, 0.4, 0.3, 0.4], valid_loss=[0.9, 0.8, 0.5, 0.7])
    disp = TrainingCurveDisplay.from_history(history)
    assert disp.monitor == "valid_f1_tuned" and disp.best_epoch == 2
    assert disp.best_line_.get_xdata()[0] == 2
    assert set(disp.lines_) == {"train_loss", "valid_loss", "valid_f1", "valid_f1_tuned"}
    np.testing.assert_allclose(disp.lines_["valid_loss"].get_ydata(), [0.9, 0.8, 0.5, 0.7])
    np.testing.assert_allclose(disp.lines_["train_loss"].get_ydata(), [1, 0.5, 1 / 3, 0.25])
    assert disp.lines_["train_loss"].axes is disp.ax_
    assert disp.lines_["valid_f1"].axes is disp.score_ax_
    assert disp.ax_.get_xlabel() == "epoch" and disp.ax_.get_ylabel() == "loss"
    assert disp.score_ax_.get_ylabel() == "validation macro-F1"
    assert disp.ax_.get_title() == "Training curves"
    legend = _legend_texts(disp.score_ax_)
    assert "training loss" in legend and "validation loss" in legend
    assert "best epoch 2 (valid_f1_tuned 0.400)" in legend
    # the loss as monitor: the lowest
    assert TrainingCurveDisplay.from_history(history, monitor="valid_loss").best_epoch == 3


def test_training_curves_without_validation_and_on_given_axes():
    history = [{"epoch": e, "train_loss": 1.0 / e} for e in (1, 2, 3)]
    fig, ax = plt.subplots()
    disp = TrainingCurveDisplay.from_history(history, ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.best_epoch is None and disp.best_line_ is None and disp.score_ax_ is None
    assert list(disp.lines_) == ["train_loss"]
    assert "no validation split" in ax.get_title()
    with pytest.raises(ValueError, match="monitor 'valid_loss' is not in the history"):
        TrainingCurveDisplay.from_history(history, monitor="valid_loss")
    with pytest.raises(ValueError, match="the history is empty"):
        TrainingCurveDisplay.from_history([])


def test_training_curves_find_the_network_inside_an_estimator():
    from skorch.history import History

    class Net:  # a fitted skorch net, as far as the display is concerned
        def __init__(self, history):
            self.history_ = History(history)

    class Holder:
        def __init__(self, *nets):
            self.estimator_ = nets[0]
            self.estimators_ = list(nets)

    net = Net(_history([0.2, 0.5, 0.1]))
    disp = TrainingCurveDisplay.from_estimator(Holder(net))
    assert disp.best_epoch == 2
    # the template a meta-estimator clones is skipped, even when it was fitted elsewhere
    holder = Holder(net)
    holder.estimators_ = []
    holder.estimator = Net(_history([0.9, 0.1]))
    assert TrainingCurveDisplay.from_estimator(holder).best_epoch == 2
    with pytest.raises(ValueError, match="holds 2 fitted networks") as e:
        TrainingCurveDisplay.from_estimator(Holder(net, Net(_history([0.3]))))
    assert e.value.args[0].endswith("estimator.estimators_[0], estimator.estimators_[1]")
    # a blend inside a ThresholdOptimizer's pipeline: the paths reach each network, and
    # following one gives a display
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    blend = Holder(Pipeline([("s", StandardScaler()), ("n", net)]), Net(_history([0.4, 0.8])))
    blend.estimator_ = None
    model = Holder(Pipeline([("s", StandardScaler()), ("blend", blend)]))
    model.estimators_ = []
    with pytest.raises(ValueError, match="holds 2 fitted networks") as e:
        TrainingCurveDisplay.from_estimator(model)
    paths = e.value.args[0].split("pass one of them: ")[1].split(", ")
    assert paths == [
        "estimator.estimator_[1].estimators_[0][1]",
        "estimator.estimator_[1].estimators_[1]",
    ]
    assert TrainingCurveDisplay.from_estimator(model.estimator_[1].estimators_[1]).best_epoch == 2
    with pytest.raises(ValueError, match="holds no fitted network"):
        TrainingCurveDisplay.from_estimator(LogisticRegression())


@pytest.mark.slow
def test_training_curves_of_a_fitted_hpa_classifier():
    from sklearn.frozen import FrozenEstimator

    from skhpa import HPAClassifier
    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN

    X, Y = make_hpa_like(60, image_size=16, label_distribution="flat", random_state=0)
    net = HPAClassifier(SeedCNN, max_epochs=3, batch_size=16, device="cpu", random_state=0)
    net.fit(X, Y)
    opt = ThresholdOptimizer(FrozenEstimator(net)).fit(X, Y)
    disp = TrainingCurveDisplay.from_estimator(opt)
    assert set(disp.lines_) == {"train_loss", "valid_loss", "valid_f1", "valid_f1_tuned"}
    tuned = net.history[:, "valid_f1_tuned"]
    assert disp.best_epoch == int(np.argmax(tuned)) + 1
    np.testing.assert_allclose(disp.lines_["valid_loss"].get_ydata(), net.history[:, "valid_loss"])


# --- montage ---------------------------------------------------------------------------------


def _montage_case():
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(7, 4, 16, 16))
    Y = np.zeros((7, 28), dtype=int)
    P = np.zeros((7, 28), dtype=int)
    Y[0, [0, 25]] = 1  # exactly right
    P[0, [0, 25]] = 1
    Y[1, 0] = 1  # one false positive, one missed label
    P[1, [0, 8]] = 1
    Y[1, 18] = 1
    Y[2, :] = 1  # every class: very long label lines
    P[2, ::2] = 1
    Y[3, 5] = 1  # nothing predicted
    P[4, :] = 1  # everything predicted
    Y[4, 1] = 1
    Y[5, 3] = 1
    P[5, 3] = 1
    Y[6, 7] = 1
    P[6, 9] = 1
    return images, Y, P


def _boxes(fig, texts):
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts]


def test_montage_texts_never_overlap():
    images, Y, P = _montage_case()
    disp = MontageDisplay.from_predictions(
        images, Y, P, title="a model with a rather long name " * 3, n_cols=4
    )
    fig = disp.figure_
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    fig_box = fig.bbox
    image_boxes = [ax.get_window_extent(renderer) for ax in disp.axes_]
    panel_boxes = [_boxes(fig, texts) for texts in disp.texts_]
    head = _boxes(fig, [disp.suptitle_, disp.key_])
    assert not head[0].overlaps(head[1])
    for i, boxes in enumerate(panel_boxes):
        for box in boxes:  # inside the figure, no wider than the panel's image
            assert box.x0 >= fig_box.x0 and box.x1 <= fig_box.x1
            assert box.y0 >= fig_box.y0 and box.y1 <= fig_box.y1
            assert box.width <= image_boxes[i].width + 1
            assert not any(box.overlaps(h) for h in head)
            for j, image_box in enumerate(image_boxes):
                assert not box.overlaps(image_box), (i, j)
        for a, b in zip(boxes, boxes[1:]):  # lines of a panel stack without overlapping
            assert a.y0 >= b.y1 - 0.5
        for j in range(i + 1, len(panel_boxes)):
            for box in boxes:
                assert not any(box.overlaps(other) for other in panel_boxes[j]), (i, j)
    # the long label lists were wrapped onto several lines
    assert len(disp.texts_[2]) > 4


def test_montage_text_says_what_is_true_predicted_and_wrong():
    images, Y, P = _montage_case()
    # wide panels: no line is wrapped here
    disp = MontageDisplay.from_predictions(images, Y, P, title="skhpa recipe", panel_size=4)
    assert disp.suptitle_.get_text() == "skhpa recipe"
    green, red = to_rgba("tab:green"), to_rgba("tab:red")

    def lines(i):
        return [(t.get_text(), to_rgba(t.get_color())) for t in disp.texts_[i]]

    assert lines(0) == [
        ("true: Nucleoplasm, Cytosol", to_rgba("black")),
        ("pred: Nucleoplasm, Cytosol", green),
    ]
    assert lines(1) == [
        ("true: Nucleoplasm, Microtubule organizing center", to_rgba("black")),
        ("pred: Nucleoplasm", green),
        ("pred, wrong: Peroxisomes", red),
        ("missed: Microtubule organizing center", red),
    ]
    assert lines(3) == [
        ("true: Nuclear bodies", to_rgba("black")),
        ("pred: (none)", red),
        ("missed: Nuclear bodies", red),
    ]
    assert lines(6)[1:] == [("pred, wrong: Endosomes", red), ("missed: Golgi apparatus", red)]
    frames = [to_rgba(ax.spines["top"].get_edgecolor()) for ax in disp.axes_]
    assert frames[0] == green and frames[5] == green
    assert all(frames[i] == red for i in (1, 2, 3, 4, 6))
    assert "false positives" in disp.key_.get_text()


def test_montage_with_truth_only_titles_and_from_estimator(optimizer_data):
    images, Y, _ = _montage_case()
    disp = MontageDisplay.from_predictions(
        images[:2], Y[:2], titles=["first", "second"], panel_size=4
    )
    texts = [t.get_text() for t in disp.texts_[1]]
    assert texts == ["second", "true: Nucleoplasm, Microtubule organizing center"]
    assert disp.key_ is None and disp.suptitle_ is None

    class Fixed:
        def predict(self, X):
            return np.tile(np.eye(28, dtype=int)[0], (len(X), 1))

    disp = MontageDisplay.from_estimator(Fixed(), images, Y, n_images=3)
    assert len(disp.axes_) == 3 and disp.suptitle_.get_text() == "Fixed"
    assert disp.texts_[0][1].get_text() == "pred: Nucleoplasm"
    with pytest.raises(ValueError, match="not an image array"):
        MontageDisplay.from_estimator(Fixed(), np.zeros((3, 5)), Y[:3])
    with pytest.raises(ValueError, match="y_pred has 2 rows but there are 3 images"):
        MontageDisplay.from_predictions(images[:3], Y[:3], Y[:2])


def test_montage_plots_on_given_axes(optimizer_data):
    images, Y, P = _montage_case()
    fig, axes = plt.subplots(2, 2, figsize=(8, 8))
    disp = MontageDisplay.from_predictions(images[:3], Y[:3], P[:3], title="given", ax=axes)
    assert disp.figure_ is fig
    assert list(disp.axes_) == list(axes.ravel()[:3])
    assert not axes.ravel()[3].get_visible()  # the spare Axes is hidden
    assert disp.suptitle_.get_text() == "given" and disp.key_ is None
    assert disp.texts_[1][0].get_text() == "true: Nucleoplasm, Microtubule organizing center"
    # the texts are wrapped to each Axes' width: the every-class panel needs several lines
    assert len(disp.texts_[2]) > 3
    with pytest.raises(ValueError, match="ax has 1 Axes for 3 images"):
        MontageDisplay.from_predictions(images[:3], Y[:3], ax=axes[0, 0])


def test_montage_from_estimator_reads_ids_with_the_models_loader(tmp_path):
    from sklearn.pipeline import Pipeline

    from skhpa.datasets import load_hpa, write_hpa_like
    from skhpa.preprocessing import ImageLoader

    root = write_hpa_like(tmp_path / "d", n_train=6, n_test=0, image_size=24, random_state=0)
    train = load_hpa(root, "train")

    from sklearn.base import BaseEstimator, ClassifierMixin

    class Fixed(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.n_features_in_ = 4
            return self

        def predict(self, X):
            assert np.ndim(X) == 4
            return np.tile(np.eye(28, dtype=int)[0], (len(X), 1))

    pipe = Pipeline([("load", ImageLoader(image_size=16)), ("clf", Fixed())])
    pipe.fit(train.stems, train.target)
    disp = MontageDisplay.from_estimator(pipe, train.stems, train.target, n_images=2)
    assert len(disp.axes_) == 2
    expected = ImageLoader(image_size=16).fit_transform(train.stems[:2])
    np.testing.assert_array_equal(disp.images, expected)  # what the model sees
    unfitted = Pipeline([("load", ImageLoader()), ("clf", Fixed())])
    with pytest.raises(ValueError, match="no fitted ImageLoader"):
        MontageDisplay.from_estimator(unfitted, train.stems, train.target)


def test_plot_sample_and_plot_montage_keep_working():
    images, Y, P = _montage_case()
    ax = plot_sample(images[1], Y[1], predicted=P[1])
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith("true: Nucleoplasm, Microtubule")
    assert " ".join(texts).endswith("missed: Microtubule organizing center")
    fig = plot_montage(images, Y, predicted=P, n_cols=3)
    assert len(fig.axes) == len(images)


def test_deprecated_functions_warn_and_draw(labels, optimizer_data):
    Y, A, B = labels
    with pytest.warns(FutureWarning, match="PerClassF1Display") as record:
        ax = plot_per_class_f1(Y, {"a": A})
    assert len(ax.patches) >= 28
    # the warning names the caller's line and the function once
    assert record[0].filename == __file__
    assert str(record[0].message).count("plot_per_class_f1") == 1
    _, _, opt = optimizer_data
    with pytest.warns(FutureWarning, match="ThresholdCurveDisplay"):
        fig = plot_threshold_curves(opt, target_names=list("abc"))
    assert len([a for a in fig.axes if a.get_visible()]) == 3
    with pytest.warns(FutureWarning, match="TrainingCurveDisplay"):
        ax = plot_training_curves([{"epoch": 1, "train_loss": 0.5}])
    assert ax.get_xlabel() == "epoch"


@pytest.mark.slow
def test_import_skhpa_plotting_does_not_import_matplotlib():
    code = "import sys, skhpa.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
