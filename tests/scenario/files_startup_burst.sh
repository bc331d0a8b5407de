#!/bin/bash
# files_startup_burst.sh - a burst of changes while alice's agent is still
# in its start-up scan and hashing (SPEC 4.2): 500 of 3,000 files
# rewritten, five directories removed, one renamed, 200 files written in a
# new one, a large file appended to. bob's view of alice must end equal
# to the disk (path, size, mtime) and to sha256sum of it. (The kernel
# queues a writer's IN_CLOSE_WRITE before it drops the writer's count: a
# probe right after the event once took the file for still written and
# waited for a close that had come already, losing the change.)
. "$(dirname "$0")/../lib.sh" "$1"
files_family


for d in $(seq 1 30); do
    mkdir -p "$DIR/d$d"
    for i in $(seq 1 100); do echo "$d $i" >"$DIR/d$d/f$i"; done
done
head -c 20M /dev/urandom >"$DIR/big.bin"
start_broker --hash-cost min
start_peer bob
wait_until 10 online bob || fail "bob not online"
start_peer alice
# at once, while alice scans, hashes and logs in
for d in $(seq 1 10); do
    for i in $(seq 1 50); do echo "changed $d $i" >"$DIR/d$d/f$i"; done
done
for d in $(seq 11 15); do rm -r "$DIR/d$d"; done
mv "$DIR/d16" "$DIR/d16.moved"
mkdir "$DIR/new"
for i in $(seq 1 200); do echo "new $i" >"$DIR/new/n$i"; done
echo more >>"$DIR/big.bin"
wait_until 30 online alice || fail "alice not online: $(state alice)"
SKIP='^$'
wait_until 30 view_is_disk || fail "bob's view differs from the disk:
$(diff <(view_lines) <(disk_lines "$SKIP") | head -20)"
same_sums 30
exit 0
