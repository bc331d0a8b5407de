#!/usr/bin/python3
"""digest_owner.py - an honest raw owner that publishes content digests.

For the download scenarios that need owners whose FileInfo carries the
SHA-256 (SPEC 4.5: "already there", "another source") whatever the agents
publish. Built on hostile_client.py's hand-made protobuf encoding, not on
fshare's code. Usage:

  digest_owner.py REQ USER PASSWORD ROOT [--pause-after BYTES]
                  [--late-digest] PATH...

logs in as USER, publishes each PATH (relative to ROOT) with its size,
mtime, mode and SHA-256, prints "online" on stdout, then serves every Serve
as an agent would: Opened (resuming at the offset asked when size and mtime
match), chunks of at most 1 MiB against the requester's credit, the last
with the whole file's digest. With --pause-after it stops sending any
transfer once that many bytes of it went out (it keeps pinging), so a test
can kill it mid-transfer. With --late-digest the files are published
without their digests, as an agent still hashing them does, Opened says
none either, and each digest follows as a file_changed of the same
version once a transfer has paused (prints "digest out"). A PATH given as PUBLISHED=ONDISK publishes the
file ONDISK (under ROOT) as PUBLISHED: lists no file system could hold
(a file "d/a" beside "d/a/b"). Runs until killed.
"""
import hashlib
import os
import sys
import time  # noqa: F401

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_client import (body_of, change, dealer, f_bytes,  # noqa: E402
                            f_varint, message, online_session, ping, replies)

CHUNK = 1024 * 1024


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.digest()


def info_of(root, path, on_disk, with_digest=True):
    full = os.path.join(root, on_disk)
    st = os.stat(full)
    digest = f_bytes(4, sha256_of(full)) if with_digest else b""
    return (f_bytes(1, path) + f_varint(2, st.st_size) + f_varint(3, int(st.st_mtime))
            + digest + f_varint(5, st.st_mode & 0o777))


class Upload:
    def __init__(self, root, serve, places):
        self.id = serve[1][0]
        self.path = places.get(serve[2][0].decode(), serve[2][0].decode())
        offset = serve.get(3, [0])[0]
        expect_size = serve.get(4, [0])[0]
        expect_mtime = serve.get(5, [0])[0]
        full = os.path.join(root, self.path)
        st = os.stat(full)
        self.size, self.mtime = st.st_size, int(st.st_mtime)
        self.file = open(full, "rb")
        resume = 0 < offset <= self.size and expect_size == self.size \
            and expect_mtime == self.mtime
        self.offset = offset if resume else 0
        self.position = self.offset
        self.credit = 0
        self.sent = 0
        self.done = False


def serve_loop(sock, session, root, places, pause_after, late_digest):
    uploads = {}
    msg_id = 100
    digest_owed = late_digest
    while True:
        sock.send(ping(session, 9))
        for reply in replies(sock, 100):
            if reply is None:
                continue
            serve = body_of(reply, 31)
            if serve is not None:
                upload = Upload(root, serve, places)
                uploads[upload.id] = upload
                opened = (f_varint(1, upload.id) + f_varint(2, upload.size)
                          + f_varint(3, upload.mtime) + f_varint(4, upload.offset))
                msg_id += 1
                sock.send(message(32, opened, msg_id, session))
            credit = body_of(reply, 33)
            if credit is not None and credit[1][0] in uploads:
                uploads[credit[1][0]].credit += credit.get(2, [0])[0]
            for number in (35, 36):         # Done, Cancel
                end = body_of(reply, number)
                if end is not None:
                    uploads.pop(end[1][0], None)
        for upload in list(uploads.values()):
            while upload.credit > 0 and not upload.done:
                if pause_after is not None and upload.sent >= pause_after:
                    if digest_owed:
                        digest_owed = False
                        for path, on_disk in places.items():
                            msg_id += 1
                            sock.send(change(2, info_of(root, path, on_disk), session,
                                             msg_id))
                        print("digest out", flush=True)
                    break
                size = min(CHUNK, upload.credit, upload.size - upload.position)
                upload.file.seek(upload.position)
                data = upload.file.read(size)
                header = f_varint(1, upload.id) + f_varint(2, upload.position)
                upload.position += len(data)
                upload.credit -= len(data)
                upload.sent += len(data)
                if upload.position == upload.size:
                    header += f_varint(3, 1) + f_bytes(4, sha256_of(upload.file.name))
                    upload.done = True
                msg_id += 1
                sock.send_multipart([message(34, header, msg_id, session), data])


def main():
    args = sys.argv[1:]
    pause_after = None
    if "--pause-after" in args:
        at = args.index("--pause-after")
        pause_after = int(args[at + 1])
        del args[at:at + 2]
    late_digest = "--late-digest" in args
    if late_digest:
        args.remove("--late-digest")
    if len(args) < 5:
        sys.exit(__doc__)
    req, user, password, root, paths = args[0], args[1], args[2], args[3], args[4:]
    places = dict(p.split("=", 1) if "=" in p else (p, p) for p in paths)
    sock = dealer(req)
    session = online_session(sock, user, password,
                             [info_of(root, p, places[p], not late_digest)
                              for p in places])
    if not session:
        sys.exit("digest_owner.py: login failed")
    print("online", flush=True)
    serve_loop(sock, session, root, places, pause_after, late_digest)


if __name__ == "__main__":
    main()
