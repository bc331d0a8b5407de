#!/bin/bash
# files_dated.sh - a file whose mtime the protocol cannot carry (SPEC 4.2;
# README: the broker's limits): on a file system of 64-bit times (tmpfs,
# XFS, btrfs) `touch -d @300000000000` dates a file in the year 11476, or
# before the year -6000. Such a file is left out with a warning, like a
# name that cannot be published; the rest of the host directory is
# published, and the owner stays online. A published file dated so
# leaves the view, and comes back once dated sanely. (The agent once
# published it: the broker refused the whole list, `mtime out of range`,
# and the agent logged in again and again, twice a second, never online.)
# The test runs on /dev/shm or /tmp when a tmpfs, where such times are
# kept; ext4 clamps them to 2446.
dated=
for place in /dev/shm /tmp; do
    probe=$(mktemp "$place/fshare-dated.XXXXXX" 2>/dev/null) || continue
    touch -d @300000000000 "$probe" 2>/dev/null \
        && [ "$(stat -c %Y "$probe")" = 300000000000 ] && dated=$place
    rm -f "$probe"
    [ -n "$dated" ] && break
done
[ -n "$dated" ] && export TMPDIR=$dated
. "$(dirname "$0")/../lib.sh" "$1"
[ -n "$dated" ] || skip "no file system here (/dev/shm, /tmp) keeps an mtime beyond the year 9999"

start_broker
A=$T/alice_files
mkdir -p "$A/d"
echo normal >"$A/normal.txt"
echo far >"$A/d/far.txt"
touch -d @300000000000 "$A/d/far.txt"
echo past >"$A/past.txt"
touch -d @-300000000000 "$A/past.txt"
start_peer alice
start_peer bob
wait_online 10 alice bob
bob_has() { [ "$(ctl bob --json ls --all --user alice 2>/dev/null | jq -r '[.[].path] | sort | join(" ")')" = "$1" ]; }
wait_until 10 bob_has "normal.txt" || fail "bob's view of alice: $(ctl bob ls --all 2>&1)"
log_has alice "skipping 'd/far.txt': its mtime is out of the range" || fail "no warning for d/far.txt"
log_has alice "skipping 'past.txt': its mtime is out of the range" || fail "no warning for past.txt"

# A published file dated so leaves the view; dated sanely it is back
echo later >"$A/d/later.txt"
wait_until 10 bob_has "d/later.txt normal.txt" || fail "d/later.txt did not arrive"
touch -d @300000000000 "$A/normal.txt"
wait_until 10 bob_has "d/later.txt" || fail "normal.txt dated 11476 is still in the view"
touch -d 2020-01-01 "$A/normal.txt" "$A/d/far.txt"
wait_until 10 bob_has "d/far.txt d/later.txt normal.txt" \
    || fail "the files dated sanely again did not come back: $(ctl bob ls --all 2>&1)"
# Nothing the broker had to refuse, so no login again for that
online alice || fail "alice is not online"
log_has broker "bad file" && fail "the broker refused a file: $(grep "bad file" "$T/broker.log")"
end_clean
