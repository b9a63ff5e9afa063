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
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (UserError, FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"skhpa {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skhpa {args.command}: interrupted", file=sys.stderr)
        return 130
