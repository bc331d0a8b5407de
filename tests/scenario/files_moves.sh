#!/bin/bash
# files_moves.sh - moves whose events a walk overtakes are renames, end to
# end (SPEC 4.2: a file moved within the host directory is one
# file_renamed): a file moved into a directory made a moment before, a
# directory renamed and then a file in it renamed. alice's agent is
# stopped (SIGSTOP) meanwhile, so that she reads all of it in one batch:
# the new directory is watched only after the file moved into it, and the
# renamed directory is walked when the file already has its last name.
# Never a file_added (a second copy in every view) nor a file_removed.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

echo "moved in" >"$DIR/f.txt"
mkdir "$DIR/d"
echo "renamed inside" >"$DIR/d/x.txt"
echo "kept" >"$DIR/d/k.txt"
start_all
wait_until 10 sees bob alice d/x.txt || fail "bob does not see d/x.txt"
expect_events
same_sums 10 "at start"

halt "$PID_alice"
mkdir "$DIR/new" && mv "$DIR/f.txt" "$DIR/new/f.txt"
mv "$DIR/d" "$DIR/e" && mv "$DIR/e/x.txt" "$DIR/e/y.txt"
kill -CONT "$PID_alice"
expect_events "file_renamed new/f.txt f.txt" "file_renamed e/k.txt d/k.txt" \
    "file_renamed e/x.txt d/x.txt" "file_renamed e/y.txt e/x.txt"
same_as_disk
same_sums 10 "after the moves"

# --- a published directory moved into a new one -----------------------------------
halt "$PID_alice"
mkdir "$DIR/top" && mv "$DIR/e" "$DIR/top/e"
kill -CONT "$PID_alice"
expect_set "file_renamed top/e/k.txt e/k.txt" "file_renamed top/e/y.txt e/y.txt"
# still watched at its new place
echo "new" >"$DIR/top/e/z.txt"
expect_events "file_added top/e/z.txt"
same_as_disk
same_sums 10 "after the directory moved"
exit 0
