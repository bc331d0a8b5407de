#!/bin/bash
# get_interrupt_late.sh - Ctrl-C on fshare-ctl get just as downloads end
# (SPEC 4.3): what is saved is said saved, what is said interrupted is
# not saved after all. The ctl is held (SIGSTOP) while its downloads end,
# then interrupted: the results it was sent wait unread in its socket.
# Before, a single get read its own "saved" while waiting for the cancel
# and threw it away ("interrupted: download cancelled" over a complete
# file); a folder get sent its cancels as it exited (lost: the agent then
# saved files it had reported interrupted) and counted the files not yet
# started nowhere (--json: {"path":"(unreadable text)","sha256":""}).
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
mkdir -p "$T/alice_files/d"
# Sparse: cheap to make, long enough to move that the ctl is held mid-way
truncate -s 512M "$T/alice_files/one.bin"
for i in 1 2 3 4 5 6 7 8; do truncate -s 512M "$T/alice_files/d/f$i.bin"; done
start_peer alice
start_peer bob
wait_online 10 alice bob
listed() { ctl_jq bob 'length == 9' -- ls --all --user alice; }
wait_until 10 listed || fail "bob does not see alice's files"

# ctl_bg NAME ARGS...: fshare-ctl ARGS in the background, stdout in
# $T/NAME.log, stderr in $T/NAME.err; its pid in CTL_PID
ctl_bg() {
    local name=$1; shift
    bg "$name" sh -c 'err=$1; shift; exec "$@" 2>"$err"' sh "$T/$name.err" "$CTL" --user bob "$@"
    CTL_PID=$LAST_PID
}
saved() { [ -e "$T/bob_dl/$1" ]; }
parts_of() { ls -A "$T/bob_dl/d" 2>/dev/null | grep -c 'fshare-part'; }
four_parts() { [ "$(parts_of)" -eq 4 ]; }
all_saved() { for f in "$@"; do saved "$f" || return 1; done; }

# --- one file: saved while the ctl was held, then Ctrl-C ----------------------------
ctl_bg one --json get alice one.bin
wait_until 20 has_bytes "$T/bob_dl/.one.bin.fshare-part" || fail "no byte of one.bin arrived"
halt "$CTL_PID"
wait_until 60 saved one.bin || fail "one.bin was not saved"
kill -INT "$CTL_PID"
kill -CONT "$CTL_PID"
stopped "$CTL_PID" 0
json_is '.path == $p and (.sha256 | length) == 64' --arg p "$T/bob_dl/one.bin" <"$T/one.log" \
    || fail "the interrupted get did not say one.bin was saved: $(cat "$T/one.log" "$T/one.err")"

# --- a folder: four saved while the ctl was held, four never started ----------------
ctl_bg many --json get alice d/ --jobs 4
wait_until 20 four_parts || fail "the folder's first four downloads did not start"
halt "$CTL_PID"
wait_until 60 all_saved d/f1.bin d/f2.bin d/f3.bin d/f4.bin || fail "the four were not saved"
kill -INT "$CTL_PID"
kill -CONT "$CTL_PID"
stopped "$CTL_PID" 1
json_is 'length == 8 and ([.[] | select((.sha256 | length) == 64)] | length) == 4
         and ([.[] | select(.code == "cancelled")] | length) == 4
         and all(.[]; (.path | startswith($d)) or (.path | startswith("d/")))' \
    --arg d "$T/bob_dl/d/" <"$T/many.log" || fail "the folder's summary: $(cat "$T/many.log")"
[ "$(grep -c 'interrupted before it started' "$T/many.err")" -eq 4 ] \
    || fail "the four not started were not named: $(cat "$T/many.err")"
# Those said interrupted never come: the agent was told before the ctl left
for i in 5 6 7 8; do saved "d/f$i.bin" && fail "d/f$i.bin was saved after the get was interrupted"; done

# --- a folder interrupted mid-way: each file said interrupted stays unsaved ---------
rm -rf "$T/bob_dl/d"
ctl_bg mid get alice d/ --jobs 4
wait_until 20 four_parts || fail "the folder's downloads did not start (2)"
kill -INT "$CTL_PID"
stopped "$CTL_PID" 1
grep -q '8 files (4.0 GiB): [0-3] saved, 0 already there, [5-8] failed' "$T/mid.log" \
    || fail "the interrupted folder's summary: $(cat "$T/mid.log")"
# The running ones (the others never started)
interrupted=$(sed -n 's/^fshare-ctl: get alice \(d\/[^:]*\): interrupted$/\1/p' "$T/mid.err")
[ -n "$interrupted" ] || fail "no running file was said interrupted: $(cat "$T/mid.err")"
for f in $interrupted; do
    wait_until 10 log_has bob "download of alice:'$f' failed" || fail "bob's agent did not end $f"
    saved "$f" && fail "$f was said interrupted, and saved"
done
end_clean
