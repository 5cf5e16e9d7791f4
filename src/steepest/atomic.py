"""Atomic file writes: readers see the old file or the new one, never a part of either.

Every writer in steepest (dataset caches, checkpoints, logs) goes through here: the bytes go to a
temporary file in the same directory, which is flushed and fsync'ed, then renamed over the target
with ``os.replace`` (atomic on POSIX and Windows), and the directory is fsync'ed so the rename
itself survives a crash. A process killed mid-write leaves at most a ``.NAME.tmp-*`` file that no
loader reads.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str], before_replace: Callable[[str, str], None] | None = None
) -> Iterator[IO[bytes]]:
    """Open a temporary file next to ``path``; on success fsync it and rename it to ``path``.

    If the block raises, the temporary file is removed and ``path`` is untouched.
    ``before_replace(tmp, path)``, if given, runs just before the rename (tests use it to kill a
    process mid-save).

    >>> with atomic_writer("/tmp/example.bin") as f:
    ...     _ = f.write(b"all or nothing")
    >>> open("/tmp/example.bin", "rb").read()
    b'all or nothing'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{secrets.token_hex(6)}"
    # os.open with 0o666 lets the umask decide permissions, as for any normal file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if before_replace is not None:
            before_replace(str(tmp), str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes,
    before_replace: Callable[[str, str], None] | None = None,
) -> None:
    """Write ``data`` to ``path`` atomically (see ``atomic_writer``)."""
    with atomic_writer(path, before_replace) as f:
        f.write(data)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every OS can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
