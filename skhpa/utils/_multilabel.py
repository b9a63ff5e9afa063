"""What every skhpa multilabel classifier shares: macro-F1 scoring and multilabel tags."""

from sklearn.metrics import f1_score


class MacroF1ScoreMixin:
    """``score`` is the macro-F1 of ``predict`` (the HPA metric), not subset accuracy."""

    def score(self, X, y, sample_weight=None):
        """Macro-F1 of ``predict(X)`` against ``y`` (``zero_division=0``).

        Macro-F1 is the HPA metric: subset accuracy and per-label accuracy hide
        exactly the failure on rare classes that the seed report ran into.

        Parameters
        ----------
        X : array-like
            Samples, as ``predict`` accepts them.
        y : array-like of shape (n_samples, n_classes)
            True 0/1 indicator matrix (or of shape (n_samples,), a binary
            target, for an estimator fitted on one).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Macro-averaged F1 score over the classes, in [0, 1].
        """
        return f1_score(
            y, self.predict(X), average="macro", zero_division=0.0, sample_weight=sample_weight
        )


def set_multilabel_tags(tags):
    """Mark scikit-learn tags as those of a multilabel (2-D target) classifier."""
    tags.classifier_tags.multi_label = True
    tags.classifier_tags.multi_class = False
    tags.target_tags.required = True
    tags.target_tags.multi_output = True
    tags.target_tags.single_output = False
    tags.target_tags.two_d_labels = True
    return tags
