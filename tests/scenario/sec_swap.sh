#!/bin/bash
# sec_swap.sh - symbolic links swapped in during a download (SPEC 6): the
# owner never serves a byte from outside its host directory.
#  1. A directory on the path becomes a link to an outside directory that
#     holds a file of the same name, size and mtime, after the broker listed
#     the file and before the owner opens it (the owner's agent is stopped
#     meanwhile, so its watcher cannot have noticed): the owner refuses to
#     follow the link, the get fails clearly, nothing is written.
#  2. The file itself is replaced by a link to an outside file while its
#     transfer is paused (the requester's agent stopped): the download
#     completes with the original bytes (the file it opened), never the
#     outside ones; afterwards the link is
#     not published and a get of it is refused.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

# --liveness 30: a stopped agent must not be declared gone meanwhile
start_broker --hash-cost min --verbose --liveness 30
A="$T/alice_files"
mkdir -p "$A/docs" "$T/outside/docs"
printf 'inside, 24 bytes long..\n' >"$A/docs/report.txt"
printf 'SECRET 24 bytes outside\n' >"$T/outside/docs/report.txt"
touch -r "$A/docs/report.txt" "$T/outside/docs/report.txt"
# Part 2's file: random head, sparse middle, so a mix-up shows
head -c 2M /dev/urandom >"$A/big.bin"
truncate -s 256M "$A/big.bin"
{ printf 'SECRET'; head -c 2M /dev/zero; } >"$T/outside/big.bin"
truncate -s 256M "$T/outside/big.bin"
touch -r "$A/big.bin" "$T/outside/big.bin"

start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice docs/report.txt || fail "bob does not see docs/report.txt"
wait_until 10 sees bob alice big.bin || fail "bob does not see big.bin"

no_secret() { ! grep -rqs SECRET "$T/bob_dl"; }

# --- 1. a directory swapped for a link between listing and open ------------------------------
halt "$PID_alice"
mv "$A/docs" "$A/docs.real"
ln -s "$T/outside/docs" "$A/docs"
bg get1 "$CTL" --user bob get alice docs/report.txt
GET_PID=$LAST_PID
wait_until 10 log_has broker "alice -> bob 'docs/report.txt' asked" \
    || fail "the broker did not ask alice to serve"
kill -CONT "$PID_alice"
wait_until 10 gone "$GET_PID" || fail "the get did not end"
wait "$GET_PID" && fail "a get through a swapped-in link succeeded"
grep -q "symbolic link" "$T/get1.log" || fail "unclear refusal: $(cat "$T/get1.log")"
log_has alice "cannot serve 'docs/report.txt' to bob: cannot read file: it is (or lies below) a symbolic link" \
    || fail "alice did not refuse the link"
[ -e "$T/bob_dl/report.txt" ] && fail "a file appeared under its final name"
no_secret || fail "outside bytes reached bob"
wait_until 10 not_sees bob alice docs/report.txt || fail "the linked file is still published"

# --- 2. the file swapped for a link while its transfer is paused -----------------------------
PART="$T/bob_dl/.big.bin.fshare-part"
bg get2 "$CTL" --user bob get alice big.bin
GET_PID=$LAST_PID
wait_until 20 has_bytes "$PART" || fail "no byte arrived"
halt "$PID_bob"
# Still under way: the swap below happens during the transfer
gone "$GET_PID" && fail "the download ended before the swap (make big.bin bigger)"
[ -e "$T/bob_dl/big.bin" ] && fail "the download completed before the swap"
mv "$A/big.bin" "$A/big.orig"
ln -s "$T/outside/big.bin" "$A/big.bin"
kill -CONT "$PID_bob"
wait_until 60 gone "$GET_PID" || fail "the get did not end"
# The README's promise: a transfer under way keeps reading the file it opened
wait "$GET_PID" || fail "the paused download failed: $(cat "$T/get2.log")"
cmp -s "$A/big.orig" "$T/bob_dl/big.bin" || fail "the download is not the original file"
no_secret || fail "outside bytes reached bob"
wait_until 10 not_sees bob alice big.bin || fail "the link big.bin is published"
ctl bob get alice big.bin >"$T/get3.log" 2>&1 && fail "a get of the link succeeded"
grep -q "unknown file" "$T/get3.log" || fail "get of the link: $(cat "$T/get3.log")"
no_secret || fail "outside bytes reached bob"
online alice && online bob || fail "an agent went away"

end_clean
echo "sec_swap: ok"
