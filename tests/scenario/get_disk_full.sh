#!/bin/bash
# get_disk_full.sh - the requester's disk fills up mid-download (ENOSPC):
# the get exits 1 with "disk full", nothing appears under the final name,
# the owner and the broker end the transfer, and once there is room again
# the same get completes (resumed from what was written, or restarted).
# The downloads directory is a 3 MiB tmpfs, so this needs root (or
# CAP_SYS_ADMIN) to mount one; elsewhere it is skipped (exit 77).
. "$(dirname "$0")/../lib.sh" "$1"

DL="$T/bob_dl"
mkdir -p "$DL"
if ! mount -t tmpfs -o size=3m,mode=0700 fshare-test "$DL" 2>/dev/null; then
    skip "get_disk_full: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
fi
at_exit 'umount "$DL" 2>/dev/null || umount -l "$DL" 2>/dev/null'

start_broker
mkdir -p "$T/alice_files"
head -c 8M /dev/urandom >"$T/alice_files/big.bin"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice big.bin || fail "bob does not see big.bin"

ctl bob get alice big.bin >"$T/get1.log" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "get on a full disk exited $rc: $(cat "$T/get1.log")"
grep -q "disk full" "$T/get1.log" || fail "no 'disk full': $(cat "$T/get1.log")"
[ -e "$DL/big.bin" ] && fail "a final name appeared"
wait_until 10 log_has alice "'big.bin' to bob stopped" || fail "alice did not end the upload"
wait_until 10 log_has broker "alice -> bob 'big.bin': cancelled" || fail "the broker kept the transfer"
online alice && online bob || fail "an agent went away"

# Room again: the download completes, identical
umount "$DL" || fail "cannot unmount the full tmpfs"
mount -t tmpfs -o size=32m,mode=0700 fshare-test "$DL" || fail "cannot mount a larger tmpfs"
ctl bob get alice big.bin >"$T/get2.log" 2>&1 || fail "get with room failed: $(cat "$T/get2.log")"
cmp -s "$T/alice_files/big.bin" "$DL/big.bin" || fail "the download differs"
echo "get_disk_full: ok (the full disk said: $(cat "$T/get1.log"))"
