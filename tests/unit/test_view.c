/*  test_view.c - the agent's view (peer/view.c) without any network:
    snapshot pages and events are built here and fed in, and the view's
    contents and its resync decisions are checked.
    The bounds against a broker we should not trust: test_view_bounds.c.
*/
#include "fixture_view.h"

//  --- Tests ----------------------------------------------------------------------

static void
test_empty_view (void **state)
{
    (void) state;
    view_t *view = view_new ();
    assert_false (view_synced (view));
    assert_false (view_loading (view));
    assert_string_equal (view_broker (view), "");
    assert_int_equal (view_seq (view), 0);
    assert_int_equal (view_user_count (view), 0);
    assert_int_equal (view_file_count (view), 0);
    assert_null (view_user_files (view, "alice"));
    assert_int_equal (view_user_since (view, "alice"), 0);
    //  A page nobody asked for is refused
    assert_int_equal (s_page (view, B1, 1, false, NULL, NULL, false), -1);
    view_destroy (&view);
    assert_null (view);
}

static void
test_snapshot_then_events (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    assert_string_equal (view_broker (view), B1);
    assert_int_equal (view_seq (view), 10);
    assert_int_equal (s_files (view, "alice"), 2);
    assert_int_equal (view_user_since (view, "alice"), 42);

    const char *bob [] = { "x/1.bin", NULL };
    assert_int_equal (s_join (view, B1, 11, "bob", 0, false, bob), VIEW_APPLIED);
    assert_int_equal (s_added (view, B1, 12, "bob", "x/2.bin"), VIEW_APPLIED);
    assert_int_equal (s_event (view, B1, 13, FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED,
                               "bob", "x/1.bin", 999, NULL), VIEW_APPLIED);
    assert_int_equal (fileset_lookup (view_user_files (view, "bob"), "x/1.bin")->size, 999);
    assert_int_equal (s_event (view, B1, 14, FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED,
                               "bob", "y/2.bin", 10, "x/2.bin"), VIEW_APPLIED);
    assert_false (s_has (view, "bob", "x/2.bin"));
    assert_true (s_has (view, "bob", "y/2.bin"));
    assert_int_equal (s_event (view, B1, 15, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED,
                               "alice", "a.txt", 0, NULL), VIEW_APPLIED);
    assert_false (s_has (view, "alice", "a.txt"));
    assert_int_equal (s_stats (view, B1, 16), VIEW_APPLIED);
    assert_int_equal (view_user_count (view), 2);
    assert_int_equal (view_file_count (view), 3);
    assert_int_equal (s_event (view, B1, 17, FSHARE__EVENT_TYPE__EVENT_LEAVE,
                               "bob", NULL, 0, NULL), VIEW_APPLIED);
    assert_null (view_user_files (view, "bob"));
    assert_int_equal (view_user_count (view), 1);
    assert_int_equal (view_seq (view), 17);
    assert_true (view_synced (view));
    view_destroy (&view);
}

static void
test_events_buffered_before_snapshot (void **state)
{
    (void) state;
    view_t *view = view_new ();
    //  Subscribed before the snapshot: events 9..12 arrive first
    const char *carol [] = { "c.txt", NULL };
    assert_int_equal (s_join (view, B1, 9, "carol", 0, false, carol), VIEW_BUFFERED);
    assert_int_equal (s_added (view, B1, 10, "carol", "old.txt"), VIEW_BUFFERED);
    view_snapshot_begin (view);
    assert_true (view_loading (view));
    assert_int_equal (s_added (view, B1, 11, "alice", "new.txt"), VIEW_BUFFERED);
    assert_int_equal (s_stats (view, B1, 12), VIEW_BUFFERED);
    assert_int_equal (view_buffered (view), 4);
    //  The snapshot is valid at seq 10: carol's join and old.txt are in it
    const char *files [] = { "a.txt", NULL };
    assert_int_equal (s_page (view, B1, 10, true, "alice", files, false), 0);
    const char *carol_files [] = { "c.txt", "old.txt", NULL };
    assert_int_equal (s_page (view, B1, 10, false, "carol", carol_files, false), 1);
    assert_true (view_synced (view));
    assert_false (view_loading (view));
    assert_int_equal (view_seq (view), 12);
    assert_int_equal (view_buffered (view), 0);
    assert_true (s_has (view, "alice", "new.txt"));
    assert_int_equal (s_files (view, "alice"), 2);
    assert_int_equal (s_files (view, "carol"), 2);
    //  Live events continue from 13
    assert_int_equal (s_added (view, B1, 13, "carol", "more.txt"), VIEW_APPLIED);
    assert_int_equal (s_files (view, "carol"), 3);
    view_destroy (&view);
}

static void
test_stale_events_ignored (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    assert_int_equal (s_added (view, B1, 9, "alice", "stale.txt"), VIEW_IGNORED);
    assert_int_equal (s_added (view, B1, 10, "alice", "stale.txt"), VIEW_IGNORED);
    assert_false (s_has (view, "alice", "stale.txt"));
    assert_true (view_synced (view));
    assert_int_equal (view_seq (view), 10);
    view_destroy (&view);
}

static void
test_gap_means_resync (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    assert_int_equal (s_added (view, B1, 11, "alice", "c.txt"), VIEW_APPLIED);
    //  13 without 12
    assert_int_equal (s_added (view, B1, 13, "alice", "e.txt"), VIEW_RESYNC);
    assert_false (view_synced (view));
    assert_non_null (strstr (view_resync_reason (view), "gap"));
    //  What we had stays visible while we fetch a new snapshot
    assert_true (s_has (view, "alice", "c.txt"));
    assert_false (s_has (view, "alice", "e.txt"));
    assert_int_equal (s_added (view, B1, 14, "alice", "f.txt"), VIEW_BUFFERED);
    view_snapshot_begin (view);
    const char *files [] = { "a.txt", "b.txt", "c.txt", "d.txt", NULL };
    assert_int_equal (s_page (view, B1, 12, false, "alice", files, false), 1);
    assert_true (view_synced (view));
    assert_int_equal (view_seq (view), 14);
    assert_true (s_has (view, "alice", "d.txt"));
    assert_true (s_has (view, "alice", "e.txt"));
    assert_true (s_has (view, "alice", "f.txt"));
    view_destroy (&view);
}

static void
test_gap_after_snapshot (void **state)
{
    (void) state;
    view_t *view = view_new ();
    view_snapshot_begin (view);
    //  The snapshot is at 20 but the first event we hold is 23: 21, 22 lost
    assert_int_equal (s_added (view, B1, 23, "alice", "late.txt"), VIEW_BUFFERED);
    const char *files [] = { "a.txt", NULL };
    assert_int_equal (s_page (view, B1, 20, false, "alice", files, false), -1);
    assert_false (view_synced (view));
    assert_non_null (strstr (view_resync_reason (view), "gap"));
    //  The snapshot's contents are visible anyway; the event is kept
    assert_true (s_has (view, "alice", "a.txt"));
    assert_int_equal (view_buffered (view), 1);
    //  A second snapshot at 22 picks it up
    view_snapshot_begin (view);
    assert_int_equal (s_page (view, B1, 22, false, "alice", files, false), 1);
    assert_true (s_has (view, "alice", "late.txt"));
    assert_int_equal (view_seq (view), 23);
    view_destroy (&view);
}

static void
test_new_broker_means_resync (void **state)
{
    (void) state;
    view_t *view = s_synced_view (500);
    //  A restarted broker counts from 1 again
    const char *files [] = { "z.txt", NULL };
    assert_int_equal (s_join (view, B2, 1, "alice", 0, false, files), VIEW_RESYNC);
    assert_non_null (strstr (view_resync_reason (view), "broker"));
    assert_int_equal (s_added (view, B2, 2, "alice", "y.txt"), VIEW_BUFFERED);
    view_snapshot_begin (view);
    //  Snapshot of the new broker at seq 1 (the join is in it)
    assert_int_equal (s_page (view, B2, 1, false, "alice", files, false), 1);
    assert_string_equal (view_broker (view), B2);
    assert_int_equal (view_seq (view), 2);
    assert_int_equal (s_files (view, "alice"), 2);
    assert_false (s_has (view, "alice", "a.txt"));
    view_destroy (&view);
}

static void
test_old_broker_events_dropped_at_replay (void **state)
{
    (void) state;
    view_t *view = view_new ();
    //  Left-overs of the previous instance, then the new one's event
    assert_int_equal (s_added (view, B1, 800, "alice", "old.txt"), VIEW_BUFFERED);
    assert_int_equal (s_added (view, B2, 6, "alice", "new.txt"), VIEW_BUFFERED);
    view_snapshot_begin (view);
    const char *files [] = { "a.txt", NULL };
    assert_int_equal (s_page (view, B2, 5, false, "alice", files, false), 1);
    assert_false (s_has (view, "alice", "old.txt"));
    assert_true (s_has (view, "alice", "new.txt"));
    assert_int_equal (view_seq (view), 6);
    view_destroy (&view);
}

static void
test_join_pages (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    //  alice logs in again with a different list over two pages: page 0
    //  starts afresh, page 1 adds
    const char *page0 [] = { "p0-1", "p0-2", NULL };
    const char *page1 [] = { "p1-1", NULL };
    assert_int_equal (s_join (view, B1, 11, "alice", 0, true, page0), VIEW_APPLIED);
    assert_int_equal (s_files (view, "alice"), 2);
    assert_false (s_has (view, "alice", "a.txt"));
    assert_int_equal (view_user_since (view, "alice"), 1700000011);
    assert_int_equal (s_join (view, B1, 12, "alice", 1, false, page1), VIEW_APPLIED);
    assert_int_equal (s_files (view, "alice"), 3);
    assert_true (s_has (view, "alice", "p1-1"));
    //  A continuation page for a user whose page 0 we never saw
    assert_int_equal (s_join (view, B1, 13, "dave", 1, false, page1), VIEW_RESYNC);
    assert_non_null (strstr (view_resync_reason (view), "unknown user"));
    view_destroy (&view);
}

static void
test_file_event_for_unknown_user (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    assert_int_equal (s_added (view, B1, 11, "mallory", "m.txt"), VIEW_RESYNC);
    assert_false (view_synced (view));
    assert_null (view_user_files (view, "mallory"));
    view_destroy (&view);
}

static void
test_invalid_event_skipped (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    //  In sequence but unusable: the seq is consumed, nothing applied
    assert_int_equal (s_added (view, B1, 11, "alice", "../etc/passwd"), VIEW_IGNORED);
    assert_int_equal (view_seq (view), 11);
    assert_int_equal (s_files (view, "alice"), 2);
    assert_true (view_synced (view));
    assert_int_equal (s_added (view, B1, 12, "alice", "ok.txt"), VIEW_APPLIED);
    view_destroy (&view);
}

static void
test_snapshot_pages_merge_users (void **state)
{
    (void) state;
    view_t *view = view_new ();
    view_snapshot_begin (view);
    //  alice's list continues over two pages; an empty last page
    const char *first [] = { "1", "2", NULL };
    const char *second [] = { "3", NULL };
    assert_int_equal (s_page (view, B1, 7, true, "alice", first, true), 0);
    assert_false (view_synced (view));
    assert_int_equal (s_page (view, B1, 7, true, "alice", second, false), 0);
    const char *bob [] = { "b", NULL };
    assert_int_equal (s_page (view, B1, 7, true, "bob", bob, false), 0);
    assert_int_equal (s_page (view, B1, 7, false, NULL, NULL, false), 1);
    assert_int_equal (s_files (view, "alice"), 3);
    assert_int_equal (s_files (view, "bob"), 1);
    assert_int_equal (view_file_count (view), 4);
    zlistx_t *users = view_users_sorted (view);
    assert_int_equal (zlistx_size (users), 2);
    assert_string_equal ((char *) zlistx_first (users), "alice");
    assert_string_equal ((char *) zlistx_next (users), "bob");
    zlistx_destroy (&users);
    view_destroy (&view);
}

static void
test_snapshot_pages_disagree (void **state)
{
    (void) state;
    view_t *view = view_new ();
    view_snapshot_begin (view);
    const char *files [] = { "1", NULL };
    assert_int_equal (s_page (view, B1, 7, true, "alice", files, false), 0);
    assert_int_equal (s_page (view, B1, 8, false, "bob", files, false), -1);
    assert_false (view_synced (view));
    assert_false (view_loading (view));
    //  Nothing of the broken snapshot became visible
    assert_int_equal (view_user_count (view), 0);
    view_snapshot_begin (view);
    assert_int_equal (s_page (view, B1, 7, true, "alice", files, false), 0);
    assert_int_equal (s_page (view, B2, 7, false, "bob", files, false), -1);
    view_destroy (&view);
}

static void
test_snapshot_skips_invalid_entries (void **state)
{
    (void) state;
    view_t *view = view_new ();
    view_snapshot_begin (view);
    const char *files [] = { "good", "/abs", "a/../b", NULL };
    assert_int_equal (s_page (view, B1, 3, true, "alice", files, false), 0);
    assert_int_equal (s_page (view, B1, 3, false, "bad user", files, false), 1);
    assert_int_equal (s_files (view, "alice"), 1);
    assert_int_equal (view_user_count (view), 1);
    view_destroy (&view);
}

static void
test_old_state_visible_while_loading (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    view_snapshot_begin (view);
    const char *files [] = { "only.txt", NULL };
    assert_int_equal (s_page (view, B1, 12, true, "zed", files, false), 0);
    //  Still the old state until the last page
    assert_int_equal (s_files (view, "alice"), 2);
    assert_null (view_user_files (view, "zed"));
    assert_int_equal (s_page (view, B1, 12, false, NULL, NULL, false), 1);
    assert_null (view_user_files (view, "alice"));
    assert_int_equal (s_files (view, "zed"), 1);
    view_destroy (&view);
}

static void
test_pong_lost_last_event (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    //  The broker is at 11 but event 11 never came: two pongs of grace
    assert_false (view_pong (view, B1, 11));
    assert_false (view_pong (view, B1, 11));
    assert_true (view_synced (view));
    assert_true (view_pong (view, B1, 11));
    assert_false (view_synced (view));
    assert_non_null (strstr (view_resync_reason (view), "ahead"));
    view_destroy (&view);
}

static void
test_pong_steady_traffic (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    //  Pongs race ahead of the events, but the events keep catching up
    assert_false (view_pong (view, B1, 12));
    assert_int_equal (s_added (view, B1, 11, "alice", "1"), VIEW_APPLIED);
    assert_int_equal (s_added (view, B1, 12, "alice", "2"), VIEW_APPLIED);
    assert_false (view_pong (view, B1, 15));
    for (uint64_t seq = 13; seq <= 15; seq++)
        assert_int_equal (s_stats (view, B1, seq), VIEW_APPLIED);
    assert_false (view_pong (view, B1, 15));
    assert_false (view_pong (view, B1, 15));
    assert_true (view_synced (view));
    view_destroy (&view);
}

static void
test_pong_other_broker (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    assert_true (view_pong (view, B2, 1));
    assert_false (view_synced (view));
    //  Unsynced: pongs say nothing until the next snapshot
    assert_false (view_pong (view, B2, 5));
    assert_false (view_pong (view, B2, 5));
    view_destroy (&view);
}

static void
test_invalidate_buffers (void **state)
{
    (void) state;
    view_t *view = s_synced_view (10);
    view_invalidate (view);
    assert_false (view_synced (view));
    assert_int_equal (s_added (view, B1, 11, "alice", "x"), VIEW_BUFFERED);
    assert_false (s_has (view, "alice", "x"));
    assert_int_equal (s_files (view, "alice"), 2);
    view_destroy (&view);
}

static void
test_buffer_is_bounded (void **state)
{
    (void) state;
    view_t *view = view_new ();
    //  Far more events than the buffer holds: the oldest go
    for (uint64_t seq = 1; seq <= 100010; seq++)
        s_stats (view, B1, seq);
    assert_int_equal (view_buffered (view), 100000);
    view_snapshot_begin (view);
    //  A snapshot older than the oldest kept event: the gap is noticed
    assert_int_equal (s_page (view, B1, 5, false, NULL, NULL, false), -1);
    view_snapshot_begin (view);
    assert_int_equal (s_page (view, B1, 100005, false, NULL, NULL, false), 1);
    assert_int_equal (view_seq (view), 100010);
    view_destroy (&view);
}

//  What the watcher was told, one "type user path-or-count" line each
static void
s_record (const Fshare__Event *event, void *arg)
{
    zlistx_t *told = (zlistx_t *) arg;
    assert_string_equal (event->broker, B1);
    assert_int_equal (event->seq, 14);
    char *line = NULL;
    switch (event->type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN:
            line = zsys_sprintf ("join %s %zu", event->user, event->n_files);
            break;
        case FSHARE__EVENT_TYPE__EVENT_LEAVE:
            line = zsys_sprintf ("leave %s", event->user);
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_ADDED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED:
            line = zsys_sprintf ("%s %s %s",
                event->type == FSHARE__EVENT_TYPE__EVENT_FILE_ADDED? "added":
                event->type == FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED? "changed": "removed",
                event->user, event->file->path);
            break;
        default:
            fail_msg ("a resync told an event of type %d", event->type);
    }
    zlistx_add_end (told, line);
}

static char *
s_told (zlistx_t *told)
{
    zlistx_sort (told);
    char *text = strdup ("");
    for (char *line = (char *) zlistx_first (told); line; line = (char *) zlistx_next (told)) {
        char *longer = zsys_sprintf ("%s%s;", text, line);
        free (text);
        text = longer;
    }
    return text;
}

static void
test_resync_tells_the_difference (void **state)
{
    (void) state;
    zlistx_t *told = zlistx_new ();
    zlistx_set_destructor (told, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (told, (zlistx_comparator_fn *) strcmp);
    view_t *view = view_new ();
    view_set_watcher (view, s_record, told);
    view_snapshot_begin (view);
    const char *first [] = { "a.txt", "b.txt", NULL };
    assert_int_equal (s_page (view, B1, 10, false, "alice", first, false), 1);
    assert_int_equal (zlistx_size (told), 0);       //  the first snapshot tells nothing

    //  Heard: carol joins, c.txt (10 bytes) is added; 13 is lost, and
    //  a.txt's removal (14) arrives while the view is out of sequence
    assert_int_equal (s_join (view, B1, 11, "carol", 0, false, NULL), VIEW_APPLIED);
    assert_int_equal (s_added (view, B1, 12, "alice", "c.txt"), VIEW_APPLIED);
    assert_int_equal (s_event (view, B1, 14, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED,
                               "alice", "a.txt", 0, NULL), VIEW_RESYNC);
    view_snapshot_begin (view);
    const char *alice [] = { "b.txt", "c.txt", "d.txt", NULL };
    const char *bob [] = { "x", NULL };
    assert_int_equal (s_page (view, B1, 14, true, "alice", alice, false), 0);
    assert_int_equal (zlistx_size (told), 0);       //  nothing before the last page
    assert_int_equal (s_page (view, B1, 14, false, "bob", bob, false), 1);
    //  Not the removal the stream brought; c.txt is 7 bytes now
    char *text = s_told (told);
    assert_string_equal (text, "added alice d.txt;changed alice c.txt;join bob 1;leave carol;");
    zstr_free (&text);

    //  A resync that finds nothing new tells nothing
    zlistx_purge (told);
    assert_true (view_pong (view, B2, 1));
    view_snapshot_begin (view);
    assert_int_equal (s_page (view, B1, 14, true, "alice", alice, false), 0);
    assert_int_equal (s_page (view, B1, 14, false, "bob", bob, false), 1);
    assert_int_equal (zlistx_size (told), 0);
    view_destroy (&view);
    zlistx_destroy (&told);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_empty_view),
        cmocka_unit_test (test_snapshot_then_events),
        cmocka_unit_test (test_events_buffered_before_snapshot),
        cmocka_unit_test (test_stale_events_ignored),
        cmocka_unit_test (test_gap_means_resync),
        cmocka_unit_test (test_gap_after_snapshot),
        cmocka_unit_test (test_new_broker_means_resync),
        cmocka_unit_test (test_old_broker_events_dropped_at_replay),
        cmocka_unit_test (test_join_pages),
        cmocka_unit_test (test_file_event_for_unknown_user),
        cmocka_unit_test (test_invalid_event_skipped),
        cmocka_unit_test (test_snapshot_pages_merge_users),
        cmocka_unit_test (test_snapshot_pages_disagree),
        cmocka_unit_test (test_snapshot_skips_invalid_entries),
        cmocka_unit_test (test_old_state_visible_while_loading),
        cmocka_unit_test (test_pong_lost_last_event),
        cmocka_unit_test (test_pong_steady_traffic),
        cmocka_unit_test (test_pong_other_broker),
        cmocka_unit_test (test_invalidate_buffers),
        cmocka_unit_test (test_buffer_is_bounded),
        cmocka_unit_test (test_resync_tells_the_difference),
    };
    zsys_init ();
    zsys_set_logstream (stderr);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
