/*  test_moves.c - the moved-from halves of inotify moves (peer/moves.c),
    with times and reads of events passed in: pairing by cookie, a half
    whose cookie never comes (stale by deadline or by a later read), a
    half taken by an event at or below its path, and the earliest deadline
    the event loop waits for.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "moves.h"

//  Takes a half and checks it is this one (path NULL: none).
static void
s_expect (move_t *move, const char *path, uint32_t cookie)
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
    s_expect (moves_take (moves, 5), "first", 5);
    s_expect (moves_take (moves, 5), "second", 5);
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
    s_expect (moves_take_stale (moves, 3, 1000), "old", 1);
    assert_null (moves_take_stale (moves, 3, 1000));
    assert_int_equal (moves_deadline (moves), 2000);
    //  Its read (4) is not before read 4; a later read takes it, deadline or not
    assert_null (moves_take_stale (moves, 4, 0));
    s_expect (moves_take_stale (moves, 5, 0), "young", 2);
    assert_null (moves_take_stale (moves, UINT64_MAX, INT64_MAX));
    assert_int_equal (moves_deadline (moves), INT64_MAX);

    //  Stale halves come out in the order they were read
    moves_add (moves, 10, "x", false, 500, 1);
    moves_add (moves, 11, "y", false, 100, 1);
    s_expect (moves_take_stale (moves, 2, 0), "x", 10);
    s_expect (moves_take_stale (moves, 2, 0), "y", 11);
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
    s_expect (moves_take_conflict (moves, "docs/a.txt"), "docs", 1);
    s_expect (moves_take_conflict (moves, "docs/a.txt"), "docs/a.txt", 2);
    assert_null (moves_take_conflict (moves, "docs/a.txt"));
    //  The path itself
    s_expect (moves_take_conflict (moves, "music"), "music", 3);
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
        s_expect (moves_take (moves, cookie), path, cookie);
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

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_pairing),
        cmocka_unit_test (test_never_paired),
        cmocka_unit_test (test_conflict),
        cmocka_unit_test (test_flood),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
