/*  test_catalog.c - what a session may publish (broker/catalog.c): a
    Publish page checked against the path rules and the broker's limits
    (files, path length and depth, the list budgets), a Change applied to
    the table with the one event it causes, and every refusal's code.

    Events go out through a publisher on one end of an inproc PAIR.
*/
#include "catalog.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

//  The sockets serve the whole group: a closed inproc endpoint is
//  released by libzmq's reaper some time later, so no test binds anew.
typedef struct {
    zsock_t *pub, *sub;
} sockets_t;

typedef struct {
    zsock_t *pub, *sub;
    publisher_t *publisher;
    fsh_ratelog_t *ratelog;
    session_t *session;
    catalog_limits_t limits;
} bench_t;

static int
s_group_setup (void **state)
{
    sockets_t *sockets = (sockets_t *) zmalloc (sizeof (sockets_t));
    sockets->pub = zsock_new_pair ("@inproc://test-catalog");
    sockets->sub = zsock_new_pair (">inproc://test-catalog");
    zsock_set_rcvtimeo (sockets->sub, 0);
    *state = sockets;
    return 0;
}

static int
s_group_teardown (void **state)
{
    sockets_t *sockets = (sockets_t *) *state;
    zsock_destroy (&sockets->sub);
    zsock_destroy (&sockets->pub);
    free (sockets);
    return 0;
}

static int
s_setup (void **state)
{
    sockets_t *sockets = (sockets_t *) *state;
    bench_t *self = (bench_t *) zmalloc (sizeof (bench_t));
    self->pub = sockets->pub;
    self->sub = sockets->sub;
    //  Whatever an earlier test left unread
    while (zsock_events (self->sub) & ZMQ_POLLIN) {
        zmsg_t *stale = zmsg_recv (self->sub);
        zmsg_destroy (&stale);
    }
    self->publisher = publisher_new (self->pub, "broker");
    self->ratelog = fsh_ratelog_new (1000);
    zframe_t *routing = zframe_new ("r", 1);
    self->session = session_new ("alice", routing);
    zframe_destroy (&routing);
    self->limits = (catalog_limits_t) {
        .max_files = 4, .max_path = 64, .max_depth = 4,
        .max_bytes = CATALOG_LIST_BYTES_DEFAULT, .total_left = CATALOG_TOTAL_BYTES_DEFAULT
    };
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *self = (bench_t *) *state;
    session_destroy (&self->session);
    fsh_ratelog_destroy (&self->ratelog);
    publisher_destroy (&self->publisher);
    free (self);
    return 0;
}

static fsh_err_t
s_publish (bench_t *self, const char **paths, size_t count, const char **reason)
{
    Fshare__FileInfo infos [8];
    Fshare__FileInfo *files [8];
    assert_true (count <= 8);
    for (size_t i = 0; i < count; i++) {
        infos [i] = (Fshare__FileInfo) FSHARE__FILE_INFO__INIT;
        infos [i].path = (char *) paths [i];
        infos [i].size = 1;
        files [i] = &infos [i];
    }
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.files = files;
    publish.n_files = count;
    *reason = NULL;
    return catalog_publish (self->session, &publish, &self->limits, self->ratelog, reason);
}

static fsh_err_t
s_change (bench_t *self, Fshare__ChangeKind kind, const char *path, const char *from,
          uint64_t size, const char **reason)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = size;
    Fshare__Change change = FSHARE__CHANGE__INIT;
    change.kind = kind;
    change.file = &file;
    change.from = (char *) (from? from: "");
    *reason = NULL;
    return catalog_change (self->session, &change, &self->limits, self->publisher,
                           self->ratelog, reason);
}

//  The next event's type, or -1 when none waits.
static int
s_next_event (bench_t *self)
{
    Fshare__Event *event = fsh_event_recv (self->sub);
    int type = event? (int) event->type: -1;
    fsh_event_destroy (&event);
    return type;
}

static void
test_publish (void **state)
{
    bench_t *self = (bench_t *) *state;
    const char *reason;
    const char *good [] = { "a.txt", "dir/b.txt" };
    assert_int_equal (s_publish (self, good, 2, &reason), FSH_ERR_NONE);
    assert_null (reason);
    assert_int_equal (session_file_count (self->session), 2);
    //  Valid, but beyond this broker's depth: left out, the rest published
    const char *deep [] = { "1/2/3/4/5.txt", "c.txt" };
    assert_int_equal (s_publish (self, deep, 2, &reason), FSH_ERR_NONE);
    assert_int_equal (session_file_count (self->session), 3);
    assert_null (session_file (self->session, "1/2/3/4/5.txt"));
    //  Invalid: the whole page is refused
    const char *bad [] = { "../escape" };
    assert_int_equal (s_publish (self, bad, 1, &reason), FSH_ERR_BAD_REQUEST);
    assert_string_equal (reason, "invalid file list");
    //  Beyond --max-files
    const char *more [] = { "d.txt", "e.txt" };
    assert_int_equal (s_publish (self, more, 2, &reason), FSH_ERR_TOO_LARGE);
    assert_string_equal (reason, "too many files");
    //  Nothing is published before the session is online
    assert_int_equal (s_next_event (self), -1);
}

static void
test_publish_budgets (void **state)
{
    bench_t *self = (bench_t *) *state;
    const char *reason;
    const char *two [] = { "a.txt", "b.txt" };
    self->limits.max_bytes = session_file_bytes ("a.txt");
    assert_int_equal (s_publish (self, two, 2, &reason), FSH_ERR_TOO_LARGE);
    assert_string_equal (reason, "file list too large");
    session_remove_file (self->session, "a.txt");
    session_remove_file (self->session, "b.txt");
    //  What all lists together may still grow by
    self->limits.max_bytes = CATALOG_LIST_BYTES_DEFAULT;
    self->limits.total_left = session_file_bytes ("a.txt");
    assert_int_equal (s_publish (self, two, 2, &reason), FSH_ERR_TOO_LARGE);
    assert_string_equal (reason, "the broker holds all the file lists it may");
}

static void
test_change (void **state)
{
    bench_t *self = (bench_t *) *state;
    const char *reason;
    //  Not online yet
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "a.txt", NULL, 1,
                                &reason), FSH_ERR_BAD_REQUEST);
    assert_string_equal (reason, "files not published yet");
    session_set_online (self->session, 1);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "a.txt", NULL, 1,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (s_next_event (self), FSHARE__EVENT_TYPE__EVENT_FILE_ADDED);
    //  The table decides: the same file again is no event, a new size a change
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_CHANGED, "a.txt", NULL, 1,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (s_next_event (self), -1);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "a.txt", NULL, 2,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (s_next_event (self), FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_RENAMED, "b.txt", "a.txt", 2,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (s_next_event (self), FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED);
    assert_null (session_file (self->session, "a.txt"));
    assert_non_null (session_file (self->session, "b.txt"));
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_REMOVED, "b.txt", NULL, 0,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (s_next_event (self), FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED);
    //  Removing what is not there publishes nothing
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_REMOVED, "b.txt", NULL, 0,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (s_next_event (self), -1);
}

static void
test_change_refused (void **state)
{
    bench_t *self = (bench_t *) *state;
    const char *reason;
    session_set_online (self->session, 1);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_NONE, "a.txt", NULL, 1,
                                &reason), FSH_ERR_BAD_REQUEST);
    assert_string_equal (reason, "no change kind");
    assert_int_equal (s_change (self, (Fshare__ChangeKind) 99, "a.txt", NULL, 1,
                                &reason), FSH_ERR_BAD_REQUEST);
    assert_string_equal (reason, "unknown change kind");
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_RENAMED, "a.txt", "../x", 1,
                                &reason), FSH_ERR_BAD_REQUEST);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "1/2/3/4/5.txt", NULL,
                                1, &reason), FSH_ERR_BAD_REQUEST);
    const char *paths [] = { "a", "b", "c", "d" };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, paths [i], NULL,
                                    1, &reason), FSH_ERR_NONE);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "e", NULL, 1,
                                &reason), FSH_ERR_TOO_LARGE);
    assert_string_equal (reason, "too many files");
    //  A change of a file already listed is no new file
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_CHANGED, "a", NULL, 2,
                                &reason), FSH_ERR_NONE);
    assert_int_equal (session_file_count (self->session), 4);
}

//  A change that adds a file is held to both budgets as a page is: the
//  session's list, and what all lists together may still grow by (else
//  many sessions, each within its own list, grow the broker without end)
static void
test_change_budgets (void **state)
{
    bench_t *self = (bench_t *) *state;
    const char *reason;
    session_set_online (self->session, 1);
    self->limits.total_left = session_file_bytes ("a") - 1;
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "a", NULL, 1,
                                &reason), FSH_ERR_TOO_LARGE);
    assert_string_equal (reason, "the broker holds all the file lists it may");
    assert_int_equal (session_file_count (self->session), 0);
    self->limits.total_left = session_file_bytes ("a");
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "a", NULL, 1,
                                &reason), FSH_ERR_NONE);
    self->limits.total_left = CATALOG_TOTAL_BYTES_DEFAULT;
    self->limits.max_bytes = session_list_bytes (self->session);
    assert_int_equal (s_change (self, FSHARE__CHANGE_KIND__CHANGE_ADDED, "b", NULL, 1,
                                &reason), FSH_ERR_TOO_LARGE);
    assert_string_equal (reason, "file list too large");
    assert_int_equal (session_file_count (self->session), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_publish, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_publish_budgets, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_change, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_change_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_change_budgets, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
