#!/bin/bash
# get_folder_crash.sh - the requester's agent killed (-9) in the middle of
# a folder get (SPEC 4.3; README: fshare-ctl get ... for each file of a
# folder): the get ends at once, not 30 s of silence per --jobs files
# later, every file not saved fails `the agent went away` (no_agent), and
# the summary counts each file once. Started again, the agent resumes the
# same command: every file arrives whole under its name, nothing
# `.fshare-part` or `name_1` is left, and a third run finds everything
# already there. (Files started after the agent died once waited for its
# word on a socket nobody listened on: 30 s per --jobs files, hours for a
# large folder, each failing "agent not responding".)
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
A=$T/alice_files
mkdir -p "$A/d/s"
# Random heads around sparse middles: cheap to make, long enough to move
for i in 1 2 3 4 5 6 7 8; do
    head -c 1M /dev/urandom >"$A/d/f$i.bin"
    truncate -s 96M "$A/d/f$i.bin"
done
echo small >"$A/d/s/small"
: >"$A/d/s/empty"
start_peer alice
start_peer bob
wait_online 10 alice bob
digests() { ctl_jq bob '[.[] | select(.user == "alice" and .sha256 != null)] | length == 10' -- ls --all; }
wait_until 60 digests || fail "bob does not have the digests of alice's files"

# (its stderr apart: the log is to hold the JSON alone)
bg get1 bash -c 'exec "$@" 2>"$0"' "$T/get1.err" "$CTL" --user bob --json get alice d/ --jobs 2
GET=$LAST_PID
wait_until 30 has_bytes "$T/bob_dl/d/.f1.bin.fshare-part" || fail "no byte of f1.bin arrived"
kill -9 "$PID_bob"
stopped "$PID_bob" 137
# Well within the 30 s a silent agent is allowed
wait_until 10 gone "$GET" || fail "the folder get did not end once the agent was killed"
wait "$GET"
rc=$?
[ "$rc" -eq 1 ] || fail "the folder get exited $rc, not 1: $(cat "$T/get1.log")"
json_is 'length == 10
         and all(.[]; (.error | not) or (.error == "the agent went away" and .code == "no_agent"))
         and any(.[]; .error)' <"$T/get1.log" \
    || fail "not every failure is the agent gone: $(cat "$T/get1.log")"
grep -qv "the agent went away" "$T/get1.err" && fail "other errors: $(cat "$T/get1.err")"

start_peer bob
wait_online 10 bob
wait_until 10 sees bob alice d/s/empty || fail "bob does not see alice's files again"
expect 0 ctl bob get alice d/ --jobs 2
grep -qx "10 files (768.0 MiB): [0-9]* saved, [0-9]* already there, 0 failed" "$T/out" \
    || fail "summary: $(cat "$T/out")"
diff -r "$A/d" "$T/bob_dl/d" || fail "the folder arrived different"
left=$(find "$T/bob_dl" -name '*.fshare-part' -o -name '*_1*')
[ -z "$left" ] || fail "left in the downloads: $left"
expect 0 ctl bob get alice d/ --jobs 2
grep -qx "10 files (768.0 MiB): 0 saved, 10 already there, 0 failed" "$T/out" \
    || fail "third run: $(cat "$T/out")"
