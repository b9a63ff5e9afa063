"""Derive the compact label-set frequency tables shipped as package data.

Run once by a developer (not at run or test time)::

    python tools/build_label_sets.py ../shared/data

It reads the real HPA 2018 ``train.csv`` labels and the HPA v18 external labels
and writes ``skhpa/datasets/data/label_sets_{hpa2018,hpav18}.csv`` with one row
per distinct label set (labels sorted ascending, space separated) and its count.
"""

import collections
import csv
import sys
from pathlib import Path

SOURCES = {
    "hpa2018": "hpa2018_train_labels.csv",
    "hpav18": "hpav18_external_labels.csv",
}


def write_external_groups(data_dir):
    """benchmarks/data/hpav18_groups.npz: HPA v18 label sets and antibody-plate groups.

    Groups are the numeric prefix of each Id (``10580_1610_C1_1`` -> 10580), the
    antibody/plate that near-duplicate fields share. Stored compactly (a label-set
    index per image and the table of sets) for the grouped-splitter benchmark.
    """
    import numpy as np

    ids, sets, index = [], {}, []
    with open(Path(data_dir) / SOURCES["hpav18"], newline="") as fh:
        for row in csv.DictReader(fh):
            key = tuple(sorted({int(t) for t in row["Target"].split()}))
            index.append(sets.setdefault(key, len(sets)))
            ids.append(row["Id"])
    table = np.zeros((len(sets), 28), np.uint8)
    for key, j in sets.items():
        table[j, list(key)] = 1
    groups = np.array([int(i.split("_")[0]) for i in ids], dtype=np.int32)
    out = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / "hpav18_groups_compact.npz",
        sets=table,
        index=np.array(index, np.uint16),
        groups=groups,
    )
    print("hpav18 groups:", len(np.unique(groups)), "groups over", len(ids), "images")


def main(data_dir):
    out_dir = Path(__file__).resolve().parents[1] / "skhpa" / "datasets" / "data"
    for name, fname in SOURCES.items():
        counts = collections.Counter()
        with open(Path(data_dir) / fname, newline="") as fh:
            for row in csv.DictReader(fh):
                labels = sorted({int(t) for t in row["Target"].split()})
                counts[" ".join(map(str, labels))] += 1
        rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        with open(out_dir / f"label_sets_{name}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["labels", "count"])
            w.writerows(rows)
        print(name, len(rows), "label sets,", sum(counts.values()), "images")
    write_external_groups(data_dir)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
