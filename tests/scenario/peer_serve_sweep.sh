# peer_serve_sweep.sh - a real agent asked to serve by something posing as
# a broker (fake_broker.py "serves"), one table of Serve requests: every
# hostile path (empty, NUL (refused at once as malformed: protocol_error,
# never left to the stall timeout), bad UTF-8, control characters, "..", absolute,
# "a//b", a trailing '/', 5,000 bytes, 10,000 components, a directory, a
# symbolic link out of the host directory, a partial download's name, an
# ignored file, a file never there) and resume numbers at 0, beyond the
# size and at the maxima, and a hostile requester name. Each row: the
# agent's answer (Opened at an offset, or Cancel with its code). Nothing
# outside the host directory is ever opened (an Opened would show it),
# nothing is written anywhere, the agent stays online and logs every
# name escaped.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
mkdir -p "$T/bob_files/sub"
printf 0123456789 >"$T/bob_files/f.txt"
printf secret-bytes >"$T/secret.txt"
ln -s ../secret.txt "$T/bob_files/link.txt"
printf p >"$T/bob_files/.f.txt.fshare-part"
printf s >"$T/bob_files/notes.txt~"
touch -d @1700000000 "$T/bob_files/f.txt"
MAX=18446744073709551615 HALF=9223372036854775808
DEEP=$(printf 'd/%.0s' $(seq 9999))x
# transfer | path (or hex:BYTES) | offset | expect_size | expect_mtime | requester | answer
cat >"$T/table" <<EOF2
1|f.txt|0|0|0|eve|opened 0
2||0|0|0|eve|cancel 13
3|hex:6100622e747874|0|0|0|eve|cancel 7
4|hex:61ff622e747874|0|0|0|eve|cancel 13
5|hex:610a622e747874|0|0|0|eve|cancel 13
6|hex:611b5b324a622e747874|0|0|0|eve|cancel 13
7|..|0|0|0|eve|cancel 13
8|../secret.txt|0|0|0|eve|cancel 13
9|sub/../f.txt|0|0|0|eve|cancel 13
10|$T/secret.txt|0|0|0|eve|cancel 13
11|/|0|0|0|eve|cancel 13
12|sub//f.txt|0|0|0|eve|cancel 13
13|sub/|0|0|0|eve|cancel 13
14|$(printf 'x%.0s' $(seq 5000))|0|0|0|eve|cancel 13
15|$DEEP|0|0|0|eve|cancel 13
16|sub|0|0|0|eve|cancel 13
17|link.txt|0|0|0|eve|cancel 13
18|.f.txt.fshare-part|0|0|0|eve|cancel 13
19|notes.txt~|0|0|0|eve|cancel 10
20|nothere.txt|0|0|0|eve|cancel 13
21|f.txt|5|10|1700000000|eve|opened 5
22|f.txt|10|10|1700000000|eve|opened 10
23|f.txt|11|10|1700000000|eve|opened 0
24|f.txt|5|10|1700000001|eve|opened 0
25|f.txt|$MAX|$MAX|1700000000|eve|opened 0
26|f.txt|$HALF|$HALF|$HALF|eve|opened 0
27|f.txt|$MAX|10|$MAX|eve|opened 0
28|f.txt|0|0|0|hex:651b5b324a7665|opened 0
29|f.txt|0|0|0|$(printf 'r%.0s' $(seq 5000))|opened 0
EOF2
"$PY" - "$T/table" >"$T/script.json" <<'EOF2'
import json, sys
serves = []
for line in open(sys.argv[1]):
    transfer, path, offset, size, mtime, requester, _ = line.rstrip("\n").split("|")
    spec = {"transfer": int(transfer), "offset": int(offset), "expect_size": int(size),
            "expect_mtime": int(mtime) if int(mtime) < 2**63 else int(mtime) - 2**64}
    if path.startswith("hex:"):
        spec["hex"] = path[4:]
    else:
        spec["path"] = path
    spec["requester"] = bytes.fromhex(requester[4:]).decode() if requester.startswith("hex:") \
        else requester
    serves.append(spec)
print(json.dumps({"serves": serves}))
EOF2
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
touch "$T/mark"
start_peer bob --broker "$REQ"
wait_online 20 bob
wait_until 20 log_has fake "served list" || fail "the fake broker served nothing"
# Every row answered (or, for the NUL, dropped) as the table says
while IFS='|' read -r transfer path _ _ _ _ answer; do
    case $answer in
        none)     want="(opened|cancel) $transfer " ;;
        opened*)  want="opened $transfer ${answer#opened } " ;;
        cancel*)  want="cancel $transfer ${answer#cancel }\$" ;;
    esac
    if [ "$answer" = none ]; then
        wait_until 20 log_has fake "opened 29 " || fail "the last row was not answered"
        log_has fake -E "^$want" && fail "row $transfer was answered: $(grep -E "^$want" "$T/fake.log")"
        continue
    fi
    wait_until 20 grep -qE "^$want" "$T/fake.log" \
        || fail "row $transfer (${path:0:40}): not '$answer': $(grep -E "^(opened|cancel) $transfer " "$T/fake.log")"
done <"$T/table"
online bob || fail "bob is not online"
log_has bob "malformed serve #" || fail "the NUL row was not logged"
LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]' "$T/bob.log" && fail "bob logged a raw control byte"
written=$(find "$T" -newer "$T/mark" -type f ! -path "$T/san/*" ! -name '*.log' ! -path "$T/state/*" \
              ! -path "$T/run/*" ! -name out ! -name err)
[ -z "$written" ] || fail "files written: $written"
[ "$(cat "$T/secret.txt")" = secret-bytes ] || fail "the outside file changed"
exit 0
