"""
A baseline without a network: where is the protein relative to the references?
===============================================================================

:class:`~skhpa.preprocessing.LocalizationFeatures` describes each image with about 50
numbers: the protein (green) channel's intensity and texture statistics, and its overlap with
the nucleus (blue), microtubule (red) and ER (yellow) channels. A small network on them
(:func:`~skhpa.recipes.features_recipe`; ``head="logistic"`` puts a logistic regression there
instead), with per-class thresholds, fits in seconds.
Comparing it with the same model on the green statistics alone shows what the reference
channels are worth, class by class.
"""

import numpy as np
from sklearn.metrics import f1_score

from skhpa import ThresholdOptimizer
from skhpa.datasets import make_hpa_like
from skhpa.model_selection import multilabel_train_test_split
from skhpa.plotting import PerClassF1Display
from skhpa.recipes import features_recipe

X, Y = make_hpa_like(1600, image_size=64, label_distribution="flat", random_state=0)
X_tr, X_te, Y_tr, Y_te = multilabel_train_test_split(X, Y, test_size=0.3, random_state=0)


four = ThresholdOptimizer(features_recipe(), cv=3, random_state=0).fit(X_tr, Y_tr)
green = ThresholdOptimizer(features_recipe(green_only=True), cv=3, random_state=0).fit(X_tr, Y_tr)
f4 = f1_score(Y_te, four.predict(X_te), average=None, zero_division=0)
fg = f1_score(Y_te, green.predict(X_te), average=None, zero_division=0)
print(f"macro-F1, 4 channels: {f4.mean():.3f}   green only: {fg.mean():.3f}")

# %%
# Per-class F1, the classes the references help most first. They help most where a class is
# defined by its place: nucleoplasm (inside the blue nucleus), ER (on the yellow network),
# microtubules (on the red filaments).
PerClassF1Display.from_estimator(
    {"4 channels": four, "green only": green}, X_te, Y_te, order=np.argsort(fg - f4)
)

# %%
# The features are named, so a linear model on them can be read. The network head above has
# no coefficient per feature; the logistic head (``head="logistic"``) has one per feature and
# class. For nucleoplasm (class 0), the largest coefficients should be the overlaps with the
# nucleus channel.
linear = features_recipe(head="logistic").fit(X_tr, Y_tr)
features = linear.named_steps["features"].get_feature_names_out()
coef = linear.named_steps["clf"].estimators_[0].coef_.ravel()
for i in np.argsort(-np.abs(coef))[:5]:
    print(f"nucleoplasm  {features[i]:32s} {coef[i]:+.2f}")
