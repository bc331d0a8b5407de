# tap_events.sh - fshare-tap: command line, the live stream (a join with the
# user's nested files, in --json and plain), --count and --timeout exit
# codes, topic filters, --snapshot (current users first, then only newer
# live events), and an unreachable broker for --snapshot.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="pw-$$"

# --- command line ---------------------------------------------------------------------
expect 0 "$TAP" --help
grep -q "usage: fshare-tap" "$T/out" || fail "--help prints no usage"
expect 0 "$TAP" -h
expect 0 "$TAP" --version
grep -qx "fshare-tap [0-9][0-9.]*" "$T/out" || fail "bad --version: $(cat "$T/out")"
expect 2 "$TAP" --bogus
err_has "unknown option '--bogus'"; err_has "try 'fshare-tap --help'"; lines "$T/err" 2
expect 2 "$TAP" --count
err_has "needs an argument"; lines "$T/err" 2
for bad in "--count 0" "--count x" "--count -3" "--timeout 0" "--timeout abc" \
           "--topic bogus" "extra"; do
    # shellcheck disable=SC2086
    expect 2 "$TAP" $bad
    lines "$T/err" 2
done
echo "bogus = 1" >"$T/bad.cfg"
expect 2 "$TAP" -c "$T/bad.cfg"

# --- no broker: --timeout alone is a normal end, with --count a failure ----------------------
expect 0 "$TAP" --events "$EVENTS_EP" --timeout 0.3
[ -s "$T/out" ] && fail "events out of nowhere: $(cat "$T/out")"
expect 1 "$TAP" --events "$EVENTS_EP" --timeout 0.3 --count 2
err_is "fshare-tap: timeout after 0.3 s (0 of 2 events)"
started=$(now_ms)
expect 1 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot
err_has "fshare-tap: broker unreachable"; lines "$T/err" 1
[ $(( $(now_ms) - started )) -lt 8000 ] || fail "an unreachable broker took too long"
# a --timeout shorter than the snapshot's own deadline: still no snapshot, still a failure
expect 1 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --timeout 0.5
err_is "fshare-tap: broker unreachable: no snapshot from $BROKER_EP within 0.5 s"

# --- live stream ---------------------------------------------------------------------------
start_broker --hash-cost min
bg tap "$TAP" --events "$EVENTS_EP" --json
bg tap_plain "$TAP" --events "$EVENTS_EP"
bg tap_presence "$TAP" --events "$EVENTS_EP" --json --topic presence --count 2
PRESENCE=$LAST_PID
# the broker's stats event (every few seconds) shows that the subscriptions are live
wait_until 10 log_has tap '"type":"stats"' || fail "the tap saw no stats event"
wait_until 10 log_has tap_plain ' stats ' || fail "the plain tap saw no stats event"

mkdir -p "$T/alice_files/docs/2024"
printf 'hello' >"$T/alice_files/docs/2024/report.pdf"
printf '0123456789' >"$T/alice_files/notes.txt"
connect alice
wait_until 10 log_has tap '"type":"join"' || fail "the tap saw no join"
join=$(grep '"type":"join"' "$T/tap.log")
json_is '.user == "alice" and (.broker | length > 0) and .seq > 0
       and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))
       and (.files | length == 2)
       and (.files | map(select(.path == "docs/2024/report.pdf" and .size == 5
                                and (.mtime | type) == "number")) | length == 1)
       and (.files | map(select(.path == "notes.txt" and .size == 10)) | length == 1)' \
    <<<"$join" || fail "bad join: $join"
wait_until 5 log_has tap_plain "join  *alice (2 files)" || fail "plain tap: no join line"

# every line is one JSON object, sequence numbers grow by one without topic filters
json_is . <"$T/tap.log" || fail "tap output is not JSON lines: $(cat "$T/tap.log")"
json_is -s '[.[].seq] as $s | [range(1; $s | length)] | all($s[.] == $s[. - 1] + 1)' \
    <"$T/tap.log" || fail "seq does not grow by one: $(cat "$T/tap.log")"

# a file event, then the presence tap ends after its second event (the leave)
printf 'new' >"$T/alice_files/new.txt"
wait_until 10 log_has tap '"type":"file_added".*"path":"new.txt"' || fail "no file_added"
grep -q '"type":"file_added"' "$T/tap_presence.log" && fail "--topic presence let a file event through"
"$CTL" --user alice disconnect >/dev/null || fail "disconnect failed"
wait_until 10 log_has tap '"type":"leave","user":"alice"' || fail "the tap saw no leave"
wait_until 5 log_has_n tap_presence . 2 \
    || fail "presence tap: $(cat "$T/tap_presence.log")"
wait "$PRESENCE" || fail "the presence tap did not exit 0 after --count 2"
grep -q "missed\|restarted\|malformed" "$T"/tap*.log && fail "unexpected warnings: $(cat "$T"/tap*.log)"

# --- --count with live events ----------------------------------------------------------------
printf 'events = %s\njson = true\ntopic = stats\ncount = 5\n' "$EVENTS_EP" >"$T/tap.cfg"
expect 0 "$TAP" -c "$T/tap.cfg" --count 1 --timeout 10      # the command line wins
lines "$T/out" 1
json_is '.type == "stats" and .peers == 0' <"$T/out" || fail "bad stats: $(cat "$T/out")"

# --- --snapshot: the current users first, then only newer events -----------------------------
mkdir -p "$T/bob_files"
printf 'b' >"$T/bob_files/b.txt"
connect alice
connect bob
expect 0 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --json --count 2
lines "$T/out" 2
json_is -s '.[0].type == "join" and .[0].user == "alice" and (.[0].files | length == 3)
          and .[1].type == "join" and .[1].user == "bob" and .[1].files == [{"path":"b.txt","size":1,"mtime":.[1].files[0].mtime,"sha256":"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"}]
          and .[0].seq == .[1].seq and .[0].broker == .[1].broker' <"$T/out" \
    || fail "bad snapshot: $(cat "$T/out")"
snapshot_seq=$(jq -s '.[0].seq' "$T/out")
expect 0 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --count 2
grep -q "join  *alice (3 files)" "$T/out" && grep -q "join  *bob (1 files)" "$T/out" \
    || fail "bad plain snapshot: $(cat "$T/out")"
# more users than --count: only the first ones, then --timeout counts what came
expect 1 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --topic files \
    --count 5 --timeout 0.5
lines "$T/out" 2
err_is "fshare-tap: timeout after 0.5 s (2 of 5 events)"

bg snap "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --json
SNAP=$LAST_PID
wait_until 10 log_has_n snap . 2 || fail "no snapshot: $(cat "$T/snap.log")"
printf 'later' >"$T/bob_files/later.txt"
wait_until 10 log_has snap '"type":"file_added".*"later.txt"' || fail "no live event after snapshot"
json_is -s --argjson s "$snapshot_seq" '.[0:2] | all(.type == "join" and .seq >= $s)' \
    <"$T/snap.log" || fail "snapshot not first: $(cat "$T/snap.log")"
json_is -s '.[2:] | all(.type != "join") and ([.[].seq] | . == (sort | unique))' \
    <"$T/snap.log" || fail "stale or repeated live events: $(cat "$T/snap.log")"

"$CTL" --user alice disconnect >/dev/null || fail "disconnect alice"
"$CTL" --user bob disconnect >/dev/null || fail "disconnect bob"
wait_until 10 log_has_n snap '"type":"leave"' 2 || fail "snapshot tap missed leaves"
kill -TERM "$SNAP"
wait "$SNAP" || fail "SIGTERM: the tap did not exit 0"
echo "tap_events: ok"
