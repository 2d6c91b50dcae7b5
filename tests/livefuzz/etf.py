# SPDX-License-Identifier: Apache-2.0
"""etf.py - the external term format, both ways, for the live fuzzer.

A term model small enough to mutate: Python ints, floats, tuples, lists
and bytes (BINARY_EXT) stand for themselves; the classes below carry what
Python has no type for.  decode() of anything encode() writes gives the
same term back; funs and unknown tags are kept as Raw bytes, so a captured
message that holds one still re-encodes byte for byte.

Input is trusted to be well formed (it is our own captures and what B sent
us through distguard); a malformed term raises ValueError.
"""
import struct


class Atom(str):
    """An atom; a str subclass so that it compares with plain names."""
    __slots__ = ()

    def __repr__(self):
        return "'%s'" % str(self)


class Pid:
    __slots__ = ("node", "id", "serial", "creation")

    def __init__(self, node, id_, serial=0, creation=0):
        self.node, self.id, self.serial, self.creation = node, id_, serial, creation

    def key(self):
        return (str(self.node), self.id, self.serial, self.creation)

    def __eq__(self, o):
        return isinstance(o, Pid) and o.key() == self.key()

    def __hash__(self):
        return hash(("pid",) + self.key())

    def __repr__(self):
        return "<%s.%d.%d.%d>" % (self.node, self.id, self.serial, self.creation)


class Ref:
    __slots__ = ("node", "creation", "words")

    def __init__(self, node, creation, words):
        self.node, self.creation, self.words = node, creation, list(words)

    def key(self):
        return (str(self.node), self.creation, tuple(self.words))

    def __eq__(self, o):
        return isinstance(o, Ref) and o.key() == self.key()

    def __hash__(self):
        return hash(("ref",) + self.key())

    def __repr__(self):
        return "#Ref<%s.%s>" % (self.node, ".".join(str(w) for w in self.words))


class Port:
    __slots__ = ("node", "id", "creation")

    def __init__(self, node, id_, creation=0):
        self.node, self.id, self.creation = node, id_, creation

    def __repr__(self):
        return "#Port<%s.%d>" % (self.node, self.id)


class Improper:
    """[H1, ..., Hn | Tail] with a tail that is not []."""
    __slots__ = ("items", "tail")

    def __init__(self, items, tail):
        self.items, self.tail = list(items), tail

    def __repr__(self):
        return "[%s | %r]" % (", ".join(repr(x) for x in self.items), self.tail)


class Str(bytes):
    """STRING_EXT: a list of bytes 0..255 written compactly."""
    __slots__ = ()


class BitBin:
    __slots__ = ("data", "bits")

    def __init__(self, data, bits):
        self.data, self.bits = data, bits


class Map:
    """A map as its list of pairs (keys need not be hashable here)."""
    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def __repr__(self):
        return "#{%s}" % ", ".join("%r => %r" % kv for kv in self.pairs)


class Raw:
    """Encoded bytes kept as they are (funs, exports, tags we do not model)."""
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = bytes(data)

    def __repr__(self):
        return "Raw(%d:%s)" % (self.data[0], self.data[:16].hex())


# ---- encoding -------------------------------------------------------------

def _atom(a):
    b = a.encode() if isinstance(a, str) else bytes(a)
    if len(b) < 256:
        return bytes((119, len(b))) + b
    return struct.pack(">BH", 118, len(b)) + b


def _int(i):
    if 0 <= i < 256:
        return bytes((97, i))
    if -(1 << 31) <= i < (1 << 31):
        return struct.pack(">Bi", 98, i)
    sign, mag = (1, -i) if i < 0 else (0, i)
    digits = mag.to_bytes((mag.bit_length() + 7) // 8, "little")
    if len(digits) < 256:
        return struct.pack(">BBB", 110, len(digits), sign) + digits
    return struct.pack(">BIB", 111, len(digits), sign) + digits


def encode(t, out=None):
    """The term's bytes, without the 131 version byte."""
    top = out is None
    if top:
        out = []
    stack = [t]
    while stack:
        x = stack.pop()
        if isinstance(x, Raw):
            out.append(x.data)
        elif isinstance(x, Atom):
            out.append(_atom(x))
        elif isinstance(x, bool):
            out.append(_atom("true" if x else "false"))
        elif isinstance(x, int):
            out.append(_int(x))
        elif isinstance(x, float):
            out.append(struct.pack(">Bd", 70, x))
        elif isinstance(x, Str):
            if len(x) < 65536:
                out.append(struct.pack(">BH", 107, len(x)) + bytes(x))
            else:
                stack.append(list(x))
        elif isinstance(x, (bytes, bytearray)):
            out.append(struct.pack(">BI", 109, len(x)) + bytes(x))
        elif isinstance(x, BitBin):
            out.append(struct.pack(">BIB", 77, len(x.data), x.bits) + x.data)
        elif isinstance(x, tuple):
            out.append(bytes((104, len(x))) if len(x) < 256 else struct.pack(">BI", 105, len(x)))
            stack.extend(reversed(x))
        elif isinstance(x, list):
            if not x:
                out.append(b"\x6a")
            else:
                out.append(struct.pack(">BI", 108, len(x)))
                stack.append(Raw(b"\x6a"))
                stack.extend(reversed(x))
        elif isinstance(x, Improper):
            if not x.items:
                stack.append(x.tail)
                continue
            out.append(struct.pack(">BI", 108, len(x.items)))
            stack.append(x.tail)
            stack.extend(reversed(x.items))
        elif isinstance(x, Pid):
            out.append(b"\x58" + _atom(x.node) + struct.pack(">III", x.id, x.serial, x.creation))
        elif isinstance(x, Ref):
            out.append(struct.pack(">BH", 90, len(x.words)) + _atom(x.node) +
                       struct.pack(">I", x.creation) +
                       b"".join(struct.pack(">I", w & 0xffffffff) for w in x.words))
        elif isinstance(x, Port):
            out.append(b"\x59" + _atom(x.node) + struct.pack(">II", x.id, x.creation))
        elif isinstance(x, Map):
            out.append(struct.pack(">BI", 116, len(x.pairs)))
            for k, v in reversed(x.pairs):
                stack.append(v)
                stack.append(k)
        elif isinstance(x, str):
            out.append(_atom(x))
        else:
            raise TypeError("cannot encode %r" % (x,))
    return b"".join(out) if top else None


# ---- decoding -------------------------------------------------------------

def _need(b, p, n):
    if p + n > len(b):
        raise ValueError("term cut short at %d" % p)


def decode(b, p=0, refs=None):
    """(term, next position); raises ValueError on malformed input.  refs:
    the atoms of the frame's atom-cache header, for ATOM_CACHE_REF."""
    _need(b, p, 1)
    tag = b[p]
    p += 1
    if tag == 97:
        _need(b, p, 1)
        return b[p], p + 1
    if tag == 98:
        _need(b, p, 4)
        return struct.unpack(">i", b[p:p + 4])[0], p + 4
    if tag in (110, 111):
        if tag == 110:
            _need(b, p, 2)
            n, sign = b[p], b[p + 1]
            p += 2
        else:
            _need(b, p, 5)
            n, sign = struct.unpack(">IB", b[p:p + 5])
            p += 5
        _need(b, p, n)
        v = int.from_bytes(b[p:p + n], "little")
        return (-v if sign else v), p + n
    if tag == 70:
        _need(b, p, 8)
        return struct.unpack(">d", b[p:p + 8])[0], p + 8
    if tag in (100, 115, 118, 119):
        if tag in (100, 118):
            _need(b, p, 2)
            n = struct.unpack(">H", b[p:p + 2])[0]
            p += 2
        else:
            _need(b, p, 1)
            n = b[p]
            p += 1
        _need(b, p, n)
        return Atom(b[p:p + n].decode("utf-8", "replace")), p + n
    if tag == 82:
        _need(b, p, 1)
        if refs is None or b[p] >= len(refs):
            raise ValueError("atom cache reference without a header entry")
        return Atom(refs[b[p]]), p + 1
    if tag in (104, 105):
        if tag == 104:
            _need(b, p, 1)
            n = b[p]
            p += 1
        else:
            _need(b, p, 4)
            n = struct.unpack(">I", b[p:p + 4])[0]
            p += 4
        items = []
        for _ in range(n):
            x, p = decode(b, p, refs)
            items.append(x)
        return tuple(items), p
    if tag == 106:
        return [], p
    if tag == 107:
        _need(b, p, 2)
        n = struct.unpack(">H", b[p:p + 2])[0]
        p += 2
        _need(b, p, n)
        return Str(b[p:p + n]), p + n
    if tag == 108:
        _need(b, p, 4)
        n = struct.unpack(">I", b[p:p + 4])[0]
        p += 4
        items = []
        for _ in range(n):
            x, p = decode(b, p, refs)
            items.append(x)
        tail, p = decode(b, p, refs)
        if tail == []:
            return items, p
        return Improper(items, tail), p
    if tag == 109:
        _need(b, p, 4)
        n = struct.unpack(">I", b[p:p + 4])[0]
        p += 4
        _need(b, p, n)
        return bytes(b[p:p + n]), p + n
    if tag == 77:
        _need(b, p, 5)
        n, bits = struct.unpack(">IB", b[p:p + 5])
        p += 5
        _need(b, p, n)
        return BitBin(bytes(b[p:p + n]), bits), p + n
    if tag in (88, 103):
        node, p = decode(b, p, refs)
        k = 12 if tag == 88 else 9
        _need(b, p, k)
        if tag == 88:
            i, s, c = struct.unpack(">III", b[p:p + 12])
        else:
            i, s, c = struct.unpack(">IIB", b[p:p + 9])
        return Pid(node, i, s, c), p + k
    if tag in (90, 114):
        _need(b, p, 2)
        n = struct.unpack(">H", b[p:p + 2])[0]
        p += 2
        node, p = decode(b, p, refs)
        k = 4 if tag == 90 else 1
        _need(b, p, k + 4 * n)
        c = struct.unpack(">I", b[p:p + 4])[0] if tag == 90 else b[p]
        p += k
        words = list(struct.unpack(">%dI" % n, b[p:p + 4 * n]))
        return Ref(node, c, words), p + 4 * n
    if tag in (89, 120):
        node, p = decode(b, p, refs)
        if tag == 89:
            _need(b, p, 8)
            i, c = struct.unpack(">II", b[p:p + 8])
            return Port(node, i, c), p + 8
        _need(b, p, 12)
        i, c = struct.unpack(">QI", b[p:p + 12])
        return Port(node, i, c), p + 12
    if tag == 116:
        _need(b, p, 4)
        n = struct.unpack(">I", b[p:p + 4])[0]
        p += 4
        pairs = []
        for _ in range(n):
            k, p = decode(b, p, refs)
            v, p = decode(b, p, refs)
            pairs.append((k, v))
        return Map(pairs), p
    if tag == 112:          # NEW_FUN_EXT: Size covers the whole term
        _need(b, p, 4)
        n = struct.unpack(">I", b[p:p + 4])[0]
        _need(b, p - 1, n + 1)
        return Raw(b[p - 1:p + n]), p + n
    if tag == 113:          # EXPORT_EXT: three terms
        q = p
        for _ in range(3):
            _, q = decode(b, q, refs)
        return Raw(b[p - 1:q]), q
    raise ValueError("tag %d at %d not modelled" % (tag, p - 1))


def walk(t):
    """Every subterm of t, depth first (the term itself first)."""
    stack = [t]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, tuple):
            stack.extend(x)
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, Improper):
            stack.extend(x.items)
            stack.append(x.tail)
        elif isinstance(x, Map):
            for k, v in x.pairs:
                stack.append(k)
                stack.append(v)


def message(body):
    """A frame body in header mode (131,68,0 + control + payload) as
    (control, payload or None); raises ValueError otherwise."""
    if len(body) < 3 or body[0] != 131 or body[1] != 68 or body[2] != 0:
        raise ValueError("not an unfragmented header-mode frame without atom cache")
    ctl, p = decode(body, 3)
    if p == len(body):
        return ctl, None
    pay, q = decode(body, p)
    return ctl, pay
