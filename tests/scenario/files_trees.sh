#!/bin/bash
# files_trees.sh - big moves on a real user's machine (SPEC 4.2): a tree of
# 2,000 files moved into the host directory at once, renamed within it
# (2,000 file_renamed, never an addition or removal), moved out, moved
# back after its files were rewritten outside (same size, mtime set back:
# the digests must be the new ones), deleted; the host directory itself
# moved away (every file leaves the view) and back, made anew under its
# name (published within a second, like any change), and replaced by
# another directory (a file in it linked from outside is looked at for
# writes through that name). After each step bob's view equals
# the disk, digests included.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

echo keep >"$DIR/keep.txt"
start_all
wait_until 10 sees bob alice keep.txt || fail "bob does not see keep.txt"
expect_events

# the tree, built outside: 20 directories of 100 files
for d in $(seq -w 1 20); do
    mkdir -p "$T/outside/tree/d$d"
    for f in $(seq -w 1 100); do echo "$d/$f" >"$T/outside/tree/d$d/f$f"; done
done
count() { grep -c "^$1 " "$T/events.now"; }

# --- moved in at once -------------------------------------------------------------
mv "$T/outside/tree" "$DIR/tree"
next_events
[ "$(count file_added)" -eq 2000 ] && [ "$(wc -l <"$T/events.now")" -eq 2000 ] \
    || fail "moving the tree in gave $(count file_added) additions of $(wc -l <"$T/events.now") events, not 2000"
same_as_disk
same_sums 20 "tree moved in"

# --- renamed within ---------------------------------------------------------------
mv "$DIR/tree" "$DIR/renamed"
next_events
[ "$(count file_renamed)" -eq 2000 ] && [ "$(wc -l <"$T/events.now")" -eq 2000 ] \
    || fail "renaming the tree gave $(count file_renamed) renames of $(wc -l <"$T/events.now") events: $(grep -v '^file_renamed' "$T/events.now" | head)"
same_as_disk

# --- moved out, rewritten outside keeping size and mtime, moved back ---------------
mv "$DIR/renamed" "$T/outside/renamed"
for d in 01 07; do
    for f in "$T/outside/renamed/d$d"/f*; do
        touch -r "$f" "$T/stamp"
        tr '0-9' 'a-j' <"$f" >"$T/new" && cat "$T/new" >"$f"
        touch -r "$T/stamp" "$f"
    done
done
mv "$T/outside/renamed" "$DIR/back"
same_as_disk
same_sums 20 "tree moved back after a rewrite outside"

# --- moved out and back at once, rewritten meanwhile -------------------------------
perl -e 'my ($in, $out) = @ARGV; rename $in, $out or die;
         my $f = "$out/d03/f001"; my @st = stat $f; open (my $o, "+<", $f) or die;
         print $o "edited\n"; close $o or die; utime $st[8], $st[9], $f or die;
         rename $out, $in or die' "$DIR/back" "$T/outside/back"
same_as_disk
same_sums 20 "tree moved out and back at once"
next_events

# --- deleted ----------------------------------------------------------------------
rm -rf "$DIR/back"
next_events
[ "$(count file_removed)" -eq 2000 ] || fail "deleting the tree gave $(count file_removed) removals"
same_as_disk

# --- the host directory itself moved away and back ---------------------------------
mv "$DIR" "$T/away"
wait_until 10 has_files bob alice 0 || fail "bob still sees $(peer_files bob alice) files of a host directory moved away"
echo "while away" >"$T/away/new.txt"
mv "$T/away" "$DIR"
wait_until 10 sees bob alice new.txt || fail "the host directory moved back is not published again"
same_as_disk
same_sums 10 "host directory moved back"
echo after >"$DIR/after.txt"
wait_until 5 sees bob alice after.txt || fail "a file written after the host directory came back is not published"

# --- moved away, then a new empty one made under its name and written in -----------
# (SPEC 4.2: every settled change is published within a second)
mv "$DIR" "$T/away2"
wait_until 10 has_files bob alice 0 || fail "bob still sees files of a host directory moved away"
mkdir "$DIR" && echo fresh >"$DIR/fresh.txt"
wait_until 2 sees bob alice fresh.txt || fail "a file in the re-made host directory is not published within 2 s"
rm -r "$DIR" && mv "$T/away2" "$DIR"
wait_until 10 sees bob alice keep.txt || fail "the host directory moved back is not published again"
same_as_disk

# --- replaced by another directory under its name ----------------------------------
# (a restored copy: keep.txt is there with its size and mtime, other bytes)
mkdir -p "$T/other/sub" && echo other >"$T/other/sub/o.txt"
echo KEEP >"$T/other/keep.txt" && touch -r "$DIR/keep.txt" "$T/other/keep.txt"
echo linked >"$T/linksrc" && ln "$T/linksrc" "$T/other/linked.txt"
same_sums 10 "before the host directory is replaced"
mv "$DIR" "$T/old"
mv "$T/other" "$DIR"
wait_until 10 sees bob alice sub/o.txt || fail "the new host directory is not published"
same_as_disk
echo later >"$DIR/sub/later.txt"
wait_until 5 sees bob alice sub/later.txt || fail "a file written in the new host directory is not published"
same_as_disk
same_sums 10 "new host directory"
# a file the scan of the new directory found linked from outside is looked
# at like one published by an event: a write through the outside name shows
echo "more through the outside name" >>"$T/linksrc"
same_as_disk
same_sums 10 "written through a link from outside the new host directory"
exit 0
