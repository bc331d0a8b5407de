/*  test_loginclient.c - the login/heartbeat client against a broker actor:
    login, refusal with its code, pongs, stale answers, a broker restart
    seen as unknown_session, logout, and the blocking helpers.
*/
#include "fixture.h"
#include "loginclient.h"

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("login");
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 200;
    fixture_broker_start (fx, &config);
    *state = fx;
    return 0;
}

static fsh_loginclient_t *
s_client (fixture_t *fx, const char *user, const char *password)
{
    fsh_loginclient_config_t config = {
        .user = user, .password = password, .broker = fx->listen
    };
    return fsh_loginclient_new (&config);
}

//  The next message on the client's DEALER, classified.
static fsh_login_event_t
s_next (fsh_loginclient_t *client, Fshare__Message **msg_p)
{
    zsock_t *dealer = fsh_loginclient_dealer (client);
    zsock_set_rcvtimeo (dealer, DEADLINE_MS);
    Fshare__Message *msg = fsh_msg_recv (dealer);
    assert_non_null (msg);
    fsh_login_event_t event = fsh_loginclient_on_message (client, msg);
    if (msg_p)
        *msg_p = msg;
    else
        fsh_msg_destroy (&msg);
    return event;
}

static void
test_login_ping_logout (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    fsh_loginclient_t *client = s_client (fx, "alice", "pw");
    const char *error = NULL;
    assert_int_equal (fsh_loginclient_connect (client, &error), 0);
    assert_null (fsh_loginclient_token (client));
    assert_int_equal (s_next (client, NULL), FSH_LOGIN_OK);
    assert_non_null (fsh_loginclient_token (client));
    assert_int_equal (fsh_loginclient_heartbeat_ms (client), 200);
    assert_string_not_equal (fsh_loginclient_broker_id (client), "");
    assert_true (fsh_loginclient_answered (client));
    assert_false (fsh_loginclient_expired (client));

    uint64_t ping = fsh_loginclient_ping (client);
    assert_true (ping != 0);
    Fshare__Message *msg = NULL;
    assert_int_equal (s_next (client, &msg), FSH_LOGIN_PONG);
    assert_true (msg->id == ping);
    fsh_msg_destroy (&msg);

    assert_true (fsh_loginclient_logout (client) != 0);
    assert_int_equal (s_next (client, NULL), FSH_LOGIN_LOGGED_OUT);
    assert_null (fsh_loginclient_token (client));
    fsh_loginclient_destroy (&client);
}

static void
test_refused_with_code (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    fixture_account (fx, "bob", "right");
    fsh_loginclient_t *client = s_client (fx, "bob", "wrong");
    assert_int_equal (fsh_loginclient_wait (client, DEADLINE_MS), FSH_LOGIN_REFUSED);
    assert_int_equal (fsh_loginclient_code (client), FSH_ERR_INVALID_CREDENTIALS);
    assert_string_equal (fsh_loginclient_error (client), "invalid user or password");
    assert_null (fsh_loginclient_token (client));
    fsh_loginclient_destroy (&client);
}

//  A LoginOk that answers no login of ours is stale, never a session.
static void
test_stale_answers (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    fsh_loginclient_t *client = s_client (fx, "carol", "pw");
    Fshare__LoginOk ok = FSHARE__LOGIN_OK__INIT;
    ok.session = "forged";
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = 12345;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN_OK;
    msg.login_ok = &ok;
    assert_int_equal (fsh_loginclient_on_message (client, &msg), FSH_LOGIN_STALE);
    assert_null (fsh_loginclient_token (client));
    //  unknown_session before any token: a probe's answer, not a loss
    Fshare__Message error = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&error, 7, FSH_ERR_UNKNOWN_SESSION, NULL);
    assert_int_equal (fsh_loginclient_on_message (client, &error), FSH_LOGIN_STALE);
    Fshare__Message logout_ok = FSHARE__MESSAGE__INIT;
    logout_ok.body_case = FSHARE__MESSAGE__BODY_LOGOUT_OK;
    assert_int_equal (fsh_loginclient_on_message (client, &logout_ok), FSH_LOGIN_STALE);
    fsh_loginclient_destroy (&client);
}

static void
test_broker_restart (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    fsh_loginclient_t *client = s_client (fx, "dave", "pw");
    assert_int_equal (fsh_loginclient_wait (client, DEADLINE_MS), FSH_LOGIN_OK);
    assert_true (fsh_loginclient_keepalive (client));
    zactor_destroy (&fx->broker);
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 200;
    fixture_broker_start (fx, &config);
    //  The DEALER reconnects by itself; the new broker does not know us
    fsh_login_event_t event = FSH_LOGIN_OTHER;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    zsock_t *dealer = fsh_loginclient_dealer (client);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    while (event != FSH_LOGIN_UNKNOWN && zclock_mono () < deadline) {
        //  Refused (EAGAIN) while the DEALER is not connected yet
        fsh_loginclient_ping (client);
        if (!zpoller_wait (poller, 200))
            continue;
        Fshare__Message *msg = fsh_msg_recv (dealer);
        if (msg)
            event = fsh_loginclient_on_message (client, msg);
        fsh_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    assert_int_equal (event, FSH_LOGIN_UNKNOWN);
    assert_null (fsh_loginclient_token (client));
    assert_false (fsh_loginclient_keepalive (client));
    assert_int_equal (fsh_loginclient_wait (client, DEADLINE_MS), FSH_LOGIN_OK);
    fsh_loginclient_destroy (&client);
}

static void
test_silent_broker (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *nowhere = zsys_sprintf ("ipc://%s/nobody", fx->dir);
    fsh_loginclient_config_t config = { .user = "erin", .password = "pw", .broker = nowhere };
    fsh_loginclient_t *client = fsh_loginclient_new (&config);
    assert_int_equal (fsh_loginclient_wait (client, 300), FSH_LOGIN_SILENT);
    assert_int_equal (fsh_loginclient_code (client), FSH_ERR_BROKER_UNREACHABLE);
    assert_false (fsh_loginclient_answered (client));
    fsh_loginclient_destroy (&client);
    zstr_free (&nowhere);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_login_ping_logout, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_refused_with_code, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_stale_answers, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_broker_restart, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_silent_broker, s_setup, fixture_teardown),
    };
    zsys_init ();
    zsys_set_logstream (stderr);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
