# passwd_concurrent.sh - fshare-passwd runs at once lose no account (the
# read-modify-write holds a flock on the account file's directory), wait
# for the lock with a deadline, and write through a symlinked account file.
. "$(dirname "$0")/../lib.sh" "$1"

P="$BIN/fshare-passwd"
D="$T/accounts.d"
F="$D/accounts"

# --- many at once: every one added, none lost ---------------------------------------
# Rounds of 12 in parallel: without the lock one round alone lost most of them
for round in 1 2 3; do
    pids=""
    for i in $(seq 1 12); do
        "$P" --stdin --cost min "$F" "u$round-$i" <<<"pw $i" >"$T/out.$round.$i" 2>&1 &
        pids="$pids $!"
    done
    for pid in $pids; do wait "$pid" || fail "a parallel fshare-passwd failed: $(cat "$T"/out.*)"; done
    for i in $(seq 1 12); do
        grep -q "^added user 'u$round-$i'" "$T/out.$round.$i" || fail "u$round-$i: $(cat "$T/out.$round.$i")"
        grep -q "^u$round-$i:" "$F" || fail "u$round-$i was said added but is not in the file: $(cut -d: -f1 "$F")"
    done
done
lines "$F" 36
ls -A "$D" | grep -qv '^accounts$' && fail "temp or lock file left behind: $(ls -A "$D")"

# --- a lock nobody gives back: a clear error after the deadline, file unchanged -----
before=$(md5sum <"$F")
flock "$D" "$P" --stdin --cost min --lock-wait 300 "$F" late <<<"pw" >"$T/out" 2>"$T/err"
# flock(1) runs the program while it holds the lock; our open of the same
# directory is another open file description, so we must wait and give up
[ $? -eq 1 ] || fail "fshare-passwd did not fail on a held lock: $(cat "$T/err")"
err_has "cannot lock"
err_has "file left unchanged"
[ "$(md5sum <"$F")" = "$before" ] || fail "the file changed without the lock"
flock "$D" "$P" --lock-wait 300 --delete "$F" u1-1 >"$T/out" 2>"$T/err" && fail "--delete ran without the lock"
grep -q "^u1-1:" "$F" || fail "u1-1 deleted without the lock"

# --- a symlinked account file: the target changes, the link stays -------------------
mkdir -p "$T/real" "$T/links"
"$P" --stdin --cost min "$T/real/accounts" alice <<<"alice pw" >/dev/null || fail "cannot add alice"
ln -s ../real/accounts "$T/links/accounts"
"$P" --stdin --cost min "$T/links/accounts" bob <<<"bob pw" >"$T/out" 2>"$T/err" \
    || fail "adding through the link failed: $(cat "$T/err")"
[ -L "$T/links/accounts" ] || fail "the symlink was replaced by a regular file"
grep -q "^bob:" "$T/real/accounts" || fail "bob is not in the link's target"
grep -q "^alice:" "$T/real/accounts" || fail "alice lost from the target"
ls -A "$T/links" | grep -qv '^accounts$' && fail "temp file left beside the link"
[ "$(stat -c %a "$T/real/accounts")" = 600 ] || fail "target mode is not 600"
# a link to a file that does not exist yet: created where the link points
ln -s ../real/new "$T/links/new"
"$P" --stdin --cost min "$T/links/new" carol <<<"carol pw" >/dev/null 2>"$T/err" \
    || fail "adding through a dangling link failed: $(cat "$T/err")"
[ -L "$T/links/new" ] && grep -q "^carol:" "$T/real/new" || fail "dangling link: carol not in its target"
# a loop of links is an error, not a hang
ln -s loop2 "$T/links/loop1"; ln -s loop1 "$T/links/loop2"
"$P" --stdin --cost min "$T/links/loop1" dave <<<"pw" >/dev/null 2>"$T/err" && fail "a link loop was written"
[ -L "$T/links/loop1" ] || fail "the link loop was replaced"
exit 0
