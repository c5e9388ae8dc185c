"""Arrow IPC stream framing: where each complete message ends, without decoding it.

A message is 0xFFFFFFFF, int32 metadata length, a flatbuffer `Message` of that length, then a body
whose length the flatbuffer declares. Reading only these few numbers tells a torn last message
(a prefix of a plausible message at the end of the file: wait for the rest) from damage (anything
else: one sentence). Sizes are bounded before any bytes are read or allocated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from actiscope_probe.runformat.errors import RunFormatError
from actiscope_probe.runformat.schema import MAX_MESSAGE_BYTES, MAX_METADATA_BYTES

CONTINUATION = 0xFFFFFFFF
SCHEMA_MESSAGE = 1        # flatbuffer MessageHeader union values
RECORD_BATCH_MESSAGE = 3
_PREFIX = struct.Struct("<Ii")


@dataclass
class Scan:
    """Complete messages found in a byte range (offsets relative to the range's start)."""

    end: int = 0                       # just past the last complete message (or the EOS marker)
    ended: bool = False                # the end-of-stream marker was reached
    schema_end: int | None = None      # end of the schema message, when the range starts with it
    batches: list[int] = field(default_factory=list)  # start of each record batch message


def scan(data: memoryview, *, at_start: bool, where: str, file_offset: int = 0) -> Scan:
    """Walk the messages in `data`; `at_start`: data begins at byte 0 (the schema message).

    Stops before a torn last message; RunFormatError for anything that cannot be a stream.
    """
    result = Scan()
    pos, size = 0, len(data)
    expect_schema = at_start
    while pos < size:
        if size - pos < _PREFIX.size:
            if bytes(data[pos:pos + 4]) != b"\xff" * min(4, size - pos):
                raise _damage(where, file_offset + pos)
            break
        continuation, meta_len = _PREFIX.unpack_from(data, pos)
        if continuation != CONTINUATION or meta_len < 0 or meta_len > MAX_METADATA_BYTES:
            raise _damage(where, file_offset + pos)
        if meta_len == 0:  # end-of-stream marker
            result.ended = True
            result.end = pos + _PREFIX.size
            if result.end != size:
                raise RunFormatError(f"{where} has data after its end-of-stream marker.")
            return result
        body_start = pos + _PREFIX.size + meta_len
        if body_start > size:
            break
        header, body_len = _message_fields(data[pos + _PREFIX.size:body_start], where,
                                           file_offset + pos)
        if body_len < 0 or body_len > MAX_MESSAGE_BYTES:
            raise RunFormatError(f"{where} declares a message of {body_len:,} bytes at byte "
                                 f"{file_offset + pos:,}, more than a run file ever holds.")
        if body_start + body_len > size:
            break
        wanted = SCHEMA_MESSAGE if expect_schema else RECORD_BATCH_MESSAGE
        if header != wanted:
            kind = "schema" if expect_schema else "record batch"
            raise RunFormatError(f"{where} holds a message of type {header} at byte "
                                 f"{file_offset + pos:,} where a {kind} belongs.")
        if expect_schema:
            result.schema_end = body_start + body_len
            expect_schema = False
        else:
            result.batches.append(pos)
        pos = body_start + body_len
        result.end = pos
    return result


def _damage(where: str, offset: int) -> RunFormatError:
    return RunFormatError(f"{where} is damaged: no Arrow IPC message starts at byte {offset:,}.")


def _message_fields(meta: memoryview, where: str, offset: int) -> tuple[int, int]:
    """(header type, body length) of a flatbuffer `Message` table, every offset bounds-checked."""
    size = len(meta)

    def read(fmt: str, at: int) -> int:
        width = struct.calcsize(fmt)
        if at < 0 or at + width > size:
            raise RunFormatError(f"{where} is damaged: the message header at byte {offset:,} "
                                 "is not a valid Arrow message.")
        return struct.unpack_from(fmt, meta, at)[0]

    table = read("<I", 0)
    vtable = table - read("<i", table)
    vtable_size = read("<H", vtable)
    read("<H", vtable + max(vtable_size - 2, 0))  # the whole vtable lies inside the header

    def field_offset(index: int) -> int:
        slot = 4 + 2 * index
        return read("<H", vtable + slot) if slot + 2 <= vtable_size else 0

    header_at, body_at = field_offset(1), field_offset(3)  # Message.header_type, .bodyLength
    header = read("<B", table + header_at) if header_at else 0
    body_len = read("<q", table + body_at) if body_at else 0
    return header, body_len
