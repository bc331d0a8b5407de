/*  test_link_answers.c - the link's answers that test_link.c's table walk
    does not reach, through the real login client: which refusals of a
    retried login end the agent and which wait (SPEC 4.1: our own stale
    session is waited for, a wrong password or protocol is not); a bad
    snapshot page while loading or online asks for a new snapshot, and the
    agent is told "online" once, after the first good one; a pong of
    another broker instance resyncs, a snapshot of another instance than
    our session's is never loaded (we log in again); replies matched
    to what the state awaits; and a stop while a login is in flight logs
    out of that login once it succeeds, never before.
*/
#include "fixture.h"
#include "link_int.h"

typedef struct {
    int online, failed, stopped;
    fsh_err_t code;
    bool confirmed;
} calls_t;

static int s_session (void *arg, link_t *link) { (void) arg; (void) link; return 0; }
static void s_online (void *arg) { ((calls_t *) arg)->online++; }

static void
s_failed (void *arg, fsh_err_t code, const char *reason)
{
    (void) reason;
    ((calls_t *) arg)->failed++;
    ((calls_t *) arg)->code = code;
}

static void
s_stopped (void *arg, bool confirmed)
{
    ((calls_t *) arg)->stopped++;
    ((calls_t *) arg)->confirmed = confirmed;
}

static const link_handler_t s_handler = {
    .session = s_session, .online = s_online, .failed = s_failed, .stopped = s_stopped
};

typedef struct {
    char dir [64];
    char *endpoint;
    zsock_t *router;            //  plays the broker where a test needs one
    fileset_t *files;
    view_t *view;
    calls_t calls;
    link_t *link;
} bench_t;

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "linkans");
    fx->endpoint = zsys_sprintf ("ipc://%s/broker.ipc", fx->dir);
    fx->router = zsock_new_router (fx->endpoint);
    assert_non_null (fx->router);
    zsock_set_rcvtimeo (fx->router, DEADLINE_MS);
    fx->files = fileset_new ();
    fileset_put (fx->files, "a.txt", 1, 1);
    fx->view = view_new ();
    link_config_t config = {
        .user = "alice",
        .login = { .user = "alice", .password = "pw", .broker = fx->endpoint }
    };
    fx->link = link_new (NULL, &config, fx->files, fx->view, &s_handler, &fx->calls);
    assert_non_null (fx->link);
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
    zsock_destroy (&fx->router);
    zstr_free (&fx->endpoint);
    fixture_rm_rf (fx->dir);
    free (fx);
    return 0;
}

//  The next request the link sent to our broker (the caller destroys it).
static Fshare__Message *
s_broker_recv (bench_t *fx)
{
    zmsg_t *msg = zmsg_recv (fx->router);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 2);
    zframe_t *id = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    Fshare__Message *decoded = fsh_msg_decode (zframe_data (body), zframe_size (body));
    assert_non_null (decoded);
    zframe_destroy (&id);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return decoded;
}

//  Send a Login now; its request id.
static uint64_t
s_login_sent (bench_t *fx)
{
    link_connect (fx->link);
    assert_int_equal (link_state (fx->link), LINK_LOGGING_IN);
    //  What the previous DEALER sent may still come first
    Fshare__Message *login = s_broker_recv (fx);
    while (login->body_case != FSHARE__MESSAGE__BODY_LOGIN) {
        fsh_msg_destroy (&login);
        login = s_broker_recv (fx);
    }
    uint64_t id = login->id;
    fsh_msg_destroy (&login);
    return id;
}

//  The broker's refusal of the login in flight, through link_handle.
static int
s_refuse_login (bench_t *fx, fsh_err_t code)
{
    uint64_t id = s_login_sent (fx);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&msg, id, code, NULL);
    return link_handle (fx->link, &msg, NULL);
}

//  The broker's LoginOk for request `id`.
static int
s_accept_login (bench_t *fx, uint64_t id)
{
    Fshare__LoginOk ok = FSHARE__LOGIN_OK__INIT;
    ok.session = "token-1";
    ok.broker = "b1";
    ok.events = "ipc://events";
    ok.heartbeat_ms = 1000;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, id, FSHARE__MESSAGE__BODY_LOGIN_OK, &ok);
    msg.session = ok.session;
    return link_handle (fx->link, &msg, NULL);
}

//  A session once, then lost: the next login is a retry.
static void
s_session_then_lost (bench_t *fx)
{
    uint64_t id = s_login_sent (fx);
    assert_int_equal (s_accept_login (fx, id), 0);
    assert_int_equal (link_state (fx->link), LINK_PUBLISHING);
    link_reconnect (fx->link, "test", 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
}

//  The first answer decides: already logged in ends the agent, with its code.
static void
test_first_refusal_ends (void **state)
{
    bench_t *fx = (bench_t *) *state;
    assert_int_equal (s_refuse_login (fx, FSH_ERR_ALREADY_LOGGED_IN), -1);
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_int_equal (fx->calls.failed, 1);
    assert_int_equal (fx->calls.code, FSH_ERR_ALREADY_LOGGED_IN);
}

//  A retried login meeting our own previous session waits for it to expire.
static void
test_retry_waits_for_own_session (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_session_then_lost (fx);
    assert_int_equal (s_refuse_login (fx, FSH_ERR_ALREADY_LOGGED_IN), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_int_equal (fx->calls.failed, 0);
    //  So does any other refusal that is no verdict on us (here: internal)
    assert_int_equal (s_refuse_login (fx, FSH_ERR_INTERNAL), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_int_equal (fx->calls.failed, 0);
}

//  A retry refused for the password or the protocol ends: trying again
//  cannot help (the account changed, the broker was replaced).
static void
test_retry_verdicts_end (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_session_then_lost (fx);
    assert_int_equal (s_refuse_login (fx, FSH_ERR_UNSUPPORTED_VERSION), -1);
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_int_equal (fx->calls.failed, 1);
    assert_int_equal (fx->calls.code, FSH_ERR_UNSUPPORTED_VERSION);
}

static void
test_retry_bad_password_ends (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_session_then_lost (fx);
    assert_int_equal (s_refuse_login (fx, FSH_ERR_INVALID_CREDENTIALS), -1);
    assert_int_equal (link_state (fx->link), LINK_ENDED);
    assert_int_equal (fx->calls.code, FSH_ERR_INVALID_CREDENTIALS);
}

static int
s_page (bench_t *fx, const char *broker)
{
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = (char *) broker;
    page.seq = 5;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.snapshot_page = &page;
    return link_dispatch (fx->link, LINK_MSG_SNAPSHOT_PAGE, &msg);
}

//  A bad snapshot page while loading: a new snapshot, still loading;
//  the first good one makes us online, and a resync later does not say
//  "online" again.
static void
test_resync_while_loading (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_LOGIN_OK, &msg), 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PUBLISH_OK, &msg), 0);
    assert_int_equal (link_state (fx->link), LINK_LOADING);
    uint64_t asked = fx->link->awaiting;
    assert_true (asked != 0);

    assert_int_equal (s_page (fx, NULL), 0);            //  no broker id: unusable
    assert_int_equal (link_state (fx->link), LINK_LOADING);
    assert_true (fx->link->resyncs == 1);
    assert_true (fx->link->awaiting != 0 && fx->link->awaiting != asked);
    assert_int_equal (fx->calls.online, 0);

    assert_int_equal (s_page (fx, "b1"), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
    assert_int_equal (fx->calls.online, 1);

    //  Online: a gap resyncs, and the new snapshot is no second "online"
    link_resync (fx->link, "test gap");
    assert_int_equal (link_state (fx->link), LINK_RESYNCING);
    assert_int_equal (s_page (fx, "b1"), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
    assert_int_equal (fx->calls.online, 1);
}

//  Online, a pong from another broker instance than the view's: resync.
static void
test_pong_of_another_broker (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_LOGIN_OK, &msg), 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PUBLISH_OK, &msg), 0);
    assert_int_equal (s_page (fx, "b1"), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
    Fshare__Pong pong = FSHARE__PONG__INIT;
    pong.broker = "b1";
    pong.seq = 5;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, 77, FSHARE__MESSAGE__BODY_PONG, &pong);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PONG, &reply), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
    pong.broker = "b2";
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PONG, &reply), 0);
    assert_int_equal (link_state (fx->link), LINK_RESYNCING);
    assert_true (fx->link->resyncs == 1);
}

//  A snapshot of another broker instance than the one that logged us in
//  (b1): never loaded; the link logs in again, the view is not synced.
static void
test_snapshot_of_another_instance (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint64_t id = s_login_sent (fx);
    assert_int_equal (s_accept_login (fx, id), 0);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PUBLISH_OK, &msg), 0);
    assert_int_equal (link_state (fx->link), LINK_LOADING);
    assert_int_equal (s_page (fx, "b0"), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_false (view_synced (fx->view));
    assert_string_equal (view_broker (fx->view), "");
    assert_int_equal (fx->calls.online, 0);

    //  Logged in again (b1): its own snapshot is taken; then, resyncing,
    //  another instance's is not
    id = s_login_sent (fx);
    assert_int_equal (s_accept_login (fx, id), 0);
    assert_int_equal (link_dispatch (fx->link, LINK_MSG_PUBLISH_OK, &msg), 0);
    assert_int_equal (s_page (fx, "b1"), 0);
    assert_int_equal (link_state (fx->link), LINK_ONLINE);
    link_resync (fx->link, "test gap");
    assert_int_equal (s_page (fx, "b2"), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_false (view_synced (fx->view));
    assert_string_equal (view_broker (fx->view), "b1");
}

//  Replies count as the awaited one only when the state awaits one, and
//  only that one: a stale snapshot page is not applied.
static void
test_classify_awaited (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_force_state (fx->link, LINK_ONLINE, 0);
    Fshare__Message error = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&error, 0, FSH_ERR_BAD_REQUEST, NULL);
    assert_int_equal (link_classify (fx->link, &error), LINK_MSG_ERROR);
    Fshare__PublishOk ok = FSHARE__PUBLISH_OK__INIT;
    Fshare__Message publish_ok = FSHARE__MESSAGE__INIT;
    publish_ok.body_case = FSHARE__MESSAGE__BODY_PUBLISH_OK;
    publish_ok.publish_ok = &ok;
    assert_int_equal (link_classify (fx->link, &publish_ok), LINK_MSG_STALE);

    link_force_state (fx->link, LINK_RESYNCING, 9);
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = "b1";
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE;
    msg.snapshot_page = &page;
    msg.id = 8;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_STALE);
    msg.id = 9;
    assert_int_equal (link_classify (fx->link, &msg), LINK_MSG_SNAPSHOT_PAGE);
}

//  Stopping while a login is in flight and the broker answers: no logout
//  yet (the broker has no session to end, and the login may still win);
//  once it succeeds, a logout of that very session.
static void
test_stop_during_login (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint64_t id = s_login_sent (fx);
    Fshare__Pong pong = FSHARE__PONG__INIT;
    pong.broker = "b1";
    Fshare__Message probe = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&probe, 1, FSHARE__MESSAGE__BODY_PONG, &pong);
    assert_int_equal (link_handle (fx->link, &probe, NULL), 0);
    assert_true (link_reachable (fx->link));

    assert_int_equal (link_stop (fx->link), 0);
    assert_int_equal (link_state (fx->link), LINK_STOPPING);
    assert_int_equal (fx->calls.stopped, 0);

    assert_int_equal (s_accept_login (fx, id), 0);
    assert_int_equal (link_state (fx->link), LINK_STOPPING);
    Fshare__Message *logout = s_broker_recv (fx);
    assert_int_equal (logout->body_case, FSHARE__MESSAGE__BODY_LOGOUT);
    assert_string_equal (logout->session, "token-1");
    fsh_msg_destroy (&logout);
}

//  The awaited answer of the wrong kind, or a refusal: each state goes
//  down to try again later, saying why, rather than wait on for ever.
static void
test_wrong_answers_retry (void **state)
{
    bench_t *fx = (bench_t *) *state;
    //  Our login answered with a PublishOk under its id
    uint64_t id = s_login_sent (fx);
    Fshare__PublishOk ok = FSHARE__PUBLISH_OK__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, id, FSHARE__MESSAGE__BODY_PUBLISH_OK, &ok);
    assert_int_equal (link_handle (fx->link, &msg, NULL), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    fsh_err_t code;
    int64_t next_ms;
    const char *why = link_retrying (fx->link, &code, &next_ms);
    assert_non_null (why);
    assert_string_equal (why, "malformed login reply");
    assert_int_equal (fx->calls.failed, 0);

    //  Our file list refused
    link_force_state (fx->link, LINK_PUBLISHING, 7);
    Fshare__Message refused = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&refused, 7, FSH_ERR_BAD_REQUEST, "too many files");
    assert_int_equal (link_handle (fx->link, &refused, NULL), 0);
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    why = link_retrying (fx->link, &code, &next_ms);
    assert_non_null (why);
    assert_string_equal (why, "the broker refused our file list: too many files");
    assert_int_equal (fx->calls.failed, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_first_refusal_ends, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_retry_waits_for_own_session, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_retry_verdicts_end, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_retry_bad_password_ends, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resync_while_loading, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pong_of_another_broker, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot_of_another_instance, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_classify_awaited, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stop_during_login, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_wrong_answers_retry, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
