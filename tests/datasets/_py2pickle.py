"""Write pickles the way Python 2's cPickle wrote the CIFAR-10 batches (protocol 2).

Python 3 cannot emit Python 2 ``str`` objects (it pickles bytes via ``_codecs.encode``),
so to test against the real on-disk format these few opcodes are written by hand.
"""

from __future__ import annotations

import struct

import numpy as np


def _str(data: bytes) -> bytes:
    if len(data) < 256:
        return b"U" + bytes([len(data)]) + data  # SHORT_BINSTRING
    return b"T" + struct.pack("<i", len(data)) + data  # BINSTRING


def _int(value: int) -> bytes:
    if 0 <= value < 256:
        return b"K" + bytes([value])  # BININT1
    return b"J" + struct.pack("<i", value)  # BININT


def _obj(obj: object) -> bytes:
    if obj is None:
        return b"N"
    if isinstance(obj, bool):
        return b"\x88" if obj else b"\x89"
    if isinstance(obj, int):
        return _int(obj)
    if isinstance(obj, bytes):
        return _str(obj)
    if isinstance(obj, tuple):
        return b"(" + b"".join(_obj(o) for o in obj) + b"t"
    if isinstance(obj, list):
        return b"](" + b"".join(_obj(o) for o in obj) + b"e"
    if isinstance(obj, dict):
        return b"}(" + b"".join(_obj(k) + _obj(v) for k, v in obj.items()) + b"u"
    if isinstance(obj, np.ndarray):
        code = obj.dtype.str[1:].encode()
        head = (
            b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
            + _obj((0,))
            + _str(b"b")
            + b"\x87R"
        )
        dtype = (
            b"cnumpy\ndtype\n"
            + _str(code)
            + _int(0)
            + _int(1)
            + b"\x87R"
            + b"("
            + _int(3)
            + _str(obj.dtype.str[:1].encode())
            + b"NNN"
            + struct.pack("<ci", b"J", -1)
            + struct.pack("<ci", b"J", -1)
            + _int(0)
            + b"tb"
        )
        state = (
            b"("
            + _int(1)
            + _obj(tuple(obj.shape))
            + dtype
            + b"\x89"
            + _str(np.ascontiguousarray(obj).tobytes())
            + b"t"
        )
        return head + state + b"b"
    raise TypeError(type(obj))


def py2_dumps(obj: object) -> bytes:
    """Protocol-2 pickle bytes as Python 2 would have written ``obj``."""
    return b"\x80\x02" + _obj(obj) + b"."
