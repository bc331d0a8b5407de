#!/bin/bash
# files_replace.sh - names that change kind or are taken over (SPEC 4.2):
# a directory renamed over an empty one, a file replaced by a directory of
# the same name and a directory by a file (and back, in one process), a
# symlink appearing, replaced by a real file, and a real file by a
# symlink, a directory moved out and another moved in under its name, a
# directory renamed and written in at once, renames one after the other,
# the first name of a hard link removed. Each time every file reaches bob's view
# exactly once (the tap's events) and his view equals the disk.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

mkdir -p "$DIR/src/sub" "$DIR/empty" "$DIR/d"
echo s1 >"$DIR/src/one"
echo s2 >"$DIR/src/sub/two"
echo f >"$DIR/f"
echo x >"$DIR/d/x"
echo real >"$DIR/target.txt"
start_all
wait_until 10 sees bob alice d/x || fail "bob does not see d/x"
expect_events
same_as_disk

# --- a directory renamed over an empty one ---------------------------------------
mv -T "$DIR/src" "$DIR/empty"
expect_set "file_renamed empty/one src/one" "file_renamed empty/sub/two src/sub/two"
same_as_disk

# --- a file replaced by a directory of the same name, and a directory by a file ---
rm "$DIR/f"; mkdir "$DIR/f"; echo inside >"$DIR/f/in"
expect_set "file_removed f" "file_added f/in"
same_as_disk
rm -r "$DIR/d"; echo "now a file" >"$DIR/d"
expect_set "file_added d" "file_removed d/x"
same_as_disk
perl -e 'my $d = shift; unlink "$d/d" or die; mkdir "$d/d" or die;
         open (my $o, ">", "$d/d/y") or die; print $o "y\n"; close $o or die' "$DIR"
expect_set "file_removed d" "file_added d/y"
same_as_disk

# --- symlinks: never published; a real file in a link's place is --------------------
ln -s target.txt "$DIR/link.txt"
ln -s empty "$DIR/dirlink"
expect_events
rm "$DIR/link.txt"; echo "not a link" >"$DIR/link.txt"
expect_events "file_added link.txt"
same_as_disk
ln -sf target.txt "$DIR/link.txt"
expect_events "file_removed link.txt"
not_sees bob alice link.txt || fail "a symlink is in bob's view"

# --- a directory moved out, another moved in under its name -------------------------
mv "$DIR/empty" "$T/outside/e1"
mkdir -p "$T/outside/e2/z" && echo z >"$T/outside/e2/z/zz"
mv "$T/outside/e2" "$DIR/empty"
expect_set "file_added empty/z/zz" "file_removed empty/one" "file_removed empty/sub/two"
same_as_disk

# --- renamed and written in at once; renames one at a time --------------------------
mv "$DIR/empty" "$DIR/moved"; echo new >"$DIR/moved/z/new"
expect_set "file_renamed moved/z/zz empty/z/zz" "file_added moved/z/new"
# One rename at a time, q made first. Known weak spots (not checked here):
# renames read in one go (a directory renamed twice, then a subdirectory
# moved within it) rescan the directory at its last name, so its files
# come out added, then renamed over; a move into a directory made an
# instant before, not watched yet, is a removal and an addition.
mkdir "$DIR/moved/q"
expect_events
mv "$DIR/moved" "$DIR/m2"
expect_set "file_renamed m2/z/zz moved/z/zz" "file_renamed m2/z/new moved/z/new"
mv "$DIR/m2/z" "$DIR/m2/q/z"
expect_set "file_renamed m2/q/z/zz m2/z/zz" "file_renamed m2/q/z/new m2/z/new"
same_as_disk

# --- a hard link, then the first name removed ---------------------------------------
ln "$DIR/target.txt" "$DIR/hl.txt"
expect_events "file_added hl.txt"
rm "$DIR/target.txt"
expect_events "file_removed target.txt"
same_as_disk
exit 0
