"""
Grid search with macro-F1 and multilabel-stratified folds
=========================================================

``GridSearchCV(cv=5)`` on a multilabel target silently uses an unshuffled, unstratified KFold.
Pass a :class:`~skhpa.model_selection.MultilabelStratifiedKFold` and score with macro-F1.
"""

import matplotlib.pyplot as plt
import torch
from sklearn.model_selection import GridSearchCV

from skhpa import HPAClassifier
from skhpa.datasets import make_hpa_like
from skhpa.losses import FocalLoss
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import SeedCNN

X, Y = make_hpa_like(300, image_size=32, label_distribution="flat", random_state=0)
net = HPAClassifier(
    SeedCNN, max_epochs=3, batch_size=32, threshold=0.3, device="cpu", random_state=0
)
search = GridSearchCV(
    net,
    {"lr": [1e-3, 3e-3], "criterion": [torch.nn.BCEWithLogitsLoss, FocalLoss]},
    cv=MultilabelStratifiedKFold(3, shuffle=True, random_state=0),
    scoring="f1_macro",
).fit(X, Y)
print("best:", search.best_params_, f"macro-F1 {search.best_score_:.3f}")
labels = [f"lr={p['lr']}\n{p['criterion'].__name__}" for p in search.cv_results_["params"]]
plt.bar(
    range(len(labels)),
    search.cv_results_["mean_test_score"],
    yerr=search.cv_results_["std_test_score"],
)
plt.xticks(range(len(labels)), labels, fontsize=7)
plt.ylabel("macro-F1 (3 stratified folds)")
plt.show()
