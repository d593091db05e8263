"""The error raised for bad benchmark input: it names the file, the line and the column."""

from __future__ import annotations

from pathlib import Path


class BenchmarkError(ValueError):
    """Bad benchmark input. The message names the file and, where it applies, line and column."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        self.column = column
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
