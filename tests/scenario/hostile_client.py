#!/usr/bin/python3
"""hostile_client.py - a raw fshare client for the security scenarios.

Not built on fshare's code: it speaks ZeroMQ through Debian's python3-zmq and
encodes the protobuf messages of proto/fshare.proto by hand, so that it can
send what no fshare program ever would. Subcommands (each prints one JSON
object on stdout, and exits 1 when an expectation fails):

  hostile REQ PUB USER PASSWORD MAX_MESSAGE
      garbage of every kind on the request socket (empty, truncated,
      oversized and random frames, wrong frame counts, requests in the wrong
      state, a second login, absurd counts and sizes, traversal paths, raw
      bytes that are not ZMTP, junk subscriptions), then a flood of 20,000
      messages; checks the answers that must come back
  login REQ USER PASSWORD [--observer] [--server-key KEY]
      one login; {"ok", "error", "ms"}
  guess REQ USER PASSWORD COUNT
      COUNT logins in a row, each after the previous answer; {"ms": [...]}
  race REQ HELD_USER HELD_PASSWORD FREE_USER FREE_PASSWORD
      on two connections, both answered once first (a ping), a login as
      HELD_USER then one as FREE_USER (observers); which was answered first
      and how: {"order": ["free", "held"], "held_ok", "free_ok"}
  sub PUB SECONDS [--server-key KEY [--login REQ USER PASSWORD]]
      subscribe (plain, or CURVE with a fresh key pair, optionally logged in
      as an observer with that key first) and count the events; {"events"}
  paths REQ USER PASSWORD
      log in, publish, then offer hostile paths in Publish, Change and Get;
      {"answers": {name: error}} - every one must be refused
  owner REQ USER PASSWORD PATH SIZE MODE SECONDS
      publish PATH (SIZE bytes) and serve it badly: MODE "stall" answers
      Opened and one chunk, then only pings; "oversize" sends a data frame
      above 4 MiB (libzmq drops the connection), then pings from the
      reconnected DEALER; MODE "code=N" answers the Serve with a Cancel of
      code N (one that is not the transfer's to give, such as
      unknown_session); {"served", "cancel", "code"}
  flooder REQ USER PASSWORD PATH SIZE SECONDS
      publish PATH (SIZE bytes) and, once asked, send 1 MiB chunks as fast
      as the credit it is given allows, for SECONDS; {"credit", "sent",
      "cancel"}
  greedy REQ USER PASSWORD OWNER PATH MIB SECONDS
      Get OWNER's PATH on a DEALER that takes in next to nothing (receive
      high-water mark 1, 64 KiB socket buffer), then grant credit for MIB
      MiB in 1 MiB steps without reading a byte, pinging for SECONDS;
      {"opened", "granted"}
  hog REQ USER PASSWORD OWNER PATH COUNT SECONDS
      COUNT Gets of OWNER's PATH, never a credit, pinging for SECONDS;
      {"codes": {code: count}, "opened": N}
  checker REQ USER PASSWORD OWNER PATH SECONDS
      one Get of OWNER's PATH (no resume), then only "still checking"
      credits (bytes 0) and pings for SECONDS; {"opened", "code", "ms"}
      (ms: from Opened to the cancel)
  snapflood REQ USER PASSWORD FILES COUNT SECONDS
      publish FILES files (200-byte paths), then on another connection
      COUNT Snapshot requests that it does not read for SECONDS (pinging
      the first to keep it online); then it reads: {"answered": [ids of
      the requests answered], "pages"}
  snapmany REQ USER PASSWORD FILES COUNT SECONDS
      publish FILES files (200-byte paths), then COUNT connections (no
      login) that each ask one snapshot and never read; prints {"asked":
      COUNT} and holds them (and the session, pinging) for SECONDS
  manyitems REQ USER PASSWORD MAX_MESSAGE
      log in, then frames of MAX_MESSAGE bytes that cost the decoder an
      allocation every two bytes: a Publish of empty FileInfo entries, a
      Ping followed by unknown fields; {"answers": [[error, code]...],
      "session": whether it still answers a ping}
  deaf PUB SECONDS
      subscribe to everything and never read (receive high-water mark 1)
  mute REQ CONNECTIONS COUNT SECONDS [garbage]
      CONNECTIONS connections (no login) that each send COUNT Pings with a
      made-up session token (or COUNT frames that are no Message) and
      never read an answer; prints {"sent"} and holds them for SECONDS
  subflood PUB COUNT SIZE SECONDS
      COUNT subscriptions of SIZE random bytes, then "stats": prints "heard"
      at the first stats event; any event of another topic fails
  storm REQ USER PASSWORD FILES ROUNDS
      ROUNDS times: log in, publish FILES files with long paths (a storm of
      join pages), log out; {"rounds"}
  biglist REQ USER PASSWORD FILES
      publish FILES files of 200-byte paths in pages; {"error", "code"}
  nul REQ USER PASSWORD
      strings with an embedded NUL in every place a name, path or token
      goes; {"answers": {name: [error, code]}} - each a bad_request
  lockflood REQ CONNS SECONDS USER...
      wrong-password logins for the USERs (round robin) from CONNS
      connections, each sent again the moment its answer comes, for
      SECONDS or until SIGTERM; prints {"in_force": true} once each USER
      has been refused 3 times, at the end {"answers": {code: count},
      "refused": {user: count}}
"""
import json
import os
import random
import signal
import socket
import sys
import time

import zmq

VERSION = 3
TIMEOUT_MS = 5000

# --- protobuf wire format, by hand ------------------------------------------------


BUSY = "busy: too many logins at once, try again"


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def f_varint(number, value):
    return varint(number << 3) + varint(value)


def f_bytes(number, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return varint(number << 3 | 2) + varint(len(data)) + data


def file_info(path, size=1, mtime=1700000000):
    return f_bytes(1, path) + f_varint(2, size) + f_varint(3, mtime)


def message(body_field, body, msg_id=1, session=""):
    return f_varint(1, msg_id) + f_bytes(2, session) + f_bytes(body_field, body)


def login(user, password, msg_id=1, observer=False):
    body = f_bytes(1, user) + f_bytes(2, password) + f_varint(3, VERSION)
    if observer:
        body += f_varint(4, 1)
    return message(10, body, msg_id)


def publish(files, session, msg_id, more=False):
    body = b"".join(f_bytes(1, f) for f in files) + (f_varint(2, 1) if more else b"")
    return message(12, body, msg_id, session)


def change(kind, info, session, msg_id, from_path=""):
    body = f_varint(1, kind) + (f_bytes(2, info) if info is not None else b"")
    body += f_bytes(3, from_path) if from_path else b""
    return message(18, body, msg_id, session)


def ping(session, msg_id):
    return message(16, b"", msg_id, session)


def get(owner, path, session, msg_id):
    return message(30, f_bytes(1, owner) + f_bytes(2, path), msg_id, session)


def parse(data):
    """Top-level fields of a protobuf message: {number: [values]}."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, pos = read_varint(data, pos)
        elif kind == 2:
            length, pos = read_varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif kind == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif kind == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError("bad wire type")
        fields.setdefault(number, []).append(value)
    return fields


def read_varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


class Reply:
    def __init__(self, data):
        fields = parse(data)
        self.id = fields.get(1, [0])[0]
        self.error = fields.get(4, [b""])[0].decode("utf-8", "replace")
        self.ok = fields.get(3, [0])[0] == 0
        self.code = fields.get(5, [0])[0]
        self.fields = fields
        self.body = next((n for n in fields if n >= 10), None)
        self.session = ""
        if self.body == 11:
            self.session = parse(fields[11][0]).get(1, [b""])[0].decode()


# --- sockets ---------------------------------------------------------------------------

CTX = zmq.Context.instance()


def curve(sock, server_key):
    if server_key:
        public, secret = zmq.curve_keypair()
        sock.curve_publickey, sock.curve_secretkey = public, secret
        sock.curve_serverkey = server_key.encode()


def dealer(endpoint, server_key=None, keys=None):
    sock = CTX.socket(zmq.DEALER)
    sock.linger = 0
    sock.sndhwm = 0
    if keys:
        sock.curve_publickey, sock.curve_secretkey = keys
        sock.curve_serverkey = server_key.encode()
    else:
        curve(sock, server_key)
    sock.connect(endpoint)
    return sock


def replies(sock, wait_ms, want=None):
    """Replies until `want` have come or nothing arrives for wait_ms."""
    got = []
    while want is None or len(got) < want:
        if not sock.poll(wait_ms):
            break
        frames = sock.recv_multipart()
        try:
            got.append(Reply(frames[0]))
        except (ValueError, IndexError):
            got.append(None)
    return got


def request(sock, data, wait_ms=TIMEOUT_MS):
    sock.send(data)
    got = replies(sock, wait_ms, 1)
    return got[0] if got else None


FAILURES = []


def expect(condition, what):
    if not condition:
        FAILURES.append(what)


def finish(result):
    if FAILURES:
        result["failures"] = FAILURES
    print(json.dumps(result))
    sys.exit(1 if FAILURES else 0)


def do_login(sock, user, password, msg_id=1, observer=False):
    reply = request(sock, login(user, password, msg_id, observer))
    expect(reply is not None, "no answer to login of %s" % user)
    return reply


# --- hostile -----------------------------------------------------------------------------


def hostile(req, pub, user, password, max_message):
    max_message = int(max_message)
    rng = random.Random(20261124)
    counts = {}
    # The flood, made before any session exists (it takes a moment)
    flood = [ping("forged", 1000 + i) if i % 4 == 0 else
             rng.randbytes(rng.randint(1, 64)) if i % 4 == 1 else
             b"" if i % 4 == 2 else None
             for i in range(20000)]
    sock = dealer(req)

    # Junk subscriptions and raw non-ZMTP bytes: nobody answers, nothing breaks
    xsub = CTX.socket(zmq.XSUB)
    xsub.linger = 0
    xsub.connect(pub)
    for size in (0, 1, 7, 300, 70000):
        xsub.send(rng.randbytes(size))
    if req.startswith("ipc://"):
        for junk in (b"", b"\xff" * 10, b"GET / HTTP/1.0\r\n\r\n", os.urandom(4096)):
            raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            raw.settimeout(2)
            try:
                raw.connect(req[len("ipc://"):])
                raw.sendall(junk)
            except OSError:
                pass
            raw.close()

    # Empty, truncated, random frames: each gets "malformed message" or nothing
    sent = 0
    sock.send(b"")
    sent += 1
    whole = login(user, password, 7)
    for cut in (1, 2, 5, len(whole) - 1):
        sock.send(whole[:cut])
        sent += 1
    for _ in range(300):
        sock.send(rng.randbytes(rng.randint(1, 600)))
        sent += 1
    got = replies(sock, 1500)
    counts["garbage_sent"] = sent
    counts["garbage_answers"] = len(got)
    expect(any(r and r.error == "malformed message" for r in got), "no 'malformed message'")
    expect(len(got) <= sent, "more answers than garbage")

    # Wrong frame counts: dropped (no answer), or refused as not a chunk
    sock.send_multipart([login(user, password, 8), b"extra"])
    sock.send_multipart([login(user, password, 9), b"a", b"b", b"c"])
    sock.send_multipart([b"", b"", b"", b"", b""])
    got = replies(sock, 1000)
    counts["frames_answers"] = [r.error for r in got if r]
    expect(not any(r and r.ok for r in got), "a multi-frame login was accepted")

    # Valid requests in the wrong state: no session yet
    for i, data in enumerate([publish([file_info("a.txt")], "", 20), ping("", 21),
                              change(1, file_info("b.txt"), "", 22), get("alice", "a.txt", "", 23),
                              message(14, b"", 24, "forged-session"), ping("x" * 100000, 25)]):
        reply = request(sock, data)
        expect(reply is not None and not reply.ok and reply.error == "unknown session",
               "wrong-state request %d: %s" % (i, reply and reply.error))
    # Answers that a broker sends, sent to the broker
    for field in (11, 13, 15, 17, 20, 31, 32):
        reply = request(sock, message(field, b"", 40 + field))
        expect(reply is not None and not reply.ok, "answer-type %d accepted" % field)

    # Logged in: a second login, then absurd counts and sizes
    reply = do_login(sock, user, password, 100)
    expect(reply is not None and reply.ok, "hostile user cannot log in: %s" % (reply and reply.error))
    session = reply.session if reply else ""
    again = do_login(sock, user, password, 101)
    expect(again is not None and again.error == "already logged in", "second login: %s"
           % (again and again.error))
    # The oversized frame: libzmq drops it and the connection; we reconnect
    big = dealer(req)
    big.send(b"\x00" * (max_message + 1))
    counts["oversized_answer"] = len(replies(big, 500))
    expect(counts["oversized_answer"] == 0, "an oversized frame was answered")
    big.close()

    # A page of giant paths and a huge list: refused, session dropped
    reply = request(sock, publish([file_info("x" * 5000)], session, 102))
    expect(reply is not None and reply.error == "invalid file list", "giant path: %s"
           % (reply and reply.error))
    reply = do_login(sock, user, password, 103)
    session = reply.session if reply and reply.ok else ""
    count, page, msg_id, answers = 0, 3000, 104, []
    while count < 60000:
        files = [file_info("d%d/f%d" % (i % 50, i)) for i in range(count, count + page)]
        sock.send(publish(files, session, msg_id, more=True))
        count += page
        msg_id += 1
    answers = replies(sock, 1500)
    counts["huge_list_answers"] = [r.error for r in answers if r]
    expect(any(r and r.error == "too many files" for r in answers), "huge list not refused")

    # Changes with absurd values, in a fresh session
    reply = do_login(sock, user, password, 200)
    session = reply.session if reply and reply.ok else ""
    reply = request(sock, publish([file_info("ok.txt")], session, 201))
    expect(reply is not None and reply.ok, "honest-looking publish refused")
    bad_changes = [
        change(99, file_info("k.txt"), session, 202),
        change(1, None, session, 203),
        change(1, file_info("s.txt", size=(1 << 64) - 1), session, 204),
        change(1, file_info("m.txt", mtime=(1 << 63) - 1), session, 205),
        change(4, file_info("r.txt"), session, 206, from_path="../../etc/passwd"),
        change(1, file_info("/".join(["d"] * 200)), session, 207),
        change(1, file_info(b"a\xff\xfe"), session, 208),
        change(1, file_info("../up"), session, 209),
    ]
    for data in bad_changes:
        reply = request(sock, data)
        expect(reply is not None and not reply.ok, "absurd change accepted")

    # The flood: 20,000 messages as fast as they go (a quarter of them
    # real pings of our session). We read no answer meanwhile: beyond the
    # high-water marks the broker drops the answers, never blocks on us.
    started = time.time()
    for i, data in enumerate(flood):
        sock.send(data if data is not None else ping(session, 1000 + i))
    got = replies(sock, 1000)       # less than the session's 3 s liveness
    counts["flood_sent"] = len(flood)
    counts["flood_answers"] = len(got)
    counts["flood_pongs"] = sum(1 for r in got if r and r.body == 17)
    counts["flood_seconds"] = round(time.time() - started, 2)
    expect(len(got) >= 5000, "the broker stopped answering during the flood (%d)" % len(got))
    expect(counts["flood_pongs"] > 0, "no pong during the flood")
    # Still answering afterwards, on the same connection
    reply = request(sock, ping(session, 99999))
    expect(reply is not None and reply.ok, "no pong after the flood: %s" % (reply and reply.error))
    reply = request(sock, message(14, b"", 100000, session))
    expect(reply is not None and reply.body == 15, "no logout")

    # Logins padded to 2.5 MB with an unknown field, sent after a failure
    # so that the throttle holds them: the broker keeps only what a login
    # needs of each (sec_hostile.sh measures its memory: 64 held whole
    # would be 160 MB), and answers those beyond its queue of 64 "busy".
    # 90 of them: the throttle may release a few held ones (after 0.25,
    # 0.5, 1, 2 s...) while a slow (sanitized) broker is still reading.
    pad = dealer(req)
    first = request(pad, login(user, "wrong", 5000, True), 5000)
    expect(first is not None and first.error == "invalid user or password",
           "padded: first login: %s" % (first and first.error))
    filler = f_bytes(999, b"\0" * (5 * 512 * 1024))
    sent = 90
    for i in range(sent):
        body = (f_bytes(1, user) + f_bytes(2, "wrong") + f_varint(3, VERSION)
                + f_varint(4, 1) + filler)
        pad.send(message(10, body, 5001 + i))
    busy, deadline = 0, time.time() + 20
    while busy == 0 and time.time() < deadline:
        busy += sum(1 for r in replies(pad, 1000) if r and r.error == BUSY)
    counts["padded_sent"] = sent
    counts["padded_busy"] = busy
    expect(busy > 0, "no padded login was answered busy")
    pad.close()
    finish(counts)


# --- the other subcommands --------------------------------------------------------------


def option(args, name, default=None):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return default


def cmd_login(args):
    key = option(args, "--server-key")
    observer = "--observer" in args
    if observer:
        args.remove("--observer")
    req, user, password = args
    sock = dealer(req, key)
    start = time.time()
    reply = request(sock, login(user, password, 1, observer))
    ms = int((time.time() - start) * 1000)
    print(json.dumps({"ok": bool(reply and reply.ok), "error": reply.error if reply else
                      "no answer", "ms": ms}))


def cmd_guess(args):
    req, user, password, count = args
    sock = dealer(req)
    times = []
    for i in range(int(count)):
        start = time.time()
        reply = request(sock, login(user, password, i + 1, True), 60000)
        times.append(int((time.time() - start) * 1000))
        expect(reply is not None and reply.error == "invalid user or password",
               "guess %d: %s" % (i, reply and reply.error))
    finish({"ms": times})


def cmd_race(args):
    req, held_user, held_password, free_user, free_password = args
    socks = {"held": dealer(req), "free": dealer(req)}
    for name, sock in socks.items():    # connected, and the broker answers
        expect(request(sock, ping("", 1)) is not None, "no pong on %s" % name)
    socks["held"].send(login(held_user, held_password, 2, True))
    socks["free"].send(login(free_user, free_password, 2, True))
    poller = zmq.Poller()
    for sock in socks.values():
        poller.register(sock, zmq.POLLIN)
    order, ok = [], {}
    deadline = time.time() + TIMEOUT_MS / 1000
    while len(order) < 2 and time.time() < deadline:
        for sock, _ in poller.poll(100):
            name = "held" if sock is socks["held"] else "free"
            reply = Reply(sock.recv_multipart()[0])
            if reply.id == 2 and name not in order:
                order.append(name)
                ok[name] = reply.ok
    expect(len(order) == 2, "answers: %s" % order)
    finish({"order": order, "held_ok": ok.get("held"), "free_ok": ok.get("free")})


def cmd_sub(args):
    key = option(args, "--server-key")
    login_to = option(args, "--login")
    keys = zmq.curve_keypair() if key else None
    if login_to:
        user, password = args[2], args[3]
        del args[2:4]
        sock = dealer(login_to, key, keys)
        reply = request(sock, login(user, password, 1, True))
        expect(reply is not None and reply.ok, "login: %s" % (reply and reply.error))
    pub, seconds = args
    sub = CTX.socket(zmq.SUB)
    sub.linger = 0
    if keys:
        sub.curve_publickey, sub.curve_secretkey = keys
        sub.curve_serverkey = key.encode()
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(pub)
    events = 0
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        if sub.poll(max(1, int((deadline - time.time()) * 1000))):
            sub.recv_multipart()
            events += 1
            if login_to:
                sock.send(ping(reply.session, 2))   # keep the session
    finish({"events": events})


def cmd_paths(args):
    req, user, password = args
    # Another user's files, for the Get requests
    owner = dealer(req)
    reply = do_login(owner, user + "_owner", password)
    reply = request(owner, publish([file_info("fine.txt")], reply.session if reply else "", 2))
    expect(reply is not None and reply.ok, "owner's publish: %s" % (reply and reply.error))
    sock = dealer(req)
    reply = do_login(sock, user, password)
    session = reply.session if reply and reply.ok else ""
    reply = request(sock, publish([file_info("fine.txt")], session, 2))
    expect(reply is not None and reply.ok, "publish of fine.txt: %s" % (reply and reply.error))
    hostile_paths = {
        "dotdot": "..", "dotdot_prefix": "../secret", "dotdot_middle": "a/../../b",
        "dotdot_end": "a/..", "dot": "./a", "absolute": "/etc/passwd", "root": "/",
        "empty": "", "empty_component": "a//b", "trailing_slash": "a/",
        "newline": "a\nb", "escape": "a\x1b[2Jb", "del": "a\x7fb",
        "bad_utf8": b"a\xff.txt", "overlong_utf8": b"\xc0\xae\xc0\xae/x",
        "surrogate": b"\xed\xa0\x80", "long": "x" * 4097, "long_component": "y" * 256,
        "deep": "/".join(["d"] * 65), "partial": ".f.txt.fshare-part",
        "nul_traversal": b"\x00/../../etc/passwd",
    }
    answers = {}
    msg_id = 10
    for name, path in hostile_paths.items():
        for kind, data in (("change", change(1, file_info(path), session, msg_id)),
                           ("rename_to", change(4, file_info(path), session, msg_id + 1,
                                                from_path="fine.txt")),
                           ("rename_from", change(4, file_info("r.txt"), session, msg_id + 2,
                                                  from_path=path)),
                           ("get", get(user + "_owner", path, session, msg_id + 3))):
            # A rename from a name that cannot exist is an add (no answer)
            if kind == "rename_from" and name == "partial":
                continue
            reply = request(sock, data)
            answers["%s_%s" % (kind, name)] = reply.error if reply else "no answer"
            expect(reply is not None and not reply.ok, "%s %s accepted" % (kind, name))
        msg_id += 4
    # A Publish page holding one bad path is refused whole, session and all
    request(sock, message(14, b"", 98, session))
    reply = do_login(sock, user, password, 99)
    session = reply.session if reply and reply.ok else ""
    reply = request(sock, publish([file_info("good.txt"), file_info("../bad")], session, 100))
    answers["publish_dotdot"] = reply.error if reply else "no answer"
    expect(reply is not None and reply.error == "invalid file list", "publish of ../bad")
    finish({"answers": answers})


# --- owners and requesters that misbehave (issue 8) -------------------------------------

BAD_REQUEST, STALLED = 6, 19


def body_of(reply, number):
    """The sub-message `number` of a reply, parsed, or None."""
    if reply is None or number not in reply.fields:
        return None
    return parse(reply.fields[number][0])


def online_session(sock, user, password, files):
    reply = do_login(sock, user, password)
    session = reply.session if reply and reply.ok else ""
    reply = request(sock, publish(files, session, 2))
    expect(reply is not None and reply.ok, "publish: %s" % (reply and reply.error))
    return session


def wait_body(sock, session, number, seconds):
    """Ping until a message with body `number` (or an error) comes."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        sock.send(ping(session, 9))
        for reply in replies(sock, 200):
            if reply and (reply.body == number or not reply.ok):
                return reply
    return None


def cmd_owner(args):
    req, user, password, path, size, mode, seconds = args
    size, seconds = int(size), float(seconds)
    sock = dealer(req)
    session = online_session(sock, user, password, [file_info(path, size)])
    serve = body_of(wait_body(sock, session, 31, 30), 31)
    expect(serve is not None, "no Serve came")
    result = {"served": serve is not None, "cancel": None, "code": None}
    if serve and mode.startswith("code="):
        transfer = serve[1][0]
        cancel = f_varint(1, transfer) + f_bytes(2, "go away") + f_varint(3, int(mode[5:]))
        sock.send(message(36, cancel, 3, session))
        result["cancel"] = "sent"
        # Stay online (pinging) for the rest of the time, as an owner would
        deadline = time.time() + seconds
        while time.time() < deadline:
            sock.send(ping(session, 5))
            replies(sock, 200)
        serve = None
    if serve:
        transfer = serve[1][0]
        opened = f_varint(1, transfer) + f_varint(2, size) + f_varint(3, 1700000000)
        sock.send(message(32, opened, 3, session))
        credit = body_of(wait_body(sock, session, 33, 10), 33)
        expect(credit is not None, "no credit came")
        chunk = message(34, f_varint(1, transfer) + f_varint(2, 0), 4, session)
        if mode == "stall":
            sock.send_multipart([chunk, b"x" * min(1000, size)])
        else:
            sock.send_multipart([chunk, b"\0" * (4 * 1024 * 1024 + 1)])
        deadline = time.time() + seconds
        while time.time() < deadline and result["cancel"] is None:
            sock.send(ping(session, 5))
            for reply in replies(sock, 200):
                cancel = body_of(reply, 36)
                if cancel is not None:
                    result["cancel"] = cancel.get(2, [b""])[0].decode()
                    result["code"] = cancel.get(3, [0])[0]
    finish(result)


def cmd_hog(args):
    req, user, password, owner, path, count, seconds = args
    sock = dealer(req)
    session = online_session(sock, user, password, [])
    for i in range(int(count)):
        sock.send(get(owner, path, session, 100 + i))
    codes, opened = {}, 0
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        sock.send(ping(session, 7))
        for reply in replies(sock, 100):
            if reply is None:
                continue
            if reply.body == 32:
                opened += 1
            elif not reply.ok:
                codes[str(reply.code)] = codes.get(str(reply.code), 0) + 1
    finish({"codes": codes, "opened": opened})


def cmd_checker(args):
    req, user, password, owner, path, seconds = args
    sock = dealer(req)
    session = online_session(sock, user, password, [])
    opened = body_of(request(sock, get(owner, path, session, 100)), 32)
    expect(opened is not None, "the owner did not open %s" % path)
    result = {"opened": opened is not None, "code": None, "ms": None}
    started = time.time()
    while opened and result["code"] is None and time.time() < started + float(seconds):
        checking = f_varint(1, opened[1][0]) + f_varint(2, 0) + f_varint(3, 1)
        sock.send(message(33, checking, 8, session))
        sock.send(ping(session, 7))
        for reply in replies(sock, 200):
            if reply and not reply.ok:
                result["code"] = reply.code
                result["ms"] = int((time.time() - started) * 1000)
    finish(result)


def cmd_snapflood(args):
    req, user, password, count, requests, seconds = args
    sock = dealer(req)
    reply = do_login(sock, user, password)
    session = reply.session if reply and reply.ok else ""
    files = long_files(int(count), "snap")
    pages = [files[i:i + 2000] for i in range(0, len(files), 2000)]
    for i, page in enumerate(pages):
        sock.send(publish(page, session, 10 + i, more=i < len(pages) - 1))
    reply = replies(sock, 10000, 1)
    expect(reply and reply[0] and reply[0].ok, "publish refused")
    flood = dealer(req)
    flood.rcvhwm = 1
    for i in range(int(requests)):
        flood.send(message(19, b"", i + 1))
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        sock.send(ping(session, 5))
        replies(sock, 500)
    # Reading now: what was queued, then what waited
    answered, got = [], 0
    for reply in replies(flood, 3000):
        got += 1
        if reply and reply.body == 20 and reply.fields[1][0] not in answered:
            answered.append(reply.fields[1][0])
    finish({"answered": answered, "pages": got})


def cmd_snapmany(args):
    req, user, password, count, connections, seconds = args
    sock = dealer(req)
    reply = do_login(sock, user, password)
    session = reply.session if reply and reply.ok else ""
    files = long_files(int(count), "snap")
    pages = [files[i:i + 2000] for i in range(0, len(files), 2000)]
    for i, page in enumerate(pages):
        sock.send(publish(page, session, 10 + i, more=i < len(pages) - 1))
    reply = replies(sock, 10000, 1)
    expect(reply and reply[0] and reply[0].ok, "publish refused")
    crowd = []
    for i in range(int(connections)):
        d = CTX.socket(zmq.DEALER)
        d.linger = 0
        d.rcvhwm = 1
        d.rcvbuf = 4096
        d.connect(req)
        d.send(message(19, b"", 1))
        crowd.append(d)
    print(json.dumps({"asked": len(crowd)}), flush=True)
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        sock.send(ping(session, 5))
        replies(sock, 500)


def cmd_manyitems(args):
    req, user, password, max_message = args
    room = int(max_message) - 100
    sock = dealer(req)
    reply = do_login(sock, user, password)
    session = reply.session if reply and reply.ok else ""
    frames = [ping(session, 3) + f_varint(999, 0) * (room // 3),
              message(12, f_bytes(1, b"") * (room // 2), 2, session)]
    answers = []
    for data in frames:
        reply = request(sock, data)
        answers.append([reply.error, reply.code] if reply else None)
        expect(reply is not None and not reply.ok, "a frame of %d items was accepted" % len(data))
    reply = request(sock, ping(session, 4))
    finish({"answers": answers, "session": reply.ok if reply else None})


def cmd_nul(args):
    req, user, password = args
    owner = dealer(req)
    online_session(owner, user + "_owner", password, [file_info("fine.txt")])
    sock = dealer(req)
    session = online_session(sock, user, password, [file_info("mine.txt")])
    cases = {
        "login_user": login(user + "\0junk", password, 10),
        "login_password": login(user, password + "\0junk", 11),
        "session_token": ping(session + "\0junk", 12),
        "publish_path": publish([file_info("nul\0../../x")], session, 13),
        "change_path": change(1, file_info("nul\0../../x"), session, 14),
        "rename_from": change(4, file_info("r.txt"), session, 15, from_path="mine.txt\0x"),
        "get_owner": get(user + "_owner\0x", "fine.txt", session, 16),
        "get_path": get(user + "_owner", "fine.txt\0../../etc/passwd", session, 17),
    }
    answers = {}
    ids = {"login_user": 10, "login_password": 11, "session_token": 12, "publish_path": 13,
           "change_path": 14, "rename_from": 15, "get_owner": 16, "get_path": 17}
    for name, data in cases.items():
        reply = request(sock, data)
        answers[name] = [reply.error, reply.code, reply.id] if reply else "no answer"
        # Under the request's own id: the sender stops waiting at once
        expect(reply is not None and not reply.ok and reply.code == BAD_REQUEST
               and reply.id == ids[name], "%s: %s" % (name, answers[name]))
    # The session is intact, and the owner's list holds no cut name
    reply = request(sock, ping(session, 30))
    expect(reply is not None and reply.ok, "session lost: %s" % (reply and reply.error))
    finish({"answers": answers})


def cmd_deaf(args):
    pub, seconds = args
    sub = CTX.socket(zmq.SUB)
    sub.linger = 0
    sub.rcvhwm = 1
    sub.rcvbuf = 4096
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(pub)
    time.sleep(float(seconds))


def cmd_mute(args):
    req, connections, count, seconds = args[:4]
    payload = b"\xff\xff\xff" if args[4:] == ["garbage"] else ping("made-up-token", 1)
    CTX.max_sockets = int(connections) + 64
    socks = []
    for _ in range(int(connections)):
        sock = CTX.socket(zmq.DEALER)
        sock.linger = 0
        sock.rcvhwm = 1
        sock.rcvbuf = 4096
        sock.sndhwm = 0
        sock.connect(req)
        socks.append(sock)
    for sock in socks:
        for _ in range(int(count)):
            sock.send(payload)
    print(json.dumps({"sent": int(connections) * int(count)}), flush=True)
    time.sleep(float(seconds))


def cmd_subflood(args):
    """subflood PUB COUNT SIZE SECONDS: COUNT subscriptions of SIZE random
    bytes, then one to "stats"; prints "heard" once a stats event came
    (the broker has taken every subscription before it), then holds the
    connection SECONDS."""
    pub, count, size, seconds = args
    sub = CTX.socket(zmq.SUB)
    sub.linger = 0
    for _ in range(int(count)):
        sub.setsockopt(zmq.SUBSCRIBE, b"\xff" + os.urandom(int(size) - 1))
    sub.setsockopt(zmq.SUBSCRIBE, b"stats")
    sub.connect(pub)
    deadline = time.monotonic() + float(seconds)
    heard = False
    while time.monotonic() < deadline:
        if sub.poll(200):
            topic = sub.recv_multipart()[0]
            expect(topic == b"stats", "an event of topic %r came" % topic[:20])
            if not heard:
                print("heard", flush=True)
                heard = True


def long_files(count, tag):
    return [file_info("%s/%s/file-%06d.dat" % (tag, "d" * 120, i), i) for i in range(count)]


def cmd_storm(args):
    req, user, password, count, rounds = args
    sock = dealer(req)
    files = long_files(int(count), "storm")
    pages = [files[i:i + 2000] for i in range(0, len(files), 2000)]
    for r in range(int(rounds)):
        reply = do_login(sock, user, password, 1)
        session = reply.session if reply and reply.ok else ""
        for i, page in enumerate(pages):
            sock.send(publish(page, session, 10 + i, more=i < len(pages) - 1))
        reply = replies(sock, 10000, 1)
        expect(reply and reply[0] and reply[0].ok, "round %d: publish refused" % r)
        reply = request(sock, message(14, b"", 99, session))
        expect(reply is not None and reply.body == 15, "round %d: no logout" % r)
    finish({"rounds": int(rounds)})


def cmd_biglist(args):
    req, user, password, count = args
    sock = dealer(req)
    reply = do_login(sock, user, password)
    session = reply.session if reply and reply.ok else ""
    files = long_files(int(count), "big")
    pages = [files[i:i + 2000] for i in range(0, len(files), 2000)]
    for i, page in enumerate(pages):
        sock.send(publish(page, session, 10 + i, more=i < len(pages) - 1))
    got = [r for r in replies(sock, 3000) if r]
    refused = next((r for r in got if not r.ok), None)
    finish({"error": refused.error if refused else None,
            "code": refused.code if refused else None, "answers": len(got)})



def cmd_flooder(args):
    req, user, password, path, size, seconds = args
    size, seconds = int(size), float(seconds)
    sock = dealer(req)
    session = online_session(sock, user, password, [file_info(path, size)])
    serve = body_of(wait_body(sock, session, 31, 30), 31)
    expect(serve is not None, "no Serve came")
    result = {"credit": 0, "sent": 0, "cancel": None}
    if serve is None:
        finish(result)
    transfer = serve[1][0]
    sock.send(message(32, f_varint(1, transfer) + f_varint(2, size) + f_varint(3, 1700000000), 3, session))
    block = b"\0" * (1024 * 1024)
    deadline, pinged = time.time() + seconds, 0
    while time.time() < deadline and result["cancel"] is None:
        if time.time() - pinged > 0.5:
            sock.send(ping(session, 5))
            pinged = time.time()
        for reply in replies(sock, 0 if result["credit"] - result["sent"] >= len(block) else 50):
            credit, cancel = body_of(reply, 33), body_of(reply, 36)
            if credit is not None:
                result["credit"] += credit.get(2, [0])[0]
            if cancel is not None:
                result["cancel"] = cancel.get(2, [b""])[0].decode()
        while result["credit"] - result["sent"] >= len(block) and result["sent"] + len(block) < size:
            header = f_varint(1, transfer) + f_varint(2, result["sent"])
            sock.send_multipart([message(34, header, 4, session), block], copy=False)
            result["sent"] += len(block)
    finish(result)


def long_path(tag, length):
    """A path of about `length` bytes, components of 250."""
    parts, total = [], 0
    while total + 251 < length - 10:
        parts.append(tag * 250)
        total += 251
    return "/".join(parts + ["f" + tag])


def cmd_churn(args):
    """churn REQ USER PASSWORD SECONDS: one file of a ~3.7 KB path renamed
    back and forth as fast as the socket takes it; JSON counts of what was
    sent and how the broker answered (busy refusals by code)."""
    req, user, password, seconds = args[0], args[1], args[2], float(args[3])
    paths = [long_path("a", 3800), long_path("b", 3800)]
    sock = dealer(req)
    session = online_session(sock, user, password, [file_info(paths[0], 5)])
    result = {"sent": 0, "busy": 0, "other": 0, "path_bytes": len(paths[0])}
    start, pinged = time.time(), 0
    while time.time() - start < seconds:
        if time.time() - pinged > 0.5:
            sock.send(ping(session, 7))
            pinged = time.time()
        for reply in replies(sock, 0):
            if reply is None or reply.ok:
                continue
            result["busy" if reply.code == 4 else "other"] += 1
        n = result["sent"]
        sock.send(change(4, file_info(paths[(n + 1) % 2], 5), session, 100 + n,
                         from_path=paths[n % 2]))
        result["sent"] += 1
    for reply in replies(sock, 1000):
        if reply is not None and not reply.ok:
            result["busy" if reply.code == 4 else "other"] += 1
    result["seconds"] = time.time() - start
    finish(result)


def cmd_greedy(args):
    req, user, password, owner, path, mib, seconds = args
    sock = CTX.socket(zmq.DEALER)
    sock.linger = 0
    sock.rcvhwm = 1
    sock.rcvbuf = 64 * 1024
    curve(sock, None)
    sock.connect(req)
    session = online_session(sock, user, password, [])
    opened = body_of(request(sock, get(owner, path, session, 100)), 32)
    expect(opened is not None, "the owner did not open %s" % path)
    result = {"opened": opened is not None, "granted": 0}
    if opened is None:
        finish(result)
    transfer = opened[1][0]
    deadline, pinged = time.time() + float(seconds), 0
    while time.time() < deadline:
        if result["granted"] < int(mib) * 1024 * 1024:
            credit = f_varint(1, transfer) + f_varint(2, 1024 * 1024)
            sock.send(message(33, credit, 8, session))
            result["granted"] += 1024 * 1024
        if time.time() - pinged > 0.5:
            sock.send(ping(session, 7))
            pinged = time.time()
        time.sleep(0.002)
    finish(result)


def cmd_lockflood(args):
    req, conns, seconds, users = args[0], int(args[1]), float(args[2]), args[3:]
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    socks = [dealer(req) for _ in range(conns)]
    poller, sending = zmq.Poller(), {}
    for i, sock in enumerate(socks):
        poller.register(sock, zmq.POLLIN)
        sending[sock] = users[i % len(users)]
        sock.send(login(sending[sock], "wrong", 1))
    answers, refused, sent, in_force = {}, dict.fromkeys(users, 0), conns, False
    deadline = time.time() + seconds
    while not stop["now"] and time.time() < deadline:
        for sock, _ in poller.poll(100):
            reply = Reply(sock.recv_multipart()[0])
            answers[reply.code] = answers.get(reply.code, 0) + 1
            if reply.error == "invalid user or password":
                refused[sending[sock]] += 1
            sending[sock] = users[sent % len(users)]
            sock.send(login(sending[sock], "wrong", reply.id + 1))
            sent += 1
        if not in_force and min(refused.values()) >= 3:
            in_force = True
            print(json.dumps({"in_force": True}), flush=True)
    finish({"answers": answers, "refused": refused})


COMMANDS = {"lockflood": cmd_lockflood, "login": cmd_login, "guess": cmd_guess, "race": cmd_race, "sub": cmd_sub,
            "paths": cmd_paths, "owner": cmd_owner, "hog": cmd_hog, "checker": cmd_checker,
            "snapflood": cmd_snapflood, "snapmany": cmd_snapmany,
            "manyitems": cmd_manyitems, "deaf": cmd_deaf, "mute": cmd_mute, "subflood": cmd_subflood,
            "storm": cmd_storm, "biglist": cmd_biglist, "nul": cmd_nul,
            "flooder": cmd_flooder, "greedy": cmd_greedy, "churn": cmd_churn}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "hostile":
        hostile(*args)
    elif command in COMMANDS:
        COMMANDS[command](args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
