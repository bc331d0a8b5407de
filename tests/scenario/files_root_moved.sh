#!/bin/bash
# files_root_moved.sh - the host directory's path names another directory
# while the agent runs, with no event on the directory itself: its parent
# renamed away (the directory moves with it), a new one made at the old
# path. inotify keeps watching the moved directory and says nothing of the
# path; alice once went on publishing the old files (and whatever changed
# in the moved-away directory) for ever. She must publish what is at her
# path within a few seconds, changes there after it, and nothing of the
# directory that moved away.
. "$(dirname "$0")/../lib.sh" "$1"
files_family
DIR="$T/home/share"
mkdir -p "$DIR/b"
echo a >"$DIR/a.txt"
echo c >"$DIR/b/c.txt"
start_broker --hash-cost min
bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
wait_until 10 log_has tap '"type":"stats"' || fail "the tap saw no stats event"
bg alice "$PEER" --user alice --dir "$DIR" --downloads "$T/alice_dl" --broker "$BROKER_EP" \
    --password-file "$T/pw"
PID_alice=$LAST_PID
start_peer bob
wait_online 20 alice bob
wait_until 10 has_peer bob alice || fail "bob does not see alice"
same_as_disk

mv "$T/home" "$T/home.old"
mkdir -p "$DIR"
echo new >"$DIR/new.txt"
wait_until 10 view_is_disk || fail "what is at alice's path now was not published:
$(diff <(view_lines) <(disk_lines '^$'))"
same_sums 20 "after the move"
# The directory that moved away is not hers any more
echo old >"$T/home.old/share/old.txt"
echo later >"$DIR/later.txt"
wait_until 10 sees bob alice later.txt || fail "a change at her path was not published"
same_as_disk
not_sees bob alice old.txt || fail "a file of the directory moved away was published"
log_has alice "rescanning" || fail "alice did not say what she did: $(cat "$T/alice.log")"

# A subfolder replaced by a symlink loop: its files are gone, nothing
# below the link is published (nor walked for ever)
mkdir -p "$DIR/s/t" && echo s >"$DIR/s/t/s.txt"
wait_until 10 sees bob alice s/t/s.txt || fail "s/t/s.txt was not published"
mv "$DIR/s" "$T/s.away" && ln -s . "$DIR/s"
wait_until 10 not_sees bob alice s/t/s.txt || fail "s/t/s.txt stayed after s became a link"
echo after >"$DIR/after.txt"
wait_until 10 sees bob alice after.txt || fail "after.txt was not published"
ctl bob --json ls --all --user alice | json_is 'length > 0 and all(.[]; .path | startswith("s/") | not)' \
    || fail "something below the link was published: $(ctl bob ls --all --user alice)"

# The host directory replaced by a file: nothing published, no crash; a
# directory back at the path is published
mv "$DIR" "$T/share.away" && echo "not a directory" >"$DIR"
wait_until 10 has_files bob alice 0 || fail "alice still publishes files: $(peer_files bob alice)"
rm "$DIR" && mkdir "$DIR" && echo back >"$DIR/back.txt"
wait_until 10 sees bob alice back.txt || fail "back.txt was not published"
same_as_disk
echo "files_root_moved: ok"
