/*  test_publisher.c - what the broker tells (broker/publisher.c): every
    event stamped with the instance id and the next sequence number, file
    events as the table has them, a join cut in pages, a leave, and the
    snapshot pages of every online session at the current sequence.

    The "PUB" is one end of an inproc PAIR: the same frames, none lost to
    a subscription still on its way.
*/
#include "publisher.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

typedef struct {
    zsock_t *pub, *sub;
    publisher_t *publisher;
} bench_t;

//  The sockets serve the whole group (every test reads all it caused);
//  each test has a publisher of its own, so its sequence starts at 0.
static int
s_group_setup (void **state)
{
    bench_t *self = (bench_t *) zmalloc (sizeof (bench_t));
    self->pub = zsock_new_pair ("@inproc://test-publisher");
    self->sub = zsock_new_pair (">inproc://test-publisher");
    zsock_set_rcvtimeo (self->sub, 5000);
    *state = self;
    return 0;
}

static int
s_group_teardown (void **state)
{
    bench_t *self = (bench_t *) *state;
    zsock_destroy (&self->sub);
    zsock_destroy (&self->pub);
    free (self);
    return 0;
}

static int
s_setup (void **state)
{
    bench_t *self = (bench_t *) *state;
    self->publisher = publisher_new (self->pub, "0123456789abcdef");
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *self = (bench_t *) *state;
    publisher_destroy (&self->publisher);
    return 0;
}

static session_t *
s_session (const char *user, size_t files)
{
    zframe_t *routing = zframe_new (user, strlen (user));
    session_t *session = session_new (user, routing);
    zframe_destroy (&routing);
    for (size_t i = 0; i < files; i++) {
        char path [64];
        snprintf (path, sizeof path, "dir/file-%04zu-with-a-longer-name.txt", i);
        Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
        file.path = path;
        file.size = i;
        session_put_file (session, &file);
    }
    session_set_online (session, 5000);
    return session;
}

static void
test_stamps (void **state)
{
    bench_t *self = (bench_t *) *state;
    assert_int_equal (publisher_seq (self->publisher), 0);
    assert_true (publisher_hwm () > 0);
    session_t *alice = s_session ("alice", 1);
    publisher_file (self->publisher, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, alice,
                    "dir/file-0000-with-a-longer-name.txt", NULL);
    publisher_file (self->publisher, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED, alice,
                    "gone.txt", NULL);
    publisher_leave (self->publisher, alice);
    assert_int_equal (publisher_seq (self->publisher), 3);
    Fshare__Event *event = fsh_event_recv (self->sub);
    assert_non_null (event);
    assert_string_equal (event->broker, "0123456789abcdef");
    assert_int_equal (event->seq, 1);
    assert_true (event->time_ms > 0);
    assert_string_equal (event->user, "alice");
    //  As the table has it
    assert_string_equal (event->file->path, "dir/file-0000-with-a-longer-name.txt");
    fsh_event_destroy (&event);
    event = fsh_event_recv (self->sub);
    assert_int_equal (event->seq, 2);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED);
    assert_string_equal (event->file->path, "gone.txt");
    fsh_event_destroy (&event);
    event = fsh_event_recv (self->sub);
    assert_int_equal (event->seq, 3);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_LEAVE);
    fsh_event_destroy (&event);
    session_destroy (&alice);
}

//  A join of `files` files: its pages in order, every file once.
static void
s_expect_join (bench_t *self, size_t files, size_t min_pages)
{
    session_t *bob = s_session ("bob", files);
    uint64_t seq = publisher_seq (self->publisher);
    publisher_join (self->publisher, bob);
    size_t seen = 0, pages = 0;
    bool more = true;
    while (more) {
        Fshare__Event *event = fsh_event_recv (self->sub);
        assert_non_null (event);
        assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
        assert_int_equal (event->seq, ++seq);
        assert_int_equal (event->page, pages);
        assert_int_equal (event->since, 5);
        seen += event->n_files;
        pages++;
        more = event->more;
        fsh_event_destroy (&event);
    }
    assert_int_equal (seen, files);
    assert_true (pages >= min_pages);
    session_destroy (&bob);
}

static void
test_join_pages (void **state)
{
    bench_t *self = (bench_t *) *state;
    s_expect_join (self, 0, 1);         //  an empty list still joins, once
    s_expect_join (self, 3, 1);
    //  More than one page holds
    size_t many = 2 * FSH_EVENT_PAGE_BYTES / 40;
    s_expect_join (self, many, 2);
}

//  A ROUTER and a DEALER connected to it; the DEALER's routing id.
static zframe_t *
s_pair (const char *endpoint, zsock_t **router, zsock_t **dealer)
{
    char bind [64], connect [64];
    snprintf (bind, sizeof bind, "@%s", endpoint);
    snprintf (connect, sizeof connect, ">%s", endpoint);
    *router = zsock_new_router (bind);
    *dealer = zsock_new_dealer (connect);
    assert_non_null (*router);
    assert_non_null (*dealer);
    zsock_set_rcvtimeo (*router, 5000);
    zsock_set_rcvtimeo (*dealer, 5000);
    zstr_send (*dealer, "hello");
    zmsg_t *hello = zmsg_recv (*router);
    assert_non_null (hello);
    zframe_t *routing_id = zmsg_pop (hello);
    zmsg_destroy (&hello);
    return routing_id;
}

static void
test_snapshot (void **state)
{
    bench_t *self = (bench_t *) *state;
    zsock_t *router, *dealer;
    zframe_t *routing_id = s_pair ("inproc://test-publisher-snapshot", &router, &dealer);

    //  Nobody online: one empty last page
    snapflow_t *flow = snapflow_new (SNAPFLOW_BUDGET_BYTES, 30000);
    snapflow_verdict_t verdict;
    zlistx_t *online = zlistx_new ();
    publisher_snapshot (self->publisher, router, routing_id,
                        snapflow_admit (flow, routing_id, -1, 7, &verdict), 7, online, 2, 99);
    Fshare__Message *msg = fsh_msg_recv (dealer);
    assert_non_null (msg);
    assert_int_equal (msg->id, 7);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
    assert_string_equal (msg->snapshot_page->broker, "0123456789abcdef");
    assert_int_equal (msg->snapshot_page->seq, publisher_seq (self->publisher));
    assert_int_equal (msg->snapshot_page->transfers, 2);
    assert_int_equal (msg->snapshot_page->bytes_relayed, 99);
    assert_int_equal (msg->snapshot_page->n_users, 0);
    assert_false (msg->snapshot_page->more);
    fsh_msg_destroy (&msg);

    //  Two users, one of them beyond a page: each user's files once
    session_t *carol = s_session ("carol", 2);
    session_t *dave = s_session ("dave", 2 * FSH_PAGE_BYTES / 40);
    zlistx_add_end (online, carol);
    zlistx_add_end (online, dave);
    snapflow_release (flow, NULL, NULL);   //  taken: nothing waits
    publisher_snapshot (self->publisher, router, routing_id,
                        snapflow_admit (flow, routing_id, -1, 8, &verdict), 8, online, 0, 0);
    size_t carols = 0, daves = 0, pages = 0;
    bool more = true;
    while (more) {
        msg = fsh_msg_recv (dealer);
        assert_non_null (msg);
        assert_int_equal (msg->id, 8);
        assert_true (msg->snapshot_page->n_users >= 1);
        assert_true (fshare__message__get_packed_size (msg) <= FSH_PAGE_BYTES + 256);
        for (size_t k = 0; k < msg->snapshot_page->n_users; k++) {
            Fshare__UserFiles *user = msg->snapshot_page->users [k];
            if (streq (user->user, "carol"))
                carols += user->n_files;
            else
                daves += user->n_files;
            //  Only a page's last user goes on in the next one
            if (user->more)
                assert_int_equal (k + 1, msg->snapshot_page->n_users);
        }
        more = msg->snapshot_page->more;
        pages++;
        fsh_msg_destroy (&msg);
    }
    assert_int_equal (carols, 2);
    assert_int_equal (daves, session_file_count (dave));
    assert_true (pages >= 3);
    zlistx_destroy (&online);
    snapflow_destroy (&flow);
    session_destroy (&carol);
    session_destroy (&dave);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  A crowd of small users shares pages: a snapshot of 1,000 users with a
//  file each is a few messages, not a thousand, and every user is in it
//  once, with its file.
static void
test_snapshot_crowd (void **state)
{
    bench_t *self = (bench_t *) *state;
    zsock_t *router, *dealer;
    zframe_t *routing_id = s_pair ("inproc://test-publisher-crowd", &router, &dealer);

    enum { CROWD = 1000 };
    zlistx_t *online = zlistx_new ();
    session_t *sessions [CROWD];
    for (int i = 0; i < CROWD; i++) {
        char user [32];
        snprintf (user, sizeof user, "peer%04d", i);
        sessions [i] = s_session (user, i == CROWD / 2? 2 * FSH_PAGE_BYTES / 40: 1);
        zlistx_add_end (online, sessions [i]);
    }
    snapflow_t *flow = snapflow_new (SNAPFLOW_BUDGET_BYTES, 30000);
    snapflow_verdict_t verdict;
    publisher_snapshot (self->publisher, router, routing_id,
                        snapflow_admit (flow, routing_id, -1, 9, &verdict), 9, online, 0, 0);
    int seen [CROWD] = { 0 };
    size_t pages = 0, big = 0;
    bool more = true;
    while (more) {
        Fshare__Message *msg = fsh_msg_recv (dealer);
        assert_non_null (msg);
        assert_true (fshare__message__get_packed_size (msg) <= FSH_PAGE_BYTES + 256);
        for (size_t k = 0; k < msg->snapshot_page->n_users; k++) {
            Fshare__UserFiles *user = msg->snapshot_page->users [k];
            int index = atoi (user->user + 4);
            assert_in_range (index, 0, CROWD - 1);
            if (index == CROWD / 2)
                big += user->n_files;
            else {
                assert_int_equal (user->n_files, 1);
                assert_false (user->more);
                seen [index]++;
            }
        }
        more = msg->snapshot_page->more;
        pages++;
        fsh_msg_destroy (&msg);
    }
    for (int i = 0; i < CROWD; i++)
        if (i != CROWD / 2)
            assert_int_equal (seen [i], 1);
    assert_int_equal (big, session_file_count (sessions [CROWD / 2]));
    //  1,000 users of about 60 bytes and 2 pages of one user's files
    assert_true (pages >= 3);
    assert_true (pages <= 8);
    for (int i = 0; i < CROWD; i++)
        session_destroy (&sessions [i]);
    zlistx_destroy (&online);
    snapflow_destroy (&flow);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_stamps, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_pages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot_crowd, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
