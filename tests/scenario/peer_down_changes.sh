#!/bin/bash
# peer_down_changes.sh - alice's agent stopped (SIGTERM, then kill -9) while
# her host directory changes in every way (SPEC 4.2: changes made while the
# agent was down are reconciled at the next login; 4.5: its digest
# database must not vouch for an old content): a file replaced by a
# directory of its name and a directory by a file, a directory of files
# renamed, a file rewritten keeping its size and mtime, a file deleted and
# another made under its name with the same size and mtime, a new hard
# link, a symlink. Started again, bob's view of alice equals her disk,
# digests included, each file once.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

mkdir -p "$DIR/dir" "$DIR/tree/sub"
echo "a file" >"$DIR/file"
echo "in dir" >"$DIR/dir/x"
for i in 1 2 3; do echo "t $i" >"$DIR/tree/sub/t$i"; done
echo "same size" >"$DIR/same.txt"
echo "replaced!" >"$DIR/replaced.txt"
head -c 3M /dev/urandom >"$DIR/big.bin"
start_all
wait_until 10 sees bob alice big.bin || fail "bob does not see alice's files"
same_sums 20 "at start"

# change FILE: other bytes, the same size and mtime
change() {
    touch -r "$1" "$T/stamp"
    local size; size=$(size_of "$1")
    head -c "$size" /dev/urandom | dd of="$1" conv=notrunc status=none
    touch -r "$T/stamp" "$1"
}
down_changes() {
    rm "$DIR/file" && mkdir "$DIR/file" && echo "now a dir" >"$DIR/file/in"
    rm -r "$DIR/dir" && echo "now a file" >"$DIR/dir"
    mv "$DIR/tree" "$DIR/tree2"
    change "$DIR/same.txt"
    change "$DIR/big.bin"
    touch -r "$DIR/replaced.txt" "$T/stamp2"
    rm "$DIR/replaced.txt" && echo "REPLACED?" >"$DIR/replaced.txt" && touch -r "$T/stamp2" "$DIR/replaced.txt"
    ln "$DIR/same.txt" "$DIR/link.txt"
    ln -s big.bin "$DIR/sym"
}

# --- stopped cleanly --------------------------------------------------------------
kill -TERM "$PID_alice"
stopped "$PID_alice" 0
wait_until 10 lacks_peer bob alice || fail "bob still lists alice"
down_changes
start_peer alice
wait_online 10 alice
wait_until 10 has_peer bob alice || fail "bob does not see alice again"
same_as_disk
same_sums 20 "after a restart"

# --- killed, and everything undone the other way -------------------------------------
kill -KILL "$PID_alice"
stopped "$PID_alice" 137
rm -r "$DIR/file" && echo "a file again" >"$DIR/file"
rm "$DIR/dir" && mkdir "$DIR/dir" && echo "a dir again" >"$DIR/dir/y"
mv "$DIR/tree2" "$DIR/dir/tree"
change "$DIR/same.txt"
change "$DIR/big.bin"
rm "$DIR/sym" "$DIR/same.txt"
start_peer alice
wait_online 10 alice
wait_until 10 has_peer bob alice || fail "bob does not see alice again"
same_as_disk
same_sums 20 "after a crash and a restart"
exit 0
