"""Saving fitted models to disk.

- :func:`save_model` / :func:`load_model`: JSON + safetensors, loaded without
  unpickling (nothing in the file is executed); for the library's estimators
  and Pipelines of them.
- :func:`dump_joblib`: any estimator, written atomically. Loading a joblib or
  pickle file **executes code** from the file: load only files you trust.
"""

from ._joblib import dump_joblib
from ._safe import ALLOWED, ModelFileError, load_model, model_file_info, save_model

__all__ = [
    "ALLOWED",
    "ModelFileError",
    "dump_joblib",
    "load_model",
    "model_file_info",
    "save_model",
]
