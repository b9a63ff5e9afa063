"""Fuzz the image-decoding path with mutated PNG and JPEG bytes (5,000 cases).

The fuzzer lives in ``tests/decode_fuzzer.py`` (the test suite runs 300 of its cases,
tests/test_fuzz_decode.py): every case must either decode to a 2-D uint8 plane or raise
``ImageReadError``. ``python benchmarks/run_all.py fuzz_decode`` runs this.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from decode_fuzzer import fuzz, seed_files  # noqa: E402


def main():
    from _common import save

    t = time.perf_counter()
    res = fuzz()
    wall = time.perf_counter() - t
    for f in res["failure_list"][:20]:
        print("FAILURE", f)
    row = {k: v for k, v in res.items() if k != "failure_list"}
    row["seed_files"] = len(seed_files())
    row["wall_s"] = wall
    return save(
        "fuzz_decode",
        [row],
        "mutated PNG/JPEG bytes through read_channel; a failure is any outcome other than a "
        "uint8 plane or ImageReadError",
    )


if __name__ == "__main__":
    main()
