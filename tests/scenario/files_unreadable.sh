#!/bin/bash
# files_unreadable.sh - a directory of the host directory made unreadable
# for a moment (chmod 300 or 000: no reading; then back), as its owner may
# do. A file written into it just before, or a published file rewritten so, once read as
# deleted: removed from every view, silently, and never published again
# (nothing looked at the directory when it was readable again). Now what
# cannot be looked at is not gone: what was published of it stays, the
# agent says why in its log, and once the directory is readable again the
# view is the disk's. The same for the host directory's root, and for a
# rescan (a new .fshareignore) that meets the unreadable directory.
# The test writes while the directory is locked (mode 300 keeps writing
# and searching): a write just before the lock would race the agent's
# look. alice's agent runs without the capabilities that let root read
# anything (setpriv), so permissions bind it as they bind a user's agent.
. "$(dirname "$0")/../lib.sh" "$1"
files_family
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || fail "no setpriv (util-linux) to drop root's read override"
    cat >"$T/nocap-peer" <<EOF
#!/bin/sh
exec setpriv --inh-caps=-dac_override,-dac_read_search \\
    --bounding-set=-dac_override,-dac_read_search "$PEER" "\$@"
EOF
    chmod +x "$T/nocap-peer"
fi
mkdir -p "$DIR/open/deep"
echo o1 >"$DIR/open/o1"
echo d1 >"$DIR/open/deep/d1"
echo top >"$DIR/top.txt"
# Whatever fails, the temporary directory must stay removable
at_exit 'chmod -R u+rwx "$DIR" 2>/dev/null'

start_broker --hash-cost min
bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
wait_until 10 log_has tap '"type":"stats"' || fail "the tap saw no stats event"
PEER_REAL=$PEER
[ -x "$T/nocap-peer" ] && PEER="$T/nocap-peer"
start_peer alice
PEER=$PEER_REAL
start_peer bob
wait_online 10 alice bob
wait_until 10 has_peer bob alice || fail "bob does not see alice"
same_as_disk

# removed PATH: how many file_removed events of alice's PATH the tap saw
removed() {
    jq -R -n --arg p "$1" '[inputs | fromjson? | select(.user == "alice"
        and .type == "file_removed" and .path == $p)] | length' "$T/tap.log"
}
in_view() { ctl bob --json ls --all --user alice | jq -e --arg p "$1" 'map(.path) | index($p)' >/dev/null; }

# The test's shell writes into the locked directories (300: write and
# search, no reading): the agent then sees the change while it cannot look.
# --- a new file in a locked directory, then unlocked ----------------------------------
chmod 300 "$DIR/open"
echo o3 >"$DIR/open/o3"
wait_until 10 log_has alice "cannot look at 'open/o3'" \
    || fail "alice did not say she cannot look at open/o3: $(tail -5 "$T/alice.log")"
chmod 755 "$DIR/open"
wait_until 10 view_is_disk || fail "open/o3 not published once readable:
$(diff <(view_lines) <(disk_lines '^$'))"

# --- a published file rewritten, then the same: never read as removed -------------
chmod 300 "$DIR/open"
echo longer-content >"$DIR/open/o1"
echo deeper >>"$DIR/open/deep/d1"
wait_until 10 log_has alice "cannot look at 'open/o1'" || fail "no word of open/o1"
[ "$(removed open/o1)" = 0 ] || fail "open/o1 was removed while unreadable"
in_view open/o1 || fail "open/o1 left bob's view while unreadable"

# --- a rescan (new ignore rules) while it is unreadable keeps what it holds --------
# (the rescan runs as the rules' event is read: a file written after it
# is published no sooner)
echo '*.tmp' >"$DIR/.fshareignore"
echo x >"$DIR/skip.tmp"
echo m >"$DIR/marker.txt"
wait_until 10 in_view marker.txt || fail "marker.txt not published"
in_view skip.tmp && fail "the new rules were not applied"
[ "$(removed open/o1)" = 0 ] || fail "the rescan removed open/o1"
[ "$(removed open/deep/d1)" = 0 ] || fail "the rescan removed open/deep/d1"
chmod 755 "$DIR/open"
same_as_disk '\.tmp$'

# --- the root itself, locked and unlocked ---------------------------------------------
chmod 300 "$DIR"
echo changed-top >"$DIR/top.txt"
wait_until 10 log_has alice "cannot look at 'top.txt'" || fail "no word of top.txt"
chmod 755 "$DIR"
same_as_disk '\.tmp$'
[ "$(removed top.txt)" = 0 ] || fail "top.txt was removed while the root was unreadable"
online alice || fail "alice lost her session"
exit 0
