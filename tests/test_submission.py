"""predict_submission: chunked, streamed to disk, resumable."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from skhpa import HPAClassifier
from skhpa.datasets import load_hpa, read_submission, write_submission
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ImageLoader
from skhpa.submission import model_fingerprint, predict_submission


class Recorder:
    """A model whose prediction for Id 'sK' has label K % 28; fails on call ``fail_on``."""

    def __init__(self, fail_on=None):
        self.calls = []
        self.fail_on = fail_on

    def predict(self, X):
        self.calls.append(list(X))
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            raise KeyboardInterrupt
        Y = np.zeros((len(X), 28), dtype=np.uint8)
        Y[np.arange(len(X)), [int(x[1:]) % 28 for x in X]] = 1
        return Y


IDS = [f"s{i}" for i in range(103)]


def expected(tmp_path):
    return write_submission(IDS, Recorder().predict(IDS), tmp_path / "expected.csv").read_text()


def test_streams_in_chunks(tmp_path):
    model = Recorder()
    path = predict_submission(model, IDS, tmp_path / "sub.csv", chunk_size=10)
    assert [len(c) for c in model.calls] == [10] * 10 + [3]
    assert path.read_text() == expected(tmp_path)
    assert not (tmp_path / "sub.csv.partial").exists()


def test_resumes_after_interruption(tmp_path, capsys):
    out = tmp_path / "sub.csv"
    with pytest.raises(KeyboardInterrupt):
        predict_submission(Recorder(fail_on=4), IDS, out, chunk_size=10, model_key="m1")
    assert not out.exists()  # no half submission under the final name
    partial = tmp_path / "sub.csv.partial"
    assert len(partial.read_text().splitlines()) == 1 + 30
    with open(partial, "a") as fh:  # a row torn by the kill
        fh.write("s30,1")
    model = Recorder()
    predict_submission(model, IDS, out, chunk_size=10, model_key="m1", verbose=True)
    assert "resuming after 30 of 103 rows" in capsys.readouterr().out
    assert model.calls[0][0] == "s30" and sum(len(c) for c in model.calls) == 73
    assert out.read_text() == expected(tmp_path)
    assert not (tmp_path / "sub.csv.partial.json").exists()


class Shifted(Recorder):
    """Another model: label (K + 1) % 28."""

    def predict(self, X):
        return np.roll(super().predict(X), 1, axis=1)


def test_another_model_starts_over_instead_of_mixing(tmp_path, capsys):
    out = tmp_path / "sub.csv"
    with pytest.raises(KeyboardInterrupt):
        predict_submission(Recorder(fail_on=3), IDS, out, chunk_size=10)
    assert len((tmp_path / "sub.csv.partial").read_text().splitlines()) == 1 + 20
    model = Shifted()
    predict_submission(model, IDS, out, chunk_size=10, verbose=True)
    assert "starting over" in capsys.readouterr().out
    assert sum(len(c) for c in model.calls) == 103  # every row from the new model
    np.testing.assert_array_equal(read_submission(out).target, Shifted().predict(IDS))


def test_model_fingerprint_tells_models_apart():
    assert model_fingerprint(Recorder()) == model_fingerprint(Recorder())
    assert model_fingerprint(Recorder()) != model_fingerprint(Shifted())


def test_failure_before_any_row_leaves_nothing_behind(tmp_path):
    out = tmp_path / "sub.csv"
    with pytest.raises(KeyboardInterrupt):
        predict_submission(Recorder(fail_on=1), IDS, out, chunk_size=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_partial_file_of_other_ids_starts_over(tmp_path, capsys):
    out = tmp_path / "sub.csv"
    with pytest.raises(KeyboardInterrupt):
        predict_submission(Recorder(fail_on=2), IDS, out, chunk_size=10, model_key="m")
    model = Recorder()
    predict_submission(model, IDS[::-1], out, chunk_size=10, model_key="m", verbose=True)
    assert "another list of Ids" in capsys.readouterr().out
    assert sum(len(c) for c in model.calls) == 103
    assert read_submission(out).ids[0] == "s102"


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="chunk_size"):
        predict_submission(Recorder(), IDS, tmp_path / "s.csv", chunk_size=0)
    with pytest.raises(ValueError, match="invalid sample Id"):
        predict_submission(Recorder(), ["a/b"], tmp_path / "s.csv")


def test_pipeline_over_a_folder(synthetic_root, tmp_path):
    train = load_hpa(synthetic_root, "train")
    test = load_hpa(synthetic_root, "test")
    model = Pipeline(
        [
            ("load", ImageLoader(lazy=True)),
            (
                "net",
                HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu", threshold=0.3),
            ),
        ]
    ).fit(train.stems, train.target)
    # fitted on the train folder, predicts the test folder: the stems carry their folder
    path = predict_submission(model, test.ids, tmp_path / "sub.csv", X=test.stems, chunk_size=3)
    sub = read_submission(path)
    assert list(sub.ids) == list(test.ids)
    np.testing.assert_array_equal(sub.target, model.predict(test.stems))


def test_inference_is_a_deprecated_alias_of_submission():
    import importlib
    import sys

    import skhpa.submission

    sys.modules.pop("skhpa.inference", None)
    with pytest.warns(FutureWarning, match="renamed skhpa.submission"):
        inference = importlib.import_module("skhpa.inference")
    assert inference.predict_submission is skhpa.submission.predict_submission
    assert inference.model_fingerprint is skhpa.submission.model_fingerprint


def test_duplicate_ids_and_stems_of_other_samples_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'s3' is in ids twice \(positions 3 and 5\)"):
        predict_submission(Recorder(), IDS[:5] + ["s3"], tmp_path / "s.csv")
    stems = [f"/data/test/{i}" for i in IDS]
    stems[7], stems[8] = stems[8], stems[7]
    with pytest.raises(ValueError, match=r"X\[7\] is the path stem of sample 's8' but ids\[7\]"):
        predict_submission(Recorder(), IDS, tmp_path / "s.csv", X=stems)
    assert list(tmp_path.iterdir()) == []


class _StopAfter:
    """Path stems that interrupt the run when a chunk starting at ``stop`` is read."""

    def __init__(self, stems, stop):
        self.stems, self.stop = stems, stop

    def __len__(self):
        return len(self.stems)

    def __getitem__(self, index):
        if self.stop is not None and index.start >= self.stop:
            raise KeyboardInterrupt
        return self.stems[index]


def test_a_saved_network_resumes_in_a_new_load(synthetic_root, tmp_path, capsys):
    # the fingerprint of a network does not change when it predicts, nor between two loads
    # of its file: resuming with load_model(file) continues instead of starting over
    from skhpa import load_model, save_model

    train, test = load_hpa(synthetic_root, "train"), load_hpa(synthetic_root, "test")
    model = Pipeline(
        [
            ("load", ImageLoader(lazy=True)),
            ("net", HPAClassifier(SeedCNN, max_epochs=1, train_split=None, tta="flip")),
        ]
    ).fit(train.stems, train.target)
    key = model_fingerprint(model)
    model.predict(test.stems)
    assert model_fingerprint(model) == key
    save_model(model, tmp_path / "m.skhpa")
    out = tmp_path / "sub.csv"
    with pytest.raises(KeyboardInterrupt):
        stems = _StopAfter(list(test.stems), stop=2)
        predict_submission(load_model(tmp_path / "m.skhpa"), test.ids, out, X=stems, chunk_size=2)
    again = load_model(tmp_path / "m.skhpa")
    assert model_fingerprint(again) == key
    predict_submission(again, test.ids, out, X=test.stems, chunk_size=2, verbose=True)
    assert f"resuming after 2 of {len(test.ids)} rows" in capsys.readouterr().out
    np.testing.assert_array_equal(read_submission(out).target, model.predict(test.stems))


def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    out = tmp_path / "sub.csv"
    lock = tmp_path / "sub.csv.lock"

    class SecondRun(Recorder):
        """While the first run writes, a second one on the same path starts."""

        def predict(self, X):
            if not self.calls:
                assert lock.read_text() == f"{os.getpid()} {socket.gethostname()}"
                with pytest.raises(FileExistsError, match="being written by another run"):
                    predict_submission(Recorder(), IDS, out, chunk_size=10)
            return super().predict(X)

    predict_submission(SecondRun(), IDS, out, chunk_size=10)
    assert out.read_text() == expected(tmp_path)  # the first run's rows only
    assert not lock.exists() and not (tmp_path / "sub.csv.partial").exists()
    # a killed run's lock (its process is gone) is taken over, and removed at the end
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock.write_text(f"{gone.pid} {socket.gethostname()}")
    out.unlink()
    predict_submission(Recorder(), IDS, out, chunk_size=50)
    assert out.read_text() == expected(tmp_path) and not lock.exists()
    # a failing run releases it too
    with pytest.raises(KeyboardInterrupt):
        predict_submission(Recorder(fail_on=2), IDS, tmp_path / "b.csv", chunk_size=10)
    assert not (tmp_path / "b.csv.lock").exists()
