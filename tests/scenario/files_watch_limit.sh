#!/bin/bash
# files_watch_limit.sh - an inotify watch table that other programs have
# filled (SPEC 4.2: a full watch table triggers a rescan and a warning,
# never silent loss). alice's agent runs in a user namespace of its own
# whose limit (/proc/sys/user/max_inotify_watches, that namespace's, never
# the machine's fs.inotify.max_user_watches) is 0: not even her host
# directory can be watched. She must start all the same (she once exited
# "cannot watch it"), say why, publish her files, and publish changes at
# the root and below by rescanning; once the limit is raised her
# directories are watched again.
# Where no user namespace can be made (a chroot: the kernel refuses one
# there), the table is the LD_PRELOAD shim tests/shim/watchlimit.c's, with
# the same limit, read from a file the test rewrites.
. "$(dirname "$0")/../lib.sh" "$1"
files_family
LIMIT=/proc/sys/user/max_inotify_watches
GLOBAL=$(cat /proc/sys/fs/inotify/max_user_watches)
# shellcheck disable=SC2016
if unshare --user --map-root-user sh -c 'echo 0 >"$1"' sh "$LIMIT" 2>/dev/null; then
    SHIM=
else
    SHIM="$BIN/libfshare_watchlimit.so"
    [ -f "$SHIM" ] || fail "no user namespace here, and no $SHIM"
    echo 0 >"$T/watch_limit"
fi
[ "$(cat /proc/sys/fs/inotify/max_user_watches)" = "$GLOBAL" ] \
    || fail "a user namespace's limit changed the machine's"
for d in a b c; do mkdir -p "$DIR/$d/deep"; echo "$d" >"$DIR/$d/deep/$d.txt"; done
echo top >"$DIR/top.txt"
start_all_limited() {
    start_broker --hash-cost min
    bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
    wait_until 10 log_has tap '"type":"stats"' || fail "the tap saw no stats event"
    local peer=("$PEER" --user alice --dir "$DIR" --downloads "$T/alice_dl" --broker "$BROKER_EP"
                --password-file "$T/pw")
    if [ -n "$SHIM" ]; then
        # (ASan wants its runtime first; the shim is loaded before it)
        bg alice env LD_PRELOAD="$SHIM" FSHARE_WATCH_LIMIT_FILE="$T/watch_limit" \
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "${peer[@]}"
    else
        # shellcheck disable=SC2016
        bg alice unshare --user --map-root-user sh -c 'echo 0 >"$1" && shift && exec "$@"' sh \
            "$LIMIT" "${peer[@]}"
    fi
    PID_alice=$LAST_PID
    start_peer bob
    wait_online 20 alice bob
    wait_until 10 has_peer bob alice || fail "bob does not see alice"
}
start_all_limited
log_has alice "watch table full" || fail "alice did not say her watch table is full: $(cat "$T/alice.log")"
same_as_disk
same_sums 20 "at start"

# Changes at the root and below: found by the rescans
echo new >"$DIR/new.txt"
echo more >>"$DIR/b/deep/b.txt"
mv "$DIR/c" "$DIR/c2"
rm "$DIR/top.txt"
mkdir -p "$DIR/n/m" && echo n >"$DIR/n/m/n.txt"
wait_until 20 view_is_disk || fail "the changes were not published:
$(diff <(view_lines) <(disk_lines '^$'))"
same_sums 20 "after the changes"
expect_set "file_added new.txt" "file_changed b/deep/b.txt" "file_renamed c2/deep/c.txt c/deep/c.txt" \
    "file_removed top.txt" "file_added n/m/n.txt"

# Within a second (SPEC 4.2), whatever finds the changes: each of three
# files made one after the other is out within 2.5 s (the margin is for a
# loaded machine; rescans every 5 s took about 5 s for each)
every_change_within 2500 3

# Room again: every directory watched at the next rescan
if [ -n "$SHIM" ]; then
    echo 1000 >"$T/watch_limit"
else
    # shellcheck disable=SC2016
    nsenter -t "$PID_alice" -U sh -c 'echo 1000 >"$1"' sh "$LIMIT" || fail "cannot raise alice's limit"
fi
wait_until 20 log_has alice "watched again" || fail "alice did not watch her directories again"
start=$(now_ms)
echo later >"$DIR/n/m/later.txt"
wait_until 10 sees bob alice n/m/later.txt || fail "n/m/later.txt was not published"
took=$(( $(now_ms) - start ))
same_as_disk
[ "$(cat /proc/sys/fs/inotify/max_user_watches)" = "$GLOBAL" ] \
    || fail "the machine's fs.inotify.max_user_watches changed"
echo "files_watch_limit: ok (a change with watches again: $took ms)"
