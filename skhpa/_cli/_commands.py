"""The commands of ``skhpa``: ``make-data``, ``demo``, ``train`` and ``predict``.

Each ``cmd_*`` takes the parsed arguments, returns the exit code and raises
:class:`UserError` for a mistake the user can fix (printed as one line by ``main``).
"""

import contextlib
import errno
import hashlib
import math
import os
import shlex
import sys
import warnings
from pathlib import Path

# A prediction whose mean number of labels per image strays further than this factor from the
# training set's is reported as suspicious (the threshold study in docs/benchmarks.rst).
_LABEL_COUNT_FACTOR = 2.0
# Below this many tuning images, per-class thresholds are mostly noise (the threshold study
# tunes on 800); train says so.
_FEW_TUNING_IMAGES = 200


class UserError(Exception):
    """A mistake on the command line: printed as one line, no traceback."""


class Interrupted(Exception):
    """Ctrl-C, after the command has said what was kept: exit code 130."""


def _say_replaced(path, when):
    """Say that an existing output file will be replaced (train and predict write over it)."""
    if Path(path).exists():
        print(f"note: {path} exists; {when} replaces it")


def cmd_make_data(args):
    from ..datasets import write_hpa_like
    from ..utils import plural

    _check_can_write_in(Path(args.out).parent, f"--out {args.out}")
    manifest = Path(args.out) / "skhpa_synthetic.json"
    before = manifest.stat().st_mtime_ns if manifest.is_file() else None
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
    except FileExistsError as exc:
        out = Path(args.out)
        if not out.is_dir():
            raise UserError(f"--out {args.out} is a file; make-data writes a folder") from None
        if before is None:  # not a dataset make-data wrote: never deleted
            raise UserError(
                f"--out {args.out} already exists and holds files make-data did not write; "
                "it is left as it is: choose another --out"
            ) from None
        if "working folder" in str(exc):
            raise UserError(f"--out {args.out}: {exc}") from None
        raise UserError(
            f"--out {args.out} already holds a dataset made with other settings; pass "
            "--overwrite to replace it, or choose another --out"
        ) from None
    after = manifest.stat().st_mtime_ns
    if before is not None and before == after:
        print(f"{root} already holds this dataset (same settings, seed and files): kept as it is")
    else:
        print(
            f"wrote {args.n_train} train and {plural(args.n_test, 'test image')} "
            f"({args.image_size} px) "
            f"to {root}"
        )
    return 0


def cmd_demo(args):
    from .._demo import run_demo

    print(f"device {_device_in_use(args.device)}")
    run_demo(out=Path(args.out), small=args.small, device=args.device)
    return 0


LOSSES = {
    "bce": "torch.nn.BCEWithLogitsLoss",
    "focal": "skhpa.losses.FocalLoss",
    "soft_f1": "skhpa.losses.SoftF1Loss",
    "combined": "skhpa.losses.CombinedLoss",
}


def _criterion(name):
    import importlib

    module, _, attr = LOSSES[name].rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _device_in_use(device):
    """Check ``--device`` before any work and describe it; a bad value is a UserError."""
    from ..neural_net import check_device, describe_device

    try:
        check_device(device, flag="--device")
        return describe_device(device)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except RuntimeError as exc:
        raise UserError(f"--device {device}: {exc}") from None


def _networks(model):
    from ..neural_net import HPAClassifier
    from ..utils import iter_estimators

    return [e for e in iter_estimators(model) if isinstance(e, HPAClassifier)]


def _threshold_table(thresholds):
    from ..utils import CLASS_NAMES

    lines = ["  class                               threshold"]
    lines += [
        f"  {k:2d} {name:<32} {t:9.3f}" for k, (name, t) in enumerate(zip(CLASS_NAMES, thresholds))
    ]
    return "\n".join(lines)


def _print_blend_weights(model, args):
    from ..ensemble import ProbabilityBlend, tuned_scores_text
    from ..utils import iter_estimators

    blends = [  # fitted ones: a fold ensemble also holds its unfitted template
        e
        for e in iter_estimators(model)
        if isinstance(e, ProbabilityBlend) and hasattr(e, "weights_")
    ]
    if not blends:
        return
    blend = blends[0]
    names = [name for name, _ in blend.estimators]
    weights = ", ".join(f"{n} {w:.2f}" for n, w in zip(names, blend.weights_))
    if hasattr(blend, "tuned_scores_"):
        how = f"learned on a held-out {args.valid_size:.0%}"
    elif args.folds:
        how = "equal: the weights are learned on a held-out part, which --folds skips"
    else:
        how = "equal: the weights are learned on a held-out part, which --thresholds none skips"
    print(f"blend weights: {weights} ({how})")
    scores = tuned_scores_text(blend)
    if scores:
        print(f"  {scores}")


#: train's flags that set the CNN, with their defaults (--recipe features trains none)
_NETWORK_FLAGS = {
    "backbone": "resnet18",
    "pretrained": False,
    "weights": None,
    "batch_size": None,
    "lr": None,
    "loss": "combined",
    "balanced": False,
    "tta": "d4",
}


def _typed(args, flag):
    """Whether ``flag`` is on the command line (even at its default value)."""
    return any(a.split("=")[0] == flag for a in args.argv)


def _check_threshold_flags_apply(args):
    """--valid-size and --max-label-ratio where no threshold or no held-out part is learned."""
    if args.thresholds == "none":
        unused = [f for f in ("--valid-size", "--max-label-ratio") if _typed(args, f)]
        why = "--thresholds none learns no thresholds and holds nothing out"
    else:
        unused = ["--valid-size"] if args.folds and _typed(args, "--valid-size") else []
        why = "--folds learns the thresholds out of fold, with no held-out part"
    if unused:
        raise UserError(f"{', '.join(unused)}: {why}")


def _check_no_network_flags(args):
    """--recipe features has no CNN: a CNN flag given with it is a mistake, not a no-op."""
    given = [
        k
        for k, default in _NETWORK_FLAGS.items()
        if getattr(args, k) != default or _typed(args, "--" + k.replace("_", "-"))
    ]
    if given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise UserError(
            f"{flags}: set{'s' if len(given) == 1 else ''} the CNN, and --recipe features "
            "trains none (a small network on the localization features; --epochs sets its "
            "epochs); use --recipe blend or network"
        )


def _check_out_is_a_file(out, example):
    """--out names a file we can write: found after all the work, the mistake costs it.

    Its folder must exist: a mistyped path is an error, not a new tree of folders.
    """
    if not str(out).strip():
        raise UserError(f"--out is empty; name the file to write, e.g. {example}")
    out = Path(out)
    if out.is_dir():
        raise UserError(f"--out {out}: a folder; name the file to write, e.g. {out / example}")
    if not out.parent.exists():
        raise UserError(
            f"--out {out}: the folder {out.parent} does not exist; create it first "
            f"(mkdir -p {shlex.quote(str(out.parent))}) or name a file in an existing folder"
        )
    _check_can_write_in(out.parent, f"--out {out}")


_LABEL_FILES = ("train.csv", "test_labels.csv", "sample_submission.csv")


def _check_out_spares_inputs(out, data, model=None, example="submission.csv"):
    """--out is none of the command's inputs: the --model file, a label file or an image."""
    from ..utils import IMAGE_EXTENSIONS

    out = Path(out)
    if not out.exists():
        return
    if model is not None and Path(model).exists() and os.path.samefile(out, model):
        raise UserError(f"--out {out} is the --model file; name another file, e.g. {example}")
    target, folder = out.resolve(), Path(data).resolve()
    if folder in target.parents and (
        target.name in _LABEL_FILES or target.suffix.lower() in IMAGE_EXTENSIONS
    ):
        raise UserError(
            f"--out {out} is one of the input files of --data {data}; name another file, "
            f"e.g. {example}"
        )


def _check_can_write_in(folder, what):
    """A new file can be created in ``folder`` (or in the folders to be made there)."""
    from ..utils import make_temp

    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:  # made when the file is written
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"{what}: {folder} is a file, not a folder")
    try:  # what writing will do: a new file in that folder
        fd, probe = make_temp(folder, ".skhpa-write-check.", ".tmp")
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        # creating a file in /proc or /sys says "No such file or directory": not the cause
        why = "files cannot be created there" if exc.errno == errno.ENOENT else exc.strerror
        raise UserError(f"{what}: cannot write in {folder} ({why})") from None


def _continue_command(argv):
    argv = list(argv)
    if "--resume" not in argv:
        argv.append("--resume")
    return shlex.join(["skhpa", *argv])


def cmd_train(args):
    from sklearn.pipeline import Pipeline

    from ..datasets import load_hpa
    from ..neural_net._checkpoint import keeping_checkpoints
    from ..persistence import save_model
    from ..persistence._safe import PICKLE_SUFFIXES
    from ..preprocessing import ImageLoader
    from ..recipes import blend_recipe, features_recipe, fit_with_thresholds, skhpa_recipe
    from ..utils import IMAGE_EXTENSIONS, plural

    _check_out_is_a_file(args.out, "model.skhpa")
    out = Path(args.out)
    for flag in ("cache_dir", "checkpoint_dir"):
        if (folder := getattr(args, flag)) is not None:
            _check_can_write_in(folder, f"--{flag.replace('_', '-')} {folder}")
    if out.suffix.lower() in (*PICKLE_SUFFIXES, ".csv", ".json", ".txt", *IMAGE_EXTENSIONS):
        raise UserError(
            f"--out {args.out}: train writes .skhpa model files (they load without running code "
            "from the file); name it e.g. model.skhpa"
        )
    _check_out_spares_inputs(out, args.data, example="model.skhpa")
    import timm

    if args.folds and args.thresholds == "none":
        raise UserError(
            "--folds learns thresholds out of fold: it needs --thresholds other than none"
        )
    if args.recipe in ("blend", "features") and "green" not in args.channels:
        raise UserError(
            f"--recipe {args.recipe} needs the green (protein) channel in --channels (got "
            f"{','.join(args.channels)}): its feature model describes where the protein lies; "
            "use --recipe network"
        )
    _check_threshold_flags_apply(args)
    if args.recipe == "features":
        _check_no_network_flags(args)
    if not timm.is_model(args.backbone):
        raise UserError(f"--backbone {args.backbone}: not a timm model name (e.g. resnet18)")
    if args.weights is not None:
        _check_weights_flag(args.backbone, args.weights)
    root = Path(args.data)
    if (
        root.is_dir()
        and not (root / "train.csv").is_file()
        and (root.parent / "train.csv").is_file()
    ):
        raise UserError(
            f"--data {args.data}: the images' folder; pass the dataset folder that holds "
            f"train.csv: --data {shlex.quote(str(root.parent))}"
        )
    inner = (
        sorted(p.parent for p in root.glob("*/train.csv"))
        if root.is_dir() and not (root / "train.csv").is_file()
        else []
    )
    if len(inner) == 1:
        raise UserError(
            f"--data {args.data}: no train.csv there, but {inner[0]} has one: "
            f"--data {shlex.quote(str(inner[0]))}"
        )
    others = sorted(p.name for p in root.glob("*.csv")) if root.is_dir() else []
    if others and not (root / "train.csv").is_file():
        raise UserError(
            f"--data {args.data}: no train.csv there (it holds {', '.join(others)}); train "
            "reads the labels from train.csv (Id,Target, as Kaggle ships it): rename or copy "
            "yours to that name"
        )
    data = load_hpa(args.data, "train", channels=args.channels)
    if args.folds is not None and args.folds > len(data.ids):
        raise UserError(
            f"--folds {args.folds}: more folds than the {len(data.ids)} training images"
        )
    device = _device_in_use(args.device)
    _say_replaced(out, "the model saved when training ends")
    print(
        f"{plural(len(data.ids), 'training image')} in {data.image_dir}; channels "
        f"{','.join(args.channels)}; device {device}; recipe {args.recipe}"
        + {
            "blend": " (network + localization features)",
            "features": " (localization features + a small network on them, no CNN)",
            "network": "",
        }[args.recipe]
    )
    _say_unlabelled_images(data)
    ckpt_dir = Path(args.checkpoint_dir or f"{out}.checkpoints")
    # removed when it ends empty: the default folder, or a --checkpoint-dir this run makes
    ours = args.checkpoint_dir is None or not ckpt_dir.exists()
    kept = sorted(ckpt_dir.glob("skhpa-*.ckpt")) if ckpt_dir.is_dir() else []
    if kept and not args.resume:
        raise UserError(
            f"{ckpt_dir} holds the checkpoint of an interrupted run: continue it with --resume "
            "(same arguments), or delete the folder to start over"
        )
    if args.resume and not kept:
        print(f"--resume: no checkpoint in {ckpt_dir}; training from the first epoch")
    elif args.resume:
        print(
            f"--resume: {len(kept)} checkpoint(s) in {ckpt_dir}; each network whose settings "
            "and data match one continues from it"
        )
    if args.image_size is None:
        _say_native_size(data)
    net_params = dict(
        criterion=_criterion(args.loss),
        balanced_sampling=args.balanced,
        tta=None if args.tta == "none" else args.tta,
        device=args.device,
        num_workers=args.num_workers,
        pretrained=args.pretrained or args.weights is not None,
        checkpoint_dir=str(ckpt_dir),
        random_state=args.seed,
        verbose=1,
    )
    for flag, param in (("epochs", "max_epochs"), ("batch_size", "batch_size"), ("lr", "lr")):
        if getattr(args, flag) is not None:  # None: skhpa_recipe's default
            net_params[param] = getattr(args, flag)
    if args.weights is not None:
        net_params["module__weights"] = args.weights
    loader = ImageLoader(
        channels=args.channels, image_size=args.image_size, cache=args.cache_dir, lazy=True
    )
    net = skhpa_recipe(backbone=args.backbone, **net_params)
    if args.recipe != "features":
        print(
            f"network: skhpa_recipe, {args.backbone} + channel correlations, "
            f"{net.max_epochs} epoch{'s' if net.max_epochs != 1 else ''}, batch "
            f"{net.batch_size}, lr {net.lr:g} (cosine), "
            f"TTA {args.tta}"
            + (
                f", ImageNet weights from {args.weights}"
                if args.weights
                else ", ImageNet weights"
                if args.pretrained
                else ", no pretrained weights"
            )
        )
    fit_params = {}
    if args.recipe == "blend":
        blend = blend_recipe(network=net, input_channels=args.channels)
        pipe = Pipeline([("load", loader), ("blend", blend)])
        net_fit_param = "blend__net__groups"
    elif args.recipe == "features":
        pipe = Pipeline(
            [
                ("load", loader),
                (
                    "features",
                    features_recipe(
                        input_channels=args.channels,
                        max_epochs=args.epochs,  # None: the recipe's default
                        device=args.device,
                        random_state=args.seed,
                    ),
                ),
            ]
        )
        net_fit_param = None
    else:
        pipe = Pipeline([("load", loader), ("net", net)])
        net_fit_param = "net__groups"
    for head in _networks(pipe):  # the feature model's network too: Ctrl-C keeps its epochs
        head.set_params(checkpoint_dir=str(ckpt_dir))
    if args.thresholds == "none":  # at 0.5, an image gets at least its most probable class
        final = pipe[-1][-1] if isinstance(pipe[-1], Pipeline) else pipe[-1]
        final.set_params(min_labels=1)
    groups = None
    if args.group_duplicates:
        if args.thresholds != "none":
            kept_apart = "training and threshold tuning"
        elif net_fit_param is not None:
            kept_apart = "the network's training and validation images"
        else:  # nothing is held out: there is nothing to keep apart
            kept_apart = None
        groups = _duplicate_groups(data, args, kept_apart)
    _say_absent_classes(data)
    # the held-out part's size as the split rounds it (up, as scikit-learn's test_size)
    n_tune = len(data.ids) if args.folds else math.ceil(args.valid_size * len(data.ids))
    if args.thresholds == "per_class" and n_tune < _FEW_TUNING_IMAGES:
        print(
            f"warning: the per-class thresholds are learned on {n_tune} images "
            f"({'out of fold' if args.folds else f'--valid-size {args.valid_size}'}); with "
            f"fewer than {_FEW_TUNING_IMAGES} a rare class's threshold follows a handful of "
            "images: consider --thresholds label_ratio or global",
            file=sys.stderr,
        )
    with keeping_checkpoints() as finished:  # a network that completed stays resumable
        try:
            if args.pretrained and args.weights is None:
                _check_weights_available(args.backbone)
            with warnings.catch_warnings():
                # said once by _say_absent_classes / by the interruption message below
                warnings.filterwarnings("ignore", "Label not .* is present in all", UserWarning)
                warnings.filterwarnings("ignore", r".*\.fit was interrupted", UserWarning)
                if args.thresholds == "none":
                    if net_fit_param is not None:
                        fit_params[net_fit_param] = groups
                    model = pipe.fit(data.stems, data.target, **fit_params)
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
                        verbose=1,  # which fold each epoch table belongs to
                    )
            if any(getattr(net, "interrupted_", False) for net in _networks(model)):
                raise KeyboardInterrupt
            # the summary and the save: a Ctrl-C there keeps the checkpoints too
            _say_thresholds(model, args, data.target)
            _print_blend_weights(model, args)
            for net in _networks(model):  # this run's settings, not the model's
                net.set_params(checkpoint_dir=None, verbose=0)
            model.set_params(verbose=0)  # the fold lines, too
            path = save_model(model, out)
        except KeyboardInterrupt:
            kept = sorted(ckpt_dir.glob("skhpa-*.ckpt")) if ckpt_dir.is_dir() else []
            what = (
                f"what had completed ({plural(len(kept), 'checkpoint')}: finished models, the "
                f"last completed epoch of a network) is kept in {ckpt_dir}. "
                f"Continue with:\n  {_continue_command(args.argv)}"
                if kept
                else "no epoch had completed, so nothing was kept"
            )
            print(
                ("\n" if sys.stderr.isatty() else "")  # off a progress bar's line
                + f"skhpa train: interrupted; no model was saved; {what}",
                file=sys.stderr,
            )
            if ours:
                _remove_if_empty(ckpt_dir)
            raise Interrupted from None
        except Exception:
            if ours:  # a failed run leaves no empty checkpoint folder behind
                _remove_if_empty(ckpt_dir)
            raise
    for f in finished:  # the completed networks' checkpoints: the model file has them now
        f.unlink(missing_ok=True)
    if ours:
        _remove_if_empty(ckpt_dir)
    if stale := sorted(ckpt_dir.glob("skhpa-*.ckpt")) if ckpt_dir.is_dir() else []:
        mb = sum(f.stat().st_size for f in stale) / 2**20
        print(
            f"{ckpt_dir} still holds {len(stale)} checkpoint(s) of other runs ({mb:.0f} MB; "
            "other arguments or data): delete the folder if you will not resume them"
        )
    size = path.stat().st_size / 2**20
    print(
        f"saved the model to {path} ({size:.1f} MB); predict with: "
        f"skhpa predict --model {shlex.quote(str(path))} --data FOLDER"
    )
    return 0


def _say_thresholds(model, args, Y):
    """The thresholds the model learned, as a table with class names (or that it has none)."""
    import numpy as np

    if args.thresholds == "none":
        print("thresholds: none (each class at 0.5; an image with none there gets its most "
              "probable class)")  # fmt: skip
    if hasattr(model, "thresholds_"):
        on = (
            f"the out-of-fold probabilities of {args.folds} fold models"
            if args.folds
            else f"a held-out {args.valid_size:.0%}"
        )
        print(f"thresholds ({args.thresholds}, learned on {on}):")
        print(_threshold_table(model.thresholds_))
        _say_never_predicted(model.thresholds_, Y)
        if args.thresholds == "global" and args.max_label_ratio is not None:
            shown = np.round(model.thresholds_, 3)  # as in the table
            up = shown > round(model.global_threshold_, 3)
            absent = int((up & (np.asarray(Y).sum(axis=0) == 0)).sum())
            print(
                f"the global threshold is {model.global_threshold_:.3f}; --max-label-ratio "
                f"{args.max_label_ratio:g} raised {int(up.sum())} classes above it"
                + (
                    f" ({absent} of them have no positive training image and are never predicted)"
                    if absent
                    else ""
                )
                + "; --max-label-ratio none keeps one threshold for all"
            )


def _remove_if_empty(folder):
    """Remove ``folder`` if it exists and holds nothing (a checkpoint folder no run kept)."""
    with contextlib.suppress(OSError):  # missing, not empty, or not ours to remove
        folder.rmdir()


def _say_never_predicted(thresholds, Y):
    """Classes with training positives whose learned threshold is above every probability."""
    import numpy as np

    from ..utils import CLASS_NAMES

    never = np.flatnonzero((np.asarray(thresholds) > 1) & (np.asarray(Y).sum(axis=0) > 0))
    if len(never):
        names = ", ".join(f"{k} {CLASS_NAMES[k]}" for k in never)
        print(
            f"note: {len(never)} class{'es' if len(never) != 1 else ''} with positive training "
            "images got a threshold above "
            f"every probability (1.000), so the model never predicts them: {names}. Their "
            "positives in the tuning data were too few or too poorly ranked; more images, "
            "--folds or another --thresholds may help"
        )


def _say_absent_classes(data):
    """Name the classes without a positive training image, once (not a warning per fit)."""
    import numpy as np

    from ..utils import CLASS_NAMES

    absent = np.flatnonzero(np.asarray(data.target).sum(axis=0) == 0)
    if len(absent):
        names = ", ".join(f"{k} {CLASS_NAMES[k]}" for k in absent)
        print(
            f"note: {len(absent)} of {len(CLASS_NAMES)} classes have no positive training "
            f"image, so the model cannot learn them: {names}"
        )


def _duplicate_groups(data, args, kept_apart):
    """Near-duplicate fields of the training set, found on 64 px thumbnails.

    ``kept_apart`` says between what no group is split (None: nothing is held out).
    """
    import numpy as np

    from ..model_selection import duplicate_groups
    from ..preprocessing import ImageLoader

    thumbs = ImageLoader(
        channels=args.channels, image_size=64, cache=args.cache_dir, lazy=True
    ).fit_transform(data.stems)
    groups = duplicate_groups(thumbs, n_jobs=-1)
    _, sizes = np.unique(groups, return_counts=True)
    if not (sizes > 1).any():
        print(f"--group-duplicates: no near-duplicate fields among the {len(groups)} images")
        return None  # the plain stratified split
    n_groups = int((sizes > 1).sum())
    found = (
        f"--group-duplicates: {n_groups} group{'s' if n_groups != 1 else ''} of near-duplicate "
        f"fields hold{'s' if n_groups == 1 else ''} {int(sizes[sizes > 1].sum())} of "
        f"{len(groups)} images"
    )
    if kept_apart is None:
        print(f"{found}; nothing is held out (--thresholds none), so no split uses them")
    else:
        print(f"{found}; no group is split between {kept_apart}")
    return groups


def _say_unlabelled_images(data, what="are not in the label file, so they are not used"):
    """Images in the folder that the Id list (train.csv, ...) does not hold: say so."""
    from ..datasets._kaggle import channel_files
    from ..utils import list_some

    extra = set(channel_files(data.image_dir)) - set(data.ids.tolist())
    if extra:
        print(
            f"note: {len(extra)} Id(s) with images in {data.image_dir} {what} "
            f"({list_some(sorted(extra), 3)})"
        )


def _say_native_size(data):
    """Without --image-size the first image's size is the model's: say it, and its cost."""
    from ..preprocessing import ImageReadError
    from ..preprocessing._decode import native_shape

    try:
        height, width = native_shape(data.paths[0][0])  # the first image's first channel
    except ImageReadError:
        return  # the loader names the file when it reads it
    note = f"image size {width}x{height} px (the first image's; --image-size sets another)"
    if max(width, height) > 512:
        note += (
            f": training costs about {max(width, height) ** 2 / 512**2:.0f}x what it does "
            "at 512 px (the Kaggle images' size); consider --image-size 512 or less"
        )
    print(note)


def _check_weights_flag(backbone, path):
    """--weights holds the backbone's weights: found before the data are read."""
    from ..nn import PretrainedWeightsError
    from ..nn._modules import _check_weights_file

    if not Path(path).is_file():
        raise UserError(f"--weights {path}: file not found")
    try:
        _check_weights_file(backbone, path)
    except PretrainedWeightsError as exc:
        raise UserError(f"--weights: {exc}") from None


def _check_weights_available(backbone):
    """--pretrained without --weights downloads ImageNet weights: say which flag helps."""
    from ..nn import PretrainedWeightsError, create_backbone

    print(
        f"--pretrained: loading ImageNet weights for {backbone} (timm: its local cache or a "
        "download; offline, it gives up after about a minute)"
    )
    try:
        create_backbone(backbone, 4, pretrained=True)
    except PretrainedWeightsError as exc:
        raise UserError(
            f"--pretrained: could not load ImageNet weights for {backbone!r} "
            f"({_shortened(str(exc.__cause__ or exc))}); this machine may be offline: "
            "pass a local weights file with --weights FILE, or train without --pretrained"
        ) from None


def _shortened(text, limit=160):
    """The first line of ``text``, cut at a word boundary with "..." when longer than limit."""
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + " ..."


def _file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_model_file(path, device):
    """Load a model file for prediction; every failure is a one-line UserError."""
    import zipfile

    from ..neural_net import move_to_device
    from ..persistence import ModelFileError, load_model
    from ..persistence._safe import PICKLE_SUFFIXES, looks_like_pickle

    path = Path(path)
    if path.is_dir():
        raise UserError(f"--model {path}: a folder, not a model file (e.g. {path}/model.skhpa)")
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    if path.suffix.lower() in PICKLE_SUFFIXES and not zipfile.is_zipfile(path):
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
    else:  # a skhpa model file (a zip), also under a .joblib name: nothing is executed
        if looks_like_pickle(path):
            raise UserError(
                f"{path}: a joblib or pickle file, not a skhpa model file; predict loads it "
                f"only under a {' or '.join(PICKLE_SUFFIXES[:2])} name, as that runs code from "
                "the file (only files you trust)"
            )
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
    from ..datasets import load_hpa, load_image_folder
    from ..datasets._kaggle import channel_files
    from ..utils import list_some

    folder = Path(folder)
    if (folder / "sample_submission.csv").is_file() or not folder.is_dir():
        data = load_hpa(folder, "test", channels=channels)
        _say_unlabelled_images(data, "are not in sample_submission.csv, so they are not predicted")
        return data
    for candidate in (folder / "test", folder):
        if candidate.is_dir() and any(
            c in colors for colors in channel_files(candidate).values() for c in channels
        ):
            print(f"no sample_submission.csv in {folder}: predicting the images in {candidate}")
            if candidate.name == "train" and (candidate.parent / "train.csv").is_file():
                print(
                    f"note: {candidate} is the training folder of {candidate.parent} (its "
                    "train.csv labels them): if this model was trained there, it predicts its "
                    "own training images"
                )
            data = load_image_folder(candidate, channels=channels, incomplete="skip")
            if data.incomplete:  # no Id list to keep whole: the complete Ids are predicted
                shown = [f"{i} (no {', '.join(m)})" for i, m in data.incomplete]
                print(
                    f"warning: {len(shown)} Id(s) in {candidate} lack a channel file, so "
                    f"they are not predicted: {list_some(shown, 3)}",
                    file=sys.stderr,
                )
            return data
    inner = sorted(p.parent for p in folder.glob("*/sample_submission.csv"))
    if len(inner) == 1:
        raise UserError(
            f"--data {folder}: no images to predict there, but {inner[0]} holds "
            f"sample_submission.csv: --data {shlex.quote(str(inner[0]))}"
        )
    if inner:
        raise UserError(
            f"--data {folder}: no images to predict there, but its folders "
            f"{', '.join(p.name for p in inner)} hold a sample_submission.csv: pass one "
            f"of them, e.g. --data {shlex.quote(str(inner[0]))}"
        )
    raise UserError(
        f"--data {folder}: no images to predict: neither sample_submission.csv with a test/ "
        f"folder (the Kaggle layout) nor {{Id}}_{{color}} files of the model's channels "
        f"({','.join(channels)}) in {folder} or {folder / 'test'}"
    )


def _training_labels_per_image(model):
    """The training set's labels per image, as the model recorded it (empty list if not)."""
    import numpy as np

    from ..thresholding import ThresholdOptimizer
    from ..utils import iter_estimators

    found = []
    for est in iter_estimators(model):
        if hasattr(est, "label_cardinality_"):  # a network
            found.append(float(est.label_cardinality_))
        elif isinstance(est, ThresholdOptimizer) and hasattr(est, "label_frequencies_"):
            found.append(float(np.sum(est.label_frequencies_)))
        elif isinstance(est, ThresholdOptimizer) and est.prior is not None:
            found.append(float(sum(est.prior)))  # models saved before label_frequencies_
    return found


def _say_partial_kept(out, argv, *, interrupted):
    """After a failed predict: the rows already written, and how to continue after them."""
    partial = Path(f"{out}.partial")
    rows = 0
    if partial.is_file():
        with open(partial, newline="") as fh:
            rows = max(sum(1 for _ in fh) - 1, 0)  # less the header
    if not rows and not interrupted:
        return  # the error says it all
    kept = (
        f"the {rows} predictions written so far are kept in {partial}; the same command "
        f"continues after them: {shlex.join(['skhpa', *argv])}"
        if rows
        else "no prediction was written"
    )
    print(
        ("\n" if sys.stderr.isatty() else "")  # off a progress bar's line
        + (f"skhpa predict: interrupted; {kept}" if interrupted else f"note: {kept}"),
        file=sys.stderr,
    )


def _match_labels(labels, label_ids, Y_true, ids, Y):
    """The known labels and the predictions of the same Ids, row for row (any order).

    Ids the label file lacks, or lists without a prediction, are named in a warning
    and left out of the score. Returns ``(Y_true, Y)``, ``Y_true`` None when no
    predicted Id has a label.
    """
    import numpy as np

    from ..utils import list_some, plural

    row = {i: k for k, i in enumerate(label_ids)}
    predicted = set(ids)
    keep = np.array([i in row for i in ids], dtype=bool)
    unlabelled = [i for i, k in zip(ids, keep) if not k]
    extra = [i for i in label_ids if i not in predicted]
    if extra:
        print(
            f"warning: {labels.name} lists {plural(len(extra), 'Id')} that "
            f"{'was' if len(extra) == 1 else 'were'} not predicted: {list_some(extra)}",
            file=sys.stderr,
        )
    if not keep.any():
        print(f"warning: not scored: no predicted Id is in {labels.name}", file=sys.stderr)
        return None, Y
    if unlabelled:
        print(
            f"warning: {labels.name} has no labels for {plural(len(unlabelled), 'predicted Id')} "
            f"({list_some(unlabelled)}): scored on the {int(keep.sum())} it lists",
            file=sys.stderr,
        )
    return Y_true[[row[i] for i in np.asarray(ids)[keep]]], Y[keep]


def cmd_predict(args):
    from ..datasets import read_labels_csv, read_submission
    from ..metrics import per_class_report
    from ..persistence._safe import PICKLE_SUFFIXES
    from ..preprocessing import image_loader_of
    from ..submission import predict_submission
    from ..utils import IMAGE_EXTENSIONS, list_some, plural

    _check_out_is_a_file(args.out, "submission.csv")
    _check_out_spares_inputs(args.out, args.data, args.model)
    if Path(args.out).suffix.lower() in (".skhpa", *PICKLE_SUFFIXES, ".py", *IMAGE_EXTENSIONS):
        raise UserError(
            f"--out {args.out}: predict writes a submission CSV; name it e.g. submission.csv"
        )
    device = _device_in_use(args.device)
    model, key = _load_model_file(args.model, args.device)
    loader = image_loader_of(model)
    if loader is None:
        raise UserError(
            f"{args.model} takes image arrays, not image files: it has no ImageLoader step. "
            "Save a Pipeline([('load', ImageLoader(...)), ...]) to predict folders"
        )
    data = _test_images(args.data, tuple(loader.channels))
    shape = getattr(loader, "image_shape_", None)
    size = f"resized to {shape[0]}x{shape[1]} px (the model's size)" if shape else "native size"
    print(
        f"{plural(len(data.ids), 'image')} to predict in {data.image_dir}; input {size}; "
        f"device {device}"
    )
    _say_replaced(args.out, "the new submission")
    try:
        path = predict_submission(
            model,
            data.ids,
            args.out,
            X=data.stems,
            chunk_size=args.chunk_size,
            model_key=key,
            progress=sys.stderr.isatty(),  # off a terminal: a line per chunk, not a bar
            verbose=True,
        )
    except BaseException as exc:
        if not isinstance(exc, FileExistsError):  # refused: the partial file is another run's
            _say_partial_kept(args.out, args.argv, interrupted=isinstance(exc, KeyboardInterrupt))
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted from None
        raise
    Y = read_submission(path).target
    per_image = float(Y.sum(axis=1).mean())
    print(
        f"wrote {plural(len(data.ids), 'prediction')} to {path}: {per_image:.2f} labels per image"
    )
    cardinality = _training_labels_per_image(model)
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
        try:
            ids, Y_true = read_labels_csv(labels)
        except ValueError as exc:  # the submission is written: the scoring is what fails
            print(f"warning: not scored: {exc}", file=sys.stderr)
            return 0
        Y_true, Y = _match_labels(labels, ids, Y_true, data.ids, Y)
        if Y_true is not None:
            per_image = float(Y.sum(axis=1).mean())  # over the Ids scored
            r = per_class_report(Y_true, Y, output_dict=True)
            print(
                f"test_labels.csv found: macro-F1 {r['macro']['f1']:.3f}, per-label accuracy "
                f"{r['per_label_accuracy']:.3f} (predicting nothing: "
                f"{1 - float(Y_true.mean()):.3f}), labels per image {per_image:.2f} predicted vs "
                f"{float(Y_true.sum(axis=1).mean()):.2f} true"
            )
            absent = r["classes_without_support"]
            if absent and len(absent) < Y.shape[1]:
                print(
                    f"  {len(absent)} of {Y.shape[1]} classes "
                    f"{'has' if len(absent) == 1 else 'have'} no true label in "
                    f"{labels.name} ({list_some(absent)}): each counts as F1 0 in macro-F1; over "
                    f"the {Y.shape[1] - len(absent)} others it is {r['macro_f1_supported']:.3f}"
                )
    return 0
