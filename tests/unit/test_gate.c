/*  test_gate.c - a CURVE broker in-process (broker/gate.c): only clients
    that logged in may subscribe to events, a plain client gets nothing at
    all, snapshots need a session, observer sessions (taps), the key
    registry's reference counts, and one ZAP handler per process.
*/
#include "fixture.h"
#include "gate.h"

//  Stats come every 100 ms: a subscriber let in sees one well within this
#define SILENCE_MS  700

//  A CURVE broker on the given endpoints
static zactor_t *
s_start (fixture_t *fx, const char *listen, const char *publish, char **error)
{
    broker_config_t config = fixture_broker_config (fx);
    config.listen = listen;
    config.publish = publish;
    config.curve = 1;
    config.heartbeat_ms = 1000;
    config.liveness = 3;
    config.stats_ms = 100;
    config.login_delay_ms = 20;
    return fixture_broker_try (fx, &config, error);
}

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("gate");
    char *error = NULL;
    fx->broker = s_start (fx, fx->listen, fx->publish, &error);
    assert_non_null (fx->broker);
    *state = fx;
    return 0;
}

//  --------------------------------------------------------------------------
//  Raw clients

//  Publish one file, or none; NULL or the error (caller frees).
static char *
s_publish (client_t *client, const char *path)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = 1;
    file.mtime = 1700000000;
    Fshare__FileInfo *files [] = { &file };
    return client_publish (client, files, path? 1: 0);
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_events_need_login (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    //  Nobody logged in: a plain subscriber and a CURVE one get nothing
    zsock_t *plain = fixture_subscriber (fx, NULL, 0);
    zcert_t *stranger = zcert_new ();
    zsock_t *unknown = fixture_subscriber (fx, stranger, 0);

    //  A client logs in; a subscriber with its key gets the stream
    client_t *alice = client_new (fx, fx->key);
    assert_null (client_login (alice, "alice", "pw"));
    zsock_t *admitted = fixture_subscriber (fx, alice->cert, 0);
    assert_true (fixture_gets_events (admitted, DEADLINE_MS));
    //  ... including alice's join, once her files are in
    client_t *bob = client_new (fx, fx->key);
    assert_null (client_login (bob, "bob", "pw"));
    assert_null (s_publish (bob, "b.txt"));
    Fshare__Event *join = fixture_event (admitted, DEADLINE_MS, false);
    assert_non_null (join);
    assert_int_equal (join->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    assert_string_equal (join->user, "bob");
    fsh_event_destroy (&join);

    //  Meanwhile the others still got nothing, not even the stats
    assert_false (fixture_gets_events (plain, SILENCE_MS));
    assert_false (fixture_gets_events (unknown, 10));
    //  A CURVE subscriber that logged in nowhere, created after the login
    zsock_t *late = fixture_subscriber (fx, stranger, 0);
    assert_false (fixture_gets_events (late, SILENCE_MS));

    //  After logout the key is forgotten: a new subscriber with it is refused
    client_logout (alice);
    zsock_t *after = fixture_subscriber (fx, alice->cert, 0);
    assert_false (fixture_gets_events (after, SILENCE_MS));
    //  The other session's key is still good
    zsock_t *bobs = fixture_subscriber (fx, bob->cert, 0);
    assert_true (fixture_gets_events (bobs, DEADLINE_MS));

    zsock_destroy (&bobs);
    zsock_destroy (&after);
    zsock_destroy (&late);
    zsock_destroy (&admitted);
    zsock_destroy (&unknown);
    zsock_destroy (&plain);
    zcert_destroy (&stranger);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_plain_and_wrong_key (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    //  A client without CURVE cannot even talk to the broker
    client_t *plain = client_new (fx, NULL);
    client_ping (plain);
    Fshare__Message *reply = client_recv_within (plain, SILENCE_MS, NULL);
    assert_null (reply);
    //  Nor can one that trusts another server key
    zcert_t *impostor = zcert_new ();
    client_t *wrong = client_new (fx, zcert_public_txt (impostor));
    client_ping (wrong);
    reply = client_recv_within (wrong, SILENCE_MS, NULL);
    assert_null (reply);
    //  The right key: an answer ("unknown session": no login yet)
    client_t *right = client_new (fx, fx->key);
    uint64_t id = client_ping (right);
    reply = client_recv (right);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "unknown session");
    fsh_msg_destroy (&reply);
    zcert_destroy (&impostor);
    client_destroy (&right);
    client_destroy (&wrong);
    client_destroy (&plain);
}

static void
test_snapshot_needs_session (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *client = client_new (fx, fx->key);
    Fshare__Message *reply = client_snapshot (client);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "unknown session");
    fsh_msg_destroy (&reply);
    assert_null (client_login (client, "carol", "pw"));
    reply = client_snapshot (client);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
    fsh_msg_destroy (&reply);
    client_destroy (&client);
}

static void
test_observer (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = client_new (fx, fx->key);
    assert_null (client_login (alice, "alice", "pw"));
    assert_null (s_publish (alice, "a.txt"));

    //  A tap with alice's credentials, while her agent is online
    client_t *tap = client_new (fx, fx->key);
    char *error = client_observe (tap, "alice", "wrong");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    assert_null (client_observe (tap, "alice", "pw"));
    zsock_t *sub = fixture_subscriber (fx, tap->cert, 0);
    assert_true (fixture_gets_events (sub, DEADLINE_MS));
    //  It publishes nothing, and its login was no join
    error = s_publish (tap, "x.txt");
    assert_string_equal (error, "an observer session publishes no files");
    zstr_free (&error);
    client_t *bob = client_new (fx, fx->key);
    assert_null (client_login (bob, "bob", "pw"));
    assert_null (s_publish (bob, NULL));
    Fshare__Event *event = fixture_event (sub, DEADLINE_MS, false);
    assert_non_null (event);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    assert_string_equal (event->user, "bob");
    fsh_event_destroy (&event);

    //  Its snapshot lists the agents only: alice once, bob
    Fshare__Message *reply = client_snapshot (tap);
    size_t users = 0;
    while (true) {
        assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
        users += reply->snapshot_page->n_users;
        bool more = reply->snapshot_page->more;
        fsh_msg_destroy (&reply);
        if (!more)
            break;
        reply = client_recv (tap);
    }
    assert_int_equal (users, 2);

    //  The observer leaves: no leave event, and alice's agent stays the
    //  one session of her account
    client_logout (tap);
    client_t *twin = client_new (fx, fx->key);
    error = client_login (twin, "alice", "pw");
    assert_string_equal (error, "already logged in");
    zstr_free (&error);
    client_logout (bob);
    event = fixture_event (sub, DEADLINE_MS, false);
    assert_non_null (event);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_LEAVE);
    assert_string_equal (event->user, "bob");
    fsh_event_destroy (&event);

    //  Observers never register an account, and are limited per account
    client_t *nobody = client_new (fx, fx->key);
    error = client_observe (nobody, "newcomer", "pw");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    client_t *many [9];
    for (int i = 0; i < 9; i++) {
        many [i] = client_new (fx, fx->key);
        error = client_observe (many [i], "alice", "pw");
        if (i < 8)
            assert_null (error);
        else
            assert_string_equal (error, "too many observer sessions");
        zstr_free (&error);
    }
    for (int i = 0; i < 9; i++)
        client_destroy (&many [i]);
    client_destroy (&nobody);
    client_destroy (&twin);
    client_destroy (&bob);
    zsock_destroy (&sub);
    client_destroy (&tap);
    client_destroy (&alice);
}

//  Under CURVE a session belongs to the key that logged in: its token
//  presented from another key is no session at all (unknown session), for
//  a ping as for a publish, and the owner's session lives on untouched.
static void
test_token_of_another_key (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = client_new (fx, fx->key);
    assert_null (client_login (alice, "alice", "pw"));
    client_t *mallory = client_new (fx, fx->key);
    mallory->session = strdup (alice->session);
    uint64_t id = client_ping (mallory);
    Fshare__Message *reply = client_recv (mallory);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, FSH_ERR_UNKNOWN_SESSION);
    fsh_msg_destroy (&reply);
    char *error = s_publish (mallory, "stolen.txt");
    assert_non_null (error);
    assert_string_equal (error, "unknown session");
    zstr_free (&error);
    //  Alice's own key still has her session, files unpublished yet
    assert_null (s_publish (alice, "a.txt"));
    client_destroy (&mallory);
    client_destroy (&alice);
}

static void
test_one_gate_per_process (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *listen = zsys_sprintf ("ipc://%s/req2", fx->dir);
    char *publish = zsys_sprintf ("ipc://%s/pub2", fx->dir);
    char *error = NULL;
    assert_null (s_start (fx, listen, publish, &error));
    assert_non_null (strstr (error, "ZAP handler"));
    zstr_free (&error);
    //  Once the first broker is gone, the next one takes over the handler
    zactor_destroy (&fx->broker);
    fx->broker = s_start (fx, listen, publish, &error);
    assert_non_null (fx->broker);
    //  Same state dir: the same key
    snprintf (fx->listen, sizeof fx->listen, "%s", listen);
    snprintf (fx->publish, sizeof fx->publish, "%s", publish);
    client_t *client = client_new (fx, fx->key);
    assert_null (client_login (client, "dave", "pw"));
    zsock_t *sub = fixture_subscriber (fx, client->cert, 0);
    assert_true (fixture_gets_events (sub, DEADLINE_MS));
    zsock_destroy (&sub);
    client_destroy (&client);
    zstr_free (&listen);
    zstr_free (&publish);
}

static void
test_registry (void **state)
{
    (void) state;
    char *error = NULL;
    gate_t *gate = gate_new (false, &error);
    assert_non_null (gate);
    gate_t *second = gate_new (false, &error);
    assert_null (second);
    assert_non_null (error);
    zstr_free (&error);
    const char *key = "0123456789012345678901234567890123456789";
    assert_false (gate_admits (gate, key));
    gate_admit (gate, "token1", key);
    gate_admit (gate, "token2", key);
    gate_admit (gate, "token2", key);       //  twice the same session: once
    gate_admit (gate, "token3", "");        //  no CURVE: nothing to admit
    assert_false (gate_admits (gate, ""));
    assert_true (gate_admits (gate, key));
    gate_forget (gate, "token1");
    assert_true (gate_admits (gate, key));
    gate_forget (gate, "token2");
    assert_false (gate_admits (gate, key));
    gate_forget (gate, "token2");
    gate_forget (gate, "unknown");
    assert_int_equal (gate_refused (gate), 0);
    gate_destroy (&gate);
    assert_null (gate);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_events_need_login, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_plain_and_wrong_key, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot_needs_session, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_observer, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_token_of_another_key, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_one_gate_per_process, s_setup, fixture_teardown),
        cmocka_unit_test (test_registry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
