"""A short run of the decoding fuzzer (tests/decode_fuzzer.py; the benchmark runs 5,000 cases)."""

import decode_fuzzer
import pytest


def test_mutated_images_decode_or_raise_image_read_error():
    res = decode_fuzzer.fuzz(300, seed=123, hang_s=20)
    assert res["failure_list"] == []
    # the mutations reach both outcomes: the run is not all rejected at the signature check
    assert res["decoded"] > 10 and res["ImageReadError"] > 100


def test_fuzzer_reports_unexpected_exceptions(monkeypatch):
    def broken(path, channel, *, sample_id=None):
        raise KeyError("boom")

    monkeypatch.setattr(decode_fuzzer, "read_channel", broken)
    res = decode_fuzzer.fuzz(5, seed=0)
    assert res["failures"] == 5 and "KeyError" in res["failure_list"][0][2]


def test_crc_fix_keeps_valid_png_valid():
    name, raw, ext = next(s for s in decode_fuzzer.seed_files() if s[2] == ".png")
    assert decode_fuzzer.fix_png_crcs(raw) == raw


@pytest.mark.parametrize("seed", [0, 1])
def test_mutation_is_deterministic(seed):
    import numpy as np

    raw = decode_fuzzer.seed_files()[0][1]
    a = decode_fuzzer.mutate(raw, np.random.default_rng(seed), ".png")
    b = decode_fuzzer.mutate(raw, np.random.default_rng(seed), ".png")
    assert a == b and a != raw
