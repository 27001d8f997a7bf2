"""Joining Parquet part files into one file by copying bytes, without decoding a value.

A Parquet file is ``PAR1``, the column chunks, a footer (Thrift compact protocol, the
``FileMetaData`` of the format's ``parquet.thrift``), its length and ``PAR1`` again. Data pages
hold no file offsets: only the footer does. So parts with one schema join by copying each
part's chunks after the previous ones and writing one footer whose row groups are the parts'
row groups with every offset shifted by where the part's chunks now start. A Dask sweep's
workers write the parts; the client only copies bytes (``os.copy_file_range`` where the
kernel has it) and rewrites small footers, so it never becomes the bottleneck.

Offsets shifted (``parquet.thrift``, format 2.x): ``RowGroup.file_offset`` (5),
``ColumnChunk.file_offset`` (2), ``ColumnChunk.offset_index_offset`` (4) and
``column_index_offset`` (6), ``ColumnMetaData.data_page_offset`` (9),
``index_page_offset`` (10), ``dictionary_page_offset`` (11) and ``bloom_filter_offset`` (14).
Page indexes and Bloom filters hold offsets of their own, so parts must be written without
them (pyarrow's default); :func:`join` refuses parts that have them, or that differ in
schema, or that are encrypted, and the caller falls back to decoding.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["PartsDiffer", "copy_bytes", "decode", "encode", "footer", "join"]

MAGIC = b"PAR1"

# Thrift compact protocol type codes
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(
    13
)

# field ids in parquet.thrift
_FILE_NUM_ROWS, _FILE_SCHEMA, _FILE_ROW_GROUPS = 3, 2, 4
_FILE_KEY_VALUE, _FILE_ENCRYPTION = 5, 8
_GROUP_COLUMNS, _GROUP_FILE_OFFSET, _GROUP_ORDINAL = 1, 5, 7
_CHUNK_FILE_OFFSET, _CHUNK_META = 2, 3
_CHUNK_OFFSETS = (4, 6)  # offset index, column index
_CHUNK_CRYPTO = 8
_META_OFFSETS = (9, 10, 11)  # data page, index page, dictionary page
_META_BLOOM = 14


class PartsDiffer(ValueError):
    """The parts cannot be joined byte for byte (schema, page index, encryption)."""


Field = tuple[int, int, Any]
"""A decoded struct field: (field id, compact type, value)."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        value = self.data[self.at]
        self.at += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int) -> Any:
        if kind in (_TRUE, _FALSE):
            return kind == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            self.at += 8
            return self.data[self.at - 8 : self.at]
        if kind == _BINARY:
            size = self.varint()
            self.at += size
            return self.data[self.at - size : self.at]
        if kind in (_LIST, _SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            if element in (_TRUE, _FALSE):  # booleans in a collection are one byte each
                return element, [self.byte() for _ in range(size)]
            return element, [self.value(element) for _ in range(size)]
        if kind == _MAP:
            size = self.varint()
            types = self.byte() if size else 0
            key, val = types >> 4, types & 0x0F
            return key, val, [(self.value(key), self.value(val)) for _ in range(size)]
        if kind == _STRUCT:
            return self.struct()
        raise PartsDiffer(f"unknown Thrift compact type {kind}")

    def struct(self) -> list[Field]:
        fields: list[Field] = []
        last = 0
        while True:
            header = self.byte()
            kind = header & 0x0F
            if kind == _STOP:
                return fields
            delta = header >> 4
            last = last + delta if delta else self.zigzag()
            fields.append((last, kind, self.value(kind)))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


def _encode_value(kind: int, value: Any, out: bytearray) -> None:
    if kind in (_TRUE, _FALSE):
        return  # a struct field's boolean lives in its header
    if kind == _BYTE:
        out.append(value)
    elif kind in (_I16, _I32, _I64):
        out += _zigzag(value)
    elif kind == _DOUBLE:
        out += value
    elif kind == _BINARY:
        out += _varint(len(value)) + value
    elif kind in (_LIST, _SET):
        element, items = value
        if len(items) < 15:
            out.append(len(items) << 4 | element)
        else:
            out.append(0xF0 | element)
            out += _varint(len(items))
        for item in items:
            if element in (_TRUE, _FALSE):
                out.append(item)
            else:
                _encode_value(element, item, out)
    elif kind == _MAP:
        key, val, pairs = value
        out += _varint(len(pairs))
        if pairs:
            out.append(key << 4 | val)
        for k, v in pairs:
            _encode_value(key, k, out)
            _encode_value(val, v, out)
    else:
        _encode_struct(value, out)


def _encode_struct(fields: list[Field], out: bytearray) -> None:
    last = 0
    for fid, kind, value in fields:
        if kind in (_TRUE, _FALSE):
            kind = _TRUE if value else _FALSE
        if 0 < fid - last <= 15:
            out.append((fid - last) << 4 | kind)
        else:
            out.append(kind)
            out += _zigzag(fid)
        _encode_value(kind, value, out)
        last = fid
    out.append(_STOP)


def encode(fields: list[Field]) -> bytes:
    """A struct in the Thrift compact protocol (the inverse of :func:`decode`)."""
    out = bytearray()
    _encode_struct(fields, out)
    return bytes(out)


def decode(data: bytes) -> list[Field]:
    """A Thrift compact struct as a list of (field id, type, value)."""
    return _Reader(data).struct()


def _get(fields: list[Field], fid: int) -> Any:
    return next((value for f, _, value in fields if f == fid), None)


def _shift(fields: list[Field], ids: Sequence[int], by: int) -> list[Field]:
    return [(f, k, v + by if f in ids else v) for f, k, v in fields]


def _shift_group(group: list[Field], by: int, ordinal: int) -> list[Field]:
    out: list[Field] = []
    for fid, kind, value in group:
        if fid == _GROUP_COLUMNS:
            element, chunks = value
            value = (element, [_shift_chunk(chunk, by) for chunk in chunks])
        elif fid == _GROUP_FILE_OFFSET:
            value += by
        elif fid == _GROUP_ORDINAL:
            value = ordinal
        out.append((fid, kind, value))
    return out


def _shift_chunk(chunk: list[Field], by: int) -> list[Field]:
    if any(f in (*_CHUNK_OFFSETS, _CHUNK_CRYPTO) for f, _, _ in chunk):
        raise PartsDiffer("a part has a page index or encrypted columns")
    out: list[Field] = []
    for fid, kind, value in chunk:
        if fid == _CHUNK_FILE_OFFSET and value:  # deprecated; writers such as pyarrow leave it 0
            value += by
        elif fid == _CHUNK_META:
            if _get(value, _META_BLOOM) is not None:
                raise PartsDiffer("a part has Bloom filters")
            value = _shift(value, _META_OFFSETS, by)
        out.append((fid, kind, value))
    return out


def footer(path: str | Path) -> tuple[int, list[Field]]:
    """Where a part's footer starts (the end of its chunks) and the footer decoded."""
    with open(path, "rb") as source:
        source.seek(-8, os.SEEK_END)
        tail = source.read(8)
        if tail[4:] != MAGIC:
            raise PartsDiffer(f"{path} is not a Parquet file")
        (length,) = struct.unpack("<I", tail[:4])
        end = source.seek(-8 - length, os.SEEK_END)
        return end, decode(source.read(length))


def copy_bytes(source: BinaryIO, sink: BinaryIO, start: int, count: int) -> None:
    """``count`` bytes of ``source`` from ``start`` to the end of ``sink``, in the kernel if it can."""
    sink.flush()
    if hasattr(os, "copy_file_range"):
        offset = start
        while count > 0:
            try:
                done = os.copy_file_range(source.fileno(), sink.fileno(), count, offset)
            except OSError:
                break  # e.g. across file systems on old kernels: copy in user space
            if done == 0:
                break
            offset += done
            count -= done
        sink.seek(0, os.SEEK_END)
        start = offset
    source.seek(start)
    while count > 0:
        block = source.read(min(count, 1 << 24))
        if not block:
            raise OSError("a Parquet part ended early")
        sink.write(block)
        count -= len(block)


def join(parts: Iterable[str | Path], target: str | Path) -> int:
    """Write ``parts`` (Parquet files of one schema) as one Parquet file; returns its rows.

    ``parts`` may be a generator that yields each part once it is complete: each is copied
    as it comes. Raises :class:`PartsDiffer` when the parts cannot be joined byte for byte
    (different schemas or key-value metadata, page indexes, Bloom filters, encryption); the
    target is then incomplete and the caller writes it another way.
    """
    first: list[Field] | None = None
    groups: list[list[Field]] = []
    rows = 0
    with open(target, "wb") as sink:
        sink.write(MAGIC)
        for part in parts:
            end, meta = footer(part)
            if _get(meta, _FILE_ENCRYPTION) is not None:
                raise PartsDiffer("a part is encrypted")
            first = first or meta
            for fid in (_FILE_SCHEMA, _FILE_KEY_VALUE):
                if _get(meta, fid) != _get(first, fid):
                    raise PartsDiffer("the parts' schemas differ")
            by = sink.tell() - len(MAGIC)
            for group in _get(meta, _FILE_ROW_GROUPS)[1]:
                groups.append(_shift_group(group, by, len(groups)))
            rows += _get(meta, _FILE_NUM_ROWS)
            with open(part, "rb") as source:
                copy_bytes(source, sink, len(MAGIC), end - len(MAGIC))
        if first is None:
            raise PartsDiffer("no parts")
        if len(groups) >= 1 << 15:
            raise PartsDiffer("more row groups than a row group ordinal can number")
        meta = []
        for fid, kind, value in first:
            if fid == _FILE_NUM_ROWS:
                value = rows
            elif fid == _FILE_ROW_GROUPS:
                value = (_STRUCT, groups)
            meta.append((fid, kind, value))
        data = encode(meta)
        sink.write(data + struct.pack("<I", len(data)) + MAGIC)
    return rows
