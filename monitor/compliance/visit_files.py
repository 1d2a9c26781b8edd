"""Visit logs as a file or a folder of files (CSV, XLSX, Parquet), whole or in blocks.

A national archive is one folder (for example one Parquet file per month): its files are
read in name order, as if they were one log, so that the single-process and the
partitioned engines see the same rows in the same order. Bad rows are reported with the
file they are in and their line there.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .visit_log import COLUMNS, VisitLogError, frame_from_text, nonblank_line_numbers, read_visit_file

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
BLOCK_BYTES = 64 * 2**20  # a CSV larger than this is read in blocks of about this size


def visit_files(path: str | Path) -> list[Path]:
    """The visit log files of ``path``: the file itself, or a folder's files in name order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            raise VisitLogError(f"{path}: no visit log files (CSV, XLSX or Parquet) in this folder")
        return files
    if not path.exists():
        raise VisitLogError(f"{path}: no such file")
    return [path]


def read_parquet_visits(path: str | Path) -> pd.DataFrame:
    """A Parquet visit log (the import columns, as text) as ``frame_from_text`` rows.

    Row N of the file is reported as line N + 1, as if a header were line 1.
    """
    path = Path(path)
    try:
        table = pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError) as error:
        raise VisitLogError(f"{path}: cannot read it as a Parquet visit log ({error})") from None
    for column in table.columns:
        if not pd.api.types.is_string_dtype(table[column]):
            raise VisitLogError(f"{path}: column {column} is not text (export with "
                                "`flask visits export-parquet`)")
    return frame_from_text(table.fillna(""), source=str(path))


def read_one(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return read_parquet_visits(path)
    return read_visit_file(path)


@dataclass(frozen=True)
class VisitInput:
    """Every row of a file or folder as one text frame; ``line`` is unique across files.

    ``where(line)`` gives back the file and its own line number for a message.
    """

    rows: pd.DataFrame
    files: tuple[str, ...]
    offsets: np.ndarray  # line offset of each file in ``rows["line"]``

    def where(self, lines: pd.Series) -> pd.Series:
        index = np.searchsorted(self.offsets, lines.to_numpy(), side="right") - 1
        if len(self.files) == 1:
            return lines.astype(str).radd("line ")
        names = np.asarray(self.files, dtype=object)[index]
        return pd.Series(names, index=lines.index) + ": line " \
            + (lines.to_numpy() - self.offsets[index]).astype(str)


def read_visit_input(path: str | Path) -> VisitInput:
    """Read a file or every file of a folder (in name order) into one text frame."""
    files = visit_files(path)
    frames, offsets, offset = [], [], 0
    for file in files:
        frame = read_one(file)
        frame["line"] = frame["line"].to_numpy() + offset
        frames.append(frame)
        offsets.append(offset)
        offset = int(frame["line"].max()) + 1 if len(frame) else offset + 2
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return VisitInput(rows, tuple(str(f) for f in files), np.asarray(offsets, dtype="int64"))


@dataclass(frozen=True)
class Piece:
    """A share of the input one worker reads: a whole file, or a block of a large CSV."""

    path: str
    start: int = 0  # byte range of a CSV block (end None: the whole file)
    end: int | None = None
    first_line: int = 2  # the file line of the block's first byte

    @property
    def label(self) -> str:
        return self.path


def pieces(path: str | Path, block_bytes: int = BLOCK_BYTES) -> list[Piece]:
    """The input cut into pieces of at most about ``block_bytes`` each, in input order.

    A large CSV is cut at line ends; cells holding line breaks would be cut too, so such
    files must be smaller than a block (or converted to Parquet).
    """
    result = []
    for file in visit_files(path):
        size = file.stat().st_size
        if file.suffix.lower() != ".csv" or size <= block_bytes:
            result.append(Piece(str(file)))
            continue
        result.extend(_csv_blocks(file, size, block_bytes))
    return result


def _csv_blocks(file: Path, size: int, block_bytes: int) -> list[Piece]:
    blocks = []
    with file.open("rb") as handle:
        header = handle.readline()
        start, line = len(header), 2
        while start < size:
            handle.seek(min(start + block_bytes, size))
            if handle.tell() < size:
                handle.readline()  # to the end of the line the cut fell in
            end = handle.tell()
            blocks.append(Piece(str(file), start, end, line))
            handle.seek(start)
            remaining, newlines = end - start, 0
            while remaining:
                chunk = handle.read(min(remaining, 2**24))
                newlines += chunk.count(b"\n")
                remaining -= len(chunk)
            start, line = end, line + newlines
    return blocks


def read_piece(piece: Piece) -> pd.DataFrame:
    """The rows of one piece as ``frame_from_text`` rows with their file line numbers."""
    path = Path(piece.path)
    if piece.end is None:
        return read_one(path)
    with path.open("rb") as handle:
        header = handle.readline()
        handle.seek(piece.start)
        data = handle.read(piece.end - piece.start)
    try:
        raw = pd.read_csv(io.BytesIO(header + data), dtype=str, keep_default_na=False,
                          engine="pyarrow", encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as error:
        raise VisitLogError(f"{path}: cannot read lines from {piece.first_line} as a visit log "
                            f"({error})") from None
    raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    lines = _block_lines(np.frombuffer(data, dtype=np.uint8), piece.first_line, len(raw))
    return frame_from_text(raw, source=str(path), lines=lines)


def _block_lines(data: np.ndarray, first_line: int, rows: int) -> np.ndarray:
    """File lines of a block's rows (blank lines are skipped by the reader, not counted out)."""
    numbers = nonblank_line_numbers(data, first_line)
    # Cells holding line breaks: number the rows in order from the block's first line.
    return numbers if len(numbers) == rows else first_line + np.arange(rows)


__all__ = ["BLOCK_BYTES", "COLUMNS", "Piece", "VisitInput", "pieces", "read_parquet_visits",
           "read_piece", "read_visit_input", "visit_files"]
