"""The command line on a user's own data: real fields, moved models, mistakes, Ctrl-C.

Every test runs ``python -m skhpa`` in a subprocess and asserts on the exit code, the
messages and the files left behind, as a user would see them.
"""

import os
import pickle
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from skhpa.datasets import read_labels_csv, read_submission

FIELDS = Path(__file__).parent / "data" / "hpa_fields"
ENV = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="2")


def skhpa(*argv, cwd=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "skhpa", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=timeout,
    )


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    for f in fragments:
        assert f in err, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny dataset and a model trained on it at 32 px through the CLI."""
    root = tmp_path_factory.mktemp("cli")
    data = root / "data"
    proc = skhpa(
        "make-data", "--out", data, "--n-train", 60, "--n-test", 12, "--image-size", 48,
        "--label-distribution", "flat",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    model = root / "model.skhpa"
    proc = skhpa(
        "train", "--data", data, "--out", model, "--epochs", 1, "--image-size", 32,
        "--device", "cpu", "--tta", "none", "--batch-size", 16,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return data, model, proc.stdout + proc.stderr


def test_train_reports_device_and_threshold_table(trained):
    _, model, out = trained
    assert "device cpu" in out
    # 60 images, 20 % held out: per-class thresholds on 12 images are said to be noise
    assert "per-class thresholds are learned on 12 images" in out
    assert "Label not" not in out  # sklearn's warning per absent class, not repeated
    assert "  0 Nucleoplasm" in out and " 27 Rods & rings" in out  # thresholds by class name
    assert not Path(f"{model}.checkpoints").exists()  # a finished run leaves no checkpoint


def test_predict_real_fields_of_mixed_native_sizes(trained, tmp_path):
    """The two real HPA fields (2048 and 1728 px JPEGs) through a model fitted at 32 px."""
    _, model, _ = trained
    folder = tmp_path / "real"
    (folder / "test").mkdir(parents=True)
    for f in FIELDS.glob("*.jpg"):
        shutil.copy(f, folder / "test" / f.name)
    (folder / "sample_submission.csv").write_text("Id,Predicted\n800_A6_1,0\n89_B5_1,0\n")
    out = tmp_path / "sub.csv"
    for chunk in (1, 2):
        proc = skhpa("predict", "--model", model, "--data", folder, "--out", out,
                     "--chunk-size", chunk, "--device", "cpu")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "input resized to 32x32 px (the model's size); device cpu" in proc.stdout
        # the second run writes over the first's file, and says so
        assert ("sub.csv exists; the new submission replaces it" in proc.stdout) == (chunk == 2)
        sub = read_submission(out)
        assert sub.ids.tolist() == ["800_A6_1", "89_B5_1"]
        assert 1 <= sub.target.sum(1).max() <= 28
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "sub.csv"]


def test_predict_a_plain_folder_of_real_fields(trained, tmp_path):
    """The HPA website layout: channel files, no sample_submission.csv."""
    _, model, _ = trained
    out = tmp_path / "sub.csv"
    proc = skhpa("predict", "--model", model, "--data", FIELDS, "--out", out, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert "no sample_submission.csv" in proc.stdout
    assert read_submission(out).ids.tolist() == ["800_A6_1", "89_B5_1"]
    # a field that lacks a channel: the complete ones are predicted, the other is named
    folder = tmp_path / "fields"
    shutil.copytree(FIELDS, folder)
    (folder / "89_B5_1_yellow.jpg").unlink()
    proc = skhpa("predict", "--model", model, "--data", folder, "--out", out, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert (
        f"warning: 1 Id(s) in {folder} lack a channel file, so they are not predicted: "
        "89_B5_1 (no yellow)" in proc.stderr
    )
    assert read_submission(out).ids.tolist() == ["800_A6_1"]


def test_predict_prints_labels_per_image(trained, tmp_path):
    data, model, _ = trained
    proc = skhpa("predict", "--model", model, "--data", data, "--out", tmp_path / "s.csv",
                 "--device", "cpu")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "labels per image" in proc.stdout and "training set:" in proc.stdout
    assert "predicted vs" in proc.stdout and "per-label accuracy" in proc.stdout
    # 12 test images cannot hold all 28 classes: the absent ones are named, and macro-F1
    # over the others is given
    n_absent = int((read_labels_csv(data / "test_labels.csv")[1].sum(0) == 0).sum())
    assert n_absent > 0
    verb = "has" if n_absent == 1 else "have"
    assert f"  {n_absent} of 28 classes {verb} no true label in test_labels.csv (" in proc.stdout
    assert re.search(rf"the {28 - n_absent} others it is [01]\.\d{{3}}\n", proc.stdout)
    # a broken test_labels.csv: the submission is written, the scoring is skipped with a warning
    broken = tmp_path / "broken"
    shutil.copytree(data, broken)
    lines = (broken / "test_labels.csv").read_text().splitlines()
    lines[3] = lines[3].split(",")[0] + ",zz"
    (broken / "test_labels.csv").write_text("\n".join(lines) + "\n")
    proc = skhpa("predict", "--model", model, "--data", broken, "--out", tmp_path / "b.csv",
                 "--device", "cpu")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "warning: not scored:" in proc.stderr and "line 4" in proc.stderr
    assert len(read_submission(tmp_path / "b.csv").ids) == len(
        read_submission(tmp_path / "s.csv").ids
    )


def test_predict_scores_test_labels_by_id_in_any_order(trained, tmp_path):
    """A label file in another order, lacking an Id and listing another: matched by Id."""
    from skhpa.metrics import per_class_report

    data, model, _ = trained
    folder = tmp_path / "shuffled"
    shutil.copytree(data, folder)
    header, *rows = (folder / "test_labels.csv").read_text().splitlines()
    missing = rows[0].split(",")[0]
    kept = rows[1:][::-1] + ["not_an_image,0"]
    (folder / "test_labels.csv").write_text("\n".join([header, *kept]) + "\n")
    out = tmp_path / "s.csv"
    proc = skhpa("predict", "--model", model, "--data", folder, "--out", out, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert "test_labels.csv lists 1 Id that was not predicted: not_an_image" in proc.stderr
    assert (
        f"test_labels.csv has no labels for 1 predicted Id ({missing}): scored on the "
        f"{len(rows) - 1} it lists" in proc.stderr
    )
    sub = read_submission(out)
    ids, Y_true = read_labels_csv(data / "test_labels.csv")
    keep = ids != missing
    Y_pred = sub.target[[sub.ids.tolist().index(i) for i in ids[keep]]]
    f1 = per_class_report(Y_true[keep], Y_pred, output_dict=True)["macro"]["f1"]
    assert f"test_labels.csv found: macro-F1 {f1:.3f}," in proc.stdout


def test_files_that_are_not_models(trained, tmp_path):
    data, model, _ = trained
    cases = {
        "notes.joblib": b"just some text\n",
        "notes.skhpa": b"just some text\n",
        "pickled.skhpa": pickle.dumps({"a": 1}),
        "truncated.skhpa": model.read_bytes()[:5000],
        "image.skhpa": (FIELDS / "89_B5_1_blue.jpg").read_bytes(),
        "empty.joblib": b"",
        "dict.joblib": pickle.dumps({"a": 1}),
    }
    for name, content in cases.items():
        bad = tmp_path / "models" / name
        bad.parent.mkdir(exist_ok=True)
        bad.write_bytes(content)
        out = tmp_path / "out" / "sub.csv"
        out.parent.mkdir(exist_ok=True)
        proc = skhpa("predict", "--model", bad, "--data", data, "--out", out)
        assert_one_line_error(proc, str(bad))
        assert list(out.parent.iterdir()) == [], name  # nothing left behind
        if name == "pickled.skhpa":  # never unpickled under a name that promises no code runs
            assert "a joblib or pickle file, not a skhpa model file; predict loads it only " in (
                proc.stderr
            )
    # a skhpa model file under a .joblib name is read as what it is (no code runs)
    renamed = tmp_path / "models" / "model.joblib"
    shutil.copy(model, renamed)
    proc = skhpa("predict", "--model", renamed, "--data", data, "--out", tmp_path / "s.csv")
    assert proc.returncode == 0, proc.stderr
    assert "runs code from the file" not in proc.stdout
    assert len(read_submission(tmp_path / "s.csv").ids) > 0


def test_a_failed_predict_keeps_its_rows_and_the_same_command_continues(trained, tmp_path):
    data, model, _ = trained
    copy = tmp_path / "data"
    shutil.copytree(data / "test", copy / "test")
    shutil.copy(data / "sample_submission.csv", copy)
    ids = read_submission(copy / "sample_submission.csv").ids
    image = copy / "test" / f"{ids[9]}_green.png"
    good = image.read_bytes()
    image.write_bytes(good[: len(good) // 3])  # a truncated file in the third chunk
    out = tmp_path / "sub.csv"
    argv = ["predict", "--model", model, "--data", copy, "--out", out, "--chunk-size", 4]
    proc = skhpa(*argv)
    assert proc.returncode == 1
    note, error = proc.stderr.strip().splitlines()
    assert note == (
        f"note: the 8 predictions written so far are kept in {out}.partial; the same command "
        f"continues after them: {shlex.join(['skhpa', *map(str, argv)])}"
    )
    assert error.startswith("skhpa predict: error:") and ids[9] in error
    assert "predicted 8 of 12 rows" in proc.stdout  # off a terminal: a line per chunk, no bar
    assert "predicting" not in proc.stderr
    image.write_bytes(good)
    proc = skhpa(*argv)
    assert proc.returncode == 0, proc.stderr
    assert "resuming after 8 of 12 rows" in proc.stdout
    assert "predicted 12 of 12 rows" in proc.stdout
    resumed = read_submission(out)
    proc = skhpa("predict", "--model", model, "--data", copy, "--out", tmp_path / "all.csv")
    assert proc.returncode == 0, proc.stderr
    whole = read_submission(tmp_path / "all.csv")
    assert resumed.ids.tolist() == whole.ids.tolist() == list(ids)
    np.testing.assert_array_equal(resumed.target, whole.target)


def test_resume_with_another_model_starts_over(trained, tmp_path):
    data, model, _ = trained
    out = tmp_path / "sub.csv"
    # an interrupted run of another model left 3 rows
    ids = read_submission(data / "sample_submission.csv").ids
    out.with_name("sub.csv.partial").write_text(
        "Id,Predicted\n" + "".join(f"{i},27\n" for i in ids[:3])
    )
    out.with_name("sub.csv.partial.json").write_text(
        '{"format": "skhpa-partial-submission", "model": "another", "ids_sha256": "x", "n": 12}'
    )
    proc = skhpa("predict", "--model", model, "--data", data, "--out", out, "--chunk-size", 4)
    assert proc.returncode == 0, proc.stderr
    assert "starting over" in proc.stdout and "another model" in proc.stdout
    first = read_submission(out).target
    proc = skhpa("predict", "--model", model, "--data", data, "--out", out)
    np.testing.assert_array_equal(read_submission(out).target, first)


def test_fold_ensemble_with_duplicate_groups(trained, tmp_path):
    data, _, _ = trained
    model = tmp_path / "folds.skhpa"
    model.write_text("an older model")
    proc = skhpa(
        "train", "--data", data, "--out", model, "--epochs", 1, "--image-size", 32,
        "--device", "cpu", "--tta", "none", "--batch-size", 16, "--folds", 2,
        "--group-duplicates",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "--group-duplicates:" in proc.stdout
    assert "folds.skhpa exists; the model saved when training ends replaces it" in proc.stdout
    assert "out-of-fold probabilities of 2 fold models" in proc.stdout
    assert (
        "blend weights: features 0.50, net 0.50 (equal: the weights are learned on a held-out "
        "part, which --folds skips)" in proc.stdout
    )
    from skhpa import load_model

    assert len(load_model(model).estimators_) == 2
    proc = skhpa("predict", "--model", model, "--data", data, "--out", tmp_path / "s.csv")
    assert proc.returncode == 0, proc.stderr
    proc = skhpa("train", "--data", data, "--folds", 2, "--thresholds", "none")
    assert_one_line_error(proc, "--folds")


def test_help_shows_every_default():
    from skhpa._cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        text = p.format_help()
        for action in p._actions:
            if action.dest in ("help",):
                continue
            assert action.help and "%(default)s" not in action.help
            shown = " ".join(text.split())
            if action.required:  # no "(default: None)" for what has to be given
                assert " ".join(action.help.split()) + " (default" not in shown, action.dest
                continue
            if "(default: " in action.help:  # says it in its own words (e.g. None: the recipe's)
                assert " ".join(action.help.split()) in shown, (name, action.dest)
            else:
                assert f"(default: {action.default})" in shown, (name, action.dest)


def test_user_mistakes_name_the_flag_and_the_line(trained, tmp_path):
    data, _, _ = trained
    proc = skhpa("make-data", "--out", data, "--n-train", 5, "--n-test", 2)
    assert_one_line_error(proc, "--overwrite")
    assert "overwrite=True" not in proc.stderr
    # --overwrite never deletes a folder make-data did not write
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("important")
    proc = skhpa("make-data", "--out", mine, "--n-train", 5, "--n-test", 2, "--overwrite")
    assert_one_line_error(proc, "holds files make-data did not write; it is left as it is")
    assert (mine / "notes.txt").read_text() == "important"
    # --out never writes over an input of the command
    _, model, _ = trained
    labels = (data / "train.csv").read_bytes()
    for argv, message in (
        (("predict", "--model", model, "--data", data, "--out", model), "is the --model file"),
        (("predict", "--model", model, "--data", data, "--out", data / "train.csv"),
         f"is one of the input files of --data {data}"),
        (("train", "--data", data, "--out", data / "train.csv"), "train writes .skhpa model"),
    ):  # fmt: skip
        assert_one_line_error(skhpa(*argv), message)
    assert (data / "train.csv").read_bytes() == labels and model.stat().st_size > 10_000
    # the same command again: nothing written, and it says so
    again = [data.parent / "again", "--n-train", 5, "--n-test", 2, "--image-size", 32]
    assert skhpa("make-data", "--out", *again).stdout.startswith("wrote 5 train")
    assert "already holds this dataset" in skhpa("make-data", "--out", *again).stdout
    for flag, value in (("--epochs", "0"), ("--valid-size", "1.5"), ("--lr", "-1"),
                        ("--image-size", "5000"), ("--seed", "-5")):  # fmt: skip
        proc = skhpa("train", "--data", data, flag, value)
        assert proc.returncode == 2 and f"argument {flag}" in proc.stderr
        assert "random_state" not in proc.stderr
    proc = skhpa("train", "--data", data, "--folds", 500)  # scikit-learn's n_splits, in words
    assert_one_line_error(proc, "--folds 500: more folds than the 60 training images")
    for command in ("train", "predict"):  # before any work, in the CLI's words
        extra = ("--model", trained[1]) if command == "predict" else ()
        proc = skhpa(command, "--data", data, "--device", "gpu", *extra)
        assert_one_line_error(
            proc, "--device gpu: expected auto, cpu, cuda, cuda:N or mps (Apple GPUs)"
        )
        proc = skhpa(command, "--data", data, "--device", "xpu", *extra)  # torch's, not ours
        assert_one_line_error(
            proc, "--device xpu: expected auto, cpu, cuda, cuda:N or mps (Apple GPUs)"
        )
        if not torch.backends.mps.is_available():
            proc = skhpa(command, "--data", data, "--device", "mps", *extra)
            assert_one_line_error(proc, "--device mps: this machine has no Apple MPS device")
        if not torch.cuda.is_available():
            proc = skhpa(command, "--data", data, "--device", "cuda", *extra)
            assert_one_line_error(proc, "--device cuda: no CUDA GPU is visible")
    proc = skhpa("train", "--data", data, "--backbone", "resnet999")
    assert_one_line_error(proc, "--backbone resnet999")
    proc = skhpa("train", "--data", data, "--weights", tmp_path / "none.pth")
    assert_one_line_error(proc, "--weights", "file not found")
    from skhpa._cli._commands import _shortened  # causes quoted in errors: whole words

    assert _shortened("try again later", limit=12) == "try again ..."
    assert _shortened("line one\nline two") == "line one"
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    lines = (bad / "train.csv").read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",0 x"  # line 6 as an editor shows it
    (bad / "train.csv").write_text("\n".join(lines) + "\n")
    proc = skhpa("train", "--data", bad)
    assert_one_line_error(proc, "train.csv, line 6", "'x'")
    # folders where files are meant, and folders without images: said before any work
    folder = tmp_path / "a_folder"
    folder.mkdir()
    proc = skhpa("train", "--data", data, "--out", folder)
    assert_one_line_error(proc, f"--out {folder}: a folder; name the file to write")
    proc = skhpa("predict", "--model", trained[1], "--data", data, "--out", folder)
    assert_one_line_error(proc, f"--out {folder}: a folder")
    proc = skhpa("predict", "--model", folder, "--data", data)
    assert_one_line_error(proc, f"--model {folder}: a folder, not a model file")
    proc = skhpa("predict", "--model", trained[1], "--data", folder, cwd=tmp_path)
    assert_one_line_error(proc, f"--data {folder}: no images to predict")
    proc = skhpa("predict", "--model", trained[1], "--data", data.parent, cwd=tmp_path)
    # one level up: data/ and again/ (made above) hold a dataset each
    assert_one_line_error(proc, "its folders again, data hold a sample_submission.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a_folder",
        "bad",
        "mine",
    ]  # nothing written
    assert list(folder.iterdir()) == []


def _interrupt_after_first_checkpoint(argv, ckpt, wait_after=0.0):
    """Start ``skhpa *argv``, Ctrl-C it once a checkpoint is in ``ckpt``; (rc, out, err)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "skhpa", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        # as from a terminal: a test run started as a background job of a non-interactive
        # shell has SIGINT ignored, the child would inherit that and never see the Ctrl-C
        # (what made this test fail "intermittently" in session 6)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 240
    while not list(ckpt.glob("*.ckpt")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert list(ckpt.glob("*.ckpt")), "no checkpoint after the first epoch"
    time.sleep(wait_after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_in_the_feature_models_training_keeps_its_epochs(trained, tmp_path):
    """--recipe features: its small network checkpoints every epoch like the CNN."""
    data, _, _ = trained
    model = tmp_path / "f.skhpa"
    argv = ["train", "--data", str(data), "--out", str(model), "--recipe", "features",
            "--epochs", "1500", "--image-size", "32", "--device", "cpu",
            "--thresholds", "global"]  # fmt: skip
    ckpt = Path(f"{model}.checkpoints")
    rc, out, err = _interrupt_after_first_checkpoint(argv, ckpt, wait_after=0.5)
    assert rc == 130, err
    assert "no model was saved" in err and f"kept in {ckpt}" in err, err
    assert not model.exists()
    command = err.strip().splitlines()[-1].strip()
    assert command.endswith("--resume")
    proc = skhpa(*command.split()[1:], timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "no checkpoint in" not in proc.stdout
    assert model.is_file() and not ckpt.exists()


@pytest.mark.slow
def test_ctrl_c_in_train_keeps_the_epoch_and_resume_continues(trained, tmp_path):
    data, _, _ = trained
    model = tmp_path / "m.skhpa"
    argv = ["train", "--data", str(data), "--out", str(model), "--epochs", "10",
            "--image-size", "32", "--device", "cpu", "--tta", "none", "--batch-size", "16",
            "--thresholds", "global", "--recipe", "network"]  # fmt: skip
    ckpt = Path(f"{model}.checkpoints")  # the CNN's only: the blend's feature model fits first
    rc, out, err = _interrupt_after_first_checkpoint(argv, ckpt)
    assert rc == 130, err
    assert "no model was saved" in err and "kept in" in err
    assert not model.exists()
    command = err.strip().splitlines()[-1].strip()
    assert command.startswith("skhpa train") and command.endswith("--resume")
    assert "fit was interrupted" not in err  # the library's advice to API users
    # the same command without --resume refuses to silently start over
    proc = skhpa(*argv)
    assert_one_line_error(proc, "--resume")
    # --resume with other arguments has no checkpoint to continue: it says so, starts over,
    # and names the other run's checkpoint it leaves behind
    changed = [v if v != "10" else "1" for v in argv] + ["--resume"]  # --epochs 1
    proc = skhpa(*changed, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "checkpoint(s) of other runs" in proc.stdout and "training from the first" in proc.stdout
    # the command's own line does not claim to continue what the network then restarts
    assert "each network whose settings and data match one continues from it" in proc.stdout
    assert "continuing from" not in proc.stdout
    assert "still holds 1 checkpoint(s) of other runs" in proc.stdout
    proc = skhpa(*command.split()[1:], timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Resuming from" in proc.stdout
    assert model.is_file() and not ckpt.exists()


def test_predict_on_an_output_another_run_writes_is_refused(trained, tmp_path):
    import os
    import socket

    data, model, _ = trained
    out = tmp_path / "sub.csv"
    lock = tmp_path / "sub.csv.lock"
    partial = tmp_path / "sub.csv.partial"
    lock.write_text(f"{os.getpid()} {socket.gethostname()}")  # this process: a live run
    partial.write_text("Id,Predicted\n")
    proc = skhpa("predict", "--model", model, "--data", data, "--out", out)
    assert proc.returncode == 1
    error = proc.stderr.strip()
    assert error.startswith("skhpa predict: error:") and "being written by another run" in error
    assert f"process {os.getpid()}" in error and "\n" not in error
    assert "kept in" not in proc.stdout + proc.stderr  # the partial file is not this run's
    assert not out.exists() and partial.read_text() == "Id,Predicted\n" and lock.exists()
