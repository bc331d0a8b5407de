#!/bin/bash
# get_rewritten.sh - a file rewritten in place while it is served, its size
# kept and its mtime set back to the nanosecond (touch -r), must never
# reach the requester as a mix of its two versions (SPEC 4.3, 4.5): the
# owner, who hashes what it reads when it does not know the digest yet,
# would otherwise vouch for the mix. The get fails "file changed during
# transfer", nothing under the final name. Then, the transfer stopped,
# the same get of the new version succeeds and is the new content.
. "$(dirname "$0")/../lib.sh" "$1"
start_broker
DIR="$T/alice_files"
mkdir -p "$DIR"
start_peer alice
start_peer bob
wait_until 10 online alice && wait_until 10 online bob || fail "agents not online"
# a large file first, once alice is online (not hashed in her start-up
# wait): her hasher is busy with it while the file served is asked for,
# so she serves that one hashing while she reads
truncate -s 1G "$DIR/decoy.bin"
wait_until 10 sees bob alice decoy.bin || fail "bob does not see decoy.bin"
F="$DIR/served.bin"
head -c 64M /dev/zero | tr '\0' 'o' >"$F.tmp"
mv "$F.tmp" "$F"
wait_until 10 sees bob alice served.bin || fail "bob does not see served.bin"
bg get "$CTL" --user bob get alice served.bin
GET_PID=$LAST_PID
wait_until 20 has_bytes "$T/bob_dl/.served.bin.fshare-part" || fail "no byte arrived"
# both agents stopped: alice must see only the end state of the rewrite
halt "$PID_bob"
halt "$PID_alice"
log_has alice "serving 'served.bin' to bob" || fail "alice did not log the upload"
log_has alice "serving 'served.bin' to bob.*known digest" &&
    fail "alice knew the digest already: the test did not exercise hashing while reading"
# new bytes at the start (sent already) and at the end (not sent yet)
python3 -c '
import os, sys
path = sys.argv[1]
st = os.stat(path)
with open(path, "r+b") as f:
    f.write(b"N" * 4096)
    f.seek(st.st_size - 4096)
    f.write(b"N" * 4096)
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))' "$F" || fail "cannot rewrite served.bin"
kill -CONT "$PID_alice"
kill -CONT "$PID_bob"
wait_until 60 gone "$GET_PID" || fail "get did not end"
wait "$GET_PID"
rc=$?
if [ -e "$T/bob_dl/served.bin" ]; then
    cmp -s "$T/bob_dl/served.bin" "$F" || fail "bob saved bytes of two versions (get exited $rc): $(cat "$T/get.log")"
    fail "get of a file rewritten mid-way succeeded (exit $rc): $(cat "$T/get.log")"
fi
[ "$rc" -eq 1 ] || fail "get exited $rc, not 1: $(cat "$T/get.log")"
grep -q "file changed during transfer" "$T/get.log" || fail "get does not say why: $(cat "$T/get.log")"
wait_until 10 log_has alice "'served.bin' to bob stopped" || fail "alice kept serving served.bin"

# the new version, asked for again, arrives whole
expect 0 ctl bob get alice served.bin
cmp "$T/bob_dl/served.bin" "$F" || fail "the second get differs from the file"

# --- a partial file of a version rewritten since, size and mtime kept ---------------
R="$DIR/resumed.bin"
head -c 32M /dev/urandom >"$R"
# sha256 of a file as bob's view has it
view_sha() {
    ctl bob --json ls --all --user alice 2>/dev/null | jq -r --arg p "$1" '.[] | select(.path == $p) | .sha256'
}
# (behind the decoy's digest, which takes long on a loaded machine)
wait_until 90 eval '[ "$(view_sha resumed.bin)" = "$(sha256sum <"$R" | cut -d" " -f1)" ]' \
    || fail "bob does not see resumed.bin's digest"
bg get2 "$CTL" --user bob get alice resumed.bin
GET_PID=$LAST_PID
wait_until 20 has_bytes "$T/bob_dl/.resumed.bin.fshare-part" || fail "resumed.bin: no byte arrived"
kill -KILL "$PID_bob"
stopped "$PID_bob" 137
wait_until 10 gone "$GET_PID" || fail "get of resumed.bin did not end"
wait "$GET_PID"
has_bytes "$T/bob_dl/.resumed.bin.fshare-part" || fail "no partial file of resumed.bin"
python3 -c '
import os, sys
path = sys.argv[1]
st = os.stat(path)
with open(path, "r+b") as f:
    f.write(b"R" * 4096)
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))' "$R" || fail "cannot rewrite resumed.bin"
start_peer bob
wait_until 10 online bob || fail "bob not online again"
wait_until 30 eval '[ "$(view_sha resumed.bin)" = "$(sha256sum <"$R" | cut -d" " -f1)" ]' \
    || fail "bob does not see resumed.bin's new digest"
expect 0 ctl bob get alice resumed.bin
grep -q "restarted" "$T/out" "$T/err" || fail "the get did not restart: $(cat "$T/out" "$T/err")"
cmp "$T/bob_dl/resumed.bin" "$R" || fail "resumed.bin differs from the file"
exit 0
