# peer_flood.sh - back-pressure, never session loss (SPEC 4.2, issue 9.1):
# 30,000 files moved into alice's host directory at once, while bob
# downloads a large file from her. alice keeps her session (no leave on the
# event stream, one join), bob's view ends equal to the real files, and the
# download completes intact.
. "$(dirname "$0")/../lib.sh" "$1"

FILES=${FLOOD_FILES:-30000}
start_broker --hash-cost min
# presence only: 30,000 file events could overflow a slow tap's queue, and
# what matters here is that alice never left
bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json --topic presence
TAP_PID=$LAST_PID

mkdir -p "$T/alice_files"
truncate -s 384M "$T/alice_files/big.bin"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice big.bin || fail "bob does not see big.bin"

t_stage=$(now_ms)
# the tree to move in, built outside the host directory
dirs=$(( FILES / 1000 ))
for d in $(seq 1 "$dirs"); do
    mkdir -p "$T/stage/many/d$d"
    (cd "$T/stage/many/d$d" && seq 1 1000 | sed 's/^/file-/' | xargs touch)
done

bg get "$CTL" --user bob get alice big.bin
GET_PID=$LAST_PID
wait_until 30 has_bytes "$T/bob_dl/.big.bin.fshare-part" || fail "the download did not start"

t0=$(now_ms)
echo "staged $FILES files in $(( $(now_ms) - t_stage )) ms"
mv "$T/stage/many" "$T/alice_files/"
total=$(( dirs * 1000 + 1 ))
wait_until 90 has_files bob alice "$total" || fail "bob's view has $(peer_files bob alice) of alice's $total files"
echo "bob's view holds all $total files $(( $(now_ms) - t0 )) ms after the move"

# the download that ran meanwhile completes, intact
wait_until 120 gone "$GET_PID" || fail "the download did not end"
wait "$GET_PID" || fail "the download failed: $(cat "$T/get.log")"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big.bin" || fail "the downloaded file differs"
echo "the download completed $(( $(now_ms) - t0 )) ms after the move"

# bob's view is exactly alice's files
(cd "$T/alice_files" && find . -type f | sed 's|^\./||' | sort) >"$T/real"
ctl bob --json ls --all --user alice | jq -r '.[].path' | sort >"$T/view"
[ -s "$T/view" ] || fail "bob's view is empty"
cmp -s "$T/real" "$T/view" || fail "bob's view differs from the files: $(diff "$T/real" "$T/view" | head -5)"

# alice never lost her session: on the event stream one join, no leave
leaves=$(grep '^{' "$T/tap.log" | jq -c 'select(.type == "leave" and .user == "alice")' | wc -l)
joins=$(grep '^{' "$T/tap.log" | jq -c 'select(.type == "join" and .user == "alice" and (.page // 0) == 0)' | wc -l)
[ "$joins" -ge 1 ] || fail "the tap saw no join of alice: $(cat "$T/tap.log")"
[ "$leaves" -eq 0 ] || fail "alice left $leaves time(s) during the flood"
[ "$joins" -le 1 ] || fail "alice joined $joins times"
log_has alice "reconnecting" && fail "alice reconnected: $(grep reconnecting "$T/alice.log")"
kill "$TAP_PID"
exit 0
