/*  test_link.c - the agent's broker link as a state table, without sockets:
    every state x message kind that the table refuses is refused in the
    same shape (counted, nothing changes, no callback), the accepted ones
    make the transitions of link.h, messages are classified by request
    id, and stopping answers "confirmed" only when the broker has nothing
    of ours left.
*/
#include "fixture.h"
#include "link.h"

typedef struct {
    int session, lost, online, changed, failed, stopped, message;
    bool confirmed;
} calls_t;

static int
s_session (void *arg, link_t *link)
{
    (void) link;
    ((calls_t *) arg)->session++;
    return 0;
}

static void s_lost (void *arg, const char *why) { (void) why; ((calls_t *) arg)->lost++; }
static void s_online (void *arg) { ((calls_t *) arg)->online++; }
static void s_changed (void *arg) { ((calls_t *) arg)->changed++; }

static void
s_failed (void *arg, fsh_err_t code, const char *reason)
{
    (void) code; (void) reason;
    ((calls_t *) arg)->failed++;
}

static void
s_stopped (void *arg, bool confirmed)
{
    ((calls_t *) arg)->stopped++;
    ((calls_t *) arg)->confirmed = confirmed;
}

static const link_handler_t s_handler = {
    .session = s_session, .lost = s_lost, .online = s_online, .changed = s_changed,
    .failed = s_failed, .stopped = s_stopped
};

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
    fileset_put (fx->files, "a.txt", 1, 1);
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
    view_destroy (&fx->view);
    fileset_destroy (&fx->files);
    free (fx);
    return 0;
}

static bool
s_calls_none (const calls_t *calls)
{
    return !calls->session && !calls->lost && !calls->online && !calls->changed
        && !calls->failed && !calls->stopped && !calls->message;
}

//  Every refused pair: counted once, state unchanged, no callback.
static void
test_refusals_have_one_shape (void **state)
{
    bench_t *fx = (bench_t *) *state;
    size_t refused = 0;
    for (link_state_t s = 0; s < LINK_STATES; s++)
        for (link_msg_t k = 0; k < LINK_MSGS; k++) {
            if (link_accepts (s, k))
                continue;
            link_force_state (fx->link, s, 0);
            memset (&fx->calls, 0, sizeof fx->calls);
            uint64_t before = link_refusals (fx->link);
            Fshare__Message msg = FSHARE__MESSAGE__INIT;
            msg.id = 42;
            assert_int_equal (link_dispatch (fx->link, k, &msg), 0);
            if (link_refusals (fx->link) != before + 1 || link_state (fx->link) != s
            ||  !s_calls_none (&fx->calls))
                fail_msg ("%s while %s: not refused in the common shape",
                          link_msg_text (k), link_state_text (s));
            refused++;
        }
    assert_true (refused > 40);
}

static void
test_table_shape (void **state)
{
    (void) state;
    for (link_state_t s = 0; s < LINK_STATES; s++) {
        assert_true (link_accepts (s, LINK_MSG_STALE));
        assert_false (link_accepts (s, LINK_MSG_UNEXPECTED));
    }
    for (link_msg_t k = 0; k < LINK_MSGS; k++)
        if (k != LINK_MSG_STALE) {
            assert_false (link_accepts (LINK_DOWN, k));
            assert_false (link_accepts (LINK_ENDED, k));
        }
    //  A login answer means something only while one is in flight
    assert_true (link_accepts (LINK_LOGGING_IN, LINK_MSG_LOGIN_OK));
    assert_false (link_accepts (LINK_ONLINE, LINK_MSG_LOGIN_OK));
    assert_false (link_accepts (LINK_ONLINE, LINK_MSG_SNAPSHOT_PAGE));
    assert_false (link_accepts (LINK_LOADING, LINK_MSG_PUBLISH_OK));
    assert_false (link_accepts (LINK_ONLINE, LINK_MSG_LOGGED_OUT));
}

static void
test_login_to_online (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_LOGIN_OK, &msg), 0);
    assert_int_equal (link_state (fx->link), LINK_PUBLISHING);
    assert_int_equal (fx->calls.session, 1);
    assert_int_equal (link_queued (fx->link), 1);     //  one page, not sent: no DEALER
    assert_string_equal (link_state_name (fx->link), "logging in");

    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PUBLISH_OK, &msg), 0);
    assert_int_equal (link_state (fx->link), LINK_LOADING);

    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = "b1";
    msg.snapshot_page = &page;
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_SNAPSHOT_PAGE, &msg), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
    assert_int_equal (fx->calls.online, 1);
    assert_true (link_online (fx->link));
    assert_string_equal (link_state_name (fx->link), "online");

    //  A restarted broker: lost, and down until the next attempt
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_UNKNOWN_SESSION, &msg), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_int_equal (fx->calls.lost, 1);
    assert_int_equal (link_queued (fx->link), 0);
    assert_string_equal (link_state_name (fx->link), "reconnecting");
}

static void
test_login_refused (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_LOGIN_REFUSED, &msg), -1);
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_int_equal (fx->calls.failed, 1);
}

//  Replies are matched by request id.
static void
test_classify (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_force_state (fx->link, LINK_PUBLISHING, 7);
    Fshare__PublishOk ok = FSHARE__PUBLISH_OK__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH_OK;
    msg.publish_ok = &ok;
    msg.id = 6;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_STALE);
    msg.id = 7;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_PUBLISH_OK);

    Fshare__Message error = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&error, 7, FSH_ERR_BAD_REQUEST, NULL);
    assert_int_equal (link_classify (fx->link, &error), LINK_MSG_REFUSED);
    fsh_msg_set_error (&error, 8, FSH_ERR_BAD_REQUEST, NULL);
    assert_int_equal (link_classify (fx->link, &error), LINK_MSG_ERROR);
    //  "busy" is a kind of its own, decided on the code: ask again later
    fsh_msg_set_error (&error, 7, FSH_ERR_BUSY, "any words at all");
    assert_int_equal (link_classify (fx->link, &error), LINK_MSG_BUSY);
    //  ...and under no awaited id, it is a change refused busy
    fsh_msg_set_error (&error, 8, FSH_ERR_BUSY, NULL);
    assert_int_equal (link_classify (fx->link, &error), LINK_MSG_CHANGE_BUSY);

    Fshare__LoginOk login_ok = FSHARE__LOGIN_OK__INIT;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = 7;
    reply.body_case = FSHARE__MESSAGE__BODY_LOGIN_OK;
    reply.login_ok = &login_ok;
    //  Under the id of the request the state waits for: a bad reply
    assert_int_equal (link_classify (fx->link, &reply), LINK_MSG_BAD_REPLY);
    reply.id = 6;
    assert_int_equal (link_classify (fx->link, &reply), LINK_MSG_STALE);

    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    Fshare__Message other = FSHARE__MESSAGE__INIT;
    other.body_case = FSHARE__MESSAGE__BODY_CHUNK;
    other.chunk = &chunk;
    assert_int_equal (link_classify (fx->link, &other), LINK_MSG_UNEXPECTED);
    //  Through link_handle, an unexpected body is a refusal too
    uint64_t before = link_refusals (fx->link);
    assert_int_equal (link_handle (fx->link, &other, NULL), 0);
    assert_true (link_refusals (fx->link) == before + 1);
}

//  A request the state waits for, answered with the wrong kind or a
//  message of the wrong shape: the session is given up at once (and a new
//  one tried), rather than wait forever for the right answer.
static void
test_bad_replies (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    Fshare__PublishOk ok = FSHARE__PUBLISH_OK__INIT;
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = 7;
    link_force_state (fx->link, LINK_PUBLISHING, 7);
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE;
    msg.snapshot_page = &page;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_BAD_REPLY);
    msg.body_case = FSHARE__MESSAGE__BODY_CHUNK;
    msg.chunk = &chunk;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_BAD_REPLY);
    link_force_state (fx->link, LINK_LOADING, 7);
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH_OK;
    msg.publish_ok = &ok;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_BAD_REPLY);
    //  Each state that waits for an answer gives its session up
    msg.body_case = FSHARE__MESSAGE__BODY_CHUNK;
    msg.chunk = &chunk;
    link_state_t waiting [] = { LINK_PUBLISHING, LINK_LOADING, LINK_RESYNCING };
    for (size_t i = 0; i < sizeof waiting / sizeof waiting [0]; i++) {
        link_force_state (fx->link, waiting [i], 7);
        assert_int_equal (link_handle (fx->link, &msg, NULL), 0);
        assert_int_equal (link_state (fx->link), LINK_DOWN);
    }
    //  The same for a well-formed answer of the wrong shape (frames)
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE;
    msg.snapshot_page = &page;
    link_force_state (fx->link, LINK_LOADING, 7);
    assert_int_equal (link_handle_malformed (fx->link, &msg, 3), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    //  Under no awaited id: logged, nothing changes
    link_force_state (fx->link, LINK_ONLINE, 0);
    assert_int_equal (link_handle_malformed (fx->link, &msg, 3), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
}

//  A snapshot request refused busy keeps the session and asks again
//  later; pages refused busy give the session up, as any refusal of them.
static void
test_busy_refusals (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message busy = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&busy, 7, FSH_ERR_BUSY, NULL);
    link_state_t loading [] = { LINK_LOADING, LINK_RESYNCING };
    for (size_t i = 0; i < sizeof loading / sizeof loading [0]; i++) {
        link_force_state (fx->link, loading [i], 7);
        uint64_t refusals = link_refusals (fx->link);
        assert_int_equal (link_handle (fx->link, &busy, NULL), 0);
        assert_int_equal (link_state (fx->link), loading [i]);
        assert_true (link_refusals (fx->link) == refusals);
        assert_int_equal (fx->calls.lost, 0);
    }
    link_force_state (fx->link, LINK_PUBLISHING, 7);
    assert_int_equal (link_handle (fx->link, &busy, NULL), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    //  A change refused busy (no request of the state's): the broker's
    //  list misses it, so the session is given up and the list published
    //  anew; while logging in, it belongs to the session before
    fsh_msg_set_error (&busy, 99, FSH_ERR_BUSY, NULL);
    link_force_state (fx->link, LINK_ONLINE, 0);
    assert_int_equal (link_handle (fx->link, &busy, NULL), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    fsh_err_t code;
    int64_t next;
    assert_non_null (link_retrying (fx->link, &code, &next));
    assert_int_equal (code, FSH_ERR_BUSY);
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_int_equal (link_handle (fx->link, &busy, NULL), 0);
    assert_int_equal (link_state (fx->link), LINK_LOGGING_IN);
}

//  Stopping: "confirmed" only when the broker has nothing of ours left.
static void
test_stop (void **state)
{
    bench_t *fx = (bench_t *) *state;
    //  Never heard from a broker: stopped at once, unconfirmed
    assert_int_equal (link_stop (fx->link), -1);
    assert_int_equal (fx->calls.stopped, 1);
    assert_false (fx->calls.confirmed);
}

static void
test_stop_after_unknown_session (void **state)
{
    bench_t *fx = (bench_t *) *state;
    //  The broker just answered (a stale reply): it is reachable, and down
    //  we have no session on it: nothing is left to log out of
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH_OK;
    link_force_state (fx->link, LINK_DOWN, 0);
    assert_int_equal (link_handle (fx->link, &msg, NULL), 0);
    assert_true (link_reachable (fx->link));
    assert_int_equal (link_stop (fx->link), -1);
    assert_int_equal (fx->calls.stopped, 1);
    assert_true (fx->calls.confirmed);
}

static void
test_stopping_answers (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    link_force_state (fx->link, LINK_STOPPING, 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_UNKNOWN_SESSION, &msg), -1);
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_true (fx->calls.confirmed);
    memset (&fx->calls, 0, sizeof fx->calls);
    link_force_state (fx->link, LINK_STOPPING, 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_LOGGED_OUT, &msg), -1);
    assert_true (fx->calls.stopped == 1 && fx->calls.confirmed);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_refusals_have_one_shape, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_table_shape, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_to_online, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_replies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_classify, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_busy_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stop, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stop_after_unknown_session, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stopping_answers, s_setup, s_teardown),
    };
    zsys_init ();
    zsys_set_logstream (stderr);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
