import errno
import os
import shutil

import numpy as np
import pytest

from skhpa.datasets import (
    load_hpa,
    read_labels_csv,
    read_submission,
    write_submission,
)
from skhpa.utils import atomic_write, validate_sample_id


def _kaggle_fixture(
    tmp_path, data_dir, real_labels, *, channels=("red", "green", "blue", "yellow")
):
    """A Kaggle-layout folder built from the 4 real channel files in tests/data.

    The real sample set has one channel per Id, so each fixture Id reuses the real
    files under its own name (a synthetic composite of real images).
    """
    ids, targets = real_labels
    src = sorted((data_dir / "hpa_samples" / "train").glob("*.png"))
    by_color = {p.stem.rsplit("_", 1)[1]: p for p in src}
    root = tmp_path / "kaggle"
    (root / "train").mkdir(parents=True)
    (root / "test").mkdir()
    chosen = list(zip(ids[:5], targets[:5]))
    with open(root / "train.csv", "w") as fh:
        fh.write("Id,Target\n")
        for i, t in chosen:
            fh.write(f"{i},{t}\n")
            for c in channels:
                shutil.copy(by_color[c], root / "train" / f"{i}_{c}.png")
    with open(root / "sample_submission.csv", "w") as fh:
        fh.write("Id,Predicted\nt1,0\nt2,0\n")
    for i in ("t1", "t2"):
        for c in channels:
            shutil.copy(by_color[c], root / "test" / f"{i}_{c}.png")
    return root, chosen


def test_load_hpa_train_and_test(tmp_path, data_dir, real_labels):
    root, chosen = _kaggle_fixture(tmp_path, data_dir, real_labels)
    data = load_hpa(root)
    assert data.ids.tolist() == [i for i, _ in chosen]
    assert data.target.shape == (5, 28) and data.target.dtype == np.uint8
    assert np.flatnonzero(data.target[0]).tolist() == [12, 21, 25]
    assert data.paths.shape == (5, 4)
    assert data.paths[0, 1].endswith(f"{chosen[0][0]}_green.png")
    assert all(os.path.isfile(p) for p in data.paths.ravel())
    assert data.extension == ".png"
    test = load_hpa(root, "test", channels=("green",))
    assert test.target is None and test.paths.shape == (2, 1)


def test_load_hpa_missing_files_listed(tmp_path, data_dir, real_labels):
    root, chosen = _kaggle_fixture(tmp_path, data_dir, real_labels)
    os.remove(root / "train" / f"{chosen[2][0]}_yellow.png")
    os.remove(root / "train" / f"{chosen[3][0]}_blue.png")
    with pytest.raises(FileNotFoundError, match=r"2 channel file\(s\) missing") as exc:
        load_hpa(root)
    assert f"{chosen[2][0]}_yellow.png" in str(exc.value)
    # lazily: no check now, still fine for channels that exist
    data = load_hpa(root, check_files=False)
    assert len(data.ids) == 5
    assert load_hpa(root, channels=("red", "green")).paths.shape == (5, 2)
    # the first Id lacks the channel: counted and named like any other missing file
    os.remove(root / "train" / f"{chosen[0][0]}_green.png")
    with pytest.raises(FileNotFoundError, match=r"1 channel file\(s\) missing") as exc:
        load_hpa(root, channels=("green",))
    assert f"{chosen[0][0]}_green.png (Id {chosen[0][0]})" in str(exc.value)
    assert "np.str_" not in str(exc.value)
    for i, _ in chosen[1:]:
        os.remove(root / "train" / f"{i}_green.png")
    with pytest.raises(FileNotFoundError, match=r"no green channel file for any of the 5 Ids"):
        load_hpa(root, channels=("green",))


def test_load_hpa_external_jpeg_layout(tmp_path):
    from PIL import Image

    root = tmp_path / "ext"
    (root / "train").mkdir(parents=True)
    (root / "train.csv").write_text("Id,Target\n10580_1610_C1_1,13 25 0 2 21\n")
    for c in ("red", "green", "blue", "yellow"):
        Image.new("RGB", (8, 8)).save(root / "train" / f"10580_1610_C1_1_{c}.jpg")
    data = load_hpa(root)
    assert data.extension == ".jpg"
    assert data.target[0].sum() == 5


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("Id\nabc\n", r"missing column\(s\) \['Target'\]"),
        ("Id,Target\n", "no data rows"),
        ("Id,Target\na,0\nb,1\na,2\n", r"duplicate Id 'a' on lines \[2, 4\]"),
        ("Id,Target\na,0\nb,29\n", "line 3: token '29' is outside"),
        ("Id,Target\na,0\nb,\n", "line 3: empty target"),
        # a blank line still counts: the error names line 6 as an editor shows it
        ("Id,Target\na,0\n\nb,1\nc,2\nd,x\n", "line 6: token 'x' is not a class index"),
        ("Id,Target\na,0,7\n", "line 2: expected 2 fields"),
        ("Id,Target\na,9,4\n", r'got 3 \(class indices are separated by spaces: "9 4", not "9,4"'),
        ("Id,Target\na,9,x\n", r"line 2: expected 2 fields, got 3$"),
        ("Id,Target\na,0\n../etc/passwd,0\n", "line 3: invalid sample Id"),
        ("Id,Target\n/abs/path,0\n", "invalid sample Id"),
        # the mistakes a spreadsheet or another tool makes, with what to do about them
        ("Id;Target\na;0 1\n", "separated by semicolons; the label file is comma-separated"),
        ("Id\tTarget\na\t0 1\n", "separated by tabs; the label file is comma-separated"),
        ("a,0 1\nb,2\n", "line 1 looks like data; the file needs a header line 'Id,Target'"),
        ('Id,Target\na,"0,1"\n', r"'0,1' is not a class index \(class indices are separated by"),
        ('Id,Target\na,"[0, 1]"\n', r"'\[0,' is not a class index \(class indices are separ"),
    ],
)
def test_malformed_train_csv(tmp_path, content, message):
    path = tmp_path / "train.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as exc:
        read_labels_csv(path)
    assert str(path) in str(exc.value)


def test_forgiving_label_files(tmp_path):
    path = tmp_path / "train.csv"
    # a lowercase header and spaces around the Ids, as spreadsheets and hand edits leave them
    path.write_text("id,target\n a ,16 0\nb , 7\n")
    ids, Y = read_labels_csv(path)
    assert ids.tolist() == ["a", "b"] and Y[0, [0, 16]].tolist() == [1, 1] and Y[1, 7] == 1
    # UTF-16 (a spreadsheet's "Unicode text"): one line that names the file and the fix
    path.write_text("Id,Target\na,0\n", encoding="utf-16")
    with pytest.raises(
        ValueError, match=r"train\.csv: not UTF-8 text \(byte 0: .*save it as UTF-8"
    ):
        read_labels_csv(path)


def test_missing_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        load_hpa(tmp_path / "nope")
    (tmp_path / "train.csv").write_text("Id,Target\na,0\n")
    with pytest.raises(FileNotFoundError, match="image folder not found"):
        load_hpa(tmp_path)
    with pytest.raises(ValueError, match="subset must be"):
        load_hpa(tmp_path, subset="valid")
    with pytest.raises(ValueError, match="channels must be"):
        load_hpa(tmp_path, channels=("purple",))


@pytest.mark.parametrize("bad", ["a/b", "..", "a\\b", "/etc", "", " x", "a\x00b", "..hidden"])
def test_validate_sample_id_rejects(bad):
    with pytest.raises(ValueError, match="invalid sample Id"):
        validate_sample_id(bad)


def test_validate_sample_id_accepts_real_forms():
    for ok in ("000a6c98-bb9b-11e8-b2b9-ac1f6b6435d0", "10580_1610_C1_1", "1000_A12_2"):
        assert validate_sample_id(ok) == ok


def test_submission_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    Y = (rng.random((50, 28)) < 0.1).astype(np.uint8)
    Y[0] = 0  # an image with no predicted label writes an empty field
    ids = [f"id{i}" for i in range(50)]
    path = write_submission(ids, Y, tmp_path / "sub.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "Id,Predicted" and lines[1] == "id0,"
    back = read_submission(path)
    assert back.ids.tolist() == ids
    assert np.array_equal(back.target, Y)


def test_submission_errors(tmp_path):
    with pytest.raises(ValueError, match="ids has 2 entries but Y has 1 rows"):
        write_submission(["a", "b"], np.zeros((1, 28)), tmp_path / "s.csv")
    with pytest.raises(ValueError, match="27 columns, expected 28"):
        write_submission(["a"], np.zeros((1, 27)), tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


def test_atomic_write_failure_leaves_old_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as fh:
            fh.write("partial new content")
            raise RuntimeError("disk on fire")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.csv"]  # no temporary left behind

    # a failed write (a full disk) says no file name: the error names the file asked for
    with pytest.raises(OSError, match="No space left on device") as exc:
        with atomic_write(path, "wb") as fh:
            raise OSError(errno.ENOSPC, "No space left on device")
    assert exc.value.errno == errno.ENOSPC and exc.value.filename == str(path)
    assert os.listdir(tmp_path) == ["out.csv"] and path.read_text() == "old"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_files_and_folders_get_the_usual_permissions(tmp_path):
    # outputs renamed into place are the user's files, not private temporaries (0o600 / 0o700)
    from skhpa.datasets import write_hpa_like

    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.csv") as fh:
            fh.write("x")
        with atomic_write(tmp_path / "b.bin", "wb", durable=False) as fh:
            fh.write(b"x")
        root = write_hpa_like(tmp_path / "d", 2, 1, image_size=16, random_state=0)
    finally:
        os.umask(old)
    assert oct((tmp_path / "a.csv").stat().st_mode & 0o777) == oct(0o644)
    assert oct((tmp_path / "b.bin").stat().st_mode & 0o777) == oct(0o644)
    assert oct(root.stat().st_mode & 0o777) == oct(0o755)
    assert oct((root / "train.csv").stat().st_mode & 0o777) == oct(0o644)
    with pytest.raises(IsADirectoryError, match="is a folder, not a file"):
        with atomic_write(root) as fh:
            fh.write("x")
    assert (root / "train.csv").is_file()  # the folder is untouched


def test_submission_failure_mid_write_leaves_no_file(tmp_path, monkeypatch):
    import skhpa.datasets._kaggle as kaggle

    def boom(Y):
        raise RuntimeError("crash while formatting")

    monkeypatch.setattr(kaggle, "format_targets", boom)
    with pytest.raises(RuntimeError):
        write_submission(["a"], np.zeros((1, 28), np.uint8), tmp_path / "sub.csv")
    assert os.listdir(tmp_path) == []


def test_load_image_folder(tmp_path):
    from skhpa.datasets import load_image_folder

    for i in ("b", "a"):
        for c in ("red", "green", "blue", "yellow"):
            (tmp_path / f"{i}_{c}.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    data = load_image_folder(tmp_path)
    assert data.ids.tolist() == ["a", "b"] and data.extension == ".png"
    assert data.stems.tolist() == [str(tmp_path / "a"), str(tmp_path / "b")]
    (tmp_path / "c_green.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"sample 'c'.*\['red', 'blue', 'yellow'\]"):
        load_image_folder(tmp_path)
    assert load_image_folder(tmp_path, channels=("green",)).ids.tolist() == ["a", "b", "c"]
    skipped = load_image_folder(tmp_path, incomplete="skip")  # the complete Ids, and which not
    assert skipped.ids.tolist() == ["a", "b"] and skipped.paths.shape == (2, 4)
    assert skipped.incomplete == [("c", ["red", "blue", "yellow"])]
    with pytest.raises(ValueError, match='incomplete must be "raise" or "skip"'):
        load_image_folder(tmp_path, incomplete="ignore")
    # an Id with files, none of them green, is a sample the green model cannot read
    (tmp_path / "d_red.png").write_bytes(b"")
    (tmp_path / "e_blue.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"sample 'd'.*\['green'\] \(and 1 more of the 5 Ids\)"):
        load_image_folder(tmp_path, channels=("green",))
    (tmp_path / "d_red.png").unlink()
    (tmp_path / "e_blue.png").unlink()
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no channel files"):
        load_image_folder(tmp_path / "empty")


def test_hidden_files_are_skipped_and_mixed_extensions_named(tmp_path):
    from skhpa.datasets import load_image_folder, write_hpa_like

    for c in ("red", "green", "blue", "yellow"):
        (tmp_path / f"a_{c}.png").write_bytes(b"")
    (tmp_path / "._a_green.png").write_bytes(b"")  # macOS's resource-fork companion
    assert load_image_folder(tmp_path).ids.tolist() == ["a"]
    # a training folder with part of its files as JPEG: they are there, under another name
    root = write_hpa_like(tmp_path / "d", 4, 1, image_size=16, random_state=0)
    ids = load_hpa(root).ids
    for c in ("red", "green", "blue", "yellow"):
        f = root / "train" / f"{ids[-1]}_{c}.png"
        f.rename(f.with_suffix(".jpg"))
    message = (
        r"mixes image extensions: 12 channel file\(s\) are \.png and 4 are \.jpg "
        r"\(e\.g\. .*_red\.jpg\); skhpa reads one extension per folder: convert the files "
        "of one kind"
    )
    with pytest.raises(ValueError, match=message):
        load_hpa(root)
    # a plain folder says the same, with the files of the rarer kind as the example
    with pytest.raises(
        ValueError, match=r"of its channel files, 4 are \.jpg and 12 are \.png \(e\.g\. .*\.jpg\)"
    ):
        load_image_folder(root / "train")


def test_antibody_groups_of_v18_ids_and_others():
    from skhpa.datasets import antibody_groups

    ids = [
        "10580_1610_C1_1",  # the v18 forms: plain, a letter plate, a suffix
        "/data/v18/10580_1756_B1_2",  # a path stem: its last component is read
        "63683_si35_H1_11",
        "11651_1732_F3_13_cr580610dc203b9",
        "63683_si35_H3_1",
        "000a6c98-bb9b-11e8-b2b9-ac1f6b6435d0",  # Kaggle: a group of its own
        "000a9596-bbc4-11e8-b2bc-ac1f6b6435d0",
        "10580",  # not a v18 Id: not the antibody 10580
    ]
    assert antibody_groups(ids).tolist() == [0, 0, 1, 2, 1, 3, 4, 5]
    assert antibody_groups(np.array(ids[:3])).tolist() == [0, 0, 1]
    assert antibody_groups([]).shape == (0,)
    with pytest.raises(TypeError, match="sequence of Ids, got one str"):
        antibody_groups("10580_1610_C1_1")
    with pytest.raises(TypeError, match=r"ids\[1\] must be a str Id, got int: 7"):
        antibody_groups(["10580_1610_C1_1", 7])


def test_a_folder_file_with_an_unusable_id_names_the_file(tmp_path):
    from PIL import Image

    from skhpa.datasets import load_image_folder

    for i in ("ok", "trail "):
        for c in ("red", "green", "blue", "yellow"):
            Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / f"{i}_{c}.png")
    with pytest.raises(ValueError, match=r"trail _\w+\.png: the file name gives the sample Id"):
        load_image_folder(tmp_path)
