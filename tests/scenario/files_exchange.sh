# files_exchange.sh - two names swapped in one call (renameat2 with
# RENAME_EXCHANGE), which inotify reports as two moves a -> b, b -> a: two
# files, two files in different directories, two directories (names on
# one side only, a name on both sides, a subdirectory), a file with a
# directory, and a directory with one outside the host directory. After
# each, bob's view equals the disk, digests included, and the swapped
# directories are still watched (a file written in each afterwards is
# published). The tap's events say what moved.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

exchange() {
    python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 2):
    sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))' "$1" "$2" ||
        fail "cannot exchange $1 and $2"
}

echo A >"$DIR/xa"
echo BB >"$DIR/xb"
mkdir -p "$DIR/p/q" "$DIR/r" "$DIR/e1/s" "$DIR/e2" "$DIR/md" "$DIR/id" "$T/outside/od"
echo X >"$DIR/p/q/fx"
echo YYY >"$DIR/r/fy"
echo one >"$DIR/e1/one"
echo deep >"$DIR/e1/s/deep"
echo both-1 >"$DIR/e1/both"
echo two >"$DIR/e2/two"
echo both-two >"$DIR/e2/both"
echo inner >"$DIR/md/inner"
echo plain >"$DIR/mf"
echo i1 >"$DIR/id/i1"
echo o1 >"$T/outside/od/o1"
start_all
wait_until 5 sees bob alice id/i1 || fail "bob does not see alice's files"
expect_events
same_as_disk
same_sums 5

# --- two files --------------------------------------------------------------------
exchange "$DIR/xa" "$DIR/xb"
expect_events "file_renamed xb xa" "file_added xa"
same_as_disk
same_sums 5

# --- two files in different directories --------------------------------------------
exchange "$DIR/p/q/fx" "$DIR/r/fy"
expect_events "file_renamed r/fy p/q/fx" "file_added p/q/fx"
same_as_disk
same_sums 5

# --- two directories ----------------------------------------------------------------
exchange "$DIR/e1" "$DIR/e2"
next_events
sort "$T/events.now" >"$T/events.sorted"
printf '%s\n' "file_changed e1/both" "file_changed e2/both" "file_renamed e1/two e2/two" \
    "file_renamed e2/one e1/one" "file_renamed e2/s/deep e1/s/deep" >"$T/events.want"
diff "$T/events.want" "$T/events.sorted" >/dev/null ||
    fail "directory exchange events: $(cat "$T/events.now")"
same_as_disk
same_sums 5
# both still watched
echo n1 >"$DIR/e1/new1"
echo n2 >"$DIR/e2/new2"
echo n3 >"$DIR/e2/s/new3"
expect_events "file_added e1/new1" "file_added e2/new2" "file_added e2/s/new3"
same_as_disk

# --- a file with a directory ---------------------------------------------------------
exchange "$DIR/md" "$DIR/mf"
next_events
same_as_disk
same_sums 5
echo l >"$DIR/mf/later"
expect_events "file_added mf/later"

# --- a directory with one outside the host directory ---------------------------------
exchange "$DIR/id" "$T/outside/od"
next_events
same_as_disk
same_sums 5
echo l >"$DIR/id/later"
expect_events "file_added id/later"
same_as_disk

# --- ...the other way round: its moved-to half comes first --------------------------
# renameat2 (outside, inside) gives the host directory's watch IN_MOVED_TO
# then IN_MOVED_FROM of the same name. The unpaired moved-from half,
# expiring, dropped the watches under its path by name: the ones just made
# for the directory swapped in, whose later changes were then never seen.
mkdir -p "$DIR/sw" "$T/outside/ow"
echo s1 >"$DIR/sw/s1"
echo w1 >"$T/outside/ow/w1"
expect_events "file_added sw/s1"
exchange "$T/outside/ow" "$DIR/sw"
next_events
same_as_disk
same_sums 5
echo l >"$DIR/sw/later"
expect_events "file_added sw/later"
echo gone >"$T/outside/ow/unseen"      # the directory that left: no longer ours
expect_events
same_as_disk

# --- a directory with one of an ignored name (an editor's backup) ------------------
mkdir -p "$DIR/bk" "$DIR/bk~"
echo b1 >"$DIR/bk/b1"
echo t1 >"$DIR/bk~/t1"
expect_events "file_added bk/b1"
exchange "$DIR/bk~" "$DIR/bk"
next_events
same_as_disk '^bk~/'
echo l >"$DIR/bk/later"
expect_events "file_added bk/later"
same_as_disk '^bk~/'
