# files_complete.sh - only complete files are published (issue 9 item 2,
# SPEC 4.2): a file a writer holds open is published at its close, wherever
# it was found (the start-up scan, a new directory, a tree moved in), and a
# published file written again is republished at its close; a download
# then gets the whole file. The tap's exact events and bob's view against
# the disk after each step.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

MiB=1048576
echo present >"$DIR/present.txt"
# held open for writing across the agent's start-up scan
start_writer startup "$DIR/startup.bin" $MiB
start_all
wait_until 5 sees bob alice present.txt || fail "bob does not see present.txt"
not_sees bob alice startup.bin || fail "a file open for writing was published at login"
expect_events
finish_writer startup $MiB
expect_events "file_added startup.bin"
same_as_disk
view_lines | grep -q "^startup.bin $((2 * MiB)) " || fail "startup.bin not whole: $(view_lines)"

# --- written inside a directory just created -----------------------------------------
mkdir "$DIR/new"
start_writer big "$DIR/new/big.bin" $MiB
expect_events
not_sees bob alice new/big.bin || fail "a file being written is in bob's view"
finish_writer big $((10 * MiB))
expect_events "file_added new/big.bin"
same_as_disk
ctl bob get alice new/big.bin >"$T/get.out" 2>&1 || fail "get failed: $(cat "$T/get.out")"
cmp "$DIR/new/big.bin" "$T/bob_dl/big.bin" || fail "the download differs from the file"
[ "$(stat -c %s "$T/bob_dl/big.bin")" -eq $((11 * MiB)) ] || fail "the download is not 11 MiB"

# --- a tree moved in while a writer holds one of its files ---------------------------
mkdir -p "$T/outside/tree/sub"
echo ready >"$T/outside/tree/ready.txt"
start_writer moving "$T/outside/tree/sub/writing.bin" 4096
mv "$T/outside/tree" "$DIR/tree"
expect_events "file_added tree/ready.txt"
finish_writer moving 4096
expect_events "file_added tree/sub/writing.bin"
same_as_disk
view_lines | grep -q "^tree/sub/writing.bin 8192 " || fail "writing.bin not whole: $(view_lines)"

# --- a published file written again: republished at its close only ----------------
start_writer again "$DIR/present.txt" 100
expect_events
view_lines | grep -q "^present.txt 8 " || fail "present.txt changed while written: $(view_lines)"
finish_writer again 100
expect_events "file_changed present.txt"
same_as_disk
view_lines | grep -q "^present.txt 208 " || fail "present.txt is not 208 bytes: $(view_lines)"

# --- two writers: published when the last one closes --------------------------------
start_writer one "$DIR/two.txt" 10
start_writer two "$DIR/two.txt" 10
finish_writer one 0
expect_events
finish_writer two 0
expect_events "file_added two.txt"
same_as_disk
exit 0
