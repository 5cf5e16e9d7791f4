"""Stream selected members out of a ``.tar.gz`` without extracting anything to disk.

Reading members in memory avoids path-traversal tricks in archive names entirely, and
every way a damaged archive can fail is turned into an error that names the archive.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from ._errors import FormatError, TruncatedError


def tar_members(archive: Path, select: Callable[[str], bool]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(member name, bytes)`` for each regular file whose name ``select`` accepts.

    Raises ``TruncatedError`` when the archive ends early and ``FormatError`` when it
    is not a readable tar.gz.

    >>> for name, data in tar_members(Path("a.tar.gz"), lambda n: n.endswith(".txt")):
    ...     print(name, len(data))  # doctest: +SKIP
    """
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not member.isfile() or not select(member.name):
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    raise FormatError(archive, f"cannot read member {member.name}")
                yield member.name, handle.read()
    except (EOFError, zlib.error) as exc:
        raise TruncatedError(archive, f"archive is truncated or corrupt ({exc})") from exc
    except tarfile.ReadError as exc:
        problem = str(exc)
        short = "unexpected end" in problem or "truncated" in problem
        raise (TruncatedError if short else FormatError)(
            archive, f"not a readable tar.gz ({problem})"
        ) from exc
    except OSError as exc:
        raise FormatError(archive, f"cannot read archive ({exc})") from exc
