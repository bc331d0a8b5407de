# peer_large.sh - a user publishing 100,000 files logs in; the list travels
# in pages and another peer's view holds all of it (SPEC 4.2).
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --hash-cost min
t0=$(now_ms)
for d in $(seq 0 99); do
    mkdir -p "$T/big_files/d$d"
    (cd "$T/big_files/d$d" && seq 0 999 | sed 's/^/file-/' | xargs touch)
done
echo "created 100,000 files in $(( $(now_ms) - t0 )) ms"
t0=$(now_ms)
# subscribed long before big has scanned its files and joins
bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json --topic presence
start_peer big
start_peer other
wait_online 60 big
wait_online 30 other
wait_until 30 has_files other big 100000 || fail "other's view lacks big's files: $(ctl other --json peers)"
echo "both online, other's view complete after $(( $(now_ms) - t0 )) ms"
# The list travelled in pages: big's join came as several events, page 0
# first with more to come (a subscriber may miss some pages under load, so
# no exact count)
pages() {
    grep '^{' "$T/tap.log" | json_is -s '[.[] | select(.type == "join" and .user == "big")]
        | length >= 2 and any(.[]; .page == 0 and .more == true) and any(.[]; .page > 0)'
}
wait_until 10 pages || fail "big's file list did not travel in pages: $(grep -c '"user":"big"' "$T/tap.log") join event(s)"
[ "$(ctl other --json ls --all --user big 'd42/file-999' | jq length)" = 1 ] \
    || fail "a file deep in the list is missing"
# still live after the big login
echo x >"$T/big_files/late.txt"
late() { [ "$(ctl other --json ls --all --user big late.txt | jq length)" = 1 ]; }
wait_until 10 late || fail "a change after the big login did not travel"
exit 0
