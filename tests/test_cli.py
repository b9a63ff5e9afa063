import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skhpa._cli import main
from skhpa.datasets import read_labels_csv, read_submission


def test_help_for_each_subcommand(capsys):
    for argv in (
        [],
        ["demo", "--help"],
        ["make-data", "--help"],
        ["train", "--help"],
        ["predict", "--help"],
    ):
        with pytest.raises(SystemExit) if argv else _noop():
            rc = main(argv)
            assert rc == 2  # no subcommand: help (on stderr, an error) and exit code 2
        captured = capsys.readouterr()
        assert "usage: skhpa" in (captured.out if argv else captured.err)
    assert (
        "--n-train"
        in subprocess.run(
            [sys.executable, "-m", "skhpa", "make-data", "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_the_command_line_starts_without_the_heavy_imports():
    # The entry point imports skhpa._cli before main() can catch Ctrl-C: torch, scikit-learn
    # and numpy load inside the command, so Ctrl-C while they load is exit 130, not a
    # traceback; and --help, --version answer at once.
    code = (
        "import sys, skhpa, skhpa._cli\n"
        "skhpa._cli.build_parser()\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'numpy', 'skorch') if m in sys.modules))\n"
        "skhpa.HPAClassifier, skhpa.save_model  # the public names still load on first use\n"
        "print('torch' in sys.modules, 'HPAClassifier' in dir(skhpa))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "True True"]
    with pytest.raises(AttributeError, match="no attribute 'HPAClasifier'"):
        import skhpa

        skhpa.HPAClasifier  # noqa: B018


class _noop:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_make_data_train_predict_end_to_end(tmp_path, capsys):
    data = tmp_path / "d"
    assert (
        main(
            [
                "make-data",
                "--out",
                str(data),
                "--n-train",
                "60",
                "--n-test",
                "16",
                "--image-size",
                "32",
                "--label-distribution",
                "flat",
            ]
        )
        == 0
    )
    model = tmp_path / "m.skhpa"
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--out",
                str(model),
                "--epochs",
                "1",
                "--device",
                "cpu",
                "--backbone",
                "resnet18",
                "--tta",
                "none",
            ]
        )
        == 0
    )
    assert model.is_file()
    out = capsys.readouterr().out
    assert "recipe blend (network + localization features)" in out
    assert re.search(
        r"blend weights: features \d\.\d\d, net \d\.\d\d \(learned on a held-out 20%\)", out
    )
    scores = re.search(
        r"held-out macro average precision: features alone (\S+), net alone (\S+), blend "
        r"([\d.]+); share of the blend's spread: features \d\.\d\d, net \d\.\d\d",
        out,
    )
    alone_f, alone_n, both = map(float, scores.groups())
    assert both >= max(alone_f, alone_n)  # the corners are on the grid the best is taken from
    from skhpa import load_model
    from skhpa.ensemble import ProbabilityBlend

    blend = load_model(model).estimator_.named_steps["blend"]
    assert isinstance(blend, ProbabilityBlend)
    assert [type(e).__name__ for e in blend.estimators_] == ["Pipeline", "HPAClassifier"]
    # the network is skhpa_recipe's (its defaults where no flag is given), and it scored the
    # held-out part after each epoch
    net = blend.estimators_[1]
    assert net.module__correlation_scales == (1, 2, 4) and net.patience is None
    assert (net.max_epochs, net.batch_size, net.lr) == (1, 64, 2e-3)
    assert np.isfinite(net.history[-1, "valid_loss"])
    assert "network: skhpa_recipe, resnet18 + channel correlations, 1 epoch, batch 64" in out
    sub = tmp_path / "sub.csv"
    assert main(["predict", "--model", str(model), "--data", str(data), "--out", str(sub)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out
    got = read_submission(sub)
    ids, Y_true = read_labels_csv(data / "test_labels.csv")
    assert got.ids.tolist() == ids.tolist()
    assert got.target.shape == Y_true.shape
    assert (got.target.sum(1) >= 1).all()  # the model predicts at least one label per image


def test_train_the_feature_model_alone(tmp_path, capsys):
    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "80", "--n-test", "10",
                 "--image-size", "32", "--label-distribution", "flat"]) == 0  # fmt: skip
    model = tmp_path / "f.skhpa"
    argv = ["train", "--data", str(data), "--out", str(model), "--recipe", "features"]
    # a flag of the CNN with the recipe that trains none: an error before any work
    assert main([*argv, "--lr", "0.1", "--tta", "none"]) == 1
    err = capsys.readouterr().err
    assert "--lr, --tta: set the CNN, and --recipe features trains none" in err
    assert main([*argv, "--backbone=resnet18"]) == 1  # typed out, even at its default
    assert "--backbone: sets the CNN" in capsys.readouterr().err
    assert not model.exists()
    assert main([*argv, "--epochs", "7"]) == 0
    out = capsys.readouterr().out
    assert "recipe features (localization features + a small network on them, no CNN)" in out
    assert "blend weights" not in out and "thresholds (per_class" in out
    from skhpa import load_model

    pipe = load_model(model).estimator_
    assert list(pipe.named_steps) == ["load", "features"]
    assert pipe["features"][-1].max_epochs == 7  # --epochs: the feature network's epochs
    assert main(["predict", "--model", str(model), "--data", str(data),
                 "--out", str(tmp_path / "s.csv")]) == 0  # fmt: skip
    assert len(read_submission(tmp_path / "s.csv").ids) == 10
    # no network inside: the label-count check reads the thresholds' training frequencies
    _, Y = read_labels_csv(data / "train.csv")
    out = capsys.readouterr().out
    assert f"training set: {Y.sum(1).mean():.2f} labels per image" in out
    # fixed 0.5 thresholds: an image with no class at 0.5 still gets its most probable one
    assert main([*argv, "--epochs", "20", "--thresholds", "none"]) == 0
    assert "thresholds: none (each class at 0.5" in capsys.readouterr().out
    assert main(["predict", "--model", str(model), "--data", str(data),
                 "--out", str(tmp_path / "s.csv")]) == 0  # fmt: skip
    assert (read_submission(tmp_path / "s.csv").target.sum(axis=1) >= 1).all()
    # test images that sample_submission.csv does not list are named, not silently dropped
    lines = (data / "sample_submission.csv").read_text().splitlines()
    (data / "sample_submission.csv").write_text("\n".join(lines[:9]) + "\n")  # 8 of the 10
    capsys.readouterr()
    assert main(["predict", "--model", str(model), "--data", str(data),
                 "--out", str(tmp_path / "s.csv")]) == 0  # fmt: skip
    assert len(read_submission(tmp_path / "s.csv").ids) == 8
    assert (
        f"note: 2 Id(s) with images in {data / 'test'} are not in sample_submission.csv, so "
        "they are not predicted (" in capsys.readouterr().out
    )


def test_absent_classes_are_named_once(tmp_path, capsys):
    import warnings

    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "40", "--n-test", "4",
                 "--image-size", "32"]) == 0  # fmt: skip
    _, Y = read_labels_csv(data / "train.csv")
    absent = np.flatnonzero(Y.sum(axis=0) == 0)
    assert len(absent) > 0  # the real label distribution: 40 images miss the rare classes
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "f.skhpa"), "--recipe",
            "features", "--thresholds", "global", "--group-duplicates",
            "--folds", "2"]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Label not" not in err  # said once by the note, not once per class and fit
    # no near-duplicates: the plain split, and a library warning is one line like the
    # command's own
    assert "--group-duplicates: no near-duplicate fields among the 40 images" in out
    assert "warning: The least populated label(s)" in err and "n_splits=2" in err
    assert "[ThresholdOptimizer] fold 2 of 2: fitting on" in out  # whose epoch table follows
    assert all(line.startswith("warning: ") for line in err.strip().splitlines()), err
    assert f"note: {len(absent)} of 28 classes have no positive training image" in out
    assert f"{absent[-1]} " in out.split("note:")[1].splitlines()[0]
    # --thresholds global, within --max-label-ratio: the table's thresholds above the global
    # one are counted
    g = float(re.search(r"the global threshold is (\S+);", out).group(1))
    table = [float(line.split()[-1]) for line in out.splitlines() if re.match(r"  [ \d]\d ", line)]
    assert len(table) == 28
    n = sum(t > g for t in table)
    k = sum(table[c] > g for c in absent)  # raised because no training image has them
    assert f"--max-label-ratio 1.25 raised {n} classes above it ({k} of them have no " in out
    assert "; --max-label-ratio none keeps one threshold for all" in out


def test_classes_a_threshold_never_predicts_are_named(capsys):
    from skhpa._cli._commands import _say_never_predicted
    from skhpa.utils import CLASS_NAMES

    above = np.nextafter(1.0, 2.0)  # what the threshold search gives "never"
    thresholds = np.full(28, 0.4)
    thresholds[[3, 27]] = above
    Y = np.ones((5, 28), dtype=int)
    Y[:, 27] = 0  # absent: said by another note
    _say_never_predicted(thresholds, Y)
    out = capsys.readouterr().out
    assert out.startswith("note: 1 class with positive training images got a threshold above")
    assert f"never predicts them: 3 {CLASS_NAMES[3]}." in out and "27 " not in out
    _say_never_predicted(np.full(28, 0.4), Y)
    assert capsys.readouterr().out == ""


def test_user_mistakes_are_one_line_errors(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"skhpa train: error: dataset folder not found: {tmp_path / 'missing'}"
    (tmp_path / "d").mkdir()
    assert main(["train", "--data", str(tmp_path / "d")]) == 1
    assert "label file not found" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path / "x.joblib"), "--data", str(tmp_path)]) == 1
    assert "model file not found" in capsys.readouterr().err
    write = ["make-data", "--out", str(tmp_path / "k"), "--n-train", "8", "--n-test", "2"]
    assert main([*write, "--image-size", "16"]) == 0
    capsys.readouterr()
    assert main(["train", "--data", str(tmp_path / "k"), "--channels", "red,blue"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("skhpa train: error: --recipe blend needs the green (protein) channel")
    assert err.endswith("use --recipe network") and "\n" not in err
    assert main(["train", "--data", str(tmp_path / "k"), "--channels", "Red,BLUE"]) == 1
    assert "(got red,blue)" in capsys.readouterr().err  # channel names in any case
    with pytest.raises(SystemExit):
        main(["train", "--data", "x", "--channels", "purple"])
    assert "channels must be" in capsys.readouterr().err
    # a place where nothing can be written: said before any work, naming the flag
    k = str(tmp_path / "k")
    (tmp_path / "a_file").write_text("")
    for flag, value in [("--out", "a_file/m.skhpa"), ("--cache-dir", "a_file/c"),
                        ("--checkpoint-dir", "a_file/sub/c")]:  # fmt: skip
        value = str(tmp_path / value)
        assert main(["train", "--data", k, flag, value]) == 1
        err = capsys.readouterr().err.strip()
        assert (
            err
            == f"skhpa train: error: {flag} {value}: {tmp_path / 'a_file'} is a file, not a folder"
        )
    # a folder that does not exist: a mistyped path, not a tree of new folders to make
    commands = [(["train", "--data", k], "model.skhpa"),
                (["predict", "--model", "x.skhpa", "--data", k], "submission.csv")]  # fmt: skip
    for cmd, name in commands:
        out = tmp_path / "typo" / "sub" / name
        assert main([*cmd, "--out", str(out)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.endswith(
            f"--out {out}: the folder {out.parent} does not exist; create it first "
            f"(mkdir -p {out.parent}) or name a file in an existing folder"
        )
        assert main([*cmd, "--out", ""]) == 1
        assert f"--out is empty; name the file to write, e.g. {name}" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()
    unwritable = Path("/sys/m.skhpa")  # read-only even for root, on Linux
    if sys.platform == "linux":
        for cmd in (["train", "--data", k], ["predict", "--model", "x.skhpa", "--data", k]):
            assert main([*cmd, "--out", str(unwritable)]) == 1
            err = capsys.readouterr().err.strip()
            assert f"--out {unwritable}: cannot write in /sys (" in err and ".tmp" not in err
        # /proc exists: "No such file or directory" would send the user looking for it
        assert main(["predict", "--model", "x.skhpa", "--data", k, "--out", "/proc/s.csv"]) == 1
        assert "cannot write in /proc (files cannot be created there)" in capsys.readouterr().err
    assert main([*write, "--image-size", "24"]) == 1  # the same folder, another dataset
    err = capsys.readouterr().err.strip()
    assert err.endswith("holds a dataset made with other settings; pass --overwrite to replace "
                        "it, or choose another --out")  # fmt: skip
    assert main(["make-data", "--out", str(tmp_path / "a_file" / "d")]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "k" / "train.csv")]) == 1
    assert (
        f"{tmp_path / 'k' / 'train.csv'} is a file; pass the dataset folder"
        in capsys.readouterr().err
    )
    assert main(["train", "--data", str(tmp_path)]) == 1  # one level too high
    assert f"no train.csv there, but {k} has one: --data {k}" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "k" / "train")]) == 1  # one level too deep
    assert f"pass the dataset folder that holds train.csv: --data {k}" in capsys.readouterr().err
    # flags that would do nothing with the others given
    assert main(["train", "--data", k, "--thresholds", "none", "--max-label-ratio", "2"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("--max-label-ratio: --thresholds none learns no thresholds and holds "
                        "nothing out")  # fmt: skip
    assert main(["train", "--data", k, "--folds", "2", "--valid-size=0.2"]) == 1
    assert "--valid-size: --folds learns the thresholds out of fold" in capsys.readouterr().err
    # --weights that are not the backbone's: an error before the data are read
    assert main(["train", "--data", k, "--weights", str(tmp_path / "a_file")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"skhpa train: error: --weights: weights file {tmp_path / 'a_file'}")
    assert "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "d", "k"]  # no probe left


@pytest.mark.slow
def test_demo_small(tmp_path):
    from skhpa._demo import run_demo

    results = run_demo(tmp_path / "out", small=True, device="cpu")
    assert results["reloaded_predictions_identical"]
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["seed"]["macro_f1"] == pytest.approx(results["seed"]["macro_f1"])
    for name in (
        "per_class_f1.png",
        "test_montage.png",
        "threshold_curves.png",
        "training_curves.png",
    ):
        assert (tmp_path / "out" / name).stat().st_size > 1000
    sub = read_submission(tmp_path / "out" / "submission.csv")
    assert len(sub.ids) == 120
    # the demo's model file is a .skhpa without optimizer state, and `skhpa predict` reads it
    model_file = tmp_path / "out" / "skhpa_model.skhpa"
    from skhpa.persistence import load_model
    from skhpa.utils import iter_estimators

    nets = [e for e in iter_estimators(load_model(model_file)) if hasattr(e, "module_")]
    assert len(nets) == 2  # the CNN and the feature model's network head
    weights = sum(
        t.numel() * t.element_size() for net in nets for t in net.module_.state_dict().values()
    )
    assert model_file.stat().st_size <= 1.2 * weights
    data = next((tmp_path / "out").glob("data_*"))
    assert main(["predict", "--model", str(model_file), "--data", str(data),
                 "--out", str(tmp_path / "again.csv"), "--device", "cpu"]) == 0  # fmt: skip
    np.testing.assert_array_equal(read_submission(tmp_path / "again.csv").target, sub.target)
    assert "labels_per_image" in results["skhpa"]
    weights = saved["skhpa"]["blend_weights"]  # learned on the held-out part
    assert set(weights) == {"features", "net"} and sum(weights.values()) == pytest.approx(1)
    # the skhpa recipe predicts at least one label per image; macro-F1 is in [0, 1]
    assert (sub.target.sum(1) >= 1).all()
    assert 0 <= results["skhpa"]["macro_f1"] <= 1
    assert np.isclose(sum(results["skhpa"]["per_class_f1"]) / 28, results["skhpa"]["macro_f1"])


def test_train_says_the_native_size_it_trains_at(capsys):
    from types import SimpleNamespace

    from skhpa._cli._commands import _say_native_size

    fields = Path(__file__).parent / "data" / "hpa_fields"
    _say_native_size(SimpleNamespace(paths=[[str(fields / "800_A6_1_green.jpg")]]))
    assert capsys.readouterr().out == (
        "image size 2048x2048 px (the first image's; --image-size sets another): training "
        "costs about 16x what it does at 512 px (the Kaggle images' size); consider "
        "--image-size 512 or less\n"
    )
    _say_native_size(SimpleNamespace(paths=[[str(fields / "89_B5_1_green.jpg")]]))
    assert capsys.readouterr().out.startswith("image size 1728x1728 px")


def test_suggested_commands_quote_paths_with_spaces(tmp_path, capsys):
    high = tmp_path / "my projects"
    assert main(["make-data", "--out", str(high / "my data"), "--n-train", "4", "--n-test", "1",
                 "--image-size", "16"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["train", "--data", str(high)]) == 1
    err = capsys.readouterr().err
    assert err.strip().endswith(f"--data '{high / 'my data'}'")


def test_piped_output_keeps_warnings_in_order(tmp_path):
    # stdout into a pipe is block-buffered by Python: a warning on stderr used to land
    # before the lines said ahead of it
    assert main(["make-data", "--out", str(tmp_path / "d"), "--n-train", "30", "--n-test", "2",
                 "--image-size", "16"]) == 0  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = subprocess.run(
        [sys.executable, "-m", "skhpa", "train", "--data", str(tmp_path / "d"), "--out",
         str(tmp_path / "m.skhpa"), "--recipe", "features", "--epochs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert out[0].startswith("30 training images in") and out[1].startswith("image size 16x16")
    warning = next(i for i, line in enumerate(out) if line.startswith("warning: the per-class"))
    assert out[warning + 1].startswith("thresholds (per_class, learned on a held-out 20%)")


def test_train_names_label_files_it_does_not_read_and_images_it_does_not_use(tmp_path, capsys):
    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "30", "--n-test", "2",
                 "--image-size", "16"]) == 0  # fmt: skip
    lines = (data / "train.csv").read_text().splitlines()
    (data / "train.csv").write_text("\n".join(lines[:26]) + "\n")  # 25 of the 30 Ids
    (data / "train" / "._x_green.png").write_bytes(b"")  # macOS's companion: not an image
    capsys.readouterr()
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "m.skhpa"), "--recipe",
            "features", "--epochs", "1"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("25 training images in")
    assert out[1].startswith(
        f"note: 5 Id(s) with images in {data / 'train'} are not in the label file, so they are "
        "not used ("
    )
    (data / "train.csv").rename(data / "labels.csv")
    assert main(argv) == 1
    assert "no train.csv there (it holds labels.csv, sample_submission.csv, test_labels.csv)" in (
        capsys.readouterr().err
    )


def test_predict_out_must_be_a_csv_name(tmp_path, capsys):
    precious = tmp_path / "precious.skhpa"
    precious.write_bytes(b"a model")
    for name in ("precious.skhpa", "script.py", "field.png"):
        argv = ["predict", "--model", "m.skhpa", "--data", str(tmp_path), "--out",
                str(tmp_path / name)]  # fmt: skip
        assert main(argv) == 1
        assert "predict writes a submission CSV; name it e.g. submission.csv" in (
            capsys.readouterr().err
        )
    assert precious.read_bytes() == b"a model"


def test_a_bare_command_says_one_is_required(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: skhpa")
    assert err.rstrip().endswith("error: a command is required (e.g. skhpa demo --small)")


def test_flags_are_not_abbreviated(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--data", "d", "--epoch", "2"])  # not silently --epochs
    assert exc.value.code == 2
    err = capsys.readouterr().err
    # the train command's usage, and the flag meant
    assert err.startswith("usage: skhpa train ")
    assert "skhpa train: error: unrecognized arguments: --epoch 2 (did you mean --epochs?)" in err


def test_a_full_disk_is_one_line_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    import errno

    import torch

    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "30", "--n-test", "2",
                 "--image-size", "16"]) == 0  # fmt: skip
    real_save = torch.save

    def save(obj, f, **kwargs):  # each checkpoint write fails as on a full disk
        class Full:
            def write(self, b):
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, name):
                return getattr(f, name)

        return real_save(obj, Full())

    monkeypatch.setattr(torch, "save", save)
    capsys.readouterr()
    model = tmp_path / "m.skhpa"
    assert main(["train", "--data", str(data), "--out", str(model), "--recipe", "features",
                 "--epochs", "2"]) == 1  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("skhpa train: error: [Errno 28] No space left on device: ")
    assert "unexpected pos" not in "\n".join(err) and "Traceback" not in "\n".join(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no model, no empty folder


def test_ctrl_c_while_saving_keeps_the_training_and_says_how_to_continue(
    tmp_path, capsys, monkeypatch
):
    import skhpa.persistence

    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "30", "--n-test", "2",
                 "--image-size", "16"]) == 0  # fmt: skip
    model = tmp_path / "m.skhpa"
    argv = ["train", "--data", str(data), "--out", str(model), "--recipe", "features",
            "--epochs", "2"]  # fmt: skip

    def interrupted(*args, **kwargs):  # Ctrl-C after the last epoch, while saving
        raise KeyboardInterrupt

    monkeypatch.setattr(skhpa.persistence, "save_model", interrupted)
    capsys.readouterr()
    assert main(argv) == 130
    captured = capsys.readouterr()
    assert "thresholds (per_class" in captured.out  # the fit had completed
    ckpt = tmp_path / "m.skhpa.checkpoints"
    kept = list(ckpt.glob("skhpa-*.ckpt"))
    assert not model.exists() and kept
    n = f"{len(kept)} checkpoint" + ("s" if len(kept) != 1 else "")
    assert (
        f"skhpa train: interrupted; no model was saved; what had completed ({n}: finished "
        f"models, the last completed epoch of a network) is kept in {ckpt}. Continue with:\n"
        "  skhpa train" in captured.err
    )
    monkeypatch.undo()
    assert main([*argv, "--resume"]) == 0
    assert model.exists() and not ckpt.exists()


def test_a_fold_ensemble_says_the_size_its_members_resize_to(tmp_path, capsys):
    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "40", "--n-test", "3",
                 "--image-size", "16"]) == 0  # fmt: skip
    model = tmp_path / "m.skhpa"
    assert main(["train", "--data", str(data), "--out", str(model), "--recipe", "features",
                 "--epochs", "2", "--folds", "2"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["predict", "--model", str(model), "--data", str(data), "--out",
                 str(tmp_path / "s.csv")]) == 0  # fmt: skip
    # the members' fitted loaders, not the unfitted template ("native size")
    assert "input resized to 16x16 px (the model's size)" in capsys.readouterr().out
    # the run's checkpoint folder and epoch tables are not the saved model's settings
    from skhpa import load_model
    from skhpa.neural_net import HPAClassifier
    from skhpa.utils import iter_estimators

    loaded = load_model(model)
    nets = [e for e in iter_estimators(loaded) if isinstance(e, HPAClassifier)]
    assert len(nets) >= 2 and all(n.checkpoint_dir is None and n.verbose == 0 for n in nets)
    assert loaded.verbose == 0  # no fold lines when a user cross-validates the model


@pytest.mark.parametrize("command", [["train"], ["predict", "--model", "m.skhpa"]])
def test_a_second_data_folder_is_refused_not_silently_replacing_the_first(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--data", "kaggle", "--data", "external"])
    assert exit_.value.code == 2
    assert "--data: given twice ('kaggle' and 'external')" in capsys.readouterr().err


def test_group_duplicates_says_what_the_groups_keep_apart(tmp_path, capsys):
    import shutil

    data = tmp_path / "d"
    assert main(["make-data", "--out", str(data), "--n-train", "30", "--n-test", "4",
                 "--image-size", "32", "--label-distribution", "flat"]) == 0  # fmt: skip
    ids, _ = read_labels_csv(data / "train.csv")
    rows = (data / "train.csv").read_text().splitlines()
    for color in ("red", "green", "blue", "yellow"):  # an exact copy of the first field
        shutil.copy(data / "train" / f"{ids[0]}_{color}.png", data / "train" / f"copy_{color}.png")
    (data / "train.csv").write_text("\n".join(rows + ["copy," + rows[1].split(",")[1]]) + "\n")
    capsys.readouterr()
    base = ["train", "--data", str(data), "--recipe", "features", "--group-duplicates"]
    assert main([*base, "--out", str(tmp_path / "a.skhpa"), "--thresholds", "none"]) == 0
    out = capsys.readouterr().out
    assert "1 group of near-duplicate fields holds 2 of 31 images; nothing is held out" in out
    assert main([*base, "--out", str(tmp_path / "b.skhpa"), "--valid-size", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "holds 2 of 31 images; no group is split between training and threshold tuning" in out
