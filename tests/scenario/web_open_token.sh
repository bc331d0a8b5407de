#!/bin/bash
# web_open_token.sh - `fshare-web --open` keeps the access token off
# xdg-open's command line, which every local user sees in ps (the token
# is as good as the user's fshare-ctl). Before, xdg-open was given the
# address itself, token included. Now it gets file:// and a page of the
# user's (mode 0600, in the 0700 control directory) that holds the address
# and sends the browser on to it; the page stays while fshare-web runs (the
# browser reads it when it is ready) and is removed when fshare-web ends.
# Without an xdg-open, fshare-web says so, leaves no page and serves on.
# A fake xdg-open on PATH records what it was given.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="secret-$$"
start_broker --hash-cost min
connect bob
FSDIR="$XDG_RUNTIME_DIR/fshare"

mkdir -p "$T/fakebin" "$T/seen"
cat >"$T/fakebin/xdg-open" <<EOF
#!/bin/sh
# argv one per line, and the page as xdg-open found it
for arg in "\$@"; do printf '%s\n' "\$arg"; done >"$T/seen/argv.tmp"
page=\${1#file://}
stat -c '%a %u %F' "\$page" >"$T/seen/stat" 2>&1
cat "\$page" >"$T/seen/page" 2>&1
mv "$T/seen/argv.tmp" "$T/seen/argv"
EOF
chmod +x "$T/fakebin/xdg-open"

PATH="$T/fakebin:$PATH" bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0 --open
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)
TOKEN=${WEB_URL##*token=}
[ ${#TOKEN} -ge 40 ] || fail "no token in $WEB_URL"
wait_until 10 test -f "$T/seen/argv" || fail "xdg-open was not started: $(cat "$T/web.log")"

# the command line: one file:// argument, no token
grep -qF -- "$TOKEN" "$T/seen/argv" && fail "the token is on xdg-open's command line: $(cat "$T/seen/argv")"
lines "$T/seen/argv" 1
target=$(cat "$T/seen/argv")
[[ "$target" == "file://$FSDIR/web-"*.html ]] || fail "xdg-open was given '$target'"
page=${target#file://}
# the page: the user's own, closed to others, in a private directory
[ "$(cat "$T/seen/stat")" = "600 $(id -u) regular file" ] \
    || fail "the page was $(cat "$T/seen/stat")"
[ "$(stat -c '%a %u' "$FSDIR")" = "700 $(id -u)" ] || fail "$FSDIR is $(stat -c '%a %u' "$FSDIR")"
grep -qF "<meta http-equiv=\"refresh\" content=\"0;url=$WEB_URL\">" "$T/seen/page" \
    || fail "the page has no refresh to the address: $(cat "$T/seen/page")"
grep -qF "location.replace(\"$WEB_URL\")" "$T/seen/page" \
    || fail "the page has no script to the address: $(cat "$T/seen/page")"
grep -q "token" /proc/"$WEB_PID"/cmdline && fail "the token is on fshare-web's own command line"

# the page lives while fshare-web does, and goes with it
[ -f "$page" ] || fail "the page went before fshare-web ended"
kill "$WEB_PID"
stopped "$WEB_PID" 0
[ -e "$page" ] && fail "the page is left after fshare-web ended"

# no xdg-open: said, no page left, the page still served
PATH="$T/nowhere" bg web2 "$BIN/fshare-web" --user bob --listen 127.0.0.1:0 --open
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web2.log" || fail "fshare-web without xdg-open printed no address"
wait_until 10 grep -q "fshare-web: no xdg-open here" "$T/web2.log" \
    || fail "no word about the missing xdg-open: $(cat "$T/web2.log")"
ls "$FSDIR"/web-* >/dev/null 2>&1 && fail "a page is left: $(ls "$FSDIR")"
alive "$WEB_PID" || fail "fshare-web ended without xdg-open"
exit 0
