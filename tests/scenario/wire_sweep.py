#!/usr/bin/python3
"""wire_sweep.py - one table of (field x hostile value) for the broker.

Every string, bytes and number field that a client sends the broker's
ROUTER (proto/fshare.proto), each given every value of VALUES (strings and
bytes) or NUMBERS, from a raw client (the encoder of hostile_client.py).
A row of FIELDS names the field, the values it takes, how to send one, and
what must come back: an error code (SPEC 5.2), OK (a success reply), or
NONE (nothing: the broker drops it, as a message that crossed a cancel).
After every case the effect is checked, not only that something answered:
the broker still answers the canary, the sweeper's session is still there
(unless the row says the broker drops it), and the snapshot holds exactly
the canary's and the sweeper's files. Adding a field is one row. Usage:

  wire_sweep.py REQ PASSWORD     prints {"cases": N, "failures": [...]}
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_client import (VERSION, dealer, f_bytes, f_varint, file_info,  # noqa: E402
                            message, parse, replies, request)

# --- the values ------------------------------------------------------------------------

VALUES = {
    "empty": b"", "nul": b"a\0b", "bad_utf8": b"a\xffb", "overlong": b"\xc0\xae\xc0\xae",
    "newline": b"a\nb", "esc": b"a\x1b[2Jb", "del": b"a\x7fb",
    "dotdot": b"..", "dotdot_mid": b"a/../b", "absolute": b"/abs", "double_slash": b"a//b",
    "trailing_slash": b"a/", "long": b"x" * 100000, "deep": b"/".join([b"d"] * 10000),
    "partial": b".c.txt.fshare-part",
}
# (a uint32 or enum field takes the low 32 bits: 2^63 arrives as 0)
NUMBERS = {"zero": 0, "max_u64": 2**64 - 1, "min_i64": 2**63, "max_u32": 2**32 - 1}
# Out of every range (a change to a number in range is a change)
BEYOND = {"max_u64": 2**64 - 1, "min_i64": 2**63}
DIGESTS = {"d0": b"", "d1": b"\xab", "d31": b"\xab" * 31, "d33": b"\xab" * 33,
           "d64_hex": b"ab" * 32, "d_long": b"\xab" * 100000}

OK, NONE = "ok", "none"
CRED, VERS, BAD, PROTO, USER, FILE, SESSION = 1, 3, 6, 7, 9, 10, 5
ALREADY, CANCELLED, UNREADABLE, INTERNAL = 2, 20, 13, 24

CANARY_FILES = [("c.txt", 10)]
SWEEPER_FILES = [("ok.txt", 5)]


def path_code(code):
    """The code for a hostile path: bad_request for a NUL (refused at
    decoding), else `code`."""
    return lambda name: BAD if name == "nul" else code


def only(code, **others):
    return lambda name: others.get(name, code)


# --- the rows --------------------------------------------------------------------------
# Each row: (field, values, send(ctx, value) -> reply or None, expect(value name)).
# ctx: .sock (the sweeper's connection), .session, .id(), .fresh (a new
# connection), and .transfer(...) for a live transfer (see Sweep).


def ping_with(ctx, session=None, msg_id=None, error=None):
    msg_id = ctx.id() if msg_id is None else msg_id
    data = f_varint(1, msg_id) + f_bytes(2, ctx.session if session is None else session)
    if error is not None:
        data += f_varint(3, 1) + f_bytes(4, error)
    return request(ctx.sock, data + f_bytes(16, b""))


def login_body(user=b"sweeper", password=None, version=VERSION, instance=None):
    body = f_bytes(1, user) + f_bytes(2, PASSWORD if password is None else password)
    body += f_varint(3, version)
    if instance is not None:
        body += f_bytes(5, instance)
    return body


def login_with(ctx, **fields):
    return request(ctx.fresh(), message(10, login_body(**fields), ctx.id()))


def publish_with(ctx, info):
    """A fresh user's login and a one-page Publish of `info`; its session
    is logged out when the page was taken."""
    sock = ctx.fresh()
    reply = request(sock, message(10, login_body(user=b"pub"), 1))
    if not reply or not reply.ok:
        return None
    answer = request(sock, message(12, f_bytes(1, info), 2, reply.session))
    # Whatever became of the session (a refused page drops it), none is left
    request(sock, message(14, b"", 3, reply.session))
    return answer


def change_with(ctx, kind, info, from_path=None):
    body = f_varint(1, kind) + f_bytes(2, info)
    if from_path is not None:
        body += f_bytes(3, from_path)
    return request(ctx.sock, message(18, body, ctx.id(), ctx.session), 400)


def info_of(path=b"ok.txt", size=5, mtime=1700000000, sha=None, mode=None):
    body = f_bytes(1, path) + f_varint(2, size) + f_varint(3, mtime)
    if sha is not None:
        body += f_bytes(4, sha)
    if mode is not None:
        body += f_varint(5, mode)
    return body


def get_with(ctx, owner=b"canary", path=b"c.txt"):
    return request(ctx.sock, message(30, f_bytes(1, owner) + f_bytes(2, path), ctx.id(),
                                     ctx.session), 1500)


def stray(ctx, body, transfer):
    """A transfer message for a transfer that does not exist."""
    field = {"opened": 32, "credit": 33, "chunk": 34, "done": 35, "cancel": 36}[body]
    data = message(field, f_varint(1, transfer), ctx.id(), ctx.session)
    frames = [data, b"xyz"] if body == "chunk" else [data]
    ctx.sock.send_multipart(frames)
    got = replies(ctx.sock, 300)
    return got[0] if got else None


def answer(sock, data, msg_id, seconds=3):
    """The reply to `data` (by its id), skipping anything else queued."""
    sock.send(data)
    deadline = time.time() + seconds
    while time.time() < deadline:
        for reply in replies(sock, 100):
            if reply and reply.id == msg_id:
                return reply
    return None


FIELDS = [
    # Message.session: anything but a live token is an unknown session
    ("Message.session", VALUES, lambda c, v: ping_with(c, session=v), path_code(SESSION)),
    # Message.error in a request means nothing: the ping is answered
    ("Message.error", VALUES, lambda c, v: ping_with(c, error=v), path_code(OK)),
    ("Message.id", NUMBERS, lambda c, v: ping_with(c, msg_id=v), only(OK)),
    # Login: nothing is said about an account before its password is right
    ("Login.user", VALUES, lambda c, v: login_with(c, user=v), path_code(CRED)),
    ("Login.password", VALUES, lambda c, v: login_with(c, password=v), path_code(CRED)),
    ("Login.version", NUMBERS, lambda c, v: login_with(c, version=v), only(VERS)),
    # bytes: any short value is an instance id; the sweeper is online
    ("Login.instance", VALUES, lambda c, v: login_with(c, instance=v),
     only(ALREADY, long=CRED, deep=CRED)),
    # Publish: a page with one bad file is refused whole, the session dropped
    # (a partial download's name is valid but never published: the rest is)
    ("Publish.path", VALUES, lambda c, v: publish_with(c, info_of(path=v)),
     only(BAD, partial=OK)),
    ("Publish.sha256", DIGESTS, lambda c, v: publish_with(c, info_of(sha=v)), only(BAD, d0=OK)),
    ("Publish.size", NUMBERS, lambda c, v: publish_with(c, info_of(size=v)),
     only(BAD, zero=OK, max_u32=OK)),
    ("Publish.mtime", NUMBERS, lambda c, v: publish_with(c, info_of(mtime=v)),
     only(BAD, zero=OK, max_u64=OK, max_u32=OK)),
    ("Publish.mode", NUMBERS, lambda c, v: publish_with(c, info_of(mode=v)),
     only(BAD, zero=OK, min_i64=OK)),
    # Change: refused, the session and the list as they were
    ("Change.added.path", VALUES, lambda c, v: change_with(c, 1, info_of(path=v)),
     path_code(BAD)),
    ("Change.removed.path", VALUES, lambda c, v: change_with(c, 3, info_of(path=v)),
     path_code(BAD)),
    ("Change.renamed.path", VALUES,
     lambda c, v: change_with(c, 4, info_of(path=v), from_path=b"ok.txt"), path_code(BAD)),
    # (a rename from a name never published is an add: of ok.txt, unchanged)
    ("Change.renamed.from", VALUES,
     lambda c, v: change_with(c, 4, info_of(), from_path=v), only(BAD, partial=NONE)),
    ("Change.kind", NUMBERS, lambda c, v: change_with(c, v, info_of()), only(BAD)),
    ("Change.sha256", DIGESTS, lambda c, v: change_with(c, 2, info_of(sha=v)),
     only(BAD, d0=NONE)),
    ("Change.size", BEYOND, lambda c, v: change_with(c, 2, info_of(size=v)), only(BAD)),
    ("Change.mtime", {"min_i64": 2**63}, lambda c, v: change_with(c, 2, info_of(mtime=v)),
     only(BAD)),
    ("Change.mode", NUMBERS, lambda c, v: change_with(c, 2, info_of(mode=v)),
     only(BAD, zero=NONE, min_i64=NONE)),
    # Get: an owner or path that is not listed
    ("Get.owner", VALUES, lambda c, v: get_with(c, owner=v), path_code(USER)),
    ("Get.path", VALUES, lambda c, v: get_with(c, path=v), path_code(FILE)),
    # Transfer messages for no transfer: dropped (they may have crossed a
    # cancel), but an owner's Opened or chunk for an id never given out (any
    # beyond the last) is answered a Cancel (protocol_error), so that the
    # owner lets go of what it opened
    ("Opened.transfer", NUMBERS, lambda c, v: stray(c, "opened", v), only(OK, zero=NONE)),
    ("Credit.transfer", NUMBERS, lambda c, v: stray(c, "credit", v), only(NONE)),
    ("Chunk.transfer", NUMBERS, lambda c, v: stray(c, "chunk", v), only(OK, zero=NONE)),
    ("Done.transfer", NUMBERS, lambda c, v: stray(c, "done", v), only(NONE)),
    ("Cancel.transfer", NUMBERS, lambda c, v: stray(c, "cancel", v), only(NONE)),
    # A live transfer of the canary's c.txt, the canary answering badly
    ("Opened.sha256", DIGESTS, lambda c, v: c.transfer(opened=dict(sha=v)),
     only(PROTO, d0=OK)),
    ("Opened.size", NUMBERS, lambda c, v: c.transfer(opened=dict(size=v)),
     only(PROTO, zero=OK, max_u32=OK)),
    ("Opened.offset", NUMBERS, lambda c, v: c.transfer(opened=dict(offset=v)),
     only(PROTO, zero=OK)),
    ("Opened.mtime", NUMBERS, lambda c, v: c.transfer(opened=dict(mtime=v)),
     only(PROTO, zero=OK, max_u64=OK, max_u32=OK)),
    ("Opened.mode", NUMBERS, lambda c, v: c.transfer(opened=dict(mode=v)),
     only(PROTO, zero=OK, min_i64=OK)),
    ("Chunk.sha256", DIGESTS, lambda c, v: c.transfer(chunk=dict(sha=v)),
     only(PROTO, d0=PROTO)),
    ("Chunk.offset", NUMBERS, lambda c, v: c.transfer(chunk=dict(offset=v)),
     only(PROTO, zero=OK)),
    # (a NUL: the owner's Cancel is malformed, never passed on; the transfer
    # ends protocol_error on both sides at once)
    ("Cancel.reason", VALUES, lambda c, v: c.transfer(cancel=dict(reason=v)),
     only(UNREADABLE, nul=PROTO)),
    # (no code: cancelled; a code beyond the table: internal, errcode.h)
    ("Cancel.code", NUMBERS, lambda c, v: c.transfer(cancel=dict(code=v)),
     only(INTERNAL, zero=CANCELLED, min_i64=CANCELLED)),
]

PASSWORD = b""


class Sweep:
    def __init__(self, req):
        self.req = req
        self.next_id = 100
        self.pinged = 0
        self.failures = []
        self.canary = dealer(req)
        self.canary_session = self.online(self.canary, b"canary", CANARY_FILES)
        self.sock = dealer(req)
        self.session = self.online(self.sock, b"sweeper", SWEEPER_FILES)
        self.socks = []

    def id(self):
        self.next_id += 1
        return self.next_id

    def fresh(self):
        sock = dealer(self.req)
        self.socks.append(sock)
        return sock

    def online(self, sock, user, files):
        reply = request(sock, message(10, login_body(user=user), 1))
        if not reply or not reply.ok:
            sys.exit("cannot log in %s: %s" % (user, reply and reply.error))
        page = b"".join(f_bytes(1, file_info(p, s)) for p, s in files)
        answer = request(sock, message(12, page, 2, reply.session))
        if not answer or not answer.ok:
            sys.exit("cannot publish for %s" % user)
        return reply.session

    # --- a live transfer ------------------------------------------------------------
    def keepalive(self):
        """Both sessions ping while one waits (the broker drops silent ones)."""
        if time.time() - self.pinged > 0.5:
            self.pinged = time.time()
            self.canary.send(message(16, b"", 8, self.canary_session))
            self.sock.send(message(16, b"", 8, self.session))

    def canary_wait(self, field, seconds=3):
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.keepalive()
            for reply in replies(self.canary, 100):
                if reply and reply.body == field:
                    return parse(reply.fields[field][0])
        return None

    def sweeper_wait(self, msg_id, seconds=3):
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.keepalive()
            for reply in replies(self.sock, 100):
                if reply and reply.id == msg_id:
                    return reply
        return None

    def transfer(self, opened=None, chunk=None, cancel=None):
        """Get c.txt; the canary answers with Opened (fields of `opened`
        changed), or a Cancel (`cancel`); with `chunk`, the sweeper grants
        credit and the canary sends the last chunk so changed. The sweeper's
        answer: the error, or OK once a good Opened/chunk came through."""
        get_id = self.id()
        self.sock.send(message(30, f_bytes(1, b"canary") + f_bytes(2, b"c.txt"), get_id,
                               self.session))
        serve = self.canary_wait(31)
        if serve is None:
            return None
        transfer = serve[1][0]
        if cancel is not None:
            body = f_varint(1, transfer) + f_bytes(2, cancel.get("reason", b"no"))
            body += f_varint(3, cancel.get("code", UNREADABLE))
            self.canary.send(message(36, body, 3, self.canary_session))
            return self.sweeper_wait(get_id)
        o = dict(size=10, mtime=1700000000, offset=0, sha=None, mode=None)
        o.update(opened or {})
        body = f_varint(1, transfer) + f_varint(2, o["size"]) + f_varint(3, o["mtime"])
        body += f_varint(4, o["offset"])
        body += f_bytes(5, o["sha"]) if o["sha"] is not None else b""
        body += f_varint(6, o["mode"]) if o["mode"] is not None else b""
        self.canary.send(message(32, body, 3, self.canary_session))
        answer = self.sweeper_wait(get_id)
        if answer is None or not answer.ok or chunk is None:
            self.end(transfer, get_id)
            return answer
        credit = f_varint(1, transfer) + f_varint(2, 1 << 20)
        self.sock.send(message(33, credit, get_id, self.session))
        if self.canary_wait(33) is None:
            return None
        k = dict(offset=0, sha=b"\x01" * 32)
        k.update(chunk)
        body = f_varint(1, transfer) + f_varint(2, k["offset"]) + f_varint(3, 1)
        body += f_bytes(4, k["sha"])
        self.canary.send_multipart([message(34, body, 4, self.canary_session), b"0123456789"])
        answer = self.sweeper_wait(get_id)
        self.end(transfer, get_id)
        return answer

    def end(self, transfer, get_id):
        """Whatever is left of the transfer is cancelled by the sweeper."""
        body = f_varint(1, transfer) + f_bytes(2, b"sweep") + f_varint(3, CANCELLED)
        self.sock.send(message(36, body, get_id, self.session))

    # --- the effect -----------------------------------------------------------------
    def snapshot(self):
        sock = self.fresh()
        sock.send(message(19, b"", 1))
        state, more = {}, True
        while more:
            got = replies(sock, 3000, 1)
            if not got:
                return "no snapshot"
            reply = got[0]
            if not reply or reply.body != 20:
                continue
            page = parse(reply.fields[20][0])
            for entry in page.get(3, []):
                user = parse(entry)
                name = user[1][0].decode("utf-8", "replace")
                for info in user.get(3, []):
                    f = parse(info)
                    state.setdefault(name, []).append((f[1][0].decode("utf-8", "replace"),
                                                      f.get(2, [0])[0], f.get(3, [0])[0]))
            more = page.get(4, [0])[0]
        return {user: sorted(files) for user, files in state.items()}

    def expected(self):
        return {"canary": sorted((p, s, 1700000000) for p, s in CANARY_FILES),
                "sweeper": sorted((p, s, 1700000000) for p, s in SWEEPER_FILES)}

    def check(self, case, want, reply):
        got = NONE if reply is None else OK if reply.ok else reply.code
        if want is None:
            want = got if got in (OK, NONE) else "ok or none"
        if got != want:
            self.failures.append("%s: %s, not %s (%s)" % (case, got, want,
                                                          reply.error if reply else ""))
        if reply is not None and not reply.ok:
            text = reply.fields.get(4, [b""])[0]
            try:
                decoded = text.decode("utf-8")
            except UnicodeDecodeError:
                decoded = None
            if decoded is None or any(ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0
                                      for ch in decoded) or len(text) > 1024:
                self.failures.append("%s: the error text is not clean: %r" % (case, text[:80]))
        ping_id = self.id()
        pong = answer(self.canary, message(16, b"", ping_id, self.canary_session), ping_id)
        if pong is None or pong.body != 17:
            self.failures.append("%s: the broker no longer answers the canary" % case)
            return False
        ping_id = self.id()
        pong = answer(self.sock, message(16, b"", ping_id, self.session), ping_id)
        if pong is None or pong.body != 17:
            self.failures.append("%s: the sweeper's session is gone (%s)"
                                 % (case, pong and pong.error))
            self.session = self.online(self.sock, b"sweeper", SWEEPER_FILES)
        state = self.snapshot()
        if state != self.expected():
            self.failures.append("%s: the state changed: %s" % (case, state))
            # Back to the expected state for the next case
            request(self.sock, message(14, b"", 9, self.session))
            self.session = self.online(self.sock, b"sweeper", SWEEPER_FILES)
        return True

    def run(self):
        cases = 0
        for field, values, send, expect in FIELDS:
            for name, value in values.items():
                case = "%s=%s" % (field, name)
                replies(self.sock, 0)
                replies(self.canary, 0)
                reply = send(self, value)
                cases += 1
                if not self.check(case, expect(name), reply):
                    break
                for sock in self.socks:
                    sock.close()
                self.socks = []
        return cases


def main():
    global PASSWORD
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    PASSWORD = sys.argv[2].encode()
    sweep = Sweep(sys.argv[1])
    cases = sweep.run()
    print(json.dumps({"cases": cases, "failures": sweep.failures}, indent=1))
    sys.exit(1 if sweep.failures or cases == 0 else 0)


if __name__ == "__main__":
    main()
