#!/usr/bin/env python3
"""A moving-average UDF speaking Kapacitor's UDF protocol (works with
Almanac and with Kapacitor). No dependencies: it carries its own small
protobuf encoder/decoder for the messages of udf.proto it uses.

TICKscript:

    stream
        |from().measurement('cpu')
        @movingAvg()
            .field('usage_idle')   // field to average (required)
            .size(10)              // points per window (required, > 0)
            .as('avg')             // output field (default 'avg')
        |httpOut('avg')

For each group it keeps the last `size` values of `field`; once the window
is full, every point yields one point with the same name, tags and time and
a single field `as` = the mean of the window. State is snapshotted and
restored per group (as JSON). Points without a numeric `field` are skipped.

Run it as a process (Almanac/Kapacitor config):

    [udf.functions.movingAvg]
        prog = "/usr/bin/python3"
        args = ["-u", "/path/to/moving_avg.py"]
        timeout = "10s"

or as a socket server that each task connects to:

    python3 moving_avg.py --socket /tmp/moving_avg.sock

    [udf.functions.movingAvg]
        socket = "/tmp/moving_avg.sock"
"""

import json
import os
import socket
import struct
import sys
import threading
from collections import deque

# --- protobuf wire format ----------------------------------------------------

VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5
# ValueType and EdgeType enums of udf.proto.
BOOL, INT, DOUBLE, STRING, DURATION = range(5)
STREAM, BATCH = 0, 1


def enc_varint(n):
    n &= (1 << 64) - 1  # negative int64 → two's complement, 10 bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def dec_varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift >= 70:
            raise ValueError("varint too long")


def int64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def tag(field, wire):
    return enc_varint(field << 3 | wire)


def f_varint(field, n):
    return tag(field, VARINT) + enc_varint(int(n))


def f_bytes(field, b):
    return tag(field, BYTES) + enc_varint(len(b)) + b


def f_str(field, s):
    return f_bytes(field, s.encode())


def f_double(field, x):
    return tag(field, FIXED64) + struct.pack("<d", x)


def f_map(field, d, enc_value):
    return b"".join(f_bytes(field, f_str(1, k) + enc_value(2, v)) for k, v in d.items())


def decode(buf):
    """Fields of a message: number → list of raw values (int or bytes)."""
    fields, i = {}, 0
    while i < len(buf):
        key, i = dec_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            v, i = dec_varint(buf, i)
        elif wire == FIXED64:
            v, i = buf[i:i + 8], i + 8
        elif wire == BYTES:
            n, i = dec_varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wire == FIXED32:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.setdefault(field, []).append(v)
    return fields


def first(fields, n, default):
    return fields.get(n, [default])[-1]


def text(fields, n):
    return bytes(first(fields, n, b"")).decode()


def dec_map(fields, n, value):
    out = {}
    for entry in fields.get(n, []):
        e = decode(entry)
        out[text(e, 1)] = value(e)
    return out


def dec_point(buf):
    f = decode(buf)
    return {
        "time": int64(first(f, 1, 0)),
        "name": text(f, 2),
        "database": text(f, 3),
        "retentionPolicy": text(f, 4),
        "group": text(f, 5),
        "dimensions": [bytes(d).decode() for d in f.get(6, [])],
        "tags": dec_map(f, 7, lambda e: text(e, 2)),
        "fieldsDouble": dec_map(f, 8, lambda e: struct.unpack("<d", first(e, 2, bytes(8)))[0]),
        "fieldsInt": dec_map(f, 9, lambda e: int64(first(e, 2, 0))),
        "fieldsString": dec_map(f, 10, lambda e: text(e, 2)),
        "fieldsBool": dec_map(f, 12, lambda e: bool(first(e, 2, 0))),
        "byName": bool(first(f, 11, 0)),
    }


def enc_point(p):
    return (
        f_varint(1, p["time"])
        + f_str(2, p["name"])
        + f_str(3, p["database"])
        + f_str(4, p["retentionPolicy"])
        + f_str(5, p["group"])
        + b"".join(f_str(6, d) for d in p["dimensions"])
        + f_map(7, p["tags"], f_str)
        + f_map(8, p.get("fieldsDouble", {}), f_double)
        + f_map(9, p.get("fieldsInt", {}), f_varint)
        + f_map(10, p.get("fieldsString", {}), f_str)
        + f_varint(11, p["byName"])
        + f_map(12, p.get("fieldsBool", {}), f_varint)
    )


def dec_option_value(buf):
    f = decode(buf)
    t = first(f, 1, 0)
    if t == BOOL:
        return bool(first(f, 2, 0))
    if t in (INT, DURATION):
        return int64(first(f, 3 if t == INT else 6, 0))
    if t == DOUBLE:
        return struct.unpack("<d", first(f, 4, bytes(8)))[0]
    return text(f, 5)


# --- framing -------------------------------------------------------------------


def read_message(stream):
    """One varint-length-prefixed message, or None at end of input."""
    length = shift = 0
    while True:
        b = stream.read(1)
        if not b:
            if shift == 0:
                return None
            raise EOFError("truncated length")
        length |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            break
        shift += 7
    data = stream.read(length)
    if len(data) != length:
        raise EOFError("truncated message")
    return data


def write_response(stream, field, body):
    msg = f_bytes(field, body)  # Response{oneof message}: one field
    stream.write(enc_varint(len(msg)) + msg)
    stream.flush()


# --- the moving average ---------------------------------------------------------

OPTIONS = {"field": [STRING], "size": [INT], "as": [STRING]}


class MovingAverage:
    def __init__(self, out):
        self.out = out
        self.field, self.size, self.as_ = None, 0, "avg"
        self.windows = {}

    def info(self):
        opts = f_map(3, OPTIONS, lambda n, types: f_bytes(n, f_bytes(1, b"".join(enc_varint(t) for t in types))))
        write_response(self.out, 1, f_varint(1, STREAM) + f_varint(2, STREAM) + opts)

    def init(self, body):
        for raw in decode(body).get(1, []):
            o = decode(raw)
            values = [dec_option_value(v) for v in o.get(2, [])]
            setattr(self, {"as": "as_"}.get(text(o, 1), text(o, 1)), values[0])
        error = ""
        if not self.field:
            error = "field is required: .field('name')"
        elif self.size <= 0:
            error = f"size must be > 0, got {self.size}"
        write_response(self.out, 2, f_varint(1, not error) + (f_str(2, error) if error else b""))

    def point(self, body):
        p = dec_point(body)
        value = p["fieldsDouble"].get(self.field, p["fieldsInt"].get(self.field))
        if value is None:
            return
        w = self.windows.setdefault(p["group"], deque(maxlen=self.size))
        w.append(float(value))
        if len(w) < self.size:
            return
        p["fieldsDouble"] = {self.as_: sum(w) / len(w)}
        p["fieldsInt"], p["fieldsString"], p["fieldsBool"] = {}, {}, {}
        write_response(self.out, 17, enc_point(p))

    def snapshot(self):
        state = json.dumps({g: list(w) for g, w in self.windows.items()}).encode()
        write_response(self.out, 4, f_bytes(1, state))

    def restore(self, body):
        try:
            state = json.loads(bytes(first(decode(body), 1, b"{}")) or b"{}")
            self.windows = {g: deque(v, maxlen=self.size) for g, v in state.items()}
            write_response(self.out, 5, f_varint(1, True))
        except ValueError as e:
            write_response(self.out, 5, f_varint(1, False) + f_str(2, f"bad snapshot: {e}"))

    def serve(self, inp):
        while (msg := read_message(inp)) is not None:
            for field, values in decode(msg).items():
                body = bytes(values[-1])
                if field == 1:
                    self.info()
                elif field == 2:
                    self.init(body)
                elif field == 3:  # keepalive: echo the time
                    write_response(self.out, 3, f_varint(1, int64(first(decode(body), 1, 0))))
                elif field == 4:
                    self.snapshot()
                elif field == 5:
                    self.restore(body)
                elif field == 17:
                    self.point(body)
                elif field in (16, 18):
                    write_response(self.out, 6, f_str(1, "moving_avg wants a stream, not batches"))
                    return


def serve_socket(path):
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen()
    print(f"moving_avg: listening on {path}", file=sys.stderr, flush=True)
    while True:
        conn, _ = srv.accept()

        def run(c=conn):
            with c, c.makefile("rb") as inp, c.makefile("wb") as out:
                try:
                    MovingAverage(out).serve(inp)
                except (OSError, EOFError, ValueError) as e:
                    print(f"moving_avg: connection ended: {e}", file=sys.stderr, flush=True)

        threading.Thread(target=run, daemon=True).start()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--socket":
        serve_socket(sys.argv[2])
    else:
        MovingAverage(sys.stdout.buffer).serve(sys.stdin.buffer)


if __name__ == "__main__":
    main()
