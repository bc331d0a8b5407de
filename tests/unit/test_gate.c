/*  test_gate.c - a CURVE broker in-process (broker/gate.c): only clients
    that logged in may subscribe to events, a plain client gets nothing at
    all, snapshots need a session, observer sessions (taps), the key
    registry's reference counts, and one ZAP handler per process.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "broker.h"
#include "gate.h"

#define DEADLINE_MS 5000
//  Stats come every 100 ms: a subscriber let in sees one well within this
#define SILENCE_MS  700

typedef struct {
    char dir [64];
    char listen [128];
    char publish [128];
    char key [FSH_CURVE_KEY_LEN + 1];
    zactor_t *broker;
} fixture_t;

typedef struct {
    zsock_t *dealer;
    zcert_t *cert;
    char *session;
    uint64_t next_id;
} client_t;

static zactor_t *
s_start (fixture_t *fx, const char *listen, const char *publish, char **error)
{
    broker_config_t config = {
        .listen = listen, .publish = publish, .state_dir = fx->dir,
        .registration = 1, .curve = 1, .heartbeat_ms = 1000, .liveness = 3,
        .stats_ms = 100, .login_delay_ms = 20, .cost = ACCOUNTS_COST_MIN
    };
    zactor_t *broker = zactor_new (broker_actor, &config);
    char *status = zstr_recv (broker);
    assert_non_null (status);
    if (strncmp (status, "OK ", 3) != 0) {
        *error = status;
        zactor_destroy (&broker);
        return NULL;
    }
    //  "OK <requests> <events> <key>"
    char *key = strrchr (status, ' ') + 1;
    assert_null (fsh_curve_key_check (key));
    strcpy (fx->key, key);
    zstr_free (&status);
    return broker;
}

static int
s_setup (void **state)
{
    fixture_t *fx = (fixture_t *) zmalloc (sizeof (fixture_t));
    strcpy (fx->dir, "/tmp/fshare-test-gate-XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->listen, sizeof fx->listen, "ipc://%s/req", fx->dir);
    snprintf (fx->publish, sizeof fx->publish, "ipc://%s/pub", fx->dir);
    char *error = NULL;
    fx->broker = s_start (fx, fx->listen, fx->publish, &error);
    assert_non_null (fx->broker);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    zactor_destroy (&fx->broker);
    char *command = zsys_sprintf ("rm -rf '%s'", fx->dir);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    free (fx);
    return 0;
}

//  --------------------------------------------------------------------------
//  Raw clients

//  A client with its own key pair; server_key NULL makes a plain one.
static client_t *
s_client_new (fixture_t *fx, const char *server_key)
{
    client_t *client = (client_t *) zmalloc (sizeof (client_t));
    client->cert = zcert_new ();
    client->dealer = zsock_new (ZMQ_DEALER);
    fsh_curve_client (client->dealer, client->cert, server_key);
    assert_int_equal (zsock_connect (client->dealer, "%s", fx->listen), 0);
    return client;
}

static void
s_client_destroy (client_t **client_p)
{
    client_t *client = *client_p;
    zsock_destroy (&client->dealer);
    zcert_destroy (&client->cert);
    zstr_free (&client->session);
    free (client);
    *client_p = NULL;
}

//  A reply within `wait_ms`, or NULL.
static Fshare__Message *
s_recv (zsock_t *sock, int wait_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    void *ready = zpoller_wait (poller, wait_ms);
    zpoller_destroy (&poller);
    return ready? fsh_msg_recv (sock): NULL;
}

static Fshare__Message *
s_request (client_t *client, Fshare__Message *msg)
{
    msg->id = ++client->next_id;
    msg->session = client->session? client->session: "";
    assert_int_equal (fsh_msg_send (msg, client->dealer), 0);
    Fshare__Message *reply = s_recv (client->dealer, DEADLINE_MS);
    assert_non_null (reply);
    assert_int_equal (reply->id, msg->id);
    return reply;
}

//  NULL when logged in, else the error (caller frees).
static char *
s_login (client_t *client, const char *user, const char *password, bool observer)
{
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = (char *) user;
    login.password = (char *) password;
    login.version = FSH_PROTOCOL_VERSION;
    login.observer = observer;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    Fshare__Message *reply = s_request (client, &msg);
    char *error = NULL;
    if (reply->status == FSHARE__STATUS__STATUS_OK)
        client->session = strdup (reply->login_ok->session);
    else
        error = strdup (reply->error);
    fsh_msg_destroy (&reply);
    return error;
}

//  Publish files (one page); NULL or the error (caller frees).
static char *
s_publish (client_t *client, const char *path)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = 1;
    file.mtime = 1700000000;
    Fshare__FileInfo *files [] = { &file };
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.files = files;
    publish.n_files = path? 1: 0;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH;
    msg.publish = &publish;
    Fshare__Message *reply = s_request (client, &msg);
    char *error = reply->status == FSHARE__STATUS__STATUS_OK? NULL: strdup (reply->error);
    fsh_msg_destroy (&reply);
    return error;
}

static void
s_logout (client_t *client)
{
    Fshare__Logout logout = FSHARE__LOGOUT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGOUT;
    msg.logout = &logout;
    Fshare__Message *reply = s_request (client, &msg);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_LOGOUT_OK);
    fsh_msg_destroy (&reply);
}

//  A subscriber with the given key pair (NULL: a plain one).
static zsock_t *
s_subscriber (fixture_t *fx, zcert_t *cert)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (cert)
        fsh_curve_client (sub, cert, fx->key);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", fx->publish), 0);
    return sub;
}

//  The next event within wait_ms that is not stats (stats too when
//  `any`), or NULL.
static Fshare__Event *
s_event (zsock_t *sub, int wait_ms, bool any)
{
    zpoller_t *poller = zpoller_new (sub, NULL);
    int64_t deadline = zclock_mono () + wait_ms;
    Fshare__Event *event = NULL;
    while (!event && zclock_mono () < deadline) {
        if (!zpoller_wait (poller, (int) (deadline - zclock_mono ())))
            break;
        event = fsh_event_recv (sub);
        if (event && !any && event->type == FSHARE__EVENT_TYPE__EVENT_STATS)
            fsh_event_destroy (&event);
    }
    zpoller_destroy (&poller);
    return event;
}

static bool
s_gets_events (zsock_t *sub, int wait_ms)
{
    Fshare__Event *event = s_event (sub, wait_ms, true);
    bool got = event != NULL;
    fsh_event_destroy (&event);
    return got;
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_events_need_login (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    //  Nobody logged in: a plain subscriber and a CURVE one get nothing
    zsock_t *plain = s_subscriber (fx, NULL);
    zcert_t *stranger = zcert_new ();
    zsock_t *unknown = s_subscriber (fx, stranger);

    //  A client logs in; a subscriber with its key gets the stream
    client_t *alice = s_client_new (fx, fx->key);
    assert_null (s_login (alice, "alice", "pw", false));
    zsock_t *admitted = s_subscriber (fx, alice->cert);
    assert_true (s_gets_events (admitted, DEADLINE_MS));
    //  ... including alice's join, once her files are in
    client_t *bob = s_client_new (fx, fx->key);
    assert_null (s_login (bob, "bob", "pw", false));
    assert_null (s_publish (bob, "b.txt"));
    Fshare__Event *join = s_event (admitted, DEADLINE_MS, false);
    assert_non_null (join);
    assert_int_equal (join->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    assert_string_equal (join->user, "bob");
    fsh_event_destroy (&join);

    //  Meanwhile the others still got nothing, not even the stats
    assert_false (s_gets_events (plain, SILENCE_MS));
    assert_false (s_gets_events (unknown, 10));
    //  A CURVE subscriber that logged in nowhere, created after the login
    zsock_t *late = s_subscriber (fx, stranger);
    assert_false (s_gets_events (late, SILENCE_MS));

    //  After logout the key is forgotten: a new subscriber with it is refused
    s_logout (alice);
    zsock_t *after = s_subscriber (fx, alice->cert);
    assert_false (s_gets_events (after, SILENCE_MS));
    //  The other session's key is still good
    zsock_t *bobs = s_subscriber (fx, bob->cert);
    assert_true (s_gets_events (bobs, DEADLINE_MS));

    zsock_destroy (&bobs);
    zsock_destroy (&after);
    zsock_destroy (&late);
    zsock_destroy (&admitted);
    zsock_destroy (&unknown);
    zsock_destroy (&plain);
    zcert_destroy (&stranger);
    s_client_destroy (&bob);
    s_client_destroy (&alice);
}

static void
test_plain_and_wrong_key (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    //  A client without CURVE cannot even talk to the broker
    client_t *plain = s_client_new (fx, NULL);
    Fshare__Ping ping = FSHARE__PING__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PING;
    msg.ping = &ping;
    assert_int_equal (fsh_msg_send (&msg, plain->dealer), 0);
    Fshare__Message *reply = s_recv (plain->dealer, SILENCE_MS);
    assert_null (reply);
    //  Nor can one that trusts another server key
    zcert_t *impostor = zcert_new ();
    client_t *wrong = s_client_new (fx, zcert_public_txt (impostor));
    assert_int_equal (fsh_msg_send (&msg, wrong->dealer), 0);
    reply = s_recv (wrong->dealer, SILENCE_MS);
    assert_null (reply);
    //  The right key: an answer ("unknown session": no login yet)
    client_t *right = s_client_new (fx, fx->key);
    reply = s_request (right, &msg);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "unknown session");
    fsh_msg_destroy (&reply);
    zcert_destroy (&impostor);
    s_client_destroy (&right);
    s_client_destroy (&wrong);
    s_client_destroy (&plain);
}

static void
test_snapshot_needs_session (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *client = s_client_new (fx, fx->key);
    Fshare__Snapshot snapshot = FSHARE__SNAPSHOT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT;
    msg.snapshot = &snapshot;
    Fshare__Message *reply = s_request (client, &msg);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "unknown session");
    fsh_msg_destroy (&reply);
    assert_null (s_login (client, "carol", "pw", false));
    reply = s_request (client, &msg);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
    fsh_msg_destroy (&reply);
    s_client_destroy (&client);
}

static void
test_observer (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client_new (fx, fx->key);
    assert_null (s_login (alice, "alice", "pw", false));
    assert_null (s_publish (alice, "a.txt"));

    //  A tap with alice's credentials, while her agent is online
    client_t *tap = s_client_new (fx, fx->key);
    char *error = s_login (tap, "alice", "wrong", true);
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    assert_null (s_login (tap, "alice", "pw", true));
    zsock_t *sub = s_subscriber (fx, tap->cert);
    assert_true (s_gets_events (sub, DEADLINE_MS));
    //  It publishes nothing, and its login was no join
    error = s_publish (tap, "x.txt");
    assert_string_equal (error, "an observer session publishes no files");
    zstr_free (&error);
    client_t *bob = s_client_new (fx, fx->key);
    assert_null (s_login (bob, "bob", "pw", false));
    assert_null (s_publish (bob, NULL));
    Fshare__Event *event = s_event (sub, DEADLINE_MS, false);
    assert_non_null (event);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    assert_string_equal (event->user, "bob");
    fsh_event_destroy (&event);

    //  Its snapshot lists the agents only: alice once, bob
    Fshare__Snapshot snapshot = FSHARE__SNAPSHOT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT;
    msg.snapshot = &snapshot;
    Fshare__Message *reply = s_request (tap, &msg);
    size_t users = 0;
    while (true) {
        assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
        users += reply->snapshot_page->n_users;
        bool more = reply->snapshot_page->more;
        fsh_msg_destroy (&reply);
        if (!more)
            break;
        reply = s_recv (tap->dealer, DEADLINE_MS);
        assert_non_null (reply);
    }
    assert_int_equal (users, 2);

    //  The observer leaves: no leave event, and alice's agent stays the
    //  one session of her account
    s_logout (tap);
    client_t *twin = s_client_new (fx, fx->key);
    error = s_login (twin, "alice", "pw", false);
    assert_string_equal (error, "already logged in");
    zstr_free (&error);
    s_logout (bob);
    event = s_event (sub, DEADLINE_MS, false);
    assert_non_null (event);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_LEAVE);
    assert_string_equal (event->user, "bob");
    fsh_event_destroy (&event);

    //  Observers never register an account, and are limited per account
    client_t *nobody = s_client_new (fx, fx->key);
    error = s_login (nobody, "newcomer", "pw", true);
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    client_t *many [9];
    for (int i = 0; i < 9; i++) {
        many [i] = s_client_new (fx, fx->key);
        error = s_login (many [i], "alice", "pw", true);
        if (i < 8)
            assert_null (error);
        else
            assert_string_equal (error, "too many observer sessions");
        zstr_free (&error);
    }
    for (int i = 0; i < 9; i++)
        s_client_destroy (&many [i]);
    s_client_destroy (&nobody);
    s_client_destroy (&twin);
    s_client_destroy (&bob);
    zsock_destroy (&sub);
    s_client_destroy (&tap);
    s_client_destroy (&alice);
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
    client_t *client = s_client_new (fx, fx->key);
    assert_null (s_login (client, "dave", "pw", false));
    zsock_t *sub = s_subscriber (fx, client->cert);
    assert_true (s_gets_events (sub, DEADLINE_MS));
    zsock_destroy (&sub);
    s_client_destroy (&client);
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
        cmocka_unit_test_setup_teardown (test_events_need_login, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_and_wrong_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot_needs_session, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_observer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_one_gate_per_process, s_setup, s_teardown),
        cmocka_unit_test (test_registry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
