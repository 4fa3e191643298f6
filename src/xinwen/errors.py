"""One exception family for everything xinwen raises on purpose.

Every error names where it happened (file, line, field) when that is known, so
that the CLI can print one readable line instead of a traceback.
"""

from __future__ import annotations


class XinwenError(Exception):
    """Base class: a user-facing error with a readable message."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file) + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ReadError(XinwenError):
    """A source file or record could not be read."""


class DateError(ReadError):
    """A date string could not be understood."""


class StoreError(XinwenError):
    """The database is missing, locked, too new, or inconsistent."""


class NotFound(XinwenError):
    """An article id (or other named thing) does not exist."""


class QueryError(XinwenError):
    """A search or filter value that cannot be used as given."""
