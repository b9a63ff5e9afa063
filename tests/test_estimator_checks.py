"""scikit-learn's common estimator checks, with the reason for every check that can't apply."""

from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils.estimator_checks import (
    check_classifiers_multilabel_output_format_decision_function,
    check_classifiers_multilabel_output_format_predict,
    check_classifiers_multilabel_output_format_predict_proba,
    parametrize_with_checks,
)

from skhpa import HPAClassifier, ThresholdOptimizer
from skhpa.ensemble import ProbabilityBlend
from skhpa.nn import MLPNet

_REASONS = {
    "check_classifier_multioutput": (
        "asserts predict == (predict_proba > 0.5); per-class tuned thresholds differ from 0.5 "
        "by design"
    ),
    "check_classifiers_train": (
        "asserts predict == (decision_function > 0), a 0.5 threshold; the tuned threshold "
        "differs by design (the rest of the check passes: see test_thresholding.py)"
    ),
}


def _expected_failed(estimator):
    return _REASONS


@parametrize_with_checks(
    [ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3)],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible_threshold_optimizer(estimator, check):
    check(estimator)


def _blend():
    return ProbabilityBlend(
        [
            ("a", OneVsRestClassifier(LogisticRegression())),
            ("b", OneVsRestClassifier(LogisticRegression(C=0.1))),
        ],
        weights=[2, 1],
    )


@parametrize_with_checks([_blend()])
def test_sklearn_compatible_probability_blend(estimator, check):
    # every common check applies: a 1-D target is soft voting, like VotingClassifier
    check(estimator)


def test_multilabel_output_format_checks():
    """The three multilabel output checks apply in full and pass."""
    est = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3)
    check_classifiers_multilabel_output_format_predict("ThresholdOptimizer", est)
    check_classifiers_multilabel_output_format_predict_proba("ThresholdOptimizer", est)
    check_classifiers_multilabel_output_format_decision_function("ThresholdOptimizer", est)


# HPAClassifier runs the checks with a small MLP on 2-D input (the checks do not feed images).
_HPA_REASONS = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_"
    ),
}
for _name in [
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_classifiers_regression_target",
    "check_decision_proba_consistency",
    "check_classifier_not_supporting_multiclass",
    "check_fit2d_1feature",
]:
    _HPA_REASONS[_name] = (
        "fits on a 1-D binary/multiclass target (or a multiclass column); HPAClassifier is a "
        "multilabel estimator and rejects it by design"
    )


@parametrize_with_checks(
    [
        HPAClassifier(
            MLPNet,
            max_epochs=3,
            batch_size=64,
            lr=0.01,
            augment=False,
            train_split=None,
            device="cpu",
            random_state=0,
        )
    ],
    expected_failed_checks=lambda est: _HPA_REASONS,
)
def test_sklearn_compatible_hpa_classifier(estimator, check):
    check(estimator)


def test_hpa_classifier_multilabel_output_format_checks():
    est = HPAClassifier(MLPNet, max_epochs=2, train_split=None, device="cpu", random_state=0)
    check_classifiers_multilabel_output_format_predict("HPAClassifier", est)
    check_classifiers_multilabel_output_format_predict_proba("HPAClassifier", est)
    check_classifiers_multilabel_output_format_decision_function("HPAClassifier", est)
