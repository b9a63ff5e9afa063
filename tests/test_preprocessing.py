import os
import pickle
import shutil
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skhpa import HPAClassifier
from skhpa.datasets import load_hpa, make_hpa_like
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import SeedCNN
from skhpa.preprocessing import (
    ChannelSelector,
    ChannelStandardizer,
    ImageLoader,
    ImageReadError,
    LazyImageArray,
    Resize,
    read_channel,
)

COLORS = ("red", "green", "blue", "yellow")


@pytest.fixture
def real_dir(tmp_path, data_dir):
    """Real HPA channel files under 3 Ids.

    Each Id reuses the same 4 real files (of 4 different samples): a synthetic composite.
    """
    src = {p.stem.rsplit("_", 1)[1]: p for p in (data_dir / "hpa_samples" / "train").glob("*.png")}
    d = tmp_path / "real"
    d.mkdir()
    for i in ("a", "b", "c"):
        for c in COLORS:
            shutil.copy(src[c], d / f"{i}_{c}.png")
    return d, src


def test_reads_real_kaggle_pngs(real_dir):
    d, src = real_dir
    X = ImageLoader(d).transform(["a", "b"])
    assert X.shape == (2, 4, 512, 512) and X.dtype == np.uint8
    for k, c in enumerate(COLORS):
        assert np.array_equal(X[0, k], np.asarray(Image.open(src[c])))
    green = ImageLoader(d, channels=("green",)).transform(["a"])
    assert green.shape == (1, 1, 512, 512) and np.array_equal(green[0, 0], X[0, 1])
    # path stems instead of Ids
    assert np.array_equal(ImageLoader().transform([str(d / "a")]), X[:1])
    # the extension with or without its dot
    for ext in (".png", "png"):
        assert np.array_equal(ImageLoader(d, extension=ext).transform(["a"]), X[:1])


def test_resize_is_area_average(real_dir):
    d, _ = real_dir
    full = ImageLoader(d).transform(["a"]).astype(float)
    small = ImageLoader(d, image_size=128).transform(["a"])
    assert small.shape == (1, 4, 128, 128)
    block = full.reshape(1, 4, 128, 4, 128, 4).mean(axis=(3, 5))
    # a whole factor (4): each pixel is its 4x4 block's mean, rounded half up
    np.testing.assert_array_equal(small, np.floor(block + 0.5))
    # other sizes: Pillow's box filter (blocks of 512 / 96 px)
    odd = ImageLoader(d, image_size=96).transform(["a"])
    assert odd.shape == (1, 4, 96, 96)
    assert abs(odd.astype(float).mean() - full.mean()) < 0.5


def test_sixteen_bit_png_rule(data_dir):
    path = data_dir / "hpa_samples" / "single_cell_16bit" / "1000_A12_2_green_crop256.png"
    raw = np.asarray(Image.open(path)).astype(np.int64)
    plane = read_channel(path, "green")
    assert plane.dtype == np.uint8 and plane.shape == (256, 256)
    assert np.array_equal(plane, np.round(raw / 257).astype(np.uint8))


def test_hpa_v18_jpeg_rgb_components(tmp_path):
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[..., 1] = 100
    rgb[..., 2] = 50
    for c in COLORS:
        Image.fromarray(rgb).save(tmp_path / f"x_{c}.tif")  # lossless, same RGB layout as the JPEGs
    X = ImageLoader(tmp_path).transform(["x"])
    assert X[0, :, 0, 0].tolist() == [200, 100, 50, 150]  # yellow = mean of red and green
    Image.fromarray(rgb).save(tmp_path / "y_green.jpg")
    assert abs(int(read_channel(tmp_path / "y_green.jpg", "green")[8, 8]) - 100) <= 3


def test_stems_of_folders_with_other_extensions_in_one_call(tmp_path):
    """A .png folder and a .jpg / .JPG folder: each sample is read with its own extension."""
    from skhpa.datasets import load_hpa, load_image_folder

    for folder, ext, value in (("kaggle", ".png", 40), ("web", ".JPG", 200)):
        (tmp_path / folder).mkdir()
        for c in COLORS:
            Image.fromarray(np.full((16, 16), value, np.uint8)).save(
                tmp_path / folder / f"x_{c}{ext}", format="PNG" if ext == ".png" else "TIFF"
            )
    web = load_image_folder(tmp_path / "web")  # upper-case names are image files too
    assert web.extension == ".JPG" and web.ids.tolist() == ["x"]
    (tmp_path / "web" / "sample_submission.csv").write_text("Id,Predicted\nx,0\n")
    assert load_hpa(tmp_path / "web", "test", image_dir=".").extension == ".JPG"
    stems = [str(tmp_path / "kaggle" / "x"), str(tmp_path / "web" / "x")]
    for kwargs in ({}, {"cache": tmp_path / "cache"}, {"lazy": True}):
        for order in (stems, stems[::-1]):
            X = np.asarray(ImageLoader(image_size=8, **kwargs).fit(order).transform(order))
            assert X[:, 1, 0, 0].tolist() == [40, 200][:: 1 if order == stems else -1]
    # an extension given is kept: the other folder's sample is missing, and said so
    with pytest.raises(ImageReadError, match=r"file not found: .*web/x_red\.png"):
        ImageLoader(image_size=8, extension="png").transform(stems)


def test_parallel_matches_serial(real_dir):
    d, _ = real_dir
    ids = ["a", "b", "c"] * 4
    assert np.array_equal(
        ImageLoader(d, image_size=64, n_jobs=2).transform(ids),
        ImageLoader(d, image_size=64, n_jobs=1).transform(ids),
    )


def test_synthetic_kaggle_layout(synthetic_root):
    data = load_hpa(synthetic_root)
    X = ImageLoader(data.image_dir).transform(data.ids)
    assert X.shape == (24, 4, 32, 32)
    Xm, _ = make_hpa_like(32, image_size=32, label_distribution="flat", random_state=0)
    assert np.array_equal(X, Xm[:24])


def test_cache_hit_miss_and_invalidation(real_dir, tmp_path, monkeypatch):
    d, src = real_dir
    cache = tmp_path / "cache"
    loader = ImageLoader(d, image_size=32, cache=cache)
    first = loader.transform(["a", "b"])
    entries = sorted(cache.rglob("*.npy"))
    assert len(entries) == 2
    import skhpa.preprocessing._loader as mod

    calls = []
    real_read = mod.read_sample
    monkeypatch.setattr(mod, "read_sample", lambda *a, **k: calls.append(1) or real_read(*a, **k))
    again = loader.transform(["b", "a"])
    assert calls == [] and np.array_equal(again, first[::-1])  # hits: nothing decoded
    # a changed source file is a miss with the new content
    img = np.asarray(Image.open(d / "a_green.png")).copy()
    img[:] = 255
    Image.fromarray(img).save(d / "a_green.png")
    os.utime(d / "a_green.png", ns=(1, 10**18))
    changed = loader.transform(["a"])
    assert calls == [1] and changed[0, 1].min() == 255
    # other channels or sizes are other entries
    ImageLoader(d, image_size=16, cache=cache).transform(["a"])
    assert len(list(cache.rglob("*.npy"))) == 4


def test_interrupted_cache_write_leaves_no_entry(real_dir, tmp_path, monkeypatch):
    d, _ = real_dir
    cache = tmp_path / "cache"
    import skhpa.preprocessing._loader as mod

    def crash(fh, arr, allow_pickle):
        fh.write(b"\x93NUMPY partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(mod.np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        ImageLoader(d, cache=cache).transform(["a"])
    monkeypatch.undo()
    assert list(cache.rglob("*.npy")) == []
    assert [p for p in cache.rglob("*") if p.is_file()] == []  # no temporary left either
    # a truncated entry (e.g. copied by hand) is treated as a miss, never returned
    X = ImageLoader(d, cache=cache).transform(["a"])
    entry = next(cache.rglob("*.npy"))
    entry.write_bytes(entry.read_bytes()[:1000])
    assert np.array_equal(ImageLoader(d, cache=cache).transform(["a"]), X)
    # ... also on the fast path that reads into a batch (a lazy array's fancy index),
    # and an entry whose header names another shape is a miss too
    entry.write_bytes(entry.read_bytes()[:1000])
    lazy = ImageLoader(d, cache=cache, lazy=True).transform(["a"])
    assert np.array_equal(lazy[[0]], X)
    np.save(entry, np.zeros((4, 8, 8), np.uint8))
    assert np.array_equal(lazy[[0]], X)


def test_cache_entries_are_not_fsynced_but_other_files_are(real_dir, tmp_path, monkeypatch):
    """The cache is derived data: a 4 ms fsync per entry would cost 5x the write itself."""
    from skhpa.utils import atomic_write

    d, _ = real_dir
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    ImageLoader(d, image_size=16, cache=tmp_path / "cache").transform(["a", "b"])
    assert synced == [] and len(list((tmp_path / "cache").rglob("*.npy"))) == 2
    with atomic_write(tmp_path / "model.txt") as fh:
        fh.write("x")
    assert len(synced) == 1


def test_lazy_array(real_dir):
    d, _ = real_dir
    X = ImageLoader(d, image_size=32).transform(["a", "b", "c"])
    lazy = ImageLoader(d, image_size=32, lazy=True).transform(["a", "b", "c"])
    assert isinstance(lazy, LazyImageArray)
    assert lazy.shape == (3, 4, 32, 32) and lazy.dtype == np.uint8 and len(lazy) == 3
    assert np.array_equal(lazy[1], X[1])
    assert np.array_equal(lazy[-1], X[2])
    assert np.array_equal(lazy[1:], X[1:])
    assert np.array_equal(lazy[[2, 0]], X[[2, 0]])
    assert np.array_equal(lazy[np.array([True, False, True])], X[[0, 2]])
    assert np.array_equal(np.asarray(lazy), X)
    assert np.array_equal(lazy[:, 1], X[:, 1])
    assert np.array_equal(lazy[..., 0], X[..., 0]) and np.array_equal(lazy[...], X)
    assert lazy[[]].shape == (0, 4, 32, 32)
    with pytest.raises(IndexError):
        lazy[3]
    with pytest.raises(IndexError, match="indices must be integers or booleans, got float64"):
        lazy[[1.5]]  # numpy refuses it too; it used to read sample 1
    blob = pickle.dumps(lazy)
    assert len(blob) < 2000  # paths, not pixels
    assert np.array_equal(pickle.loads(blob)[0], X[0])


def test_lazy_array_in_pipeline_and_gridsearch(synthetic_root):
    data = load_hpa(synthetic_root)
    pipe = Pipeline(
        [
            ("load", ImageLoader(data.image_dir, lazy=True)),
            (
                "net",
                HPAClassifier(SeedCNN, max_epochs=1, batch_size=8, device="cpu", random_state=0),
            ),
        ]
    )
    gs = GridSearchCV(
        pipe,
        {"net__lr": [1e-3, 1e-2]},
        cv=MultilabelStratifiedKFold(2, shuffle=True, random_state=0),
        scoring="f1_macro",
    )
    gs.fit(data.ids, data.target)
    assert gs.predict(data.ids[:5]).shape == (5, 28)
    in_memory = Pipeline(
        [
            ("load", ImageLoader(data.image_dir)),
            (
                "net",
                HPAClassifier(SeedCNN, max_epochs=1, batch_size=8, device="cpu", random_state=0),
            ),
        ]
    ).fit(data.ids, data.target)
    lazy = pipe.set_params(net__max_epochs=1).fit(data.ids, data.target)
    assert np.allclose(lazy.predict_proba(data.ids), in_memory.predict_proba(data.ids), atol=1e-6)


def _write(path, arr, mode=None):
    Image.fromarray(arr, mode=mode).save(path) if mode else Image.fromarray(arr).save(path)


def test_greyscale_pngs_decode_through_libpng_with_pillows_pixels(data_dir, monkeypatch):
    from skhpa.preprocessing import _decode

    files = sorted((data_dir / "hpa_samples").rglob("*.png"))
    assert len(files) >= 6  # 8-bit Kaggle files and one 16-bit field
    fast = [read_channel(p, "green") for p in files]
    assert all(_decode._read_grey_png(p) is not None for p in files)  # the fast path ran
    monkeypatch.setattr(_decode, "imagecodecs", None)  # Pillow only
    for path, plane in zip(files, fast):
        slow = read_channel(path, "green")
        assert plane.dtype == slow.dtype == np.uint8, path.name
        assert np.array_equal(plane, slow), path.name


def test_png_libpng_rejects_goes_to_pillow_quietly(tmp_path, data_dir, caplog):
    from skhpa.preprocessing import _decode

    rgb = tmp_path / "x_green.png"
    _write(rgb, np.zeros((8, 8, 3), np.uint8))
    assert _decode._read_grey_png(rgb) is None  # not greyscale: Pillow's path
    bad = bytearray(next((data_dir / "hpa_samples" / "train").glob("*_green.png")).read_bytes())
    bad[20:24] = struct.pack(">I", 0)  # height 0: libpng warns, then fails
    bad[29:33] = struct.pack(">I", zlib.crc32(bytes(bad[12:29])))  # a valid IHDR checksum
    (tmp_path / "y_green.png").write_bytes(bytes(bad))
    with caplog.at_level("DEBUG"):
        with pytest.raises(ImageReadError, match=r"y_green.png: corrupt or truncated"):
            read_channel(tmp_path / "y_green.png", "green", sample_id="y")
    assert not [r for r in caplog.records if r.name == "imagecodecs"]  # libpng's warnings


def test_bad_inputs(real_dir, tmp_path):
    d, src = real_dir
    # missing channel file
    os.remove(d / "b_yellow.png")
    with pytest.raises(ImageReadError, match=r"sample 'b'.*b_yellow.png"):
        ImageLoader(d).transform(["a", "b"])
    # corrupt and truncated files
    (d / "c_red.png").write_bytes(b"not a png at all")
    with pytest.raises(ImageReadError, match=r"sample 'c'.*c_red.png: corrupt or truncated"):
        ImageLoader(d).transform(["c"])
    (d / "c_red.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match=r"c_red.png: empty file \(0 bytes\)"):
        ImageLoader(d).transform(["c"])
    data = src["red"].read_bytes()
    (d / "c_red.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match=r"c_red.png: corrupt or truncated"):
        ImageLoader(d).transform(["c"])
    # sibling of another size
    shutil.copy(src["red"], d / "c_red.png")
    _write(d / "c_blue.png", np.zeros((64, 64), np.uint8))
    with pytest.raises(ImageReadError, match=r"sample 'c': channel images differ in size"):
        ImageLoader(d).transform(["c"])
    # a mode that is not one channel
    _write(d / "c_blue.png", np.zeros((512, 512, 4), np.uint8))
    with pytest.raises(ImageReadError, match=r"mode 'RGBA' cannot be interpreted"):
        ImageLoader(d).transform(["c"])
    # Ids escaping the root
    with pytest.raises(ValueError, match="invalid sample Id '../a'"):
        ImageLoader(d).transform(["../a"])
    with pytest.raises(ValueError, match="1-D"):
        ImageLoader(d).transform(np.array([["a"]]))
    with pytest.raises(ValueError, match="channels must be distinct"):
        ImageLoader(d, channels=("green", "purple")).transform(["a"])


def test_decompression_bomb(tmp_path, monkeypatch):
    _write(tmp_path / "x_green.png", np.zeros((64, 64), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageReadError, match="too large"):
        ImageLoader(tmp_path, channels=("green",)).transform(["x"])


def test_array_transformers():
    X, _ = make_hpa_like(6, image_size=32, random_state=0)
    sel = ChannelSelector(("green", "blue")).fit(X)
    assert np.array_equal(sel.transform(X), X[:, [1, 2]])
    with pytest.raises(ValueError, match="not in input_channels"):
        ChannelSelector(("purple",)).fit(X)
    small = Resize(16).fit_transform(X)
    assert small.shape == (6, 4, 16, 16) and small.dtype == np.uint8
    assert np.abs(small.astype(float) - X.reshape(6, 4, 16, 2, 16, 2).mean(axis=(3, 5))).max() <= 1
    assert Resize(16).fit_transform(X.astype(np.float32)).shape == (6, 4, 16, 16)
    std = ChannelStandardizer(chunk_size=4).fit(X)
    assert np.allclose(std.mean_, X.reshape(6, 4, -1).transpose(1, 0, 2).reshape(4, -1).mean(1))
    Z = std.transform(X)
    assert np.allclose(Z.mean(axis=(0, 2, 3)), 0, atol=1e-4)
    assert np.allclose(Z.std(axis=(0, 2, 3)), 1, atol=1e-3)
    with pytest.raises(ValueError, match="expecting 4 features"):
        std.transform(X[:, :2])
    with pytest.raises(ValueError, match="X has 3 features .*, but Resize is expecting 4"):
        Resize(16).fit(X).transform(X[:, :3])


FIELDS = Path(__file__).parent / "data" / "hpa_fields"


def test_geometry_is_fixed_at_fit_for_real_fields_of_mixed_sizes(tmp_path):
    """A loader fitted at 64 px reads the real 2048 and 1728 px fields at 64 px."""
    from skhpa.datasets import write_hpa_like

    root = write_hpa_like(tmp_path / "syn", 4, 1, image_size=64, random_state=0)
    loader = ImageLoader(lazy=True).fit(load_hpa(root).stems)
    assert loader.image_shape_ == (64, 64)
    stems = [str(FIELDS / "800_A6_1"), str(FIELDS / "89_B5_1")]
    X = loader.transform(stems)
    assert X.shape == (2, 4, 64, 64)
    # the same pixels as reading each field alone and shrinking it with a box filter
    one = ImageLoader(image_size=64).transform(stems[1:])
    np.testing.assert_array_equal(X[1], one[0])
    # unfitted, one call with mixed native sizes takes its first sample's size
    native = ImageLoader(channels=("blue",)).transform(stems)
    assert native.shape == (2, 1, 2048, 2048)
    # the nuclei stay where they are: the blue channel's bright share survives the resize
    assert abs((X[1, 2] > 40).mean() - (native[1, 0] > 40).mean()) < 0.05


def test_classifier_refuses_another_input_shape():
    from skhpa import HPAClassifier
    from skhpa.nn import SeedCNN

    X = np.random.RandomState(0).randint(0, 255, (8, 4, 32, 32)).astype(np.uint8)
    Y = np.eye(28, dtype=np.uint8)[np.arange(8) % 3]
    net = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu").fit(X, Y)
    assert net.input_shape_ == (4, 32, 32)
    with pytest.raises(ValueError, match=r"shape \(4, 32, 32\).*shape \(4, 64, 64\)"):
        net.predict(np.zeros((2, 4, 64, 64), np.uint8))


def test_root_bound_loader_says_how_to_read_other_folders(tmp_path):
    from skhpa.datasets import write_hpa_like

    root = write_hpa_like(tmp_path / "syn", 4, 2, image_size=16, random_state=0)
    loader = ImageLoader(load_hpa(root).image_dir)
    with pytest.raises(ImageReadError, match=r"build it without root and pass path stems"):
        loader.transform(load_hpa(root, "test").ids)


def test_pipeline_set_output_passes_over_the_image_steps(synthetic_root):
    # Pipeline.set_output configures every step; the image steps take it and keep
    # returning arrays, the table-producing steps after them follow it
    from sklearn.preprocessing import StandardScaler

    from skhpa.preprocessing import ChannelSelector, ChannelStandardizer, LocalizationFeatures

    train = load_hpa(synthetic_root, "train")
    pipe = Pipeline(
        [
            ("load", ImageLoader(image_size=16)),
            ("features", LocalizationFeatures()),
            ("scale", StandardScaler()),
        ]
    )
    out = pipe.set_output(transform="default").fit_transform(train.stems[:12])
    assert isinstance(out, np.ndarray) and out.shape[0] == 12
    for step in (pipe["load"], ChannelStandardizer(), ChannelSelector()):
        assert step.set_output(transform="pandas") is step
    images = pipe["load"].transform(train.stems[:3])
    standardized = ChannelStandardizer().set_output(transform="pandas").fit_transform(images)
    assert isinstance(standardized, np.ndarray) and standardized.shape == images.shape
    with pytest.raises(ValueError, match="transform must be one of"):
        ImageLoader().set_output(transform="frame")
    pd = pytest.importorskip("pandas")
    frame = pipe.set_output(transform="pandas").fit_transform(train.stems[:12])
    assert isinstance(frame, pd.DataFrame) and list(frame.columns[:1]) == ["green_log_mean"]


def test_image_steps_name_the_sample_with_nan():
    from skhpa.preprocessing import ChannelSelector, ChannelStandardizer, Resize

    X = np.ones((3, 4, 8, 8), dtype=np.float32)
    bad = X.copy()
    bad[2, 1, 0, 0] = np.nan
    fitted = ChannelStandardizer().fit(X)
    for call in (ChannelStandardizer().fit, fitted.transform, Resize(4).fit_transform,
                 ChannelSelector().fit(X).transform):  # fmt: skip
        with pytest.raises(ValueError, match=r"X contains NaN or infinity \(sample 2\)"):
            call(bad)
    bad[2, 1, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"sample 2"):
        fitted.transform(bad)


def test_negative_n_jobs_follow_joblib(synthetic_root, monkeypatch):
    # -2 is all cores but one, as everywhere in joblib and scikit-learn
    import joblib

    from skhpa.datasets import load_hpa
    from skhpa.preprocessing import _loader

    used = []

    class Recording(joblib.Parallel):
        def __init__(self, n_jobs=None, **kwargs):
            used.append(n_jobs)
            super().__init__(n_jobs=n_jobs, **kwargs)

    monkeypatch.setattr(_loader, "Parallel", Recording)
    stems = load_hpa(synthetic_root, "train").stems
    serial = ImageLoader(channels=("green",)).transform(stems)
    for n_jobs in (-1, -2):
        used.clear()
        X = ImageLoader(channels=("green",), n_jobs=n_jobs).transform(stems)
        np.testing.assert_array_equal(X, serial)
        expected = joblib.effective_n_jobs(n_jobs)
        assert used == ([expected] if expected > 1 else [])


def test_a_missing_relative_stem_names_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ImageReadError, match=r"no file data/train/x_red\.\* \(relative to the "):
        ImageLoader().transform(np.array(["data/train/x"]))
    with pytest.raises(ImageReadError) as err:
        ImageLoader().transform(np.array([str(tmp_path / "x")]))
    assert "working directory" not in str(err.value)  # an absolute stem needs no hint


def test_an_rgb_file_saved_in_another_colour_is_warned(tmp_path, monkeypatch):
    from skhpa.preprocessing import _decode

    monkeypatch.setattr(_decode, "_WARNED", set())  # said once per process
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[4:12, 4:12, 2] = 180  # a green channel saved as blue
    Image.fromarray(rgb).save(tmp_path / "x_green.tif")
    with pytest.warns(UserWarning, match=r"x_green.tif: the green channel's component .* black"):
        plane = read_channel(tmp_path / "x_green.tif", "green")
    assert plane.max() == 0  # read as the rule says, and said
    Image.fromarray(rgb).save(tmp_path / "z_green.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once: a folder of such files warns once, not per file
        read_channel(tmp_path / "z_green.tif", "green")
    # the real HPA website fields (each file in its own colour) read without a warning
    monkeypatch.setattr(_decode, "_WARNED", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for c in COLORS:
            read_channel(Path(__file__).parent / "data" / "hpa_fields" / f"89_B5_1_{c}.jpg", c)
        black = np.zeros((16, 16, 3), np.uint8)
        Image.fromarray(black).save(tmp_path / "dark_green.tif")
        read_channel(tmp_path / "dark_green.tif", "green")  # all black: nothing to say


def test_a_twelve_bit_image_in_a_sixteen_bit_file_is_warned(tmp_path, monkeypatch):
    from skhpa.preprocessing import _decode

    monkeypatch.setattr(_decode, "_WARNED", set())
    plane = np.zeros((16, 16), np.uint16)
    plane[4:12, 4:12] = 4000  # a 12-bit camera's values
    Image.fromarray(plane).save(tmp_path / "c_green.png")
    with pytest.warns(UserWarning, match=r"values up to 4000 only .* up to 16\)"):
        out = read_channel(tmp_path / "c_green.png", "green")
    assert out.max() == 16
    plane[0, 0] = 40000  # full-range 16-bit data: no warning
    Image.fromarray(plane).save(tmp_path / "d_green.png")
    monkeypatch.setattr(_decode, "_WARNED", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_channel(tmp_path / "d_green.png", "green")


def test_mixed_case_extensions_are_read(tmp_path):
    from skhpa.datasets import load_hpa, load_image_folder

    (tmp_path / "train").mkdir()
    for c in COLORS:
        Image.fromarray(np.full((8, 8), 60, np.uint8)).save(
            tmp_path / "train" / f"a_{c}.Png", format="PNG"
        )
    (tmp_path / "train.csv").write_text("Id,Target\na,3\n")
    data = load_hpa(tmp_path, "train")
    assert data.extension == ".Png"
    assert load_image_folder(tmp_path / "train").ids.tolist() == ["a"]
    X = ImageLoader().transform(data.stems)
    assert X.shape == (1, 4, 8, 8) and (X == 60).all()
