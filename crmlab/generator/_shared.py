"""What every generator of the kit shares: argument checks, seeds, keys, cities and the CSV writer.

The conventions that make the files the same on any machine live here: the
root seed derived from the seed and the student id, keys as zero-padded
text, and CSV files in UTF-8 with BOM whose cells are rendered by the kind
of each column in the data dictionary (``crmlab.datasets.schema``).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from crmlab.datasets.schema import TABLES
from crmlab.validation import CrmlabInputError

CITIES = [  # name, tier, region, stores, weight
    ("北京", 1, "north", 3, 8), ("上海", 1, "east", 3, 9), ("广州", 1, "south", 2, 6), ("深圳", 1, "south", 2, 6),
    ("成都", 2, "west", 2, 5), ("杭州", 2, "east", 2, 5), ("武汉", 2, "central", 2, 4), ("南京", 2, "east", 1, 4),
    ("西安", 2, "west", 1, 3), ("长沙", 2, "central", 1, 3), ("苏州", 2, "east", 1, 3), ("郑州", 2, "central", 1, 3),
    ("哈尔滨", 2, "north", 1, 2), ("合肥", 3, "east", 1, 2), ("昆明", 3, "west", 1, 2), ("保定", 3, "north", 1, 1.5),
    ("南宁", 3, "south", 0, 2), ("洛阳", 3, "central", 0, 1.5), ("绵阳", 4, "west", 0, 1), ("柳州", 4, "south", 0, 1),
    ("赣州", 4, "east", 0, 1),
]


def prepare_run(out_dir, folders, *, size, seed, student_id, example) -> Path:
    """Check a generator's arguments and make its output folders; shared by every generator.

    ``size`` is ``(argument name, value)``; ``example`` shows a call that works.
    Raises :class:`CrmlabInputError` naming the argument and the fix.
    """
    name, n = size
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise CrmlabInputError(f"{name} must be a positive whole number, got {n!r}; e.g. {name}=10000.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CrmlabInputError(f"seed must be a non-negative whole number, got {seed!r}; e.g. seed=1.")
    if student_id is not None and not str(student_id).strip():
        raise CrmlabInputError("student_id is empty; pass the student's id, e.g. student_id='2025012345'.")
    out = Path(out_dir)
    try:
        for folder in folders:
            (out / folder).mkdir(parents=True, exist_ok=True)
            probe = out / folder / ".crmlab-write-test"
            probe.write_text("")
            probe.unlink()
    except OSError as exc:
        raise CrmlabInputError(
            f"cannot write to {out}: {exc.strerror or exc}. Choose a folder you can write to, e.g. {example}.") from None
    return out


def root_seed(seed: int, student_id: str | None) -> int:
    """The seed itself, or for a student variant a 64-bit number derived from the seed and the id."""
    if student_id is None:
        return int(seed)
    digest = hashlib.sha256(f"{seed}:{str(student_id).strip()}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def make_ids(prefix, numbers, width):
    """Keys as text: ``prefix`` followed by each number zero-padded to ``width`` digits."""
    if len(numbers) == 0:
        return np.array([], dtype=str)
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), width))


def pick(rng, probs):
    """One categorical draw per row of ``probs`` (rows sum to 1), vectorised."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


class Writer:
    """Streams tables to UTF-8-with-BOM CSV files (Excel opens them correctly on Chinese Windows)."""

    def __init__(self, out: Path):
        self.out = out
        self.files = {}
        self.paths = {}

    def write(self, name, frame):
        table = TABLES[name]
        if name not in self.files:
            path = self.out / table.folder / f"{name}.csv"
            self.paths[name] = path
            self.files[name] = open(path, "w", encoding="utf-8-sig", newline="")
            header = True
        else:
            header = False
        _format(frame, table).to_csv(self.files[name], index=False, header=header, lineterminator="\n")

    def close(self):
        for f in self.files.values():
            f.close()


class ParquetWriter:
    """Streams tables to folders of Parquet files, one file per block of customers (``orders/part-00003.parquet``).

    Columns are typed by their kind in the data dictionary, as the loaders type the CSV: text as text,
    times as timestamps without time zone, amounts as float64, counts as int64, flags as booleans.
    DuckDB writes the files, so nothing beyond crmlab's dependencies is needed.
    """

    def __init__(self, out: Path):
        import duckdb

        self.out = out
        self.parts = {}
        self.paths = {}
        self.connection = duckdb.connect()

    def write(self, name, frame):
        table = TABLES[name]
        folder = self.out / table.folder / name
        if name not in self.parts:
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("part-*.parquet"):  # a run writes every part anew: no stale part stays
                old.unlink()
            self.paths[name] = folder
            self.parts[name] = 0
        typed = _typed(frame, table)
        self.connection.register("block", typed)
        path = str(folder / f"part-{self.parts[name]:05d}.parquet").replace("'", "''")
        self.connection.execute(f"COPY block TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        self.connection.unregister("block")
        self.parts[name] += 1

    def close(self):
        self.connection.close()


def _typed(frame, table):
    """Each column as the loaders type it (crmlab.datasets.load_data), category columns as plain text."""
    out = {}
    for col in table.columns:
        v = frame[col.name]
        if col.kind in ("datetime", "date"):
            v = pd.to_datetime(v)
            out[col.name] = (v.dt.normalize() if col.kind == "date" else v).astype("datetime64[s]")
        elif col.kind == "bool":
            out[col.name] = v.astype("boolean")
        elif col.kind in ("float", "int"):
            out[col.name] = v.astype("float64" if col.kind == "float" else "int64")
        else:  # text; an empty cell is missing (NULL), as the loaders read it, never the text "nan"
            text = pd.Series(v, dtype=object)
            blank = text.isna() | (text.astype(str).str.strip() == "")
            out[col.name] = text.where(~blank, None)
    return pd.DataFrame(out)


def _format(frame, table):
    """Render each column as text by its kind in the data dictionary, so bytes never depend on dtype quirks."""
    out = {}
    for col in table.columns:
        v = frame[col.name]
        if col.kind == "datetime":
            out[col.name] = pd.to_datetime(v).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
        elif col.kind == "date":
            out[col.name] = pd.to_datetime(v).dt.strftime("%Y-%m-%d").fillna("") if v.dtype.kind == "M" else v
        elif col.kind == "bool":
            out[col.name] = v.astype("boolean").map({True: "True", False: "False"}).astype(object).fillna("")
        elif col.kind == "float":
            out[col.name] = v.astype(float).map(lambda x: "" if x != x else repr(x))  # NaN -> empty cell
        else:
            out[col.name] = v
    return pd.DataFrame(out)
