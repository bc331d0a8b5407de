# sec_accounts.sh - account file hygiene while the broker runs (SPEC 6): a
# broken file written in its place is refused with the bad line named in
# the log, and the accounts loaded before keep working; so after SIGHUP; a
# good file takes effect (on change and on SIGHUP, which always re-reads);
# a file open to others is warned about; a vanished file keeps the accounts.
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq
DIR="$T/state/fshare"
ACCOUNTS="$DIR/accounts"
for user in alice bob; do
    echo "pw-$user" | "$BIN/fshare-passwd" --stdin "$ACCOUNTS" "$user" >/dev/null 2>&1 \
        || fail "fshare-passwd $user"
done
cp "$ACCOUNTS" "$T/good"

# logs_in USER PASSWORD: an observer login succeeds
logs_in() {
    "$PY" "$HOSTILE" login "$BROKER_EP" "$1" "$2" --observer >"$T/login.json" 2>&1
    json_is .ok <"$T/login.json"
}
# replace CONTENT-FILE: put a new account file in place the way editors do
replace() { cp "$1" "$DIR/new" && chmod 600 "$DIR/new" && mv "$DIR/new" "$ACCOUNTS"; }
# more_than TEXT N: the log holds TEXT more than N times (counted at each try)
more_than() { [ "$(log_count broker "$1")" -gt "$2" ]; }

start_broker --no-register --hash-cost min
logs_in alice pw-alice || fail "alice cannot log in: $(cat "$T/login.json")"

# --- a broken file: refused, the line named, the old accounts kept -----------------------------
{ cat "$T/good"; echo "carol-without-a-colon"; } >"$T/broken"
replace "$T/broken"
wait_until 5 log_has broker "accounts:3: missing ':'" || fail "the bad line was not named"
log_has broker "keeping the 2 accounts loaded before" || fail "no word of keeping the accounts"
logs_in alice pw-alice || fail "alice lost her account: $(cat "$T/login.json")"
logs_in bob pw-bob || fail "bob lost his account: $(cat "$T/login.json")"
logs_in carol-without-a-colon x && fail "a malformed line became an account"

# A plaintext password (CVE-2018-12551's lesson): refused, never an account
{ cat "$T/good"; echo "dave:hunter2"; } >"$T/plain"
replace "$T/plain"
wait_until 5 log_has broker "accounts:3: bad password hash" || fail "a plaintext line was not named"
logs_in dave hunter2 && fail "a plaintext password line became an account"
logs_in bob pw-bob || fail "bob lost his account"

# SIGHUP with the broken file: refused again, still the old accounts
hups=$(log_count broker "keeping the previous accounts")
kill -HUP "$BROKER_PID"
wait_until 5 more_than "keeping the previous accounts" "$hups" \
    || fail "SIGHUP did not re-read (or accepted) the broken file"
logs_in alice pw-alice || fail "alice lost her account after SIGHUP"

# --- a good file: carol is added, on SIGHUP ------------------------------------------------
cp "$T/good" "$T/three"
echo "pw-carol" | "$BIN/fshare-passwd" --stdin "$T/three" carol >/dev/null 2>&1 || fail "passwd carol"
replace "$T/three"
kill -HUP "$BROKER_PID"
wait_until 5 log_has broker "account file reloaded (3 accounts)" || fail "no reload of 3 accounts"
logs_in carol pw-carol || fail "carol cannot log in: $(cat "$T/login.json")"
logs_in alice pw-alice || fail "alice cannot log in with the new file"
# SIGHUP alone always re-reads (it is the administrator's explicit word)
reloads=$(log_count broker "account file reloaded")
kill -HUP "$BROKER_PID"
wait_until 5 more_than "account file reloaded" "$reloads" || fail "SIGHUP did not reload"

# --- open to others: a warning; gone: the accounts stay ------------------------------------
chmod 644 "$ACCOUNTS"
logs_in carol pw-carol || fail "carol cannot log in"     # a login re-checks the file
wait_until 5 log_has broker "mode 644 lets group or others access the accounts" \
    || fail "no warning about an open account file"
chmod 600 "$ACCOUNTS"
mv "$ACCOUNTS" "$T/moved"
wait_until 5 log_has broker "account file disappeared; keeping 3 accounts" \
    || fail "no word of the vanished file"
kill -HUP "$BROKER_PID"
wait_until 5 log_has broker "is missing; keeping the previous accounts" || fail "SIGHUP on a missing file"
logs_in carol pw-carol || fail "the accounts were dropped with the file"
kill -0 "$BROKER_PID" || fail "the broker died"
end_clean
echo "sec_accounts: ok"
