"""The image-decoding fuzzer: mutated PNG and JPEG bytes through ``read_channel``.

Shared by ``tests/test_fuzz_decode.py`` (300 cases) and ``benchmarks/bench_fuzz_decode.py``
(5,000 cases). Seeds: the real HPA channel PNGs of tests/data (8-bit 512 px and a 16-bit
crop), small PNGs and RGB JPEGs (HPA v18 style) made from synthetic images. Each case
applies 1-3 random mutations (bit flips, byte overwrites with boundary values,
truncation, inserted or deleted runs, duplicated chunks, a rewritten PNG size field) and,
for half of the PNG cases, recomputes every chunk's CRC so the decoder gets past the
checksum checks and into the decompression and filter code. Every case must either
decode to a 2-D uint8 plane or raise ``ImageReadError``; anything else (another
exception, or more than ``HANG_S`` seconds) is a failure.
"""

import io
import os
import signal
import struct
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from skhpa.datasets import make_hpa_like
from skhpa.preprocessing import ImageReadError, read_channel

N_CASES = 5000
HANG_S = 10
TEST_DATA = Path(__file__).resolve().parent / "data"


def seed_files():
    """(name, bytes, extension) of the un-mutated inputs."""
    seeds = []
    for p in sorted(TEST_DATA.rglob("*.png")):
        seeds.append((p.name, p.read_bytes(), ".png"))
    X, _ = make_hpa_like(2, image_size=64, random_state=0)
    for i, img in enumerate(X):
        buf = io.BytesIO()
        Image.fromarray(img[1]).save(buf, format="PNG")
        seeds.append((f"synthetic{i}_green.png", buf.getvalue(), ".png"))
        rgb = np.stack([img[0], img[1], img[2]], -1)
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
        seeds.append((f"synthetic{i}_rgb.jpg", buf.getvalue(), ".jpg"))
    return seeds


def _png_chunks(data):
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        if end > len(data):
            break
        chunks.append((pos, end))
        pos = end
    return chunks


def fix_png_crcs(data):
    """Recompute the CRC of every complete chunk (so mutations reach the decoder)."""
    out = bytearray(data)
    for start, end in _png_chunks(data):
        body = bytes(out[start + 4 : end - 4])
        out[end - 4 : end] = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return bytes(out)


def mutate(data, rng, ext):
    data = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(0, 7))
        n = len(data)
        if n < 16:
            break
        if kind == 0:  # bit flips
            for i in rng.integers(0, n, int(rng.integers(1, 9))):
                data[i] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:  # boundary values
            for i in rng.integers(0, n, int(rng.integers(1, 5))):
                data[i] = int(rng.choice([0x00, 0xFF, 0x7F, 0x80, 0x01]))
        elif kind == 2:  # truncation
            del data[int(rng.integers(8, n)) :]
        elif kind == 3:  # inserted random run
            i = int(rng.integers(0, n))
            data[i:i] = rng.integers(0, 256, int(rng.integers(1, 64))).astype(np.uint8).tobytes()
        elif kind == 4:  # deleted run
            i = int(rng.integers(8, n))
            del data[i : i + int(rng.integers(1, 64))]
        elif kind == 5 and ext == ".png":  # duplicated chunk
            chunks = _png_chunks(bytes(data))
            if chunks:
                s, e = chunks[int(rng.integers(0, len(chunks)))]
                data[e:e] = data[s:e]
        elif kind == 6 and ext == ".png" and n > 24:  # rewritten width / height
            field = 16 + 4 * int(rng.integers(0, 2))
            value = int(rng.choice([0, 1, 2**31 - 1, 2**32 - 1, 65535, 100_000, 7]))
            data[field : field + 4] = struct.pack(">I", value)
    data = bytes(data)
    if ext == ".png" and rng.random() < 0.5:
        data = fix_png_crcs(data)
    return data


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def fuzz(n_cases=N_CASES, seed=0, hang_s=HANG_S):
    """Run ``n_cases`` mutated decodes; returns counts, failures and the slowest case."""
    rng = np.random.default_rng(seed)
    seeds = seed_files()
    counts = {"decoded": 0, "ImageReadError": 0, "failures": 0}
    failures = []
    slowest = 0.0
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _alarm)
    with tempfile.TemporaryDirectory() as d:
        try:
            for case in range(n_cases):
                name, raw, ext = seeds[int(rng.integers(0, len(seeds)))]
                data = mutate(raw, rng, ext)
                path = os.path.join(d, f"case{ext}")
                with open(path, "wb") as fh:
                    fh.write(data)
                channel = "yellow" if ext == ".jpg" else "green"
                t = time.perf_counter()
                if use_alarm:
                    signal.alarm(hang_s)
                try:
                    plane = read_channel(path, channel, sample_id=f"case{case}")
                    if plane.dtype != np.uint8 or plane.ndim != 2:
                        raise AssertionError(f"decoded to {plane.dtype} {plane.shape}")
                    counts["decoded"] += 1
                except ImageReadError:
                    counts["ImageReadError"] += 1
                except _Hang:
                    counts["failures"] += 1
                    failures.append((case, name, f"hang > {hang_s} s"))
                except Exception as exc:  # anything else is a bug
                    counts["failures"] += 1
                    failures.append((case, name, f"{type(exc).__name__}: {exc}"))
                finally:
                    if use_alarm:
                        signal.alarm(0)
                slowest = max(slowest, time.perf_counter() - t)
        finally:
            if use_alarm:
                signal.signal(signal.SIGALRM, previous)
    return {"cases": n_cases, **counts, "slowest_case_s": slowest, "failure_list": failures}
