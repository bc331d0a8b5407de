# peer_offline.sh - what a tap and another peer see when an agent logs in
# with a nested tree, dies without logging out (leave within 5 s), and comes
# back after its host directory changed while it was down; trees moved in,
# partial downloads and symlinks.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --hash-cost min
bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
wait_until 5 grep -q '"type":"stats"' "$T/tap.log" || fail "the tap receives nothing"

mkdir -p "$T/carol_files/docs/2026" "$T/outside/tree/deep"
printf '12345' >"$T/carol_files/docs/2026/report.txt"
printf 'x' >"$T/carol_files/top.txt"
printf 'partial' >"$T/carol_files/.movie.mkv.fshare-part"
ln -s /etc/passwd "$T/carol_files/link-to-file"
ln -s "$T/outside" "$T/carol_files/link-to-dir"
start_peer carol
start_peer dave
wait_online 10 carol
wait_online 10 dave

# --- the join event carries the nested file list with sizes --------------------
join_has() {
    grep '"type":"join"' "$T/tap.log" | grep '"user":"carol"' \
        | json_is --arg p "$1" --argjson s "$2" \
            'any(.files[]; .path == $p and .size == $s)'
}
wait_until 5 join_has docs/2026/report.txt 5 || fail "join lacks docs/2026/report.txt: $(cat "$T/tap.log")"
join_has top.txt 1 || fail "join lacks top.txt"
grep '"type":"join"' "$T/tap.log" | grep -q 'fshare-part\|link-to' \
    && fail "a partial file or a symlink was published"

# --- a tree moved in is picked up completely; partial files and links are not ---
printf 'abc' >"$T/outside/tree/deep/one.txt"
printf 'abcd' >"$T/outside/tree/two.txt"
mv "$T/outside/tree" "$T/carol_files/tree"
wait_until 5 sees dave carol tree/deep/one.txt || fail "tree/deep/one.txt not seen"
wait_until 5 sees dave carol tree/two.txt || fail "tree/two.txt not seen"
printf 'p' >"$T/carol_files/.new.fshare-part"
ln -s /etc/hostname "$T/carol_files/another-link"
printf 'marker' >"$T/carol_files/marker.txt"
wait_until 5 sees dave carol marker.txt || fail "marker.txt not seen"
not_sees dave carol .new.fshare-part || fail "a partial file was published"
not_sees dave carol another-link || fail "a symlink was published"

# --- killed without logging out: leave within 5 s ------------------------------
start=$(now_ms)
kill -KILL "$PID_carol"
wait_until 6 grep -q '"type":"leave".*"user":"carol"' "$T/tap.log" \
    || fail "no leave for carol within 6 s"
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -le 5000 ] || fail "leave took $elapsed ms"
stopped "$PID_carol" 137
wait_until 2 lacks_peer dave carol || fail "dave still lists carol"

# --- changed while down: reconciled at the next login --------------------------
rm "$T/carol_files/top.txt"
printf 'longer content' >"$T/carol_files/docs/2026/report.txt"
printf 'new' >"$T/carol_files/added-offline.txt"
start_peer carol
wait_online 10 carol
wait_until 5 sees dave carol added-offline.txt || fail "a file added offline is missing"
not_sees dave carol top.txt || fail "a file removed offline is still published"
size=$(ctl dave --json ls --all --user carol | jq '.[] | select(.path == "docs/2026/report.txt") | .size')
[ "$size" = 14 ] || fail "the rewritten report has size '$size', not 14"
exit 0
