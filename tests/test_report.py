"""per_class_report: macro-F1, per-label accuracy and labels per image side by side."""

import numpy as np
import pytest

from skhpa.metrics import per_class_report


def _example():
    Y_true = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 1]])
    Y_pred = np.array([[1, 1, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0]])
    return Y_true, Y_pred


def test_dict_values():
    Y_true, Y_pred = _example()
    r = per_class_report(Y_true, Y_pred, target_names=["a", "b", "c"], output_dict=True)
    # 5 true labels over 4 images; 7 predicted
    assert r["labels_per_image"] == {"predicted": 1.75, "true": 1.25}
    assert r["per_label_accuracy"] == pytest.approx(8 / 12)
    assert r["subset_accuracy"] == 0.0
    assert r["predict_nothing_accuracy"] == pytest.approx(7 / 12)  # 5 of 12 labels are 1
    assert r["per_class"]["b"] == {"precision": 1 / 3, "recall": 1.0, "f1": 0.5, "support": 1}
    assert r["macro"]["f1"] == pytest.approx((1.0 + 0.5 + 0.5) / 3)
    assert r["n_samples"] == 4


def test_text_shows_label_counts_next_to_macro_f1():
    Y_true, Y_pred = _example()
    text = per_class_report(Y_true, Y_pred, target_names=["a", "b", "c"])
    lines = text.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith("macro-F1"))
    assert "macro-F1 0.667" in lines[summary] and "per-label accuracy 0.667" in lines[summary]
    assert "(predicting nothing: 0.583)" in lines[summary]
    assert lines[summary + 1] == "labels per image: predicted 1.75, true 1.25"


def test_predicting_nothing():
    Y = np.zeros((10, 28), dtype=int)
    Y[:, 0] = 1
    r = per_class_report(Y, np.zeros_like(Y), output_dict=True)
    assert r["labels_per_image"] == {"predicted": 0.0, "true": 1.0}
    assert r["macro"]["f1"] == 0.0


def test_classes_without_true_labels_are_named():
    # "c" has no true label: a perfect model still gets F1 0 for it, and the report says so
    Y_true = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    r = per_class_report(Y_true, Y_true, target_names=["a", "b", "c"], output_dict=True)
    assert r["classes_without_support"] == ["c"]
    assert r["macro"]["f1"] == pytest.approx(2 / 3)
    assert r["macro_f1_supported"] == 1.0
    text = per_class_report(Y_true, Y_true, target_names=["a", "b", "c"])
    assert text.splitlines()[-1] == (
        "1 of 3 classes has no true label in these samples (c): macro-F1 counts each with "
        "the F1 of its row; over the 2 others it is 1.000"
    )
    Y = np.zeros((4, 28), dtype=int)
    Y[:, 0] = 1
    text = per_class_report(Y, Y)
    assert "27 of 28 classes" in text and "and 21 more" in text
    # every class present: no such line
    assert "no true label" not in per_class_report(*_example(), target_names=["a", "b", "c"])
