# files_changes.sh - every settled change is published, whatever made it
# (issue 9 item 3, SPEC 4.2): truncate(2) by path, an mtime set by path,
# a write through another hard link (every name changes), also through
# a name outside the host directory (no event here), a writer killed
# before it closed; a file a writer keeps open is not republished until
# closed. The tap's exact events and bob's view against the disk.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

head -c 4194304 /dev/zero >"$DIR/big.bin"
mkdir "$DIR/d"
echo aaa >"$DIR/d/a.txt"
ln "$DIR/d/a.txt" "$DIR/b.txt"
echo c >"$DIR/c.txt"
echo "linked from outside" >"$T/outside/src.txt"
ln "$T/outside/src.txt" "$DIR/out.txt"
start_all
wait_until 5 sees bob alice big.bin || fail "bob does not see big.bin"
expect_events
same_as_disk

# --- truncate(2) by path: no open, no close ---------------------------------------
perl -e 'truncate($ARGV[0], 10) or die "truncate: $!"' "$DIR/big.bin"
expect_events "file_changed big.bin"
same_as_disk
[ "$(view_lines | grep '^big.bin ' | cut -d' ' -f2)" = 10 ] || fail "bob's big.bin is not 10 bytes"

# --- an mtime set by path (utime(2)): no open either --------------------------------
perl -e 'utime(978307200, 978307200, $ARGV[0]) or die "utime: $!"' "$DIR/c.txt"
expect_events "file_changed c.txt"
same_as_disk
view_lines | grep -qx "c.txt 2 978307200" || fail "bob's c.txt has not the new mtime: $(view_lines)"

# --- a write through another hard link: both names change ------------------------
echo more >>"$DIR/b.txt"
expect_events "file_changed b.txt" "file_changed d/a.txt"
same_as_disk
perl -e 'truncate($ARGV[0], 2) or die' "$DIR/d/a.txt"
expect_events "file_changed d/a.txt" "file_changed b.txt"
same_as_disk

# --- a write through a name outside the host directory: found all the same ---------
# (looked at once a second: waited for, then counted)
echo more >>"$T/outside/src.txt"
wait_until 3 tap_has "file_changed out.txt" || fail "a write through the outside name is not published"
expect_events "file_changed out.txt"
same_as_disk
same_sums 10 "written through a name outside"
mv "$DIR/out.txt" "$DIR/d/out.txt"
expect_events "file_renamed d/out.txt out.txt"
perl -e 'truncate($ARGV[0], 3) or die' "$T/outside/src.txt"
wait_until 3 tap_has "file_changed d/out.txt" || fail "a truncate through the outside name is not published"
expect_events "file_changed d/out.txt"
same_as_disk

# --- a writer killed before it closed: its exit closes the file -------------------
sh -c 'exec 3>"$1"; head -c 65536 /dev/zero >&3; kill -KILL $$' sh "$DIR/killed.bin"
expect_events "file_added killed.bin"
same_as_disk

# --- a writer that keeps the file open: nothing until it closes -------------------
start_writer keeps "$DIR/c.txt" 5
expect_events
perl -e 'truncate($ARGV[0], 1) or die' "$DIR/c.txt"
expect_events
view_lines | grep -qx "c.txt 2 978307200" || fail "c.txt changed while open: $(view_lines)"
finish_writer keeps 3
expect_events "file_changed c.txt"
same_as_disk
view_lines | grep -q "^c.txt 4 " || fail "bob's c.txt is not 4 bytes: $(view_lines)"
exit 0
