#!/bin/bash
# get_saved_as.sh - a saved file keeps the owner's mtime and executable
# bits, never its set-id bits (SPEC 4.3); the downloads directory is opened
# afresh for every get: deleted while the agent runs, it is re-created; re-
# created by hand (another directory under the same name), it is used.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
mkdir -p "$T/alice_files"
head -c 5000 /dev/urandom >"$T/alice_files/tool.sh"
chmod 4755 "$T/alice_files/tool.sh"          # set-uid: never copied
touch -d '2003-04-05 06:07:08' "$T/alice_files/tool.sh"
head -c 3000 /dev/urandom >"$T/alice_files/plain.txt"
chmod 0640 "$T/alice_files/plain.txt"
touch -d '2010-01-02 03:04:05' "$T/alice_files/plain.txt"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice plain.txt || fail "bob does not see alice's files"

umask 022
expect 0 ctl bob get alice tool.sh
saved="$T/bob_dl/tool.sh"
cmp -s "$T/alice_files/tool.sh" "$saved" || fail "tool.sh arrived different"
[ "$(stat -c %Y "$saved")" = "$(stat -c %Y "$T/alice_files/tool.sh")" ] \
    || fail "mtime not kept: $(stat -c %y "$saved")"
[ -x "$saved" ] || fail "the executable bit was lost: $(stat -c %A "$saved")"
[ -u "$saved" ] && fail "the set-uid bit was copied: $(stat -c %A "$saved")"
expect 0 ctl bob get alice plain.txt
[ "$(stat -c %Y "$T/bob_dl/plain.txt")" = "$(stat -c %Y "$T/alice_files/plain.txt")" ] \
    || fail "mtime of plain.txt not kept"
[ -x "$T/bob_dl/plain.txt" ] && fail "plain.txt became executable"

# Deleted while the agent runs: the next get re-creates it
rm -rf "$T/bob_dl"
expect 0 ctl bob get alice plain.txt
[ -d "$T/bob_dl" ] || fail "the downloads directory was not re-created"
cmp -s "$T/alice_files/plain.txt" "$T/bob_dl/plain.txt" || fail "plain.txt differs (2)"
log_has bob "downloads directory .* was missing: created it" || fail "no word of it in the log"

# Replaced by hand by a new directory: that one is used
mv "$T/bob_dl" "$T/old_dl"
mkdir "$T/bob_dl"
expect 0 ctl bob get alice plain.txt
[ -f "$T/bob_dl/plain.txt" ] || fail "the new downloads directory was not used"
[ -e "$T/old_dl/plain_1.txt" ] && fail "the old directory was written to"
exit 0
