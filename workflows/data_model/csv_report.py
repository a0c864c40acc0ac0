"""What a CSV import says (workflows.data_model.csv_io): the rows refused, with their file,
line and field, and how each file fared."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..exceptions import WorkflowError


class ImportRefused(WorkflowError):
    """The import cannot start (an unknown data type, a file that is not CSV)."""

    code = "INVALID_DATA"
    http_status = 400


@dataclass(frozen=True)
class RowError:
    """A row that was refused: where, which field ("" for the row as a whole), why."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class FileReport:
    """One file: which column went to which field, and how its rows fared."""

    file: str
    data_type: str
    #: header → field name, for the headers that were imported
    columns: dict[str, str] = field(default_factory=dict)
    #: headers that name no field (not imported)
    unknown: list[str] = field(default_factory=list)
    #: headers of fields a file cannot set, with why (not imported)
    skipped: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0
    refused: int = 0
    #: references to things that were not found, left empty (``empty_missing_links``)
    emptied_links: int = 0


class RowErrors(list):
    """The refused rows' messages: every one counted (``len``), the first ``KEPT`` kept, so
    a file of bad rows cannot fill the server's memory."""

    KEPT = 1000

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def append(self, error: RowError) -> None:  # type: ignore[override]
        self.total += 1
        if super().__len__() < self.KEPT:
            super().append(error)

    def __len__(self) -> int:
        return self.total

    @property
    def not_kept(self) -> int:
        return self.total - super().__len__()


@dataclass
class ImportReport:
    """What an import did. ``imported`` rows were written if ``committed`` (a dry run, or a
    refused import, counts what would have been)."""

    files: list[FileReport] = field(default_factory=list)
    errors: RowErrors = field(default_factory=RowErrors)
    #: why the import was refused as a whole, before any row (nothing was imported)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    keep_good_rows: bool = False
    committed: bool = False

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def refused(self) -> int:
        return sum(f.refused for f in self.files)

    @property
    def ok(self) -> bool:
        """Every row was imported (or, in a dry run, would be)."""
        return not self.problems and not self.errors

    def summary(self) -> str:
        if self.problems:
            return "Nothing was imported: " + "; ".join(self.problems)
        rows = _count(self.imported, "row")
        refused = f"; {_count(self.refused, 'row')} refused" if self.refused else ""
        emptied = sum(f.emptied_links for f in self.files)
        links = f"; {_count(emptied, 'link')} to missing things left empty" if emptied else ""
        if self.dry_run:
            return f"Dry run: {rows} would be imported{refused}{links}; nothing was written."
        if not self.committed:
            return (
                f"{_count(self.refused, 'row')} refused; nothing was imported "
                "(--keep-good-rows imports the good rows)."
            )
        return f"Imported {rows}{refused}{links}."


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"
