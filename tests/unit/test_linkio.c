/*  test_linkio.c - the link's I/O half (peer/linkio.c) without sockets or
    a loop: the host directory's files cut into Publish pages under the
    page size, sorted, each file once, only the last without `more`;
    changes dropped before a session and queued in one; the snapshot
    request behind what is queued; reconnects that back off to the cap,
    tell `lost` only when a session was lost, and do nothing once
    stopping; the end; what "reachable" means.

    link_int.h is the link's inside, shared by link.c and linkio.c: this
    test reads it to see the pages and the backoff that no public call
    shows. link.c's state table has its own test (test_link.c).
*/
#include "fixture.h"
#include "link_int.h"

typedef struct {
    int lost, stopped;
    bool confirmed;
} calls_t;

static void s_lost (void *arg, const char *why) { (void) why; ((calls_t *) arg)->lost++; }

static void
s_stopped (void *arg, bool confirmed)
{
    ((calls_t *) arg)->stopped++;
    ((calls_t *) arg)->confirmed = confirmed;
}

static const link_handler_t s_handler = { .lost = s_lost, .stopped = s_stopped };

typedef struct {
    fileset_t *files;
    view_t *view;
    calls_t calls;
    link_t *link;
} bench_t;

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fx->files = fileset_new ();
    fx->view = view_new ();
    fx->link = fixture_link_new (fx->files, fx->view, &s_handler, &fx->calls);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_destroy (&fx->link);
    assert_null (fx->link);
    view_destroy (&fx->view);
    fileset_destroy (&fx->files);
    free (fx);
    return 0;
}

//  Take the head of the outbox as a decoded message (its packed size in
//  *bytes); NULL when the head is a change or nothing is queued.
static Fshare__Message *
s_take_frame (bench_t *fx, size_t *bytes)
{
    zframe_t *frame = NULL;
    hostdir_change_t *change = NULL;
    if (!outbox_head (fx->link->outbox, &frame, &change) || !frame)
        return NULL;
    *bytes = zframe_size (frame);
    Fshare__Message *msg = fsh_msg_decode (zframe_data (frame), zframe_size (frame));
    assert_non_null (msg);
    outbox_pop (fx->link->outbox, *bytes);
    return msg;
}

//  Many files, small pages: every page under the size, in path order,
//  each file once, `more` on all pages but the last.
static void
test_pages (void **state)
{
    bench_t *fx = (bench_t *) *state;
    char path [64];
    for (int i = 0; i < 500; i++) {
        snprintf (path, sizeof path, "dir/%03d/file-with-a-long-name-%d.txt", 499 - i, i);
        fileset_put (fx->files, path, (uint64_t) i, 1700000000 + i);
    }
    fx->link->page_bytes = 4096;
    link_force_state (fx->link, LINK_PUBLISHING, 77);
    link_cut_pages (fx->link);
    size_t pages = link_queued (fx->link);
    assert_true (pages > 5);
    size_t files = 0, bytes = 0;
    char last [128] = "";
    for (size_t page = 0; page < pages; page++) {
        Fshare__Message *msg = s_take_frame (fx, &bytes);
        assert_non_null (msg);
        assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_PUBLISH);
        assert_int_equal (msg->id, 77);
        assert_true (bytes <= 4096);
        assert_true (msg->publish->n_files > 0);
        assert_int_equal (msg->publish->more, page + 1 < pages);
        for (size_t i = 0; i < msg->publish->n_files; i++) {
            const char *name = msg->publish->files [i]->path;
            assert_true (strcmp (last, name) < 0);
            snprintf (last, sizeof last, "%s", name);
            assert_non_null (fileset_lookup (fx->files, name));
            files++;
        }
        fsh_msg_destroy (&msg);
    }
    assert_int_equal (files, 500);
    assert_int_equal (link_queued (fx->link), 0);

    //  No files: one page, empty, the last
    fileset_t *none = fileset_new ();
    fx->link->files = none;
    link_cut_pages (fx->link);
    assert_int_equal (link_queued (fx->link), 1);
    Fshare__Message *msg = s_take_frame (fx, &bytes);
    assert_int_equal (msg->publish->n_files, 0);
    assert_false (msg->publish->more);
    fsh_msg_destroy (&msg);
    fx->link->files = fx->files;
    fileset_destroy (&none);
}

static hostdir_change_t *
s_change (const char *path)
{
    hostdir_change_t *change = (hostdir_change_t *) zmalloc (sizeof (hostdir_change_t));
    change->kind = FSHARE__CHANGE_KIND__CHANGE_ADDED;
    change->path = strdup (path);
    change->size = 1;
    change->mtime = 1;
    return change;
}

//  Before a session the pages to come carry the truth: a change is
//  dropped. In one it waits in the outbox (no DEALER here to send it),
//  and a snapshot request queues behind it.
static void
test_changes_and_snapshot (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_state_t outside [] = { LINK_DOWN, LINK_LOGGING_IN, LINK_STOPPING, LINK_ENDED };
    for (size_t i = 0; i < sizeof outside / sizeof outside [0]; i++) {
        link_force_state (fx->link, outside [i], 0);
        hostdir_change_t *change = s_change ("a.txt");
        link_change (fx->link, &change);
        assert_null (change);
        assert_int_equal (link_queued (fx->link), 0);
    }
    link_state_t inside [] = { LINK_PUBLISHING, LINK_LOADING, LINK_ONLINE, LINK_RESYNCING };
    for (size_t i = 0; i < sizeof inside / sizeof inside [0]; i++) {
        link_force_state (fx->link, inside [i], 0);
        char path [32];
        snprintf (path, sizeof path, "f%zu.txt", i);
        hostdir_change_t *change = s_change (path);
        link_change (fx->link, &change);
        assert_null (change);
        assert_int_equal (link_queued (fx->link), i + 1);
    }
    link_force_state (fx->link, LINK_ONLINE, 0);
    link_snapshot_request (fx->link);
    assert_int_equal (link_queued (fx->link), 5);
    assert_true (fx->link->awaiting > 0);
    assert_true (view_loading (fx->view));
    //  The changes first, in order, then the request
    for (int i = 0; i < 4; i++) {
        zframe_t *frame = NULL;
        hostdir_change_t *change = NULL;
        assert_true (outbox_head (fx->link->outbox, &frame, &change));
        assert_null (frame);
        assert_non_null (change);
        outbox_pop (fx->link->outbox, 10);
    }
    size_t bytes;
    Fshare__Message *msg = s_take_frame (fx, &bytes);
    assert_non_null (msg);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT);
    assert_int_equal (msg->id, fx->link->awaiting);
    fsh_msg_destroy (&msg);
}

//  Each reconnect waits twice as long as the one before, up to the cap;
//  a lost session is told, a failed login is not; the queue is dropped.
static void
test_reconnect_backoff (void **state)
{
    bench_t *fx = (bench_t *) *state;
    assert_int_equal (fx->link->backoff.delay_ms, LINK_BACKOFF_MIN_MS);
    int expect = LINK_BACKOFF_MIN_MS;
    for (int i = 0; i < 8; i++) {
        link_force_state (fx->link, LINK_LOGGING_IN, 0);
        link_reconnect_later (fx->link, NULL);
        expect = expect * 2 > LINK_BACKOFF_MAX_MS? LINK_BACKOFF_MAX_MS: expect * 2;
        assert_int_equal (fx->link->backoff.delay_ms, expect);
        assert_int_equal (link_state (fx->link), LINK_DOWN);
    }
    assert_int_equal (fx->link->backoff.delay_ms, LINK_BACKOFF_MAX_MS);
    assert_int_equal (fx->calls.lost, 0);

    link_force_state (fx->link, LINK_ONLINE, 0);
    hostdir_change_t *change = s_change ("a.txt");
    link_change (fx->link, &change);
    assert_int_equal (link_queued (fx->link), 1);
    link_reconnect (fx->link, "test", 10);
    assert_int_equal (fx->calls.lost, 1);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_int_equal (link_queued (fx->link), 0);
    assert_int_equal (fx->link->awaiting, 0);

    //  Stopping or ended: nothing happens any more
    link_force_state (fx->link, LINK_STOPPING, 5);
    link_reconnect (fx->link, "test", 10);
    assert_int_equal (link_state (fx->link), LINK_STOPPING);
    link_force_state (fx->link, LINK_ENDED, 0);
    link_reconnect_later (fx->link, "test");
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_int_equal (fx->calls.lost, 1);
}

static void
test_end_and_reachable (void **state)
{
    bench_t *fx = (bench_t *) *state;
    //  Never heard: not reachable, not relogging
    assert_false (link_reachable (fx->link));
    assert_false (link_relogging (fx->link));
    fx->link->heard_at = zclock_mono ();
    assert_true (link_reachable (fx->link));
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_true (link_relogging (fx->link));
    link_force_state (fx->link, LINK_ONLINE, 0);
    assert_false (link_relogging (fx->link));
    //  Silent for longer than the liveness window
    fx->link->heard_at = zclock_mono ()
                       - (int64_t) FSH_DEFAULT_LIVENESS * fx->link->heartbeat_ms - 1;
    assert_false (link_reachable (fx->link));

    assert_int_equal (link_end (fx->link, true), -1);
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_int_equal (fx->calls.stopped, 1);
    assert_true (fx->calls.confirmed);
    assert_int_equal (link_end (fx->link, false), -1);
    assert_false (fx->calls.confirmed);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_pages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_changes_and_snapshot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reconnect_backoff, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_end_and_reachable, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
