/*  test_login.c - the login order of SPEC 4.1 and session takeover, on a
    broker in-process (broker/login.c, broker/broker.c):
    a wrong password for an online user is "invalid user or password" and
    throttled like any other; only the right password hears "already
    logged in"; a login with the same instance id replaces the stale
    session at once (leave of the old, then join of the new), another
    instance id does not; under CURVE a session token works only from the
    key that logged in.
*/
#define DEADLINE_MS 8000
#include "fixture.h"

static int
s_setup (void **state)
{
    *state = fixture_new ("login");
    return 0;
}

static void
s_start (fixture_t *fx, int curve)
{
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 1000;
    config.liveness = 10;
    config.stats_ms = 100;
    config.curve = curve;
    config.login_delay_ms = 300;
    fixture_broker_start (fx, &config);
}

//  Logs in with an instance id; NULL or the error text (caller frees).
static char *
s_login_instance (client_t *client, const char *user, const char *password,
                  const char *instance)
{
    Fshare__Login login = client_login_body (user, password, false);
    login.instance.data = (uint8_t *) instance;
    login.instance.len = strlen (instance);
    return client_login_with (client, &login);
}

//  The next presence event (join or leave) of `user`.
static Fshare__Event *
s_presence (zsock_t *sub, const char *user)
{
    while (true) {
        Fshare__Event *event = fixture_event (sub, DEADLINE_MS, false);
        assert_non_null (event);
        if (streq (event->user, user)
        &&  (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN
        ||   event->type == FSHARE__EVENT_TYPE__EVENT_LEAVE))
            return event;
        fsh_event_destroy (&event);
    }
}

static void
s_publish_nothing (client_t *client)
{
    Fshare__Message *reply = NULL;
    client_publish_page (client, NULL, 0, false);
    reply = client_recv (client);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_PUBLISH_OK);
    fsh_msg_destroy (&reply);
}

static void
test_password_before_presence (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0);
    client_t *alice = client_new (fx, NULL);
    assert_null (client_login (alice, "alice", "secret"));

    //  Online, and a stranger guesses: the same answer as for anyone,
    //  and the next guess waits out the delay
    client_t *guess = client_new (fx, NULL);
    char *error = client_login (guess, "alice", "wrong");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    int64_t start = zclock_mono ();
    error = client_login (guess, "alice", "wrong2");
    assert_string_equal (error, "invalid user or password");
    assert_true (zclock_mono () - start >= 250);
    zstr_free (&error);

    //  Only the right password hears that alice is online
    client_t *again = client_new (fx, NULL);
    error = client_login (again, "alice", "secret");
    assert_string_equal (error, "already logged in");
    zstr_free (&error);
    client_destroy (&alice);
    client_destroy (&guess);
    client_destroy (&again);
}

static void
test_takeover_by_instance (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0);
    zsock_t *sub = fixture_subscriber (fx, NULL, 0);
    assert_true (fixture_gets_events (sub, DEADLINE_MS));
    client_t *old = client_new (fx, NULL);
    assert_null (s_login_instance (old, "alice", "secret", "instance-A"));
    s_publish_nothing (old);
    Fshare__Event *event = s_presence (sub, "alice");
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    fsh_event_destroy (&event);

    //  Another instance: refused while the first lives
    client_t *other = client_new (fx, NULL);
    char *error = s_login_instance (other, "alice", "secret", "instance-B");
    assert_string_equal (error, "already logged in");
    zstr_free (&error);
    //  The same instance with a wrong password: refused, nothing replaced
    error = s_login_instance (other, "alice", "wrong", "instance-A");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);

    //  The same instance, restarted: replaces the stale session at once
    client_t *fresh = client_new (fx, NULL);
    assert_null (s_login_instance (fresh, "alice", "secret", "instance-A"));
    event = s_presence (sub, "alice");
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_LEAVE);
    fsh_event_destroy (&event);
    s_publish_nothing (fresh);
    event = s_presence (sub, "alice");
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    fsh_event_destroy (&event);
    //  The old token is gone
    client_ping (old);
    Fshare__Message *reply = client_recv (old);
    assert_int_equal (reply->code, FSH_ERR_UNKNOWN_SESSION);
    fsh_msg_destroy (&reply);

    client_destroy (&old);
    client_destroy (&other);
    client_destroy (&fresh);
    zsock_destroy (&sub);
}

//  What a login may carry, at its bounds: a password of 1 to 1024 bytes
//  (an empty one would register an account anyone logs in to), an
//  instance id of at most 64 bytes; beyond, refused as any bad login,
//  and no account is made.
static void
test_login_bounds (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0);
    client_t *client = client_new (fx, NULL);
    char *error = s_login_instance (client, "eve", "", "i");
    assert_non_null (error);
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    char password [1026];
    memset (password, 'p', sizeof password - 1);
    password [1025] = 0;
    error = s_login_instance (client, "eve", password, "i");
    assert_non_null (error);
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    char instance [66];
    memset (instance, 'i', sizeof instance - 1);
    instance [65] = 0;
    error = s_login_instance (client, "eve", "pw", instance);
    assert_non_null (error);
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    client_destroy (&client);
    //  At the bounds: registered, and that password is eve's
    password [1024] = 0;
    instance [64] = 0;
    client = client_new (fx, NULL);
    assert_null (s_login_instance (client, "eve", password, instance));
    client_destroy (&client);
    client = client_new (fx, NULL);
    error = s_login_instance (client, "eve", "pw", "other");
    assert_non_null (error);
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    client_destroy (&client);
}

static void
test_token_bound_to_key (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 1);
    client_t *alice = client_new (fx, fx->key);
    assert_null (client_login (alice, "alice", "secret"));
    s_publish_nothing (alice);
    //  Another key presents alice's token: no such session
    client_t *thief = client_new (fx, fx->key);
    thief->session = strdup (alice->session);
    client_ping (thief);
    Fshare__Message *reply = client_recv (thief);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, FSH_ERR_UNKNOWN_SESSION);
    assert_string_equal (reply->error, "unknown session");
    fsh_msg_destroy (&reply);
    //  Alice's own key still works
    client_ping (alice);
    reply = client_recv (alice);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_PONG);
    fsh_msg_destroy (&reply);
    client_destroy (&alice);
    client_destroy (&thief);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_password_before_presence, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_takeover_by_instance, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_token_bound_to_key, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_login_bounds, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
