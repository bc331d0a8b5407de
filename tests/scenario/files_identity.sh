#!/bin/bash
# files_identity.sh - content identity survives changes that keep size and
# mtime (SPEC 4.2, 4.5): a file truncated, rewritten with other bytes of the
# same size and its mtime set back (touch -r), small or large, through one
# name of a hard link; a file unreadable at start made readable; a chmod
# alone. Each time bob's digests of alice's files must end equal to
# sha256sum of the disk, and a chmod alone publishes no change of content;
# a chmod -R of the whole tree publishes nothing at all.
# alice's agent is stopped (SIGSTOP) while a file is rewritten, so that
# she sees only its end state: the same size and mtime, another ctime.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

# rewrite FILE TEXT: FILE truncated and rewritten with TEXT (as long as
# what it held), its mtime set back to the old one to the nanosecond,
# while alice's agent is stopped
rewrite() {
    halt "$PID_alice"
    python3 -c '
import os, sys
path, text = sys.argv[1], sys.argv[2].encode()
st = os.stat(path)
assert len(text) <= st.st_size
with open(path, "r+b") as f:
    f.truncate(0)
    f.write(text * (st.st_size // len(text)) + text[:st.st_size % len(text)])
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))' "$1" "$2" || fail "cannot rewrite $1"
    kill -CONT "$PID_alice"
}

# only_digests: since the last look, alice's files changed on the tap at
# most by their digest (file_events shows such a file_changed when it is
# the path's first file event since the join)
only_digests() {
    next_events
    ! grep -qv '^file_changed ' "$T/events.now" || fail "not only digests changed: $(cat "$T/events.now")"
}

# root reads any file: alice's agent runs without the capabilities that
# let it, so that a mode 000 file is unreadable to her under CI's root too
if [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexec setpriv --bounding-set=-dac_override,-dac_read_search "%s" "$@"\n' \
        "$PEER" >"$T/peer-nodac"
    chmod +x "$T/peer-nodac"
    PEER="$T/peer-nodac"
fi

echo "hello world" >"$DIR/small.txt"
head -c 3M /dev/urandom >"$DIR/big.bin"
echo "linked file" >"$DIR/one.txt"
ln "$DIR/one.txt" "$DIR/two.txt"
echo "was locked" >"$DIR/locked.txt"
chmod 000 "$DIR/locked.txt"
start_all
wait_until 10 sees bob alice big.bin || fail "bob does not see big.bin"
expect_events
chmod 644 "$DIR/locked.txt"
same_sums 10 "a file made readable"
only_digests
same_as_disk

rewrite "$DIR/small.txt" "HELLO WORLD!"
same_sums 10 "small.txt rewritten, mtime set back"
rewrite "$DIR/big.bin" "other bytes"
same_sums 10 "big.bin rewritten, mtime set back"
rewrite "$DIR/one.txt" "LINKED"
same_sums 10 "a hard link rewritten, mtime set back"
only_digests
same_as_disk

# --- a chmod alone: no change of content ------------------------------------------
chmod 600 "$DIR/small.txt"
only_digests
same_sums 10 "after a chmod"
same_as_disk

# --- chmod -R over the tree: the same content, other modes: nothing for peers -----
# Every file's ctime moves, so each is hashed again; the same digest is no
# change, whatever the mode did (a download takes the mode of the file it
# serves). Counted on the raw tap: file_events hides a file_changed of the
# same size and mtime (a digest arriving).
raw_changes() {
    jq -R -r 'fromjson? | select(.user == "alice" and .type == "file_changed") | .path' \
        "$T/tap.log" 2>/dev/null | grep -v '^sync-'
}
before=$(raw_changes | wc -l)
chmod -R go-rwx "$DIR"
chmod -R u+x "$DIR"
expect_events
[ "$(raw_changes | wc -l)" -eq "$before" ] \
    || fail "chmod -R published changes: $(raw_changes | tail -n +$((before + 1)) | tr '\n' ' ')"
same_sums 10 "after chmod -R"
same_as_disk

# --- rewritten while the agent is down: reconciled at the next login ------------
ctl alice disconnect >/dev/null || fail "alice's disconnect failed"
stopped "$PID_alice" 0
python3 -c '
import os, sys
path = sys.argv[1]
st = os.stat(path)
with open(path, "r+b") as f:
    f.write(b"X" * st.st_size)
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))' "$DIR/small.txt" || fail "cannot rewrite small.txt"
start_peer alice
wait_until 10 online alice || fail "alice not online again"
wait_until 10 sees bob alice small.txt || fail "bob does not see alice again"
same_sums 10 "rewritten while alice was down"
exit 0
