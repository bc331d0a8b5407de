# log_hostile_names.sh - a name that would re-order or hide text on a
# terminal (a right-to-left override, a C1 CSI, an escape sequence),
# published by alice, reaches bob's agent log and the broker's log
# escaped, never raw: both quote it when bob downloads the file. Even
# with ZSYS_LOGSYSTEM=true, which would send the raw line to syslog, the
# lines stay in the escaped log.
. "$(dirname "$0")/../lib.sh" "$1"

export ZSYS_LOGSYSTEM=true
# UTF-8 bytes, not $'\u...': that form needs a UTF-8 locale, which CI lacks
RLO=$'\xe2\x80\xae' CSI=$'\xc2\x9b'
EVIL="invoice${RLO}fdp${CSI}2J.exe"
SHOWN='invoice\u202efdp\u009b2J.exe'

# raw FILE: FILE holds one of the hostile characters unescaped
raw() { grep -q -e "$RLO" -e "$CSI" "$1"; }

mkdir -p "$T/alice_files"
echo secret >"$T/alice_files/$EVIL"
start_broker --hash-cost min
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice "$EVIL" || fail "bob does not see alice's file"

expect 0 ctl bob get alice "$EVIL"
cmp -s "$T/alice_files/$EVIL" "$T/bob_dl/$EVIL" || fail "the file did not arrive under its name"
# bob's agent says where the download went; the broker's relay logs the transfer
wait_until 10 grep -qF "downloaded alice:'$SHOWN'" "$T/bob.log" \
    || fail "bob's log lacks the escaped name: $(grep downloaded "$T/bob.log" | cat -v)"
wait_until 10 grep -qF "alice -> bob '$SHOWN'" "$T/broker.log" \
    || fail "the broker's log lacks the escaped name: $(grep transfer "$T/broker.log" | cat -v)"
raw "$T/bob.log" && fail "bob's log holds the name raw: $(cat -v "$T/bob.log")"
raw "$T/broker.log" && fail "the broker's log holds the name raw: $(cat -v "$T/broker.log")"
raw "$T/alice.log" && fail "alice's log holds the name raw: $(cat -v "$T/alice.log")"
exit 0
