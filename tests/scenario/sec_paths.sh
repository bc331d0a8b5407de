# sec_paths.sh - path safety end to end (SPEC 6): a raw client offering
# traversal names ("..", absolute, NUL, control characters, bad UTF-8,
# overlong, too deep, partial-download names) in Publish, Change, rename
# and Get is refused every time; an agent never publishes a symbolic link
# or a partial download; the broker's own --max-path and --max-depth keep
# longer and deeper files out of every view (the rest is published); a
# download of a traversal name is refused and writes nothing.
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq

expect 2 "$BIN/fshare-broker" --max-path 0
grep -q "max-path" "$T/err" || fail "--max-path 0: $(cat "$T/err")"
expect 2 "$BIN/fshare-broker" --max-depth 65
grep -q "max-depth" "$T/err" || fail "--max-depth 65: $(cat "$T/err")"

start_broker --hash-cost min --max-path 40 --max-depth 3

# --- agents: links, partial files and over-limit paths stay out ------------------------------
A="$T/alice_files"
mkdir -p "$A/a/b/c" "$T/outside"
echo secret >"$T/outside/secret.txt"
echo ok >"$A/ok.txt"
echo shallow >"$A/a/b/in.txt"                    # depth 3: fine
echo deep >"$A/a/b/c/deep.txt"                   # depth 4: beyond --max-depth 3
echo long >"$A/$(printf 'n%.0s' $(seq 41))"       # 41 bytes: beyond --max-path 40
ln -s "$T/outside/secret.txt" "$A/link.txt"
ln -s "$T/outside" "$A/linkdir"
echo part >"$A/.half.bin.fshare-part"
start_peer alice
start_peer bob
wait_online 10 alice
wait_online 10 bob
wait_until 10 sees bob alice ok.txt || fail "bob does not see ok.txt"
sees bob alice a/b/in.txt || fail "bob does not see a/b/in.txt"
n=$(ctl bob --json ls --all --user alice | jq length)
[ "$n" = 2 ] || fail "bob sees $n of alice's files, not 2: $(ctl bob --json ls --all)"
log_has broker "alice: 'a/b/c/deep.txt' not published: path deeper than the broker allows" \
    || fail "the deep file was not logged"
log_has broker "not published: path longer than the broker allows" || fail "the long name was not logged"

# Live: a deep file is refused, a shallow one goes through
echo later >"$A/a/b/c/later.txt"
echo fine >"$A/fine.txt"
wait_until 10 sees bob alice fine.txt || fail "a new file did not reach bob"
not_sees bob alice a/b/c/later.txt || fail "a too-deep change reached bob"
wait_until 5 log_has broker "bad change from alice: path deeper than the broker allows" \
    || fail "the deep change was not logged"

# --- downloads of traversal names: refused, nothing written anywhere ------------------------
before=$(find "$T" -newer "$T/pw" -type f | grep -v '\.log$' | sort)
for path in ../outside/secret.txt /etc/passwd link.txt a/b/c/deep.txt .half.bin.fshare-part; do
    ctl bob get alice "$path" >"$T/get.log" 2>&1 && fail "get '$path' succeeded"
    grep -qE "unknown file|invalid request" "$T/get.log" || fail "get '$path': $(cat "$T/get.log")"
done
after=$(find "$T" -newer "$T/pw" -type f | grep -v '\.log$' | sort)
[ "$before" = "$after" ] || fail "refused downloads wrote files: $(diff <(echo "$before") <(echo "$after"))"
[ -z "$(ls -A "$T/bob_dl" 2>/dev/null)" ] || fail "bob's downloads: $(ls -A "$T/bob_dl")"
online alice && online bob || fail "an agent went away"
# --- a raw client: every hostile name refused (last: its refusals use up a second
# of the broker's rate-limited log) ---------------------------------------------
"$PY" "$HOSTILE" paths "$BROKER_EP" mallory pw >"$T/paths.json" \
    || fail "hostile paths: $(cat "$T/paths.json")"
for case in change_dotdot change_absolute rename_from_dotdot_middle get_dotdot change_nul_traversal \
            change_long change_deep change_partial publish_dotdot; do
    json_is --arg c "$case" '.answers[$c] | length > 0 and . != "no answer"' <"$T/paths.json" \
        || fail "$case: $(jq -c --arg c "$case" '.answers[$c]' "$T/paths.json")"
done
json_is '.answers.change_dotdot == "'"'"'.'"'"' or '"'"'..'"'"' in path"
       and .answers.change_absolute == "absolute path"
       and .answers.get_absolute == "unknown file"
       and .answers.publish_dotdot == "invalid file list"' <"$T/paths.json" \
    || fail "unexpected answers: $(cat "$T/paths.json")"

end_clean
echo "sec_paths: ok"
