# peer_hostile_broker.sh - an agent logged in to something posing as a
# broker (fake_broker.py) that says what no broker would: a snapshot naming
# files with '..', absolute paths and hostile characters, events that are
# malformed, from another broker instance, out of sequence or with 100,000
# files, and downloads answered badly (a chunk longer than announced, more
# bytes than the file's size, a digest of the wrong length or of other
# bytes, a chunk out of place, under another transfer, without its data,
# opened twice, a stray chunk, a reply of three frames, an Opened with data
# frames, a reply of the wrong kind), files listed under a partial download's
# name. The agent keeps its session, its view holds only valid names (shown
# escaped; no partial names, so a folder get saves none), each bad download fails with its code
# (protocol_error, corrupted; unknown_session makes the agent log in
# again), nothing is written outside its downloads
# directory, and the good downloads arrive.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
cat >"$T/script.json" <<'EOF'
{"broker": "fake\u009b2Jid\u202e",
 "serve": {"good.bin": "good", "longer.bin": "longer", "beyond.bin": "beyond",
           "short.bin": "short_digest", "wrong.bin": "wrong_digest", "offset.bin": "offset",
           "twice.bin": "twice", "other.bin": "other_id", "nodata.bin": "no_data",
           "stray.bin": "stray", "huge.bin": "huge", "three.bin": "three_frames",
           "odata.bin": "opened_data", "othree.bin": "opened_three",
           "wbody.bin": "wrong_body", "cbody.bin": "credit_body", "nos.bin": "no_session", "evil.bin": "gone", "d/x.bin": "good",
           "d/.x.bin.fshare-part": "good", ".p.bin.fshare-part": "good"},
 "snapshot": [{"user": "eve", "files": [{"path": "../escape.txt"}, {"path": "/abs"},
                                        {"path": "ok/inv\u202efdp.exe"}, {"path": "a//b"},
                                        {"path": "c1\u009b2J.txt"}, {"path": "short", "sha256": "ab"}]},
              {"user": "../evil", "files": [{"path": "x"}]},
              {"user": "m1", "files": [{"path": "evil.bin", "size": 10, "sha256": "abababababababababababababababababababababababababababababababab"}]},
              {"user": "m2", "files": [{"path": "evil.bin", "size": 10, "sha256": "abababababababababababababababababababababababababababababababab"}]}],
 "events": [{"type": 3, "user": "eve", "file": {"path": "a/../../b"}},
            {"type": 3, "user": "eve", "file": {"path": "ev.txt"}, "broker": "otherbroker"},
            {"type": 1, "user": "big", "count": 100000},
            {"type": 3, "user": "eve", "file": {"path": "late.txt"}, "seq_skip": 5}]}
EOF
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
start_peer bob --broker "$REQ"
wait_online 20 bob
wait_until 20 log_has fake "event 9 type 3" || fail "the fake broker sent no events"

# --- the view: only valid names, shown escaped; the session survives -------------------------
wait_until 20 log_has bob "view resync" || fail "no resync after the bad events: $(cat "$T/bob.log")"
wait_online 20 bob
log_has bob "invalid files of eve skipped" || fail "the invalid snapshot files were not logged"
log_has bob "invalid user" || fail "the invalid user was not logged"
log_has bob "dropped a malformed event" || fail "the malformed event was not logged"
expect 0 "$CTL" --user bob --json ls --all
json_is '[.[].path] | sort == ["beyond.bin", "c1\u009b2J.txt", "cbody.bin", "d/x.bin", "evil.bin", "evil.bin", "evil.bin", "good.bin",
         "longer.bin", "nodata.bin", "nos.bin", "odata.bin", "offset.bin", "ok/inv\u202efdp.exe", "other.bin",
         "othree.bin", "short.bin", "stray.bin", "three.bin", "twice.bin", "wbody.bin",
         "wrong.bin"]' <"$T/out" || fail "bob's view: $(cat "$T/out")"
expect 0 "$CTL" --user bob ls --all
grep -qF 'ok/inv\u202efdp.exe' "$T/out" || fail "ls --all does not escape the RLO: $(cat "$T/out")"
grep -qF 'c1\u009b2J.txt' "$T/out" || fail "ls --all does not escape the CSI: $(cat "$T/out")"
# The broker's id, as the status shows it: escaped
expect 0 "$CTL" --user bob status
grep -qF 'broker id:   fake\u009b2Jid\u202e' "$T/out" || fail "status: $(cat -v "$T/out")"
grep -q $'\xc2\x9b' "$T/out" && fail "status printed the broker id raw: $(cat -v "$T/out")"
rss=$(rss_of "$PID_bob")
[ "$rss" -lt 300000 ] || fail "the agent holds $rss KiB after 100,000 files in one event"

# --- downloads answered badly: each fails with its code, nothing saved -------------------------
before=$(find "$T" -type f -newer "$T/script.json" ! -path "$T/san/*" ! -name '*.log' \
             ! -path "$T/state/*" ! -path "$T/bob_dl/*" | sort)
for case in longer:protocol_error beyond:protocol_error short:protocol_error \
            wrong:corrupted offset:protocol_error twice:protocol_error other:protocol_error \
            nodata:protocol_error huge:protocol_error three:protocol_error \
            odata:protocol_error othree:protocol_error wbody:protocol_error \
            cbody:protocol_error; do
    name=${case%%:*} code=${case#*:}
    # A malformed reply ends its get at once, not after the 30 s stall
    began=$(date +%s)
    expect 1 "$CTL" --user bob --json get mallory "$name.bin"
    json_is --arg c "$code" '.code == $c' <"$T/out" || fail "get $name.bin: $(cat "$T/out")"
    [ $(($(date +%s) - began)) -lt 25 ] || fail "get $name.bin took $(($(date +%s) - began)) s"
    [ -e "$T/bob_dl/$name.bin" ] && fail "$name.bin was saved"
done
for name in good stray; do
    expect 0 "$CTL" --user bob --json get mallory "$name.bin"
    [ "$(cat "$T/bob_dl/$name.bin")" = 0123456789 ] || fail "$name.bin: $(cat "$T/out")"
done
# A partial download's name, listed or asked for: never saved under it
expect 1 "$CTL" --user bob --json get mallory .p.bin.fshare-part
json_is '.code == "unknown_file"' <"$T/out" || fail "get of a partial name: $(cat "$T/out")"
log_has fake "get .p.bin.fshare-part" && fail "the agent asked for a partial name"
expect 0 "$CTL" --user bob --json get mallory d/
json_is 'length == 1 and .[0].path == $p' --arg p "$T/bob_dl/d/x.bin" <"$T/out" \
    || fail "get d/: $(cat "$T/out")"
after=$(find "$T" -type f -newer "$T/script.json" ! -path "$T/san/*" ! -name '*.log' \
            ! -path "$T/state/*" ! -path "$T/bob_dl/*" | sort)
[ "$before" = "$after" ] || fail "files written outside the downloads: $(diff <(echo "$before") <(echo "$after"))"
[ "$(cd "$T/bob_dl" && find . -type f | sort | tr '\n' ' ')" = "./d/x.bin ./good.bin ./stray.bin " ] \
    || fail "bob's downloads: $(cd "$T/bob_dl" && find .)"
# Two sources of one digest that each open and then are "gone" at once: the
# download switches between them a few times, then fails owner_gone (it
# bounced between them for ever, and the get never ended)
began=$(date +%s)
expect 1 timeout 60 "$CTL" --user bob --json get m1 evil.bin
json_is '.code == "owner_gone"' <"$T/out" || fail "get evil.bin: $(cat "$T/out")"
gets=$(log_count fake "get evil.bin gone")
[ "$gets" -ge 2 ] && [ "$gets" -le 6 ] || fail "evil.bin asked $gets times"
[ $(($(date +%s) - began)) -lt 25 ] || fail "get evil.bin took $(($(date +%s) - began)) s"
log_has bob "not switching again" || fail "the last switch refused was not logged"
# A broker that no longer knows the session: that get fails, and the agent
# logs in again (the link, not only the download, hears of it)
logins=$(log_count fake '^login$')
expect 1 "$CTL" --user bob --json get mallory nos.bin
json_is '.code == "unknown_session"' <"$T/out" || fail "get nos.bin: $(cat "$T/out")"
wait_until 20 log_has_n fake '^login$' $((logins + 1)) \
    || fail "the agent did not log in again after unknown_session: $(tail -5 "$T/bob.log")"
log_has bob "does not know our session" || fail "the relogin was not logged"
wait_online 20 bob
log_has fake "cancel .* 7" || fail "the agent did not cancel a broken transfer as protocol_error"
online bob || fail "bob lost its session"
exit 0
