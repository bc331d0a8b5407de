#!/bin/bash
# peer_state_full.sh - the agent's state directory on a full disk (SPEC 4.5:
# a restart over unchanged files re-reads 0 bytes). alice's digest
# database is sound but cannot be written: started then, she must still
# find every digest in it (0 bytes read), say it cannot be written (not
# "corrupt"), leave it where and as it is, publish right digests for a file
# made meanwhile, and once there is room again go on with the same
# database: the next start reads only that new file, the one after
# nothing. (It once took the full disk for a corrupt database, moved it
# aside and read every file again, then and at every later start.) The
# state directory is a 1 MiB tmpfs, so this needs root (or CAP_SYS_ADMIN);
# elsewhere it is skipped (exit 77).
. "$(dirname "$0")/../lib.sh" "$1"

STATE="$XDG_STATE_HOME/fshare/peer-alice"
mkdir -p "$STATE"
if ! mount -t tmpfs -o size=1m,mode=0700 fshare-test "$STATE" 2>/dev/null; then
    skip "peer_state_full: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
fi
at_exit 'umount "$STATE" 2>/dev/null || umount -l "$STATE" 2>/dev/null'
DB="$STATE/digests.db"
A="$T/alice_files"
mkdir -p "$A"
for i in $(seq 1 40); do head -c 3000 /dev/urandom >"$A/f$i"; done
head -c 3M /dev/urandom >"$A/big.bin"

# view_sums / disk_sums: bob's digests of alice's files, and sha256sum's
view_sums() {
    ctl bob --json ls --all --user alice 2>/dev/null | jq -r '.[] | "\(.sha256) \(.path)"' | sort
}
disk_sums() { (cd "$A" && sha256sum -- *) | sed 's/  / /' | sort; }
sums_are_disk() { [ "$(view_sums)" = "$(disk_sums)" ]; }
same_sums() {
    wait_until 60 sums_are_disk || fail "bob's digests differ from the disk ($1):
$(diff <(view_sums) <(disk_sums))"
}
# restart_alice RUN: alice stopped (SIGTERM) and started again; her log
# of the run before kept as alice-RUN.log
restart_alice() {
    kill -TERM "$PID_alice"
    wait_until 20 gone "$PID_alice" || fail "alice did not stop"
    mv "$T/alice.log" "$T/alice-$1.log"
    start_peer alice
    wait_online 30 alice
    wait_until 30 log_has alice "digests: " || fail "alice said nothing of her digests"
}

start_broker
start_peer alice
start_peer bob
wait_online 30 alice bob
same_sums "at first"
restart_alice first
log_has alice "digests: 41 files, 0 bytes read" \
    || fail "a restart with room read files: $(grep digests "$T/alice.log")"
[ -f "$DB" ] || fail "no digest database at $DB"
size=$(size_of "$DB")

# The disk full, then alice started again
kill -TERM "$PID_alice"
wait_until 20 gone "$PID_alice" || fail "alice did not stop"
mv "$T/alice.log" "$T/alice-second.log"
dd if=/dev/zero of="$STATE/fill" bs=4k 2>/dev/null
[ "$(df --output=avail "$STATE" | tail -1)" -eq 0 ] || fail "the state directory is not full"
start_peer alice
wait_online 30 alice
wait_until 30 log_has alice "digests: " || fail "alice said nothing of her digests"
log_has alice "digests: 41 files, 0 bytes read" \
    || fail "on a full disk a start read files: $(grep -i digest "$T/alice.log")"
log_has alice "cannot be written" || fail "no warning of the full disk: $(cat "$T/alice.log")"
log_has alice "rebuilding\|corrupt" && fail "a full disk was taken for a corrupt database"
[ -e "$DB.broken" ] && fail "the sound database was moved aside"
[ "$(size_of "$DB")" = "$size" ] || fail "the database changed: $(ls -l "$STATE")"
same_sums "on the full disk"
echo "new while the disk is full" >"$A/new.txt"
same_sums "a file made while the disk was full"

# Room again: the same database, the new file hashed once more, then nothing
rm "$STATE/fill"
restart_alice third-full
log_has alice "digests: 42 files, 27 bytes read" \
    || fail "with room again alice read other than new.txt: $(grep -i digest "$T/alice.log")"
log_has alice "cannot be written" && fail "still not written with room: $(cat "$T/alice.log")"
same_sums "with room again"
restart_alice fourth
log_has alice "digests: 42 files, 0 bytes read" \
    || fail "new.txt's digest was not kept: $(grep -i digest "$T/alice.log")"
echo "peer_state_full: ok"
