"""Exceptions raised while locating, verifying and parsing dataset files.

Every error names the file (or URL, or archive member) and says what is wrong, so a
user can fix or delete the right thing. All of them derive from ``DatasetError``:

    DatasetError
    ├── ChecksumError        bytes differ from the published SHA-256
    ├── FormatError          the file is not in the expected format
    │   ├── HeaderError      IDX magic / dtype code / ndim / sizes that disagree with the data
    │   ├── TruncatedError   the data ends early (short file, cut-off gzip)
    │   ├── ShapeError       counts or shapes that disagree (images vs labels, CIFAR batches)
    │   ├── LabelError       labels outside the valid classes
    │   ├── DecodeError      text that is not valid UTF-8
    │   └── UnsafePickleError  a pickle that asks for anything but plain data
    ├── SourceError          a source could not be used at all (missing file, no network, pip)
    └── NoSourceError        every source failed; ``attempts`` lists them all
"""

from __future__ import annotations

import os


class DatasetError(Exception):
    """Base class: something is wrong with a dataset file or source.

    >>> err = DatasetError("/tmp/x.gz", "empty file")
    >>> str(err)
    '/tmp/x.gz: empty file'
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ChecksumError(DatasetError):
    """The file's SHA-256 differs from the published value."""

    def __init__(self, path: str | os.PathLike[str], expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(path, f"SHA-256 mismatch: expected {expected}, got {actual}")


class FormatError(DatasetError):
    """The file is readable but not in the expected format."""


class HeaderError(FormatError):
    """A header field is invalid or disagrees with the rest of the file."""


class TruncatedError(FormatError):
    """The file (or its compressed stream) ends before the data it announces."""


class ShapeError(FormatError):
    """Array shapes or counts disagree (e.g. 60000 images but 59999 labels)."""


class LabelError(FormatError):
    """A label lies outside ``0 .. num_classes - 1``."""


class DecodeError(FormatError):
    """Text that should be UTF-8 is not."""


class UnsafePickleError(FormatError):
    """A pickle refers to a global outside the small allowlist; nothing was executed."""


class SourceError(DatasetError):
    """A source could not provide the files at all (not found, network closed, pip failed)."""


class NoSourceError(DatasetError):
    """Every source failed. ``attempts`` holds ``(source description, exception)`` pairs.

    >>> err = NoSourceError("mnist", [("cache", SourceError("a.npz", "not found"))])
    >>> "a.npz: not found" in str(err)
    True
    """

    def __init__(self, dataset: str, attempts: list[tuple[str, BaseException]]) -> None:
        self.attempts = attempts
        lines = [f"  - {source}: {type(exc).__name__}: {exc}" for source, exc in attempts]
        super().__init__(dataset, "no source could provide the data; tried:\n" + "\n".join(lines))
