"""The ``skhpa`` command line: ``demo``, ``make-data``, ``train`` and ``predict``."""

import argparse
import hashlib
import os
import shlex
import sys
from pathlib import Path

# A prediction whose mean number of labels per image strays further than this factor from the
# training set's is reported as suspicious (the threshold study in docs/benchmarks.rst).
_LABEL_COUNT_FACTOR = 2.0


class UserError(Exception):
    """A mistake on the command line: printed as one line, no traceback."""


class _Interrupted(Exception):
    """Ctrl-C, after the command has said what was kept: exit code 130."""


# -- argument types: errors name the flag (argparse adds it) -------------------------------
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
_worker_count = _number(int, lambda v: v >= 0, "'auto' or an integer >= 0")


def _workers(text):
    return text if text == "auto" else _worker_count(text)


def _ratio_or_none(text):
    return None if text.lower() == "none" else _positive_float(text)


def _channels(text):
    from .utils import check_channels

    try:
        return check_channels(c.strip() for c in text.split(",") if c.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# -- commands -------------------------------------------------------------------------------
def _cmd_make_data(args):
    from .datasets import write_hpa_like

    try:
        root = write_hpa_like(
            args.out,
            args.n_train,
            args.n_test,
            image_size=args.image_size,
            label_distribution=args.label_distribution,
            random_state=args.seed,
            overwrite=args.overwrite,
        )
    except FileExistsError:
        raise UserError(
            f"{args.out} already exists and does not hold this dataset; pass --overwrite to "
            "replace it"
        ) from None
    print(
        f"wrote {args.n_train} train and {args.n_test} test images ({args.image_size} px) to {root}"
    )
    return 0


def _cmd_demo(args):
    from ._demo import run_demo

    run_demo(out=Path(args.out), small=args.small, device=args.device)
    return 0


_LOSSES = {
    "bce": "torch.nn.BCEWithLogitsLoss",
    "focal": "skhpa.losses.FocalLoss",
    "soft_f1": "skhpa.losses.SoftF1Loss",
    "combined": "skhpa.losses.CombinedLoss",
}


def _criterion(name):
    import importlib

    module, _, attr = _LOSSES[name].rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _device_in_use(device):
    from .neural_net import describe_device

    try:
        return describe_device(device)
    except RuntimeError as exc:  # e.g. "cuda" without a GPU
        raise UserError(f"--device {device}: {exc}") from None


def _networks(model):
    from .neural_net import HPAClassifier
    from .utils import iter_estimators

    return [e for e in iter_estimators(model) if isinstance(e, HPAClassifier)]


def _loader_of(model):
    """The ImageLoader that reads the model's input files, or None."""
    from .preprocessing import ImageLoader
    from .utils import iter_estimators

    for est in iter_estimators(model):
        if isinstance(est, ImageLoader):
            return est
    return None


def _threshold_table(thresholds):
    from .utils import CLASS_NAMES

    lines = ["  class                               threshold"]
    lines += [
        f"  {k:2d} {name:<32} {t:9.3f}" for k, (name, t) in enumerate(zip(CLASS_NAMES, thresholds))
    ]
    return "\n".join(lines)


def _continue_command(argv):
    argv = list(argv)
    if "--resume" not in argv:
        argv.append("--resume")
    return shlex.join(["skhpa", *argv])


def _cmd_train(args):
    from sklearn.pipeline import Pipeline

    from .datasets import load_hpa
    from .neural_net import HPAClassifier
    from .persistence import save_model
    from .preprocessing import ImageLoader
    from .recipes import fit_with_thresholds

    out = Path(args.out)
    if out.suffix in (".joblib", ".pkl"):
        raise UserError(
            f"--out {args.out}: train writes .skhpa model files (they load without running code "
            "from the file); name it e.g. model.skhpa"
        )
    import timm

    if args.folds and args.thresholds == "none":
        raise UserError(
            "--folds learns thresholds out of fold: it needs --thresholds other than none"
        )
    if not timm.is_model(args.backbone):
        raise UserError(f"--backbone {args.backbone}: not a timm model name (e.g. resnet18)")
    if args.weights is not None and not Path(args.weights).is_file():
        raise UserError(f"--weights {args.weights}: file not found")
    data = load_hpa(args.data, "train", channels=args.channels)
    device = _device_in_use(args.device)
    print(
        f"{len(data.ids)} training images in {data.image_dir}; channels "
        f"{','.join(args.channels)}; device {device}"
    )
    ckpt_dir = Path(args.checkpoint_dir or f"{out}.checkpoints")
    kept = sorted(ckpt_dir.glob("skhpa-*.ckpt")) if ckpt_dir.is_dir() else []
    if kept and not args.resume:
        raise UserError(
            f"{ckpt_dir} holds the checkpoint of an interrupted run: continue it with --resume "
            "(same arguments), or delete the folder to start over"
        )
    if args.resume and not kept:
        print(f"--resume: no checkpoint in {ckpt_dir}; training from the first epoch")
    net_params = dict(
        criterion=_criterion(args.loss),
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        balanced_sampling=args.balanced,
        tta=None if args.tta == "none" else args.tta,
        device=args.device,
        num_workers=args.num_workers,
        pretrained=args.pretrained or args.weights is not None,
        checkpoint_dir=str(ckpt_dir),
        random_state=args.seed,
        verbose=1,
    )
    if args.weights is not None:
        net_params["module__weights"] = args.weights
    if args.thresholds == "none":
        net_params["min_labels"] = 1
    loader = ImageLoader(
        channels=args.channels, image_size=args.image_size, cache=args.cache_dir, lazy=True
    )
    pipe = Pipeline([("load", loader), ("net", HPAClassifier(args.backbone, **net_params))])
    groups = _duplicate_groups(data, args) if args.group_duplicates else None
    try:
        if args.pretrained and args.weights is None:
            _check_weights_available(args.backbone)
        if args.thresholds == "none":
            model = pipe.fit(data.stems, data.target, net__groups=groups)
        else:
            model = fit_with_thresholds(
                pipe,
                data.stems,
                data.target,
                folds=args.folds,
                max_label_ratio=args.max_label_ratio,
                valid_size=args.valid_size,
                strategy=args.thresholds,
                random_state=args.seed,
                groups=groups,
            )
        if any(getattr(net, "interrupted_", False) for net in _networks(model)):
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        kept = sorted(ckpt_dir.glob("skhpa-*.ckpt")) if ckpt_dir.is_dir() else []
        what = (
            f"the state after the last completed epoch is kept in {ckpt_dir}"
            if kept
            else "no epoch had completed, so nothing was kept"
        )
        print(
            f"skhpa train: interrupted; no model was saved; {what}. Continue with:\n"
            f"  {_continue_command(args.argv)}",
            file=sys.stderr,
        )
        raise _Interrupted from None
    if hasattr(model, "thresholds_"):
        on = (
            f"the out-of-fold probabilities of {args.folds} fold models"
            if args.folds
            else f"a held-out {args.valid_size:.0%}"
        )
        print(f"thresholds ({args.thresholds}, learned on {on}):")
        print(_threshold_table(model.thresholds_))
    path = save_model(model, out)
    if ckpt_dir.is_dir() and not any(ckpt_dir.iterdir()):
        ckpt_dir.rmdir()
    size = path.stat().st_size / 2**20
    print(
        f"saved the model to {path} ({size:.1f} MB); predict with: "
        f"skhpa predict --model {path} --data FOLDER"
    )
    return 0


def _duplicate_groups(data, args):
    """Near-duplicate fields of the training set, found on 64 px thumbnails."""
    import numpy as np

    from .model_selection import duplicate_groups
    from .preprocessing import ImageLoader

    thumbs = ImageLoader(
        channels=args.channels, image_size=64, cache=args.cache_dir, lazy=True
    ).fit_transform(data.stems)
    groups = duplicate_groups(thumbs, n_jobs=-1)
    _, sizes = np.unique(groups, return_counts=True)
    print(
        f"--group-duplicates: {int((sizes > 1).sum())} groups of near-duplicate fields hold "
        f"{int(sizes[sizes > 1].sum())} of {len(groups)} images; no group is split between "
        "training and threshold tuning"
    )
    return groups


def _check_weights_available(backbone):
    """--pretrained without --weights downloads ImageNet weights: say which flag helps."""
    from .nn import PretrainedWeightsError, create_backbone

    try:
        create_backbone(backbone, 4, pretrained=True)
    except PretrainedWeightsError as exc:
        raise UserError(
            f"--pretrained: could not load ImageNet weights for {backbone!r} "
            f"({str(exc.__cause__ or exc).splitlines()[0][:160]}); this machine may be offline: "
            "pass a local weights file with --weights FILE, or train without --pretrained"
        ) from None


def _file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_model_file(path, device):
    """Load a model file for prediction; every failure is a one-line UserError."""
    from .neural_net import move_to_device
    from .persistence import ModelFileError, load_model

    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    if path.suffix in (".joblib", ".pkl"):
        import joblib

        print(
            f"loading {path} with joblib: this runs code from the file; load only files you trust"
        )
        try:
            model = joblib.load(path)
        except Exception as exc:  # a pickle can fail in any way: report it in one line
            raise UserError(
                f"{path} is not a readable joblib model file ({type(exc).__name__}: {exc})"
            ) from None
        if not hasattr(model, "predict"):
            raise UserError(f"{path} holds a {type(model).__name__}, not a model")
        move_to_device(model, device)
    else:
        try:
            model = load_model(path, device=device)
        except ModelFileError as exc:
            raise UserError(str(exc)) from None
        except Exception as exc:
            raise UserError(
                f"{path} is not a readable skhpa model file ({type(exc).__name__}: {exc})"
            ) from None
    return model, _file_sha256(path)


def _test_images(folder, channels):
    """The Kaggle test layout, or else a plain folder of channel files (no label file)."""
    from .datasets import load_hpa, load_image_folder

    folder = Path(folder)
    if (folder / "sample_submission.csv").is_file() or not folder.is_dir():
        return load_hpa(folder, "test", channels=channels)
    for candidate in (folder / "test", folder):
        if candidate.is_dir() and any(
            f.rpartition("_")[2].split(".")[0] in channels for f in os.listdir(candidate)
        ):
            print(f"no sample_submission.csv in {folder}: predicting the images in {candidate}")
            return load_image_folder(candidate, channels=channels)
    return load_hpa(folder, "test", channels=channels)  # its error names the missing file


def _cmd_predict(args):
    from .datasets import read_labels_csv, read_submission
    from .metrics import per_class_report
    from .submission import predict_submission

    device = _device_in_use(args.device)
    model, key = _load_model_file(args.model, args.device)
    loader = _loader_of(model)
    if loader is None:
        raise UserError(
            f"{args.model} takes image arrays, not image files: it has no ImageLoader step. "
            "Save a Pipeline([('load', ImageLoader(...)), ...]) to predict folders"
        )
    data = _test_images(args.data, tuple(loader.channels))
    shape = getattr(loader, "image_shape_", None)
    size = f"{shape[0]}x{shape[1]} px" if shape else "native size"
    print(f"{len(data.ids)} test images in {data.image_dir}; input {size}; device {device}")
    path = predict_submission(
        model,
        data.ids,
        args.out,
        X=data.stems,
        chunk_size=args.chunk_size,
        model_key=key,
        progress=True,
        verbose=True,
    )
    Y = read_submission(path).target
    per_image = float(Y.sum(axis=1).mean())
    print(f"wrote {len(data.ids)} predictions to {path}: {per_image:.2f} labels per image")
    cardinality = [
        n.label_cardinality_ for n in _networks(model) if hasattr(n, "label_cardinality_")
    ]
    if cardinality:
        train = cardinality[0]
        ratio = per_image / train if train > 0 else float("inf")
        print(f"training set: {train:.2f} labels per image")
        if not 1 / _LABEL_COUNT_FACTOR <= ratio <= _LABEL_COUNT_FACTOR:
            print(
                f"warning: the model predicts {per_image:.2f} labels per image, {ratio:.1f}x the "
                f"training set's {train:.2f}: check its thresholds (or the images)",
                file=sys.stderr,
            )
    labels = Path(args.data) / "test_labels.csv"
    if labels.is_file():
        ids, Y_true = read_labels_csv(labels)
        if list(ids) == list(data.ids):
            r = per_class_report(Y_true, Y, output_dict=True)
            print(
                f"test_labels.csv found: macro-F1 {r['macro']['f1']:.3f}, per-label accuracy "
                f"{r['per_label_accuracy']:.3f} (predicting nothing: "
                f"{1 - float(Y_true.mean()):.3f}), labels per image {per_image:.2f} predicted vs "
                f"{float(Y_true.sum(axis=1).mean()):.2f} true"
            )
    return 0


# -- parser ---------------------------------------------------------------------------------
class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default (argparse omits those of flags without help text)."""


def _sub(sub, name, **kwargs):
    return sub.add_parser(name, formatter_class=_Formatter, **kwargs)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skhpa",
        description=(
            "skhpa: multilabel classification of protein localization in Human Protein Atlas "
            "images, the scikit-learn way."
        ),
    )
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
    demo.set_defaults(func=_cmd_demo)

    md = _sub(
        sub,
        "make-data",
        help="write a synthetic HPA-like dataset in the Kaggle layout",
        description="Write train.csv, train/, test/, sample_submission.csv and test_labels.csv.",
    )
    md.add_argument("--out", required=True, help="destination folder")
    md.add_argument("--n-train", type=_positive_int, default=1000, help="training images")
    md.add_argument("--n-test", type=_positive_int, default=200, help="test images")
    md.add_argument("--image-size", type=_positive_int, default=128, help="pixels")
    md.add_argument(
        "--label-distribution",
        default="hpa2018",
        choices=("hpa2018", "hpav18", "flat"),
        help="label-set distribution",
    )
    md.add_argument("--seed", type=int, default=0, help="random seed")
    md.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    md.set_defaults(func=_cmd_make_data)

    tr = _sub(
        sub,
        "train",
        help="train a model on a folder in the Kaggle layout (train.csv + train/)",
        description="Train an HPAClassifier (images read lazily, optionally cached) and learn "
        "per-class thresholds on a multilabel-stratified held-out part; save a .skhpa model. "
        "Ctrl-C keeps the last completed epoch in the checkpoint folder; --resume continues.",
    )
    tr.add_argument("--data", required=True, help="dataset folder (Kaggle layout)")
    tr.add_argument("--out", default="skhpa_model.skhpa", help="model file (.skhpa)")
    tr.add_argument(
        "--channels",
        type=_channels,
        default=("red", "green", "blue", "yellow"),
        help="comma-separated channels, e.g. red,green,blue,yellow",
    )
    tr.add_argument(
        "--image-size",
        type=_positive_int,
        default=None,
        help="resize every image to this many pixels (None: the first training image's size); "
        "the model resizes every later input to it",
    )
    tr.add_argument("--backbone", default="resnet18", help="timm backbone")
    tr.add_argument("--pretrained", action="store_true", help="ImageNet weights (needs network)")
    tr.add_argument("--weights", default=None, help="local ImageNet weights file for the backbone")
    tr.add_argument("--epochs", type=_positive_int, default=10, help="training epochs")
    tr.add_argument("--batch-size", type=_positive_int, default=32, help="images per batch")
    tr.add_argument("--lr", type=_positive_float, default=1e-3, help="learning rate")
    tr.add_argument("--loss", choices=sorted(_LOSSES), default="combined", help="loss")
    tr.add_argument("--balanced", action="store_true", help="class-balanced batch sampling")
    tr.add_argument(
        "--tta", choices=("none", "flip", "d4"), default="flip", help="test-time augmentation"
    )
    tr.add_argument(
        "--thresholds",
        choices=("per_class", "global", "label_ratio", "none"),
        default="per_class",
        help="threshold strategy",
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
        help="DataLoader worker processes; auto: one per core but one on CUDA, none on the CPU",
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
    tr.add_argument("--seed", type=int, default=0, help="random seed")
    tr.set_defaults(func=_cmd_train)

    pr = _sub(
        sub,
        "predict",
        help="predict the test images of a Kaggle-layout folder into a submission file",
        description="Load a saved model (.skhpa; or .joblib, which runs code from the file: "
        "only files you trust) and write Kaggle's Id,Predicted submission for "
        "sample_submission.csv's Ids, chunk by chunk; an interrupted run of the same model on "
        "the same Ids resumes where it stopped.",
    )
    pr.add_argument("--model", required=True, help="model file from 'skhpa train' or 'skhpa demo'")
    pr.add_argument(
        "--data",
        required=True,
        help="dataset folder: sample_submission.csv + test/, or a folder of {Id}_{color} files",
    )
    pr.add_argument("--out", default="submission.csv", help="submission file")
    pr.add_argument("--chunk-size", type=_positive_int, default=512, help="images per chunk")
    pr.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    pr.set_defaults(func=_cmd_predict)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    args.argv = argv
    try:
        return args.func(args)
    except (UserError, OSError, ValueError, ImportError) as exc:
        print(f"skhpa {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except _Interrupted:
        return 130
    except KeyboardInterrupt:
        print(f"skhpa {args.command}: interrupted", file=sys.stderr)
        return 130
