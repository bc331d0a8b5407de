/*  test_view_bounds.c - the view against a broker we should not trust:
    snapshots, endless events and byte totals beyond the team's limits are
    kept to what fits, the rest refused and logged with its code.
*/
#include "fixture_view.h"

//  --- Bounds: a broker we should not trust ----------------------------------------

//  The view's log while `view` is fed: zsys's lines go to a memory stream
static FILE *s_log;
static char *s_log_text;
static size_t s_log_size;

static void
s_log_begin (void)
{
    s_log = open_memstream (&s_log_text, &s_log_size);
    assert_non_null (s_log);
    zsys_set_logstream (s_log);
}

//  The lines logged since s_log_begin that hold `text`
static size_t
s_log_end (const char *text)
{
    zsys_set_logstream (stderr);
    fclose (s_log);
    size_t count = 0;
    for (const char *at = strstr (s_log_text, text); at; at = strstr (at + 1, text))
        count++;
    zstr_free (&s_log_text);
    return count;
}

static view_t *
s_bounded_view (size_t users, uint64_t user_files, uint64_t files, uint64_t bytes)
{
    view_t *view = view_new ();
    team_limits_t limits = { users, user_files, files, bytes };
    view_set_limits (view, &limits);
    return view;
}

//  A snapshot beyond every bound: what fits is kept, the rest refused
//  and logged with its code, and the view is synced on what it holds.
static void
test_snapshot_bounded (void **state)
{
    (void) state;
    view_t *view = s_bounded_view (2, 3, 5, 1000000);
    s_log_begin ();
    view_snapshot_begin (view);
    const char *many [] = { "1", "2", "3", "4", "5", NULL };
    const char *two [] = { "x", "y", NULL };
    //  alice: 5 files, 3 per user; bob: 2 more (5 in all); carol: a third user
    assert_int_equal (s_page (view, B1, 10, true, "alice", many, false), 0);
    assert_int_equal (s_page (view, B1, 10, true, "bob", two, false), 0);
    assert_int_equal (s_page (view, B1, 10, false, "carol", two, false), 1);
    assert_int_equal (s_log_end ("view: too_large: "), 2);
    assert_true (view_synced (view));
    assert_int_equal (view_user_count (view), 2);
    assert_int_equal (view_file_count (view), 5);
    assert_int_equal (s_files (view, "alice"), 3);
    assert_int_equal (s_files (view, "bob"), 2);
    assert_null (view_user_files (view, "carol"));
    assert_int_equal (view_refused (view), 3);      //  alice's 4 and 5, carol

    //  The total bound: a file of bob's is refused even below his own bound;
    //  in sequence all the same, and no resync
    assert_int_equal (s_added (view, B1, 11, "bob", "z"), VIEW_IGNORED);
    assert_false (s_has (view, "bob", "z"));
    //  An event about carol, who had no room: refused, not a missed join
    assert_int_equal (s_added (view, B1, 12, "carol", "c"), VIEW_IGNORED);
    //  A change of a file the view holds still applies
    assert_int_equal (s_added (view, B1, 13, "alice", "1"), VIEW_APPLIED);
    //  Room again: bob's next file fits, alice's does not (her own bound)
    assert_int_equal (s_event (view, B1, 14, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED,
                               "bob", "x", 0, NULL), VIEW_APPLIED);
    assert_int_equal (s_added (view, B1, 15, "alice", "6"), VIEW_IGNORED);
    assert_int_equal (s_added (view, B1, 16, "bob", "z"), VIEW_APPLIED);
    assert_int_equal (view_file_count (view), 5);
    assert_int_equal (view_seq (view), 16);
    assert_true (view_synced (view));
    view_destroy (&view);
}

//  A broker that streams endless joins of new users and endless files of
//  one user: the view stays within its bounds, in sequence, without a
//  resync, and logs each kind of refusal once.
static void
test_endless_events_bounded (void **state)
{
    (void) state;
    view_t *view = s_bounded_view (10, 50, 1000, 1000000);
    view_snapshot_begin (view);
    assert_int_equal (s_page (view, B1, 0, false, NULL, NULL, false), 1);
    s_log_begin ();
    uint64_t seq = 0;
    for (int user = 0; user < 1000; user++) {
        char name [16];
        snprintf (name, sizeof name, "user%d", user);
        const char *files [] = { "a", "b", NULL };
        view_result_t result = s_join (view, B1, ++seq, name, 0, false, files);
        assert_int_equal (result, user < 10? VIEW_APPLIED: VIEW_IGNORED);
        //  and a further page of the refused user's join
        result = s_join (view, B1, ++seq, name, 1, false, files);
        assert_int_equal (result, user < 10? VIEW_APPLIED: VIEW_IGNORED);
    }
    for (int file = 0; file < 10000; file++) {
        char path [16];
        snprintf (path, sizeof path, "f%d", file);
        assert_int_equal (s_added (view, B1, ++seq, "user0", path),
                          file < 48? VIEW_APPLIED: VIEW_IGNORED);
    }
    assert_int_equal (s_log_end ("view: too_large: "), 2);
    assert_true (view_synced (view));
    assert_int_equal (view_seq (view), seq);
    assert_int_equal (view_user_count (view), 10);
    assert_int_equal (s_files (view, "user0"), 50);
    assert_int_equal (view_file_count (view), 10 * 2 + 48);
    //  a refused user counts once, whatever its pages held
    assert_int_equal (view_refused (view), 990 + 10000 - 48);

    //  A user leaves: a newcomer has room, and one about whom events come
    //  without a join is a missed join again
    assert_int_equal (s_event (view, B1, ++seq, FSHARE__EVENT_TYPE__EVENT_LEAVE, "user1",
                               NULL, 0, NULL), VIEW_APPLIED);
    assert_int_equal (s_join (view, B1, ++seq, "newcomer", 0, false, NULL), VIEW_APPLIED);
    assert_int_equal (s_added (view, B1, ++seq, "stranger", "s"), VIEW_RESYNC);
    view_destroy (&view);
}

//  The bytes bound counts paths as the broker does (path + 96 per file).
static void
test_bytes_bounded (void **state)
{
    (void) state;
    view_t *view = s_bounded_view (10, 100, 100, 2 * (5 + TEAM_FILE_OVERHEAD) + 50);
    view_snapshot_begin (view);
    const char *files [] = { "a.txt", "b.txt", "c.txt", NULL };
    assert_int_equal (s_page (view, B1, 10, false, "alice", files, false), 1);
    assert_int_equal (s_files (view, "alice"), 2);
    assert_int_equal (view_refused (view), 1);
    //  A rename frees a path's bytes and takes the new one's
    assert_int_equal (s_event (view, B1, 11, FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED, "alice",
                               "c.txt", 7, "a.txt"), VIEW_APPLIED);
    assert_true (s_has (view, "alice", "c.txt"));
    assert_false (s_has (view, "alice", "a.txt"));
    assert_int_equal (s_added (view, B1, 12, "alice", "a-longer-name.txt"), VIEW_IGNORED);
    assert_int_equal (s_added (view, B1, 13, "alice", "a.txt"), VIEW_IGNORED);
    assert_int_equal (s_event (view, B1, 14, FSHARE__EVENT_TYPE__EVENT_LEAVE, "alice",
                               NULL, 0, NULL), VIEW_APPLIED);
    const char *again [] = { "d.txt", "e.txt", NULL };
    assert_int_equal (s_join (view, B1, 15, "alice", 0, false, again), VIEW_APPLIED);
    assert_int_equal (view_file_count (view), 2);
    view_destroy (&view);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_snapshot_bounded),
        cmocka_unit_test (test_endless_events_bounded),
        cmocka_unit_test (test_bytes_bounded),
    };
    zsys_init ();
    zsys_set_logstream (stderr);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
