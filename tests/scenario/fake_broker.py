#!/usr/bin/python3
"""fake_broker.py - something posing as a broker that an agent logs in to.

Not built on fshare's code: it binds a ROUTER and a PUB with Debian's
python3-zmq and encodes the messages of proto/fshare.proto by hand (the
encoder of hostile_client.py), so that it can say what no broker would. It
accepts any login, takes the agent's file pages, answers pings and
snapshots, and serves until killed (SIGTERM). One line on stdout per thing
it did. Usage:

  fake_broker.py REQ PUB SCRIPT

SCRIPT is a JSON file: {"broker": ID, "snapshot": [USER...], "events":
[EVENT...], "serve": {PATH: MODE}} (ID: the broker's instance id,
"fakebroker1" unless given). USER: {"user": NAME, "files": [FILE...]}, FILE:
{"path", "size", "mtime", "sha256": hex}. The snapshot lists those users
(mallory is always one, with every PATH of "serve" as a file of the size
its mode gives). EVENT: {"type": N, "user", "file": FILE, "files": [...],
"seq_skip": K (jump the sequence by K), "broker": other instance id};
published on the "files" topic once the agent has subscribed and loaded
the snapshot.
A Get of PATH from mallory is answered per MODE:

  good          Opened{size 10}, one chunk of 10 bytes, the right digest
  longer        Opened{size 10}, a chunk of 20 bytes
  beyond        Opened{size 10}, chunks of 8 and 8 bytes (the second last)
  short_digest  Opened{size 10}, 10 bytes, a 31-byte digest
  wrong_digest  Opened{size 10}, 10 bytes, a digest of other bytes
  offset        Opened{size 10}, a chunk at offset 5
  twice         Opened, Opened again
  other_id      Opened, then a chunk under another transfer id
  no_data       Opened, then a last chunk without its data frame
  three_frames  Opened, then a chunk with two data frames
  opened_data   Opened with a data frame (no Opened has one)
  opened_three  Opened with two data frames
  wrong_body    a PublishOk (status ok) as the answer to the Get
  credit_body   Opened, then a Credit (a request's body) under the Get's id
  trickle       Opened{size 10 MiB}, then a chunk of 100 bytes every 0.2 s
  no_session    an error unknown_session (code 5): as a broker that lost the
                agent's session, which must log in again
  gone          Opened{size 10}, then at the first credit an error owner_gone
                (code 11): with two users publishing PATH under one digest,
                the download switches between them, each "gone" at once
"stall_ms": N is the stall timeout told at login (30000 unless given).
"login": "busy" answers every Login `busy` (code 4), as a broker whose
login queue is always full, printing "busy login" for each.
  stray         a chunk under a Get id never asked, then like good
  huge          Opened{size 2^64-1} and a chunk of 10 bytes, last
  held          not answered while further Gets keep coming: once none has
                come for "hold_quiet_s" (1 unless given), "held K" (the
                Gets held then) and the oldest is answered as good
The agent's later Done or Cancel are printed ("done T", "cancel T CODE").
"serves": [SERVE...] asks the agent, once it is online, to serve each
SERVE: {"transfer", "path", "offset", "expect_size", "expect_mtime",
"requester"} (path as a string, or "hex" for raw bytes), one after the
other; the agent's answers are printed ("opened T OFFSET SIZE", "cancel T
CODE"), each Opened cancelled at once (code cancelled).
"serve_flood": {"path": P, "count": N} asks the agent, once it is online,
to serve its file P N times at once (Serve, transfers 1000001...), and
never grants credit; the agent's Opened and Cancel are counted and printed
as they come ("opened N", "cancelled CODE N" every 1,000).
"""
import hashlib
import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_client import f_bytes, f_varint, parse  # noqa: E402

BROKER = "fakebroker1"
SESSION = "fake-session"
CONTENT = b"0123456789"


def file_info(entry):
    body = f_bytes(1, entry["path"]) + f_varint(2, entry.get("size", 10))
    body += f_varint(3, entry.get("mtime", 1700000000))
    if entry.get("sha256") is not None:
        body += f_bytes(4, bytes.fromhex(entry["sha256"]))
    return body


def reply(msg_id, field, body):
    return f_varint(1, msg_id) + f_bytes(field, body)


def event(seq, spec, broker=BROKER):
    body = f_bytes(1, spec.get("broker", broker)) + f_varint(2, seq) + f_varint(3, 1)
    body += f_varint(4, spec["type"]) + f_bytes(5, spec.get("user", "mallory"))
    if "file" in spec:
        body += f_bytes(6, file_info(spec["file"]))
    if "from" in spec:
        body += f_bytes(7, spec["from"])
    for entry in spec.get("files", []):
        body += f_bytes(8, file_info(entry))
    if spec.get("count"):
        one = f_bytes(8, file_info({"path": "x"}))
        body += one * spec["count"]
    return body


SIZES = {"huge": 2**64 - 1, "trickle": 10 << 20}


def serve_sizes(serve):
    return {path: SIZES.get(mode, 10) for path, mode in serve.items()}


class Fake:
    def __init__(self, req, pub, script):
        ctx = zmq.Context.instance()
        self.router = ctx.socket(zmq.ROUTER)
        self.router.linger = 0
        #  No high-water mark: a ROUTER drops what is beyond it unseen, and a
        #  serve flood of 3,000 outran an agent on a loaded machine (it then
        #  refused fewer than the test counts on)
        self.router.sndhwm = 0
        self.router.bind(req)
        #  XPUB: the events go out only once the agent has subscribed
        self.pub = ctx.socket(zmq.XPUB)
        self.pub.linger = 0
        self.pub.bind(pub)
        self.pub_ep = pub
        self.script = script
        self.broker = script.get("broker", BROKER)
        self.seq = 0
        self.sent_events = False
        self.subscribed = False
        self.agent = None
        self.counts = {}
        self.loaded = False
        self.next_transfer = 100
        self.transfers = {}
        self.trickles = {}
        self.held = []
        self.last_get = 0.0

    def count(self, what, code):
        key = "%s %d" % (what, code) if code else what
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] % 1000 == 0:
            self.say("%s %d" % (key, self.counts[key]))

    def say(self, text):
        print(text, flush=True)

    def send(self, rid, data, *more):
        self.router.send_multipart([rid, data] + list(more))

    def snapshot_page(self):
        users = list(self.script.get("snapshot", []))
        mallory = [{"path": p, "size": s} for p, s in serve_sizes(self.script.get("serve", {})).items()]
        users.append({"user": "mallory", "files": mallory})
        body = f_bytes(1, self.broker) + f_varint(2, self.seq)
        for user in users:
            entry = f_bytes(1, user["user"]) + f_varint(2, 1700000000)
            entry += b"".join(f_bytes(3, file_info(f)) for f in user.get("files", []))
            body += f_bytes(3, entry)
        return body

    def publish_events(self):
        for spec in self.script.get("events", []):
            self.seq += 1 + spec.get("seq_skip", 0)
            self.pub.send_multipart([b"files", event(self.seq, spec, self.broker)])
            self.say("event %d type %d" % (self.seq, spec["type"]))

    def on_get(self, rid, msg_id, get):
        path = get.get(2, [b""])[0].decode("utf-8", "surrogateescape")
        mode = self.script.get("serve", {}).get(path)
        self.say("get %s %s" % (path, mode))
        if mode is None:
            self.send(rid, f_varint(1, msg_id) + f_varint(3, 1) + f_bytes(4, "unknown file")
                      + f_varint(5, 10))
            return
        if mode == "no_session":
            self.send(rid, f_varint(1, msg_id) + f_varint(3, 1) + f_bytes(4, "unknown session")
                      + f_varint(5, 5))
            return
        if mode == "held":
            self.held.append((rid, msg_id, get))
            self.last_get = time.monotonic()
            return
        transfer = self.next_transfer
        self.next_transfer += 1
        size = SIZES.get(mode, 10)
        opened = f_varint(1, transfer) + f_varint(2, size) + f_varint(3, 1700000000)
        if mode == "opened_data":
            self.send(rid, reply(msg_id, 32, opened), CONTENT)
            return
        if mode == "opened_three":
            self.send(rid, reply(msg_id, 32, opened), CONTENT, CONTENT)
            return
        if mode == "wrong_body":
            self.send(rid, reply(msg_id, 13, b""))
            return
        if mode == "stray":
            self.send(rid, reply(msg_id + 1000, 34, f_varint(1, transfer)), CONTENT)
            mode = "good"
        self.send(rid, reply(msg_id, 32, opened))
        self.transfers[transfer] = (rid, msg_id, mode)

    def release_held(self):
        """The oldest held Get, answered as good once the Gets are quiet."""
        if not self.held or time.monotonic() < self.last_get + self.script.get("hold_quiet_s", 1):
            return
        self.say("held %d" % len(self.held))
        rid, msg_id, get = self.held.pop(0)
        self.last_get = time.monotonic()
        transfer = self.next_transfer
        self.next_transfer += 1
        opened = f_varint(1, transfer) + f_varint(2, 10) + f_varint(3, 1700000000)
        self.send(rid, reply(msg_id, 32, opened))
        self.transfers[transfer] = (rid, msg_id, "good")

    def chunk(self, rid, msg_id, transfer, offset, data, last, digest=None, frames=None):
        body = f_varint(1, transfer) + f_varint(2, offset)
        if last:
            body += f_varint(3, 1)
            body += f_bytes(4, hashlib.sha256(CONTENT).digest() if digest is None else digest)
        self.send(rid, reply(msg_id, 34, body), *([data] if frames is None else frames))

    def on_credit(self, transfer):
        if transfer not in self.transfers:
            return
        rid, msg_id, mode = self.transfers.pop(transfer)
        self.say("credit %d %s" % (transfer, mode))
        c = lambda *a, **k: self.chunk(rid, msg_id, transfer, *a, **k)  # noqa: E731
        if mode in ("good", "huge"):
            c(0, CONTENT, True)
        elif mode == "gone":
            self.send(rid, f_varint(1, msg_id) + f_varint(3, 1) + f_bytes(4, "the owner went away")
                      + f_varint(5, 11))
        elif mode == "longer":
            c(0, CONTENT * 2, True)
        elif mode == "beyond":
            c(0, CONTENT[:8], False)
            c(8, CONTENT[:8], True)
        elif mode == "short_digest":
            c(0, CONTENT, True, digest=b"x" * 31)
        elif mode == "wrong_digest":
            c(0, CONTENT, True, digest=hashlib.sha256(b"other").digest())
        elif mode == "offset":
            c(5, CONTENT[:5], True)
        elif mode == "twice":
            opened = f_varint(1, transfer) + f_varint(2, 10) + f_varint(3, 1700000000)
            self.send(rid, reply(msg_id, 32, opened))
        elif mode == "other_id":
            self.chunk(rid, msg_id, transfer + 50, 0, CONTENT, True)
        elif mode == "no_data":
            c(0, CONTENT, True, frames=[])
        elif mode == "three_frames":
            c(0, CONTENT, True, frames=[CONTENT[:5], CONTENT[5:]])
        elif mode == "trickle":
            self.trickles[transfer] = (rid, msg_id, 0)
        elif mode == "credit_body":
            self.send(rid, reply(msg_id, 33, f_varint(1, transfer) + f_varint(2, 10)))

    def on_message(self, rid, data, extra):
        try:
            fields = parse(data)
        except (ValueError, IndexError):
            self.say("undecodable")
            return
        msg_id = fields.get(1, [0])[0]
        body = next((n for n in fields if n >= 10), None)
        inner = parse(fields[body][0]) if body else {}
        if body == 10 and self.script.get("login") == "busy":
            self.say("busy login")
            busy = f_varint(1, msg_id) + f_varint(3, 1)
            busy += f_bytes(4, "busy: too many logins at once, try again") + f_varint(5, 4)
            self.send(rid, busy)
        elif body == 10:
            self.agent = rid
            self.say("login")
            ok = f_bytes(1, SESSION) + f_bytes(2, self.broker) + f_varint(3, self.seq)
            ok += f_bytes(4, self.pub_ep) + f_varint(5, 1000) + f_varint(6, 1 << 20)
            ok += f_varint(7, self.script.get("stall_ms", 30000))
            self.send(rid, reply(msg_id, 11, ok))
        elif body == 12:
            if not inner.get(2, [0])[0]:
                self.send(rid, reply(msg_id, 13, b""))
        elif body == 19:
            self.send(rid, reply(msg_id, 20, self.snapshot_page()))
            self.say("snapshot")
            self.loaded = True
            self.maybe_publish()
        elif body == 16:
            self.send(rid, reply(msg_id, 17, f_bytes(1, self.broker) + f_varint(2, self.seq)))
        elif body == 14:
            self.send(rid, reply(msg_id, 15, b""))
            self.say("logout")
        elif body == 30:
            self.on_get(rid, msg_id, inner)
        elif body == 33:
            self.on_credit(inner.get(1, [0])[0])
        elif body == 35:
            self.say("done %d" % inner.get(1, [0])[0])
        elif body == 36 and inner.get(1, [0])[0] > 10**6:
            self.count("cancelled", inner.get(3, [0])[0])
        elif body == 36:
            self.say("cancel %d %d" % (inner.get(1, [0])[0], inner.get(3, [0])[0]))
            self.trickles.pop(inner.get(1, [0])[0], None)
        elif body == 32 and inner.get(1, [0])[0] <= 10**6:
            transfer = inner.get(1, [0])[0]
            self.say("opened %d %d %d" % (transfer, inner.get(4, [0])[0], inner.get(2, [0])[0]))
            cancel = f_varint(1, transfer) + f_bytes(2, "enough") + f_varint(3, 20)
            self.send(rid, reply(0, 36, cancel))
        elif body == 32:
            self.count("opened", 0)

    def maybe_publish(self):
        if self.loaded and self.subscribed and not self.sent_events:
            self.sent_events = True
            self.publish_events()
            self.serve_flood()
            self.serve_list()

    def serve_list(self):
        for spec in self.script.get("serves", []):
            path = bytes.fromhex(spec["hex"]) if "hex" in spec else spec["path"]
            body = f_varint(1, spec["transfer"]) + f_bytes(2, path)
            for field, key in ((3, "offset"), (4, "expect_size"), (5, "expect_mtime")):
                body += f_varint(field, spec.get(key, 0))
            body += f_bytes(6, spec.get("requester", "eve"))
            self.send(self.agent, reply(0, 31, body))
        if self.script.get("serves"):
            self.say("served list")

    def serve_flood(self):
        flood = self.script.get("serve_flood")
        if not flood or not self.agent:
            return
        for transfer in range(1, flood["count"] + 1):
            serve = f_varint(1, 10**6 + transfer) + f_bytes(2, flood["path"]) + f_bytes(6, "eve")
            self.send(self.agent, reply(0, 31, serve))
        self.say("served %d" % flood["count"])

    def run(self):
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        poller.register(self.pub, zmq.POLLIN)
        trickled = 0
        while True:
            ready = dict(poller.poll(200 if self.trickles or self.held else None))
            self.release_held()
            if self.trickles and time.monotonic() >= trickled + 0.2:
                trickled = time.monotonic()
                for transfer, (rid, msg_id, offset) in list(self.trickles.items()):
                    self.chunk(rid, msg_id, transfer, offset, b"x" * 100, False)
                    self.trickles[transfer] = (rid, msg_id, offset + 100)
            if self.pub in ready:
                if self.pub.recv()[:1] == b"\x01":
                    self.say("subscribed")
                    self.subscribed = True
                    self.maybe_publish()
            if self.router in ready:
                frames = self.router.recv_multipart()
                if len(frames) >= 2:
                    self.on_message(frames[0], frames[1], frames[2:])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[3]) as script:
        Fake(sys.argv[1], sys.argv[2], json.load(script)).run()


if __name__ == "__main__":
    main()
