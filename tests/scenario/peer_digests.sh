#!/bin/bash
# peer_digests.sh - content identity (SPEC 4.5): a file's digest is in the
# tap's events and in ls --all --json and equals sha256sum's; a small file's
# first event carries it, a large one is published at once and its digest
# follows as file_changed with the same size and mtime; a restart over
# 1,000 unchanged files reads 0 bytes for hashing, and a file is served from
# its known digest; a corrupt digest
# database is rebuilt with a warning.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
A=$T/alice_files
mkdir -p "$A/many"
for i in $(seq 1000); do echo "file $i" >"$A/many/f$i.txt"; done
start_peer alice
start_peer bob
wait_online 20 alice
wait_online 10 bob
log_has alice "digests: 1000 files" || fail "no digest summary: $(grep digests "$T/alice.log")"
bg tap "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --json
TAP_PID=$LAST_PID
wait_until 10 grep -q '"type":"stats"' "$T/tap.log" || fail "the tap sees nothing"

# A small file: its first event carries the digest
echo "hello" >"$A/hello.txt"
sum=$(sha256sum "$A/hello.txt" | cut -d' ' -f1)
added() { grep '"type":"file_added"' "$T/tap.log" | grep -q "\"path\":\"$1\""; }
wait_until 10 added hello.txt || fail "no file_added for hello.txt"
grep '"type":"file_added"' "$T/tap.log" | grep '"path":"hello.txt"' | json_is --arg h "$sum" \
    '.sha256 == $h' || fail "hello.txt's event lacks its digest: $(grep hello "$T/tap.log")"
ctl_jq bob 'any(.[]; .path == "hello.txt" and .sha256 == $h)' --arg h "$sum" \
    -- ls --all --user alice || fail "ls --all lacks hello.txt's digest"

# A large file: published at once, the digest follows
head -c $((200 * 1024 * 1024)) /dev/zero >"$A/big.bin"
big=$(sha256sum "$A/big.bin" | cut -d' ' -f1)
size=$(stat -c %s "$A/big.bin")
followed() {
    grep '"path":"big.bin"' "$T/tap.log" | json_is -s --arg h "$big" --argjson s "$size" \
        'length >= 2 and .[0].type == "file_added" and .[0].sha256 == null
         and (.[1:] | any(.type == "file_changed" and .sha256 == $h and .size == $s
                          and .mtime == $first.mtime))' --argjson first \
        "$(grep '"path":"big.bin"' "$T/tap.log" | head -1)"
}
wait_until 60 followed || fail "big.bin: $(grep big.bin "$T/tap.log")"

# Restart over unchanged files: nothing read for hashing
kill -TERM "$PID_alice"
wait_until 10 gone "$PID_alice" || fail "alice did not stop"
mv "$T/alice.log" "$T/alice-first.log"
start_peer alice
wait_online 20 alice
log_has alice "digests: 1002 files, 0 bytes read" \
    || fail "the restart read files: $(grep digests "$T/alice.log")"
ctl_jq bob 'any(.[]; .path == "big.bin" and .sha256 == $h)' --arg h "$big" \
    -- ls --all --user alice || fail "big.bin's digest was not in the new join"

# Served from the known digest (nothing hashed again), still verified
ctl bob get alice hello.txt >/dev/null 2>"$T/err" || fail "get hello.txt: $(cat "$T/err")"
cmp -s "$A/hello.txt" "$T/bob_dl/hello.txt" || fail "hello.txt arrived different"
log_has alice "serving 'hello.txt' to bob: 6 bytes (known digest)" \
    || fail "hello.txt was not served from its known digest: $(grep serving "$T/alice.log")"

# A corrupt database: rebuilt with a warning, digests again
kill -TERM "$PID_alice"
wait_until 10 gone "$PID_alice" || fail "alice did not stop"
mv "$T/alice.log" "$T/alice-second.log"
db="$XDG_STATE_HOME/fshare/peer-alice/digests.db"
[ -f "$db" ] || fail "no digest database at $db"
rm -f "$db-wal" "$db-shm"
head -c 4096 /dev/urandom >"$db"
start_peer alice
wait_online 20 alice
log_has alice "rebuilding" || fail "no warning about the rebuilt database"
wait_until 20 ctl_jq bob 'any(.[]; .path == "hello.txt" and .sha256 == $h)' --arg h "$sum" \
    -- ls --all --user alice || fail "no digests after the rebuild"

# A database that is readable but wrong (a digest that is not the file's):
# alice publishes it and serves from it; bob's get finds the content
# corrupted; alice then hashes the file again and publishes the truth
# (SPEC 4.5), and the next get succeeds
kill -TERM "$PID_alice"
wait_until 10 gone "$PID_alice" || fail "alice did not stop"
mv "$T/alice.log" "$T/alice-third.log"
"$PY" - "$db" <<'PYEOF' || fail "cannot falsify the database"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE digests SET sha256 = ?", (bytes(32),))
db.commit()
PYEOF
zero=$(printf '0%.0s' $(seq 64))
start_peer alice
wait_online 20 alice
wait_until 20 ctl_jq bob 'any(.[]; .path == "hello.txt" and .sha256 == $z)' --arg z "$zero" \
    -- ls --all --user alice || fail "the falsified digest was not published (test premise)"
rm -f "$T/bob_dl/hello.txt"
ctl bob get alice hello.txt >/dev/null 2>"$T/err" && fail "a get of falsified content succeeded"
wait_until 20 ctl_jq bob 'any(.[]; .path == "hello.txt" and .sha256 == $h)' --arg h "$sum" \
    -- ls --all --user alice || fail "alice did not publish the true digest after 'corrupted'"
ctl bob get alice hello.txt >/dev/null 2>"$T/err" || fail "get after the re-hash: $(cat "$T/err")"
cmp -s "$A/hello.txt" "$T/bob_dl/hello.txt" || fail "hello.txt arrived different after the re-hash"
log_has alice "hashing it again" || fail "alice did not say it hashes again"
