"""The ``skhpa`` argument parser and its argument types (errors name the flag)."""

import argparse

from ._commands import LOSSES, cmd_demo, cmd_make_data, cmd_predict, cmd_train


def _number(convert, accept, expected):
    """argparse type: ``convert(text)`` if ``accept`` holds, else an error naming ``expected``."""

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_at_least_two = _number(int, lambda v: v >= 2, "an integer >= 2")
_positive_float = _number(float, lambda v: v > 0, "a positive number")
_fraction = _number(float, lambda v: 0 < v < 1, "a number between 0 and 1")
_image_size = _number(int, lambda v: 16 <= v <= 2048, "an integer from 16 to 2048")
_seed = _number(int, lambda v: 0 <= v < 2**32, "an integer from 0 to 4294967295")
_worker_count = _number(int, lambda v: v >= 0, "'auto' or an integer >= 0")


def _workers(text):
    return text if text == "auto" else _worker_count(text)


def _ratio_or_none(text):
    return None if text.lower() == "none" else _positive_float(text)


def _channels(text):
    from ..utils import check_channels

    try:
        return check_channels(c.strip().lower() for c in text.split(",") if c.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default (argparse omits those of flags without help text).

    Not for required options, and not where the help text already says what the default is.
    """

    def _get_help_string(self, action):
        text = action.help or ""
        if action.required or "default" in text:
            return text
        return super()._get_help_string(action)


class _Once(argparse.Action):
    """Store an option's value, refusing a second one (argparse would keep the last)."""

    def __call__(self, parser, namespace, values, option_string=None):
        before = getattr(namespace, self.dest, None)
        if before is not None and before != self.default:
            raise argparse.ArgumentError(
                self, f"given twice ({before!r} and {values!r}): one folder per run"
            )
        setattr(namespace, self.dest, values)


def _sub(sub, name, **kwargs):
    # no abbreviations: --epoch is not silently --epochs
    return sub.add_parser(name, formatter_class=_Formatter, allow_abbrev=False, **kwargs)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skhpa",
        allow_abbrev=False,
        description=(
            "skhpa: multilabel classification of protein localization in Human Protein Atlas "
            "images, the scikit-learn way."
        ),
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"skhpa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = _sub(
        sub,
        "demo",
        help="run the whole library on built-in synthetic HPA-like data",
        description="Write a synthetic HPA-like dataset, train the seed recipe and the skhpa "
        "recipe on it, and report macro-F1 next to per-label accuracy.",
    )
    demo.add_argument("--small", action="store_true", help="a quick run (about a minute on CPU)")
    demo.add_argument("--out", default="skhpa_demo_output", help="output folder")
    demo.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    demo.set_defaults(func=cmd_demo)

    md = _sub(
        sub,
        "make-data",
        help="write a synthetic HPA-like dataset in the Kaggle layout",
        description="Write train.csv, train/, test/, sample_submission.csv and test_labels.csv.",
    )
    md.add_argument("--out", required=True, help="destination folder")
    md.add_argument("--n-train", type=_positive_int, default=1000, help="training images")
    md.add_argument("--n-test", type=_positive_int, default=200, help="test images")
    md.add_argument("--image-size", type=_image_size, default=128, help="pixels")
    md.add_argument(
        "--label-distribution",
        default="hpa2018",
        choices=("hpa2018", "hpav18", "flat"),
        help="label-set distribution",
    )
    md.add_argument("--seed", type=_seed, default=0, help="random seed")
    md.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    md.set_defaults(func=cmd_make_data)

    tr = _sub(
        sub,
        "train",
        help="train a model on a folder in the Kaggle layout (train.csv + train/)",
        description="Train a model (by default the network and the localization-feature model, "
        "blended; see --recipe; images read lazily, optionally cached) and learn per-class "
        "thresholds on a multilabel-stratified held-out part; save a .skhpa model. "
        "Ctrl-C keeps the last completed epoch in the checkpoint folder; --resume continues.",
    )
    tr.add_argument("--data", required=True, action=_Once, help="dataset folder (Kaggle layout)")
    tr.add_argument("--out", default="skhpa_model.skhpa", help="model file (.skhpa)")
    tr.add_argument(
        "--channels",
        type=_channels,
        default=("red", "green", "blue", "yellow"),
        help="comma-separated channels (default: red,green,blue,yellow)",
    )
    tr.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        help="resize every image to this many pixels (None: the first training image's size); "
        "the model resizes every later input to it",
    )
    tr.add_argument(
        "--recipe",
        choices=("blend", "network", "features"),
        default="blend",
        help="blend: the network and the localization-feature model, their probabilities "
        "averaged with weights learned on the held-out part (skhpa.recipes.blend_recipe); "
        "network: the network alone; features: the feature model alone (a small "
        "network on the localization features, no CNN; minutes on a CPU)",
    )
    tr.add_argument(
        "--backbone",
        default="resnet18",
        help="timm backbone of the network (with the channel correlations of "
        "skhpa.recipes.skhpa_recipe)",
    )
    tr.add_argument(
        "--pretrained",
        action="store_true",
        help="start from ImageNet weights (timm downloads them: needs internet access; "
        "offline, use --weights)",
    )
    tr.add_argument("--weights", default=None, help="local ImageNet weights file for the backbone")
    tr.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="training epochs of the CNN (default: skhpa_recipe's 12); with --recipe "
        "features, of its small network (default 60); the blend's small network always "
        "trains its 60",
    )
    tr.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help="the network's images per batch (default: 64, skhpa_recipe's)",
    )
    tr.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="the network's starting learning rate, cosine schedule (default: 2e-3, "
        "skhpa_recipe's)",
    )
    tr.add_argument("--loss", choices=sorted(LOSSES), default="combined", help="loss")
    tr.add_argument("--balanced", action="store_true", help="class-balanced batch sampling")
    tr.add_argument(
        "--tta",
        choices=("none", "flip", "d4"),
        default="d4",
        help="the network's test-time augmentation (d4: the 8 flips and rotations)",
    )
    tr.add_argument(
        "--thresholds",
        choices=("per_class", "global", "label_ratio", "none"),
        default="per_class",
        help="how the thresholds are learned on the held-out part (or out of fold): per_class "
        "(one per class), global (one for all), label_ratio "
        "(each class predicted at its training frequency), none (the model's own 0.5, "
        "nothing held out); --max-label-ratio then raises any class's threshold that would "
        "predict it too often",
    )
    tr.add_argument(
        "--valid-size", type=_fraction, default=0.2, help="held-out share for the thresholds"
    )
    tr.add_argument(
        "--max-label-ratio",
        type=_ratio_or_none,
        default=1.25,
        help="no class is predicted on more than this multiple of its share of the training "
        "images ('none': plain F1-optimal thresholds; see the threshold study)",
    )
    tr.add_argument(
        "--folds",
        type=_at_least_two,
        default=None,
        help="train a fold ensemble of this many models instead (thresholds from their "
        "out-of-fold probabilities; predictions averaged; costs about K-1 trainings and did "
        "not beat one model at equal compute in the threshold study); None: one model and "
        "--valid-size",
    )
    tr.add_argument(
        "--group-duplicates",
        action="store_true",
        help="keep near-duplicate fields (flips, rotations, resizes, crops of one field) on one "
        "side of every split (skhpa.model_selection.duplicate_groups)",
    )
    tr.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    tr.add_argument(
        "--num-workers",
        type=_workers,
        default="auto",
        help="DataLoader worker processes decoding images; auto: on CUDA, the number of cores "
        "less one (at most 16); on the CPU, none (the training process decodes)",
    )
    tr.add_argument("--cache-dir", default=None, help="cache decoded images in this folder")
    tr.add_argument(
        "--checkpoint-dir",
        default=None,
        help="folder for the per-epoch checkpoint (None: OUT.checkpoints)",
    )
    tr.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted run in the checkpoint folder",
    )
    tr.add_argument("--seed", type=_seed, default=0, help="random seed")
    tr.set_defaults(func=cmd_train)

    pr = _sub(
        sub,
        "predict",
        help="predict a Kaggle-layout folder's test images, or a folder of {Id}_{color} "
        "images, into a submission file",
        description="Load a saved model (.skhpa; or .joblib, which runs code from the file: "
        "only files you trust) and write Kaggle's Id,Predicted submission for "
        "sample_submission.csv's Ids (or for every complete Id of a plain folder of "
        "{Id}_{color} images), chunk by chunk; an interrupted run of the same model on the "
        "same Ids resumes where it stopped.",
    )
    pr.add_argument("--model", required=True, help="model file from 'skhpa train' or 'skhpa demo'")
    pr.add_argument(
        "--data",
        required=True,
        action=_Once,
        help="dataset folder: sample_submission.csv + test/, or a folder of {Id}_{color} files",
    )
    pr.add_argument("--out", default="submission.csv", help="submission file")
    pr.add_argument("--chunk-size", type=_positive_int, default=512, help="images per chunk")
    pr.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    pr.set_defaults(func=cmd_predict)
    parser.commands = dict(sub.choices)  # each command's parser: its usage in errors
    return parser


def unrecognized(parser, extra):
    """argparse's "unrecognized arguments" message, with the flag meant when one is close."""
    import difflib

    flags = [s for action in parser._actions for s in action.option_strings]
    message = f"unrecognized arguments: {' '.join(extra)}"
    for token in extra:
        if token.startswith("--"):
            close = difflib.get_close_matches(token.split("=")[0], flags, n=1, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]}?)"
                break
    return message
