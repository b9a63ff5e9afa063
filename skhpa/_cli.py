"""The ``skhpa`` command line: ``demo``, ``make-data``, ``train`` and ``predict``."""

import argparse
import sys
from pathlib import Path


class UserError(Exception):
    """A mistake on the command line: printed as one line, no traceback."""


def _cmd_make_data(args):
    from .datasets import write_hpa_like

    root = write_hpa_like(
        args.out,
        args.n_train,
        args.n_test,
        image_size=args.image_size,
        label_distribution=args.label_distribution,
        random_state=args.seed,
        overwrite=args.overwrite,
    )
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


def _channels(text):
    from .datasets import CHANNELS

    channels = tuple(c.strip() for c in text.split(",") if c.strip())
    bad = [c for c in channels if c not in CHANNELS]
    if not channels or bad:
        raise argparse.ArgumentTypeError(f"channels must be a comma-separated subset of {CHANNELS}")
    return channels


def _stems(data):
    import numpy as np

    return np.array([str(Path(data.image_dir) / i) for i in data.ids])


def _cmd_train(args):
    from sklearn.pipeline import Pipeline

    from .datasets import load_hpa
    from .neural_net import HPAClassifier
    from .persistence import dump_joblib, save_model
    from .preprocessing import ImageLoader
    from .recipes import fit_with_thresholds

    data = load_hpa(args.data, "train", channels=args.channels)
    print(
        f"{len(data.ids)} training images in {data.image_dir}; channels {','.join(args.channels)}"
    )
    net_params = dict(
        criterion=_criterion(args.loss),
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        balanced_sampling=args.balanced,
        tta=None if args.tta == "none" else args.tta,
        min_labels=1,
        device=args.device,
        num_workers=args.num_workers,
        pretrained=args.pretrained or args.weights is not None,
        random_state=args.seed,
        verbose=1,
    )
    if args.weights is not None:
        net_params["module__weights"] = args.weights
    pipe = Pipeline(
        [
            (
                "load",
                ImageLoader(
                    channels=args.channels,
                    image_size=args.image_size,
                    cache=args.cache_dir,
                    lazy=True,
                ),
            ),
            ("net", HPAClassifier(args.backbone, **net_params)),
        ]
    )
    X = _stems(data)
    if args.thresholds == "none":
        model = pipe.fit(X, data.target)
    else:
        model = fit_with_thresholds(
            pipe,
            X,
            data.target,
            valid_size=args.valid_size,
            strategy=args.thresholds,
            random_state=args.seed,
        )
        print(f"thresholds ({args.thresholds}): " + " ".join(f"{t:.2f}" for t in model.thresholds_))
    if Path(args.out).suffix in (".joblib", ".pkl"):
        path = dump_joblib(model, args.out)
    else:
        path = save_model(model, args.out)
    print(f"saved the model to {path}")
    return 0


def _cmd_predict(args):
    from .datasets import load_hpa, read_labels_csv, read_submission
    from .inference import predict_submission
    from .metrics import per_class_report
    from .persistence import load_model

    if not Path(args.model).is_file():
        raise UserError(f"model file not found: {args.model}")
    if Path(args.model).suffix in (".joblib", ".pkl"):
        import joblib

        model = joblib.load(args.model)  # executes code from the file: trusted files only
    else:
        model = load_model(args.model)
    data = load_hpa(args.data, "test", channels=_model_channels(model))
    path = predict_submission(
        model, data.ids, args.out, X=_stems(data), chunk_size=args.chunk_size, progress=True
    )
    Y = read_submission(path).target
    print(f"wrote {len(data.ids)} predictions to {path}")
    labels = Path(args.data) / "test_labels.csv"
    if labels.is_file():
        ids, Y_true = read_labels_csv(labels)
        if list(ids) == list(data.ids):
            r = per_class_report(Y_true, Y, output_dict=True)
            print(
                f"test_labels.csv found: macro-F1 {r['macro']['f1']:.3f}, per-label accuracy "
                f"{r['per_label_accuracy']:.3f}"
            )
    return 0


def _model_channels(model):
    """The channels the saved pipeline's ImageLoader reads."""
    seen = [model]
    while seen:
        est = seen.pop()
        if est is None:
            continue
        if hasattr(est, "steps"):
            for _, step in est.steps:
                if hasattr(step, "channels") and hasattr(step, "lazy"):
                    return tuple(step.channels)
            seen.extend(step for _, step in est.steps)
        for attr in ("estimator_", "estimator"):
            seen.append(getattr(est, attr, None))
    from .datasets import CHANNELS

    return CHANNELS


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skhpa",
        description=(
            "skhpa: multilabel classification of protein localization in Human Protein Atlas "
            "images, the scikit-learn way."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the whole library on built-in synthetic HPA-like data",
        description="Write a synthetic HPA-like dataset, train the seed recipe and the skhpa "
        "recipe on it, and report macro-F1 next to per-label accuracy.",
    )
    demo.add_argument("--small", action="store_true", help="a quick run (about a minute on CPU)")
    demo.add_argument(
        "--out", default="skhpa_demo_output", help="output folder (default: %(default)s)"
    )
    demo.add_argument(
        "--device", default="auto", help="'auto' (CUDA when available), 'cpu' or 'cuda'"
    )
    demo.set_defaults(func=_cmd_demo)

    md = sub.add_parser(
        "make-data",
        help="write a synthetic HPA-like dataset in the Kaggle layout",
        description="Write train.csv, train/, test/, sample_submission.csv and test_labels.csv.",
    )
    md.add_argument("--out", required=True, help="destination folder")
    md.add_argument("--n-train", type=int, default=1000, help="training images (%(default)s)")
    md.add_argument("--n-test", type=int, default=200, help="test images (%(default)s)")
    md.add_argument("--image-size", type=int, default=128, help="pixels (%(default)s)")
    md.add_argument(
        "--label-distribution",
        default="hpa2018",
        choices=("hpa2018", "hpav18", "flat"),
        help="label-set distribution (%(default)s)",
    )
    md.add_argument("--seed", type=int, default=0, help="random seed (%(default)s)")
    md.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    md.set_defaults(func=_cmd_make_data)

    tr = sub.add_parser(
        "train",
        help="train a model on a folder in the Kaggle layout (train.csv + train/)",
        description="Train an HPAClassifier (images read lazily, optionally cached) and learn "
        "per-class thresholds on a multilabel-stratified held-out part; save the model.",
    )
    tr.add_argument("--data", required=True, help="dataset folder (Kaggle layout)")
    tr.add_argument(
        "--out",
        default="skhpa_model.skhpa",
        help="model file (%(default)s); .skhpa is loaded without unpickling, .joblib is a "
        "joblib pickle",
    )
    tr.add_argument(
        "--channels",
        type=_channels,
        default=("red", "green", "blue", "yellow"),
        help="comma-separated channels (default: red,green,blue,yellow)",
    )
    tr.add_argument("--image-size", type=int, default=None, help="resize images to this size")
    tr.add_argument("--backbone", default="resnet18", help="timm backbone (%(default)s)")
    tr.add_argument("--pretrained", action="store_true", help="ImageNet weights (needs network)")
    tr.add_argument("--weights", default=None, help="local ImageNet weights file for the backbone")
    tr.add_argument("--epochs", type=int, default=10, help="%(default)s")
    tr.add_argument("--batch-size", type=int, default=32, help="%(default)s")
    tr.add_argument("--lr", type=float, default=1e-3, help="%(default)s")
    tr.add_argument("--loss", choices=sorted(_LOSSES), default="combined", help="%(default)s")
    tr.add_argument("--balanced", action="store_true", help="class-balanced batch sampling")
    tr.add_argument("--tta", choices=("none", "flip", "d4"), default="flip", help="%(default)s")
    tr.add_argument(
        "--thresholds",
        choices=("per_class", "global", "label_ratio", "none"),
        default="per_class",
        help="threshold strategy (%(default)s)",
    )
    tr.add_argument("--valid-size", type=float, default=0.2, help="held-out share for thresholds")
    tr.add_argument("--device", default="auto", help="auto, cpu, cuda (%(default)s)")
    tr.add_argument("--num-workers", type=int, default=0, help="DataLoader workers (%(default)s)")
    tr.add_argument("--cache-dir", default=None, help="cache decoded images here")
    tr.add_argument("--seed", type=int, default=0, help="%(default)s")
    tr.set_defaults(func=_cmd_train)

    pr = sub.add_parser(
        "predict",
        help="predict the test images of a Kaggle-layout folder into a submission file",
        description="Load a saved model (.skhpa, or .joblib: only load joblib files you "
        "trust) and write Kaggle's Id,Predicted submission for sample_submission.csv's Ids, "
        "chunk by chunk; an interrupted run resumes where it stopped.",
    )
    pr.add_argument("--model", required=True, help="model file from 'skhpa train'")
    pr.add_argument("--data", required=True, help="dataset folder (sample_submission.csv + test/)")
    pr.add_argument("--out", default="submission.csv", help="%(default)s")
    pr.add_argument("--chunk-size", type=int, default=512, help="images per chunk (%(default)s)")
    pr.set_defaults(func=_cmd_predict)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (UserError, FileNotFoundError, FileExistsError, ValueError, ImportError) as exc:
        print(f"skhpa {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skhpa {args.command}: interrupted", file=sys.stderr)
        return 130
