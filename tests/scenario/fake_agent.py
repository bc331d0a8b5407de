#!/usr/bin/python3
"""fake_agent.py - something posing as an agent on a control socket.

Not built on fshare's code: it binds the control endpoint with Debian's
python3-zmq and encodes the CtlReply messages of proto/fshare.proto by
hand, so that it can answer what no agent would. It serves until killed
(SIGTERM), one line on stdout per request it answers. Subcommands:

  flood ENDPOINT MIB
      answers "status" as an online agent, and any other request (ls,
      peers, ...) with pages of about 64 KiB of files, each saying more
      follow, for as long as the client reads them, up to MIB MiB; then
      a last page. Logs "flood: gone after N bytes" when the client went
      away first, "flood: done, N bytes" when it took them all.
  web ENDPOINT DOWNLOADS MAP
      an online agent whose downloads directory is DOWNLOADS: alice (or
      each user of FAKE_USERS, comma-separated) publishes every path of
      the JSON object in the file MAP, and a get
      of one of them "saves" it where MAP says (the saved path reported,
      absolute, with the size of what is there), whatever that is. A
      path that MAP maps to null is a download that never ends: its get
      is accepted and then told of progress every 0.2 s, never of a
      result, until the client sends "cancel" or goes away.
  drip ENDPOINT SECONDS
      answers every request (status included) with empty replies that
      each say more follow, one every SECONDS, for ever: an agent that
      answers without ever finishing an answer.
  linger ENDPOINT SECONDS
      an online agent that answers "disconnect" with OK, then answers
      nothing more and exits SECONDS later (never, when SECONDS is
      negative), its socket still bound: an agent slow to finish.
"""
import json
import os
import sys
import time

import zmq


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# the one hand-written encoder of the tests: field = length-delimited,
# number = varint; parse gives {number: [values]}
from hostile_client import f_bytes as field, f_varint as number, parse  # noqa: E402,F401


def request_of(body):
    fields = parse(body)
    return {
        "command": fields.get(1, [b""])[0].decode(),
        "args": [arg.decode() for arg in fields.get(2, [])],
        "all": bool(fields.get(3, [0])[0]),
    }


# CtlReply: status 1, error 2, more 3, files 4, peers 5, agent 6, get 9
def file_info(path, size, mtime=1700000000):
    return field(1, path) + number(2, size) + number(3, mtime)


def user_file(user, path, size):
    return field(1, user) + field(2, file_info(path, size))


def agent_status(user, downloads):
    # user 1, state 2, broker 3, broker_id 4, seq 5, downloads 10, pid 11;
    # FAKE_STATE: another state word than "online" (a hostile one)
    state = os.environ.get("FAKE_STATE", "online")
    return (field(1, user) + field(2, state) + field(3, "ipc://fake")
            + field(4, "fake-broker") + number(5, 0) + field(10, downloads)
            + number(11, 4242))


class Agent:
    def __init__(self, endpoint):
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.linger = 0
        # An error, not a silent drop, when the client has gone away
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        # Little queued here: what was sent is about what the client took
        self.sock.sndhwm = 4
        self.sock.bind(endpoint)

    def send(self, peer, body, wait_ms=5000):
        """True once sent; False when the client went away (or stopped
        reading for wait_ms)."""
        while True:
            try:
                self.sock.send_multipart([peer, body], flags=zmq.NOBLOCK)
                return True
            except zmq.ZMQError as error:
                if error.errno == zmq.EHOSTUNREACH:
                    return False
                if error.errno != zmq.EAGAIN:
                    raise
            if not self.sock.poll(wait_ms, zmq.POLLOUT):
                return False

    def serve(self, answer, tick=None):
        """answer(peer, request) for each request; tick() every 0.2 s."""
        while True:
            if tick and not self.sock.poll(200):
                tick()
                continue
            frames = self.sock.recv_multipart()
            if len(frames) != 2:
                continue
            try:
                request = request_of(frames[1])
            except (ValueError, IndexError, UnicodeDecodeError):
                continue
            print(answer(frames[0], request), flush=True)


def flood(endpoint, mib):
    agent = Agent(endpoint)
    limit = mib * 1024 * 1024
    page = b"".join(field(4, user_file("mallory", "flood/%06d-%s" % (i, "x" * 90), i))
                    for i in range(500))

    def answer(peer, request):
        if request["command"] == "status":
            agent.send(peer, field(6, agent_status("mallory", "/nowhere")))
            return "status"
        sent = 0
        while sent < limit:
            if not agent.send(peer, number(3, 1) + page):
                return "flood: gone after %d bytes" % sent
            sent += len(page)
        agent.send(peer, page)
        return "flood: done, %d bytes" % sent

    agent.serve(answer)


def web(endpoint, downloads, map_file):
    with open(map_file) as handle:
        saved = json.load(handle)
    agent = Agent(endpoint)
    # FAKE_USERS: who publishes the MAP (default alice alone)
    users = os.environ.get("FAKE_USERS", "alice").split(",")

    def size_of(path):
        if path is None:
            return 100
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    stalled = set()                 # peers of the gets that never end

    def tick():
        for peer in list(stalled):
            # Progress: done 1, total 2
            if not agent.send(peer, number(3, 1) + field(8, number(1, 1) + number(2, 100)), 1000):
                stalled.discard(peer)

    def answer(peer, request):
        command = request["command"]
        if command == "cancel" and peer in stalled:
            stalled.discard(peer)
            # status ERROR (1), code cancelled (20)
            agent.send(peer, number(1, 1) + field(2, "cancelled") + number(11, 20))
            return "cancel"
        if command == "get" and len(request["args"]) == 2 and saved.get(request["args"][1], 0) is None:
            stalled.add(peer)
            agent.send(peer, number(3, 1))
            return "get %s: stalled" % request["args"][1]
        if command == "status":
            agent.send(peer, field(6, agent_status("bob", downloads)))
        elif command == "peers":
            # PeerInfo: user 1, files 2, since 3
            agent.send(peer, b"".join(
                field(5, field(1, user) + number(2, len(saved)) + number(3, 1700000000))
                for user in users))
        elif command == "ls":
            # Pages of 1,000 files, as an agent sends them (one message of
            # a big MAP would pass the client's message size)
            files = [field(4, user_file(user, path, size_of(target)))
                     for user in users for path, target in saved.items()]
            for start in range(0, max(len(files), 1), 1000):
                more = number(3, 1) if start + 1000 < len(files) else b""
                agent.send(peer, more + b"".join(files[start:start + 1000]))
        elif command == "events":
            agent.send(peer, number(3, 1))          # accepted; no event ever
        elif command == "get" and len(request["args"]) == 2 and request["args"][1] in saved:
            target = saved[request["args"][1]]
            # GetResult: path 1, size 2, sha256 3
            result = field(1, target) + number(2, size_of(target)) + field(3, "0" * 64)
            agent.send(peer, number(3, 1))
            agent.send(peer, field(9, result))
            return "get %s: reported %s" % (request["args"][1], target)
        else:
            # status ERROR (1), code bad_request (6)
            agent.send(peer, number(1, 1) + field(2, "no such command") + number(11, 6))
        return command

    agent.serve(answer, tick)


def drip(endpoint, seconds):
    agent = Agent(endpoint)
    peers = set()
    while True:
        if agent.sock.poll(int(seconds * 1000)):
            frames = agent.sock.recv_multipart()
            peers.add(frames[0])
            print("request", flush=True)
        for peer in list(peers):
            if not agent.send(peer, number(3, 1), 1000):
                peers.discard(peer)


def linger(endpoint, seconds):
    agent = Agent(endpoint)
    while True:
        frames = agent.sock.recv_multipart()
        request = request_of(frames[1]) if len(frames) == 2 else {"command": ""}
        if request["command"] == "disconnect":
            agent.send(frames[0], b"")          # status OK
            print("disconnect", flush=True)
            break
        agent.send(frames[0], field(6, agent_status("lena", "/nowhere")))
        print(request["command"], flush=True)
    # Deaf from here: requests queue unanswered until the end
    while seconds < 0:
        time.sleep(1)
    time.sleep(seconds)
    print("exiting", flush=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "flood":
        flood(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "drip":
        drip(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "linger":
        linger(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "web":
        web(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
