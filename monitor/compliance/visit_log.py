"""Reading and validating visit logs (visit-log-and-rules.md, "The visit log").

The import, ``flask analyze`` and the desk all turn their input into the same frame here,
so that a row means the same thing whichever way it arrived. Bad rows are reported with
their line, column and reason, never silently dropped.
"""
from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..calendar import local_day_numbers
from .catalog_frames import CatalogFrames

ACTIONS = ("submit", "return", "resubmit", "forward", "issue", "refuse", "withdraw", "consult")
REQUIRED_COLUMNS = ("visit_id", "office_code", "service_code", "staff_id",
                    "called_at", "finished_at", "action")
# case_id is required on every row but consultations: a log of consultations may omit it.
OPTIONAL_COLUMNS = ("case_id", "applicant_ref", "ticket_at", "documents_requested", "refusal_ground",
                    "forwarded_to")
COLUMNS = ("visit_id", "case_id", "office_code", "service_code", "staff_id", "applicant_ref",
           "ticket_at", "called_at", "finished_at", "action", "documents_requested",
           "refusal_ground", "forwarded_to")
TIMESTAMP_COLUMNS = ("ticket_at", "called_at", "finished_at")
# ``reason`` is the English report of an import; ``code`` names the problem for pages, which
# word it in the reader's language (BAD_ROW_CODES; the column and the row give its parameters).
BAD_ROW_COLUMNS = ["line", "column", "reason", "visit_id", "code"]
BAD_ROW_CODES = ("control_character", "too_long", "required", "unknown_action", "case_required",
                 "forward_target_required", "unknown_service", "not_a_timestamp", "ticket_after_call",
                 "finish_before_call", "iin_control_digit", "no_version_in_force", "duplicate_visit_id")
# An offset only counts after a time: the "-06" of a bare date 2026-04-06 is not one.
_HAS_OFFSET = r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
_IIN_WEIGHTS_1 = np.arange(1, 12)
_IIN_WEIGHTS_2 = np.array([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])


class VisitLogError(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, columns missing...)."""


@dataclass(frozen=True)
class ParsedVisits:
    """Valid visits as a typed frame, and every bad row with its line, column and reason."""

    visits: pd.DataFrame
    bad_rows: pd.DataFrame
    ignored_repeats: int = 0

    @property
    def bad_lines(self) -> int:
        return self.bad_rows["line"].nunique()


# Bounds of what an import reads (a visit log has 13 columns; a year of a large network is
# a few million rows). A 6 MB XLSX "zip bomb" used to expand to 4.8 GB: refused up front.
MAX_COLUMNS = 100
MAX_HEADER_BYTES = 64 * 1024
MAX_XLSX_BYTES = 200 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024
MAX_XLSX_RATIO = 100  # uncompressed / compressed size of a member; real sheets are ~5-20
MAX_XLSX_CELLS = 30_000_000
DELIMITERS = (",", ";", "\t", "|")
# Not UTF-8: then Windows-1251, what Excel writes in a Russian or Kazakh locale. A file that
# starts with a UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text") is read as such.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
ENCODING_NAMES = {"utf-8": "UTF-8", "cp1251": "Windows-1251", "utf-16": "UTF-16", "utf-32": "UTF-32"}
# Control characters no visit log holds (tab, CR and LF are separators); PostgreSQL refuses
# NUL in any text, and a NUL stored in a visit broke the week's XLSX export.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Stored as typed (times, actions and IINs are parsed or hashed: a control character there is
# already a bad row).
TEXT_COLUMNS = ("visit_id", "case_id", "office_code", "service_code", "staff_id", "documents_requested",
                "refusal_ground", "forwarded_to")
# The widths of the columns the visits are stored in (monitor/models/desk.py): a longer value
# is a bad row, not a failed COPY on PostgreSQL (issue 22).
MAX_LENGTHS = {"visit_id": 120, "case_id": 80, "office_code": 40, "service_code": 40, "staff_id": 80,
               "refusal_ground": 40, "forwarded_to": 120}


def read_visit_file(path: str | Path) -> pd.DataFrame:
    """Read a CSV or XLSX (first sheet) visit log as text, keeping line numbers.

    CSV: UTF-8 or Windows-1251, separated by commas, semicolons (Excel in a Russian locale),
    tabs or bars -- whichever the header uses; ``frame.attrs["read_as"]`` says what was found.
    Every failure is one line naming the file and the reason.
    """
    path = Path(path)
    xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    encoding = None
    try:
        if xlsx:
            _check_xlsx(path)
            raw = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl").fillna("")
            read_as = "XLSX, first sheet"
        else:
            encoding, delimiter = _sniff_csv(path)
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow", encoding=encoding,
                              sep=delimiter)
            read_as = f"CSV, {ENCODING_NAMES[encoding]}, separated by {_DELIMITER_NAMES[delimiter]}"
    except FileNotFoundError:
        raise VisitLogError(f"{path}: no such file") from None
    except VisitLogError:
        raise
    except (ValueError, UnicodeDecodeError, OSError, KeyError, zipfile.BadZipFile) as error:
        kind = "an XLSX workbook" if xlsx else "a CSV visit log"
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        raise VisitLogError(f"{path}: cannot read it as {kind} ({reason})") from None
    except Exception as error:  # noqa: BLE001 -- a hostile workbook: malformed XML, an entity bomb...
        if not xlsx:
            raise
        reason = " ".join(str(error).split())[:300]
        raise VisitLogError(f"{path}: cannot read it as an XLSX workbook ({type(error).__name__}: {reason})") \
            from None
    raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    # Line numbers come from the file's newline bytes: not for UTF-16/32, whose other
    # characters may hold the same byte (rows are then numbered in order).
    lines = None if xlsx or encoding not in ("utf-8", "cp1251") else _csv_line_numbers(path, len(raw))
    try:
        frame = frame_from_text(raw, source=str(path), lines=lines)
    except VisitLogError as error:
        raise VisitLogError(f"{error} (read as {read_as})") from None
    frame.attrs["read_as"] = read_as
    return frame


_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


def _sniff_csv(path: Path) -> tuple[str, str]:
    """The encoding and the delimiter of a CSV, from its header line."""
    with path.open("rb") as stream:
        head = stream.read(MAX_HEADER_BYTES + 1)
    header = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if b"\n" not in head.lstrip(b"\r\n") and len(head) > MAX_HEADER_BYTES:
        raise VisitLogError(f"{path}: line 1: the header is longer than {MAX_HEADER_BYTES // 1024} KB; "
                            f"a visit log has {len(COLUMNS)} columns")
    marked = next((encoding for mark, encoding in BYTE_ORDER_MARKS if head.startswith(mark)), None)
    if marked:
        text = head.decode(marked, errors="replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        return marked, _delimiter(path, text)
    if b"\x00" in header:
        raise VisitLogError(f"{path}: line 1 holds NUL bytes: UTF-16 or UTF-32 text without its byte-order "
                            "mark? Save the file as UTF-8 (or as Unicode text from Excel)")
    invalid = _first_non_utf8_byte(path)
    if invalid is not None and head.startswith(codecs.BOM_UTF8):
        offset, byte = invalid
        with path.open("rb") as stream:
            line = stream.read(offset).count(b"\n") + 1
        raise VisitLogError(f"{path}: line {line}: the file says it is UTF-8 (it starts with a UTF-8 byte-order "
                            f"mark) but byte 0x{byte:02X} is not UTF-8; save it again as UTF-8")
    encoding = "utf-8" if invalid is None else "cp1251"  # cp1251 reads any byte but one
    text = header.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r")
    return encoding, _delimiter(path, text)


def _delimiter(path: Path, text: str) -> str:
    """The delimiter the header line uses (the one that splits it into most known columns)."""
    found = {delimiter: sum(name.strip().strip('"') in COLUMNS for name in text.split(delimiter))
             for delimiter in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: (found[d], d == ","))
    columns = text.count(delimiter) + 1
    if columns > MAX_COLUMNS:
        raise VisitLogError(f"{path}: line 1: {columns:,} columns; a visit log has {len(COLUMNS)} "
                            f"(at most {MAX_COLUMNS} are read)")
    return delimiter  # a UTF-8 byte-order mark is stripped from the first column name


def _first_non_utf8_byte(path: Path) -> tuple[int, int] | None:
    """(offset, byte) of the first byte that is not UTF-8, or None when the whole file is
    (read in blocks; a split character is carried over)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                pending = len(decoder.getstate()[0])  # bytes carried over from the block before
                return done - pending + error.start, error.object[error.start]
            done += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            return done - len(error.object) + error.start, error.object[error.start]
    return None


def _check_xlsx(path: Path) -> None:
    """Refuse an XLSX that is not a workbook, is too large, or expands like a zip bomb."""
    size = path.stat().st_size
    if size > MAX_XLSX_BYTES:
        raise VisitLogError(f"{path}: {size / 2**20:.0f} MB; an XLSX visit log may have at most "
                            f"{MAX_XLSX_BYTES // 2**20} MB (split it, or export it as CSV)")
    if not zipfile.is_zipfile(path):
        raise VisitLogError(f"{path}: not an XLSX workbook (an .xlsx file is a ZIP archive; this one is not)")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        if total > MAX_XLSX_UNCOMPRESSED:
            raise VisitLogError(f"{path}: the workbook expands to {total / 2**20:,.0f} MB; at most "
                                f"{MAX_XLSX_UNCOMPRESSED // 2**20} MB are read (export it as CSV)")
        for member in members:
            if member.file_size > 1024 * 1024 and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
                ratio = member.file_size // max(member.compress_size, 1)
                raise VisitLogError(f"{path}: {member.filename} expands {ratio:,} times (a zip bomb?); not read")
        if "xl/workbook.xml" not in {member.filename for member in members}:
            raise VisitLogError(f"{path}: not an XLSX workbook (no xl/workbook.xml inside)")
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows, columns = sheet.max_row or 0, sheet.max_column or 0
        if columns > MAX_COLUMNS:
            raise VisitLogError(f"{path}: the first sheet has {columns:,} columns; a visit log has "
                                f"{len(COLUMNS)} (at most {MAX_COLUMNS} are read)")
        if rows * columns > MAX_XLSX_CELLS:
            raise VisitLogError(f"{path}: the first sheet has {rows * columns:,} cells; at most "
                                f"{MAX_XLSX_CELLS:,} are read (export it as CSV)")
    finally:
        workbook.close()


def _csv_line_numbers(path: Path, rows: int) -> np.ndarray | None:
    """The file line of each data row: the reader skips blank lines, people count them.

    None when the file has quoted cells spanning lines (then rows are numbered in order).
    """
    numbers = row_line_numbers(path.read_bytes())
    return numbers if len(numbers) == rows else None


def row_line_numbers(data: bytes) -> np.ndarray:
    """The lines of a CSV's non-blank rows after its header (``nonblank_line_numbers(data, 1)[1:]``)."""
    if _no_blank_line_but_the_last(data):  # the usual file: lines 2, 3, ... in order
        last_blank = data.endswith(b"\n") or data.endswith(b"\n\r")
        return np.arange(2, data.count(b"\n") + (1 if last_blank else 2))
    return nonblank_line_numbers(np.frombuffer(data, dtype=np.uint8), 1)[1:]


def _no_blank_line_but_the_last(data: bytes) -> bool:
    """No line before the last is blank (``nonblank_line_numbers``' sense): a search for
    the bytes a blank line makes, instead of a look at every line."""
    return bool(data) and not data.startswith((b"\n", b"\r\n")) and data != b"\r" \
        and b"\n\n" not in data and b"\n\r\n" not in data


def nonblank_line_numbers(data: np.ndarray, first_line: int) -> np.ndarray:
    """The numbers of the lines of ``data`` (bytes) that hold something, the first being
    ``first_line``: a line of nothing but CR/LF is blank."""
    ends = np.flatnonzero(data == 10)
    starts = np.concatenate([[0], ends + 1])
    ends = np.concatenate([ends, [len(data)]])
    length = ends - starts
    carriage = (length > 0) & (data[np.maximum(ends - 1, 0)] == 13)
    blank = (length - carriage) == 0
    return np.flatnonzero(~blank) + first_line


def frame_from_text(raw: pd.DataFrame, source: str = "input", lines: np.ndarray | None = None) -> pd.DataFrame:
    """Check the header and number the lines as a spreadsheet user sees them (header = line 1)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise VisitLogError(f"{source}: line 1: missing required column(s) {', '.join(missing)}")
    frame = pd.DataFrame({column: (raw[column].astype(str).str.strip() if column in raw.columns
                                   else "") for column in COLUMNS}, index=raw.index)
    frame.insert(0, "line", lines if lines is not None else np.arange(2, len(frame) + 2))
    return frame.reset_index(drop=True)


def iin_is_valid(refs: pd.Series) -> pd.Series:
    """The official control digit of 12-digit IINs (weights 1..11, then 3..11,1,2)."""
    if refs.empty:
        return pd.Series(dtype=bool, index=refs.index)
    digits = np.frombuffer("".join(refs).encode("ascii"), dtype=np.uint8).reshape(-1, 12) - 48
    body = digits[:, :11].astype("int64")
    first = (body @ _IIN_WEIGHTS_1) % 11
    second = (body @ _IIN_WEIGHTS_2) % 11
    control = np.where(first == 10, second, first)
    return pd.Series((control != 10) & (control == digits[:, 11]), index=refs.index)


def is_iin(refs: pd.Series) -> pd.Series:
    """An all-digit 12-character applicant_ref is an IIN; anything else is an opaque id."""
    return refs.str.fullmatch(r"[0-9]{12}")  # ASCII digits only: \d would take any script's


def parse_timestamps(values: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 text -> UTC. Without an offset a time is local; rows may mix both forms.

    Returns the timestamps and a mask of the non-empty values that could not be read.
    The usual form, local ``YYYY-MM-DDTHH:MM:SS``, is read by Arrow in one pass; every other
    value (offsets, fractions, other ISO 8601 forms, and anything Arrow rejects) by pandas.
    """
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    present = values != ""
    plain, local = _plain_local_times(values)
    if plain.any():
        moments = pd.Series(local[plain], index=values.index[plain])
        result[plain] = moments.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT") \
            .dt.tz_convert("UTC")
    rest = present & ~plain
    if not rest.any():
        return result, present & result.isna()
    # A year pandas cannot hold (e.g. 0001 or 9999) is an unreadable value, not a crash.
    rest &= values.str[:4].between("1900", "2200")
    has_offset = rest & values.str.contains(_HAS_OFFSET, regex=True)
    naive = rest & ~has_offset
    if naive.any():
        naive_times = pd.to_datetime(values[naive], format="ISO8601", errors="coerce")
        result[naive] = naive_times.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT") \
            .dt.tz_convert("UTC")
    if has_offset.any():
        result[has_offset] = pd.to_datetime(values[has_offset], format="ISO8601", errors="coerce",
                                            utc=True)
    return result, present & result.isna()


# Local YYYY-MM-DDTHH:MM:SS with every field in range and a day every month has (29 February
# included only through pandas), years 1900-2199: exactly the values Arrow's strptime reads
# as pandas does (Arrow rolls impossible days over: 30 February would become 2 March).
_PLAIN_LOCAL = (r"^(19|20|21)[0-9]{2}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)"
                r"|(0[13578]|1[02])-31)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")


def _plain_local_times(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Which values have the usual form (``_PLAIN_LOCAL``), and those values read by Arrow."""
    text = pa.array(values.to_numpy(dtype=object), type=pa.string()) if values.dtype == object \
        else pa.array(values)
    plain = np.asarray(pc.fill_null(pc.match_substring_regex(text, _PLAIN_LOCAL), False))
    if not plain.any():
        return plain, np.array([], dtype="datetime64[ns]")
    parsed = pc.strptime(text, format="%Y-%m-%dT%H:%M:%S", unit="ns", error_is_null=True)
    local = np.asarray(parsed.to_numpy(zero_copy_only=False) if hasattr(parsed, "to_numpy")
                       else parsed).astype("datetime64[ns]")
    return plain & ~np.isnat(local), local


# The bytes of CONTROL_CHARACTERS: in UTF-8 a byte below 0x80 is always that ASCII character.
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]] = True


def _holds_control_character(values: pd.Series) -> pd.Series:
    """Which values hold a control character (``CONTROL_CHARACTERS``).

    First one look at all the text at once (Arrow's bytes as they lie, or the values joined):
    the value-by-value search only when a control character is there.
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        text = pa.array(values)  # Arrow's own buffers, not copied
        chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
        if all(pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type) for chunk in chunks) \
                and not any(_CONTROL_BYTES[np.frombuffer(chunk.buffers()[2], dtype=np.uint8)].any()
                            for chunk in chunks if chunk.buffers()[2] is not None):
            return pd.Series(False, index=values.index)
    elif not CONTROL_CHARACTERS.search("".join(values.tolist())):
        return pd.Series(False, index=values.index)
    return values.str.contains(CONTROL_CHARACTERS.pattern, regex=True)


def _drop_repeats(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame], int]:
    """Duplicates inside one file: the first row is kept, identical repeats ignored,
    a later row with the same visit_id and other content is a bad row."""
    codes, ids = pd.factorize(frame["visit_id"])
    if len(ids) == len(frame):  # the usual file: every visit_id once
        return frame, [], 0
    repeated_id = (np.bincount(codes[codes >= 0], minlength=len(ids))[codes] > 1) & (codes >= 0) \
        & (frame["visit_id"] != "").to_numpy()
    problems: list[pd.DataFrame] = []
    if not repeated_id.any():
        return frame, problems, 0
    # Compare every repeat with the FIRST row of its visit_id, not with other repeats.
    part = frame[repeated_id]
    content = pd.util.hash_pandas_object(part[list(COLUMNS)], index=False)
    first_content = content.groupby(part["visit_id"].to_numpy()).transform("first")
    is_first = ~part["visit_id"].duplicated(keep="first")
    identical = pd.Series(False, index=frame.index)
    clash = pd.Series(False, index=frame.index)
    identical[part.index] = (~is_first & (content == first_content)).to_numpy()
    clash[part.index] = (~is_first & (content != first_content)).to_numpy()
    if clash.any():
        first_line = part[is_first].set_index("visit_id")["line"]
        clashing = frame[clash]
        problems.append(pd.DataFrame({
            "line": clashing["line"], "column": "visit_id",
            "reason": "visit_id " + clashing["visit_id"] + " already appears on line "
            + clashing["visit_id"].map(first_line).astype(str) + " with different content",
            "visit_id": clashing["visit_id"], "code": "duplicate_visit_id"}))
    return frame[~identical & ~clash], problems, int(identical.sum())


def _not_a_timestamp(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda rows: rows[column].radd(f"{column} is not an ISO 8601 timestamp: ")


def parse_visits(raw: pd.DataFrame, frames: CatalogFrames, timezone: str) -> ParsedVisits:
    """Validate text rows (from ``frame_from_text``) and type the good ones."""
    frame, problems, repeats = _drop_repeats(raw)

    def bad(mask: pd.Series, column: str, reason: str | Callable[[pd.DataFrame], pd.Series], code: str) -> None:
        """``reason``: the words, or a function of the bad rows that words each (written only
        for the rows that are bad, never for the whole file)."""
        if mask.any():
            rows = frame[mask]
            problems.append(pd.DataFrame({"line": rows["line"], "column": column,
                                          "reason": reason if isinstance(reason, str) else reason(rows),
                                          "visit_id": rows["visit_id"], "code": code}))

    for column in TEXT_COLUMNS:
        bad(_holds_control_character(frame[column]), column,
            f"{column} holds a control character (such as NUL); remove it", "control_character")
    for column, longest in MAX_LENGTHS.items():
        bad(frame[column].str.len() > longest, column, f"{column} is longer than {longest} characters", "too_long")
    for column in ("visit_id", "office_code", "service_code", "staff_id", "action"):
        bad(frame[column] == "", column, f"{column} is required", "required")
    action = frame["action"]
    bad((action != "") & ~action.isin(ACTIONS), "action",
        lambda rows: "unknown action " + rows["action"] + " (expected one of " + ", ".join(ACTIONS) + ")",
        "unknown_action")
    bad((frame["case_id"] == "") & (action != "consult") & (action != ""), "case_id",
        lambda rows: "case_id is required for a " + rows["action"] + " visit", "case_required")
    bad((action == "forward") & (frame["forwarded_to"] == ""), "forwarded_to",
        "forwarded_to is required for a forward visit", "forward_target_required")
    service = frame["service_code"]
    bad((service != "") & ~service.isin(frames.versions["service_code"]), "service_code",
        lambda rows: "unknown service " + rows["service_code"] + " (not in the catalog)", "unknown_service")

    stamps = {}
    for column in TIMESTAMP_COLUMNS:
        stamps[column], unreadable = parse_timestamps(frame[column], timezone)
        bad(unreadable, column, _not_a_timestamp(column), "not_a_timestamp")
    for column in ("called_at", "finished_at"):
        bad(frame[column] == "", column, f"{column} is required", "required")
    ticket, called, finished = stamps["ticket_at"], stamps["called_at"], stamps["finished_at"]
    bad(ticket > called, "ticket_at", "ticket_at is after called_at", "ticket_after_call")
    bad(called > finished, "finished_at", "finished_at is before called_at", "finish_before_call")

    ref = frame["applicant_ref"]
    iin = is_iin(ref)
    valid_iin = iin_is_valid(ref[iin])
    bad(iin & ~valid_iin.reindex(frame.index, fill_value=True), "applicant_ref",
        "applicant_ref looks like an IIN (12 digits) but its control digit is wrong", "iin_control_digit")

    day = np.full(len(frame), np.iinfo("int64").min, dtype="int64")
    has_called = called.notna().to_numpy()
    day[has_called] = local_day_numbers(called[has_called], timezone)
    version = frames.version_in_force(service, day)
    known_service = service.isin(frames.versions["service_code"]) & called.notna()
    def no_version_words(rows: pd.DataFrame) -> pd.Series:
        local_date = pd.Series(day[frame.index.get_indexer(rows.index)].astype("datetime64[D]").astype(str),
                               index=rows.index)
        return "no version of service " + rows["service_code"] + " is in force on " + local_date

    bad(known_service & (version < 0), "service_code", no_version_words, "no_version_in_force")

    bad_rows = (pd.concat(problems, ignore_index=True) if problems
                else pd.DataFrame(columns=BAD_ROW_COLUMNS))
    bad_rows = bad_rows.sort_values(["line", "column"], kind="stable").reset_index(drop=True)
    good = ~frame["line"].isin(bad_rows["line"])
    visits = frame[good].copy()
    for column in TIMESTAMP_COLUMNS:
        visits[column] = stamps[column][good]
    visits["day"] = day[good.to_numpy()]
    visits["version"] = version[good.to_numpy()]
    # A consultation belongs to no case: its findings carry an empty case_id (spec,
    # "Consult visits are visits"), and it counts in no case's timeline.
    visits["case_id"] = visits["case_id"].replace("", None).where(visits["action"] != "consult", None)
    return ParsedVisits(visits.reset_index(drop=True), bad_rows, repeats)
