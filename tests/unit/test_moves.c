/*  test_moves.c - the host directory's move pairing (peer/moves.c).

    The moved-from halves' list, with times and reads of events passed in:
    pairing by cookie, a half whose cookie never comes (stale by deadline
    or by a later read), a half taken by an event at or below its path,
    and the earliest deadline the event loop waits for. Then what moves do
    on a real temporary tree (fixture_hostdir.h): renames of files and
    directories, moves out and in. Exchanges are test_exchange.c's.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "moves.h"
#include "fixture_hostdir.h"

//  Takes a half and checks it is this one (path NULL: none).
static void
s_expect_half (move_t *move, const char *path, uint32_t cookie)
{
    if (!path) {
        assert_null (move);
        return;
    }
    assert_non_null (move);
    assert_string_equal (move->path, path);
    assert_int_equal (move->cookie, cookie);
    move_destroy (&move);
    assert_null (move);
}

static void
test_pairing (void **state)
{
    (void) state;
    moves_t *moves = moves_new ();
    assert_int_equal (moves_deadline (moves), INT64_MAX);
    assert_null (moves_take (moves, 7));

    moves_add (moves, 7, "a.txt", false, 1100, 1);
    moves_add (moves, 9, "dir", true, 1050, 1);
    //  Another cookie is no partner
    assert_null (moves_take (moves, 8));
    move_t *move = moves_take (moves, 9);
    assert_non_null (move);
    assert_string_equal (move->path, "dir");
    assert_true (move->is_dir);
    assert_int_equal (move->deadline, 1050);
    assert_int_equal (move->call, 1);
    move_destroy (&move);
    //  Taken once: its cookie finds nothing the second time
    assert_null (moves_take (moves, 9));
    assert_int_equal (moves_deadline (moves), 1100);
    move = moves_take (moves, 7);
    assert_non_null (move);
    assert_false (move->is_dir);
    move_destroy (&move);
    assert_int_equal (moves_deadline (moves), INT64_MAX);

    //  The same cookie twice (a kernel that reuses one): first in, first out
    moves_add (moves, 5, "first", false, 10, 2);
    moves_add (moves, 5, "second", false, 20, 2);
    s_expect_half (moves_take (moves, 5), "first", 5);
    s_expect_half (moves_take (moves, 5), "second", 5);
    moves_destroy (&moves);
    assert_null (moves);
    //  Destroying nothing is nothing
    moves_destroy (&moves);
    move_destroy (&move);
}

//  A half whose cookie never matches: it goes stale at its deadline, or
//  as soon as a later read of events has had its chance to pair it.
static void
test_never_paired (void **state)
{
    (void) state;
    moves_t *moves = moves_new ();
    moves_add (moves, 1, "old", false, 1000, 3);
    moves_add (moves, 2, "young", false, 2000, 4);
    assert_int_equal (moves_deadline (moves), 1000);

    //  Same read, before either deadline: nothing is stale
    assert_null (moves_take_stale (moves, 3, 999));
    //  The deadline itself makes it stale
    s_expect_half (moves_take_stale (moves, 3, 1000), "old", 1);
    assert_null (moves_take_stale (moves, 3, 1000));
    assert_int_equal (moves_deadline (moves), 2000);
    //  Its read (4) is not before read 4; a later read takes it, deadline or not
    assert_null (moves_take_stale (moves, 4, 0));
    s_expect_half (moves_take_stale (moves, 5, 0), "young", 2);
    assert_null (moves_take_stale (moves, UINT64_MAX, INT64_MAX));
    assert_int_equal (moves_deadline (moves), INT64_MAX);

    //  Stale halves come out in the order they were read
    moves_add (moves, 10, "x", false, 500, 1);
    moves_add (moves, 11, "y", false, 100, 1);
    s_expect_half (moves_take_stale (moves, 2, 0), "x", 10);
    s_expect_half (moves_take_stale (moves, 2, 0), "y", 11);
    moves_destroy (&moves);
}

//  An event about a place at or below a waiting half's path must not be
//  reported before that half: it is taken first.
static void
test_conflict (void **state)
{
    (void) state;
    moves_t *moves = moves_new ();
    moves_add (moves, 1, "docs", true, 1000, 1);
    moves_add (moves, 2, "docs/a.txt", false, 1000, 1);
    moves_add (moves, 3, "music", true, 1000, 1);

    //  Not below: a sibling with the same prefix, a parent, another tree
    assert_null (moves_take_conflict (moves, "docsx/a.txt"));
    assert_null (moves_take_conflict (moves, "doc"));
    assert_null (moves_take_conflict (moves, "other"));
    assert_null (moves_take_conflict (moves, ""));
    //  Below docs: the first half at or above it, in the order read
    s_expect_half (moves_take_conflict (moves, "docs/a.txt"), "docs", 1);
    s_expect_half (moves_take_conflict (moves, "docs/a.txt"), "docs/a.txt", 2);
    assert_null (moves_take_conflict (moves, "docs/a.txt"));
    //  The path itself
    s_expect_half (moves_take_conflict (moves, "music"), "music", 3);
    assert_int_equal (moves_deadline (moves), INT64_MAX);

    //  A purge drops every half (a rescan after an overflow)
    moves_add (moves, 4, "p", false, 1, 1);
    moves_add (moves, 5, "q", false, 2, 1);
    moves_purge (moves);
    assert_null (moves_take (moves, 4));
    assert_null (moves_take_stale (moves, UINT64_MAX, INT64_MAX));
    assert_int_equal (moves_deadline (moves), INT64_MAX);
    moves_destroy (&moves);
}

//  A flood: many halves, paired in any order, none lost or doubled.
static void
test_flood (void **state)
{
    (void) state;
    moves_t *moves = moves_new ();
    char path [32];
    for (uint32_t cookie = 1; cookie <= 5000; cookie++) {
        snprintf (path, sizeof path, "f%u", cookie);
        moves_add (moves, cookie, path, false, 10000 - cookie, 1);
    }
    assert_int_equal (moves_deadline (moves), 5000);
    for (uint32_t cookie = 5000; cookie >= 1; cookie -= 2) {
        snprintf (path, sizeof path, "f%u", cookie);
        s_expect_half (moves_take (moves, cookie), path, cookie);
    }
    assert_int_equal (moves_deadline (moves), 5001);
    int left = 0;
    move_t *move;
    while ((move = moves_take_stale (moves, 2, 0))) {
        assert_true (move->cookie % 2 == 1);
        move_destroy (&move);
        left++;
    }
    assert_int_equal (left, 2500);
    moves_destroy (&moves);
}

static void
test_rename_file (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "sub");
    s_write (fx->root, "a", "aaaa");
    s_write (fx->root, "c", "c");
    s_write (fx->root, "d", "dd");
    s_start (fx);

    s_rename (fx->root, "a", fx->root, "b");
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 4);
    s_expect (fx, "renamed a -> b", NULL);
    s_rename (fx->root, "b", fx->root, "sub/b");
    s_expect (fx, "renamed b -> sub/b", NULL);
    //  Over an existing file: the target's old content is replaced
    s_rename (fx->root, "c", fx->root, "d");
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 1);
    s_expect (fx, "renamed c -> d", NULL);
    assert_int_equal (fileset_size (hostdir_files (fx->hostdir)), 2);
    //  Renamed twice before anyone looks
    s_rename (fx->root, "d", fx->root, "e");
    s_rename (fx->root, "e", fx->root, "f");
    s_expect (fx, "renamed d -> e", "renamed e -> f", NULL);
    assert_int_equal (fileset_lookup (hostdir_files (fx->hostdir), "f")->size, 1);
    s_assert_consistent (fx);
}

static void
test_rename_dir (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "a");
    s_mkdir (fx->root, "a/b");
    s_mkdir (fx->root, "a/b/c");
    s_write (fx->root, "a/x", "x");
    s_write (fx->root, "a/b/y", "yy");
    s_write (fx->root, "a/b/c/z", "zzz");
    s_write (fx->root, "ab", "not below a");
    s_start (fx);

    s_rename (fx->root, "a", fx->root, "q");
    s_expect (fx, "renamed a/x -> q/x", "renamed a/b/y -> q/b/y",
              "renamed a/b/c/z -> q/b/c/z", NULL);
    //  The watches below followed the rename
    s_write (fx->root, "q/b/c/new", "n");
    s_expect (fx, "added q/b/c/new", NULL);
    //  A nested directory moved up to the root
    s_rename (fx->root, "q/b", fx->root, "q2");
    s_expect (fx, "renamed q/b/y -> q2/y", "renamed q/b/c/z -> q2/c/z",
              "renamed q/b/c/new -> q2/c/new", NULL);
    s_write (fx->root, "q2/c/new2", "n");
    s_write (fx->root, "q/x", "changed x");
    s_expect (fx, "added q2/c/new2", "changed q/x", NULL);
    //  Written to, then renamed, before anyone looks: the close is read
    //  when the file is no longer where the event says
    s_write (fx->root, "q2/c/late", "l");
    s_rename (fx->root, "q2", fx->root, "q3");
    s_expect (fx, "renamed q2/y -> q3/y", "renamed q2/c/z -> q3/c/z",
              "renamed q2/c/new -> q3/c/new", "renamed q2/c/new2 -> q3/c/new2",
              "added q3/c/late", NULL);
    //  Renamed, then written to straight away
    s_rename (fx->root, "q3", fx->root, "q4");
    s_write (fx->root, "q4/c/later", "l");
    s_expect (fx, "renamed q3/y -> q4/y", "renamed q3/c/z -> q4/c/z",
              "renamed q3/c/new -> q4/c/new", "renamed q3/c/new2 -> q4/c/new2",
              "renamed q3/c/late -> q4/c/late", "added q4/c/later", NULL);
    s_assert_consistent (fx);
}

static void
test_moved_out (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "d");
    s_mkdir (fx->root, "d/s");
    s_write (fx->root, "d/x", "x");
    s_write (fx->root, "d/s/y", "y");
    s_write (fx->root, "f", "f");
    s_write (fx->root, "keep", "k");
    s_start (fx);

    s_rename (fx->root, "f", fx->outside, "f");
    //  The moved-from half waits for a partner that never comes
    hostdir_process (fx->hostdir, fx->changes);
    assert_int_equal (zlistx_size (fx->changes), 0);
    int timeout = hostdir_timeout (fx->hostdir);
    assert_true (timeout >= 0 && timeout <= 20);
    s_expect (fx, "removed f", NULL);
    assert_int_equal (hostdir_timeout (fx->hostdir), -1);

    s_rename (fx->root, "d", fx->outside, "d");
    s_expect (fx, "removed d/x", "removed d/s/y", NULL);
    //  No longer watched
    s_write (fx->outside, "d/s/new", "n");
    s_write (fx->outside, "d/x", "changed");
    s_expect (fx, NULL);
    //  Moved out then something else takes its name at once: within the
    //  settle window, the rename over the path says it all
    s_write (fx->root, "keep2", "k2");
    s_expect (fx, "added keep2", NULL);
    s_rename (fx->root, "keep", fx->outside, "keep");
    s_rename (fx->root, "keep2", fx->root, "keep");
    s_expect (fx, "renamed keep2 -> keep", NULL);
    s_assert_consistent (fx);
}

//  Renames read in one batch: a directory's, then a file's in it. The walk
//  of the renamed directory already finds the file at its last name; it is
//  the file published at its first name (the same inode, size and mtime,
//  gone from there): a rename, never an add. (It was "added e/g" and then
//  "renamed e/f -> e/g": a view held two files for one.)
static void
test_renames_in_one_read (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "d");
    s_write (fx->root, "d/f", "ffff");
    s_write (fx->root, "d/k", "kept");
    s_start (fx);

    s_rename (fx->root, "d", fx->root, "e");
    s_rename (fx->root, "e/f", fx->root, "e/g");
    //  (Its ctime moved with the rename: the digest is checked, "verify";
    //  nothing is published unless that differs.)
    s_expect (fx, "renamed d/f -> e/f", "renamed d/k -> e/k", "renamed e/f -> e/g",
              "verify e/g", NULL);
    //  Renamed, the directory renamed, renamed again
    s_rename (fx->root, "e/g", fx->root, "e/h");
    s_rename (fx->root, "e", fx->root, "m");
    s_rename (fx->root, "m/h", fx->root, "m/i");
    s_expect (fx, "renamed e/g -> e/h", "renamed e/h -> m/h", "renamed e/k -> m/k",
              "renamed m/h -> m/i", "verify m/i", NULL);
    //  A hard link: the name that left is the one renamed, the name that
    //  stays stays
    char *one = s_full (fx->root, "m/k"), *two = s_full (fx->root, "m/k2");
    assert_int_equal (link (one, two), 0);
    free (one);
    free (two);
    s_expect (fx, "added m/k2", NULL);
    s_rename (fx->root, "m", fx->root, "n");
    s_rename (fx->root, "n/k", fx->root, "n/k3");
    //  (The inode's ctime moved: two of its names are checked, n/k or n/k3
    //  and n/k2, depending on whether the walk or the move event meets the
    //  last rename first: a matter of timing, not of what is published.)
    s_expect (fx, "renamed m/i -> n/i", "renamed m/k -> n/k", "renamed m/k2 -> n/k2",
              "renamed n/k -> n/k3", "verify n/k*", "verify n/k*", NULL);
    const fileset_file_t *kept = fileset_lookup (hostdir_files (fx->hostdir), "n/k2");
    const fileset_file_t *moved = fileset_lookup (hostdir_files (fx->hostdir), "n/k3");
    assert_non_null (kept);
    assert_non_null (moved);
    assert_true (kept->ino == moved->ino);
    s_assert_consistent (fx);
}

//  A file moved into a directory that was itself just made (mkdir, or moved
//  in) before the host directory watched it: the moved-to half is never
//  seen, the walk of the new directory finds the file. The same inode as a
//  published file that left its place: a rename, not an add and a removal.
static void
test_moved_into_new_dir (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_write (fx->root, "f", "f");
    s_write (fx->root, "g", "gg");
    s_mkdir (fx->root, "d2");
    s_write (fx->root, "d2/x", "x");
    s_start (fx);

    s_mkdir (fx->root, "new");
    s_rename (fx->root, "f", fx->root, "new/f");
    s_expect (fx, "renamed f -> new/f", NULL);
    //  Into a tree moved in from outside
    s_mkdir (fx->outside, "tree");
    s_write (fx->outside, "tree/t", "t");
    s_rename (fx->outside, "tree", fx->root, "tree");
    s_rename (fx->root, "g", fx->root, "tree/g");
    s_expect (fx, "added tree/t", "renamed g -> tree/g", NULL);
    //  A published directory into a new one: each file is renamed, and the
    //  watches follow
    s_mkdir (fx->root, "n2");
    s_rename (fx->root, "d2", fx->root, "n2/d2");
    s_expect (fx, "renamed d2/x -> n2/d2/x", NULL);
    s_write (fx->root, "n2/d2/y", "y");
    s_expect (fx, "added n2/d2/y", NULL);
    //  What was not published is new
    s_write (fx->outside, "o", "o");
    s_mkdir (fx->root, "n3");
    s_rename (fx->outside, "o", fx->root, "n3/o");
    s_expect (fx, "added n3/o", NULL);
    s_assert_consistent (fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_pairing),
        cmocka_unit_test (test_never_paired),
        cmocka_unit_test (test_conflict),
        cmocka_unit_test (test_flood),
        cmocka_unit_test_setup_teardown (test_rename_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rename_dir, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_moved_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_renames_in_one_read, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_moved_into_new_dir, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
