/*  test_requests.c - broker/requests: the request socket and its dispatch
    table, through a broker actor and raw clients. Every request that
    needs a session is refused without one (or with a forged one) the
    same way; what is no request (a reply kind, no body, a data frame on
    anything but a chunk, garbage, too many frames) is refused or dropped
    and the broker serves on; the session's own requests (publish, ping,
    get, logout) keep their rules.
*/
#include "fixture.h"
#include <sodium.h>

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("requests");
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 100;
    config.liveness = 20;       //  patient: a loaded machine must not expire the clients
    fixture_broker_start (fx, &config);
    *state = fx;
    return 0;
}

//  --------------------------------------------------------------------------
//  Raw client steps

//  Message bodies of every kind, for requests the broker must refuse.
typedef union {
    Fshare__Login login;            Fshare__LoginOk login_ok;
    Fshare__Publish publish;        Fshare__PublishOk publish_ok;
    Fshare__Logout logout;          Fshare__LogoutOk logout_ok;
    Fshare__Ping ping;              Fshare__Pong pong;
    Fshare__Change change;          Fshare__Snapshot snapshot;
    Fshare__SnapshotPage page;      Fshare__Get get;
    Fshare__Serve serve;            Fshare__Opened opened;
    Fshare__Credit credit;          Fshare__Chunk chunk;
    Fshare__Done done;              Fshare__Cancel cancel;
} body_t;

//  A Message of `kind` with an empty body of that kind (in `body`).
static Fshare__Message
s_message (Fshare__Message__BodyCase kind, body_t *body)
{
    switch (kind) {
        case FSHARE__MESSAGE__BODY_LOGIN: fshare__login__init (&body->login); break;
        case FSHARE__MESSAGE__BODY_LOGIN_OK: fshare__login_ok__init (&body->login_ok); break;
        case FSHARE__MESSAGE__BODY_PUBLISH: fshare__publish__init (&body->publish); break;
        case FSHARE__MESSAGE__BODY_PUBLISH_OK: fshare__publish_ok__init (&body->publish_ok); break;
        case FSHARE__MESSAGE__BODY_LOGOUT: fshare__logout__init (&body->logout); break;
        case FSHARE__MESSAGE__BODY_LOGOUT_OK: fshare__logout_ok__init (&body->logout_ok); break;
        case FSHARE__MESSAGE__BODY_PING: fshare__ping__init (&body->ping); break;
        case FSHARE__MESSAGE__BODY_PONG: fshare__pong__init (&body->pong); break;
        case FSHARE__MESSAGE__BODY_CHANGE: fshare__change__init (&body->change); break;
        case FSHARE__MESSAGE__BODY_SNAPSHOT: fshare__snapshot__init (&body->snapshot); break;
        case FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE: fshare__snapshot_page__init (&body->page); break;
        case FSHARE__MESSAGE__BODY_GET: fshare__get__init (&body->get); break;
        case FSHARE__MESSAGE__BODY_SERVE: fshare__serve__init (&body->serve); break;
        case FSHARE__MESSAGE__BODY_OPENED: fshare__opened__init (&body->opened); break;
        case FSHARE__MESSAGE__BODY_CREDIT: fshare__credit__init (&body->credit); break;
        case FSHARE__MESSAGE__BODY_CHUNK: fshare__chunk__init (&body->chunk); break;
        case FSHARE__MESSAGE__BODY_DONE: fshare__done__init (&body->done); break;
        case FSHARE__MESSAGE__BODY_CANCEL: fshare__cancel__init (&body->cancel); break;
        default: break;
    }
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    if (kind != FSHARE__MESSAGE__BODY__NOT_SET)
        fsh_msg_set_body (&msg, 0, kind, body);
    return msg;
}

//  Sends `msg` as the client does (with its session, or `session` when
//  given) and returns the reply, which must answer it.
static Fshare__Message *
s_request_as (client_t *client, Fshare__Message *msg, const char *session)
{
    if (!session)
        return client_request (client, msg);
    msg->id = ++client->next_id;
    msg->session = (char *) session;
    assert_int_equal (fsh_msg_send (msg, client->dealer), 0);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->id, msg->id);
    return reply;
}

//  The reply must be an error with `code` (and `text`, when given).
static void
s_expect_error (Fshare__Message *reply, fsh_err_t code, const char *text)
{
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    if (reply->code != code)
        fail_msg ("code %s, expected %s (%s)", fsh_err_name (reply->code),
                  fsh_err_name (code), reply->error);
    if (text)
        assert_string_equal (reply->error, text);
    else
        assert_true (*reply->error);
}

//  A Get for `owner`'s `path`; returns the broker's reply.
static Fshare__Message *
s_get (client_t *client, const char *owner, const char *path)
{
    Fshare__Get get = FSHARE__GET__INIT;
    get.owner = (char *) owner;
    get.path = (char *) path;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_GET, &get);
    return client_request (client, &msg);
}

//  A Change adding `path`, sent without waiting.
static void
s_change (client_t *client, const char *path)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = 1;
    file.mtime = 1700000000;
    Fshare__Change change = FSHARE__CHANGE__INIT;
    change.kind = FSHARE__CHANGE_KIND__CHANGE_ADDED;
    change.file = &file;
    change.from = "";
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CHANGE, &change);
    client_send (client, &msg);
}

//  Logs in as `user` and publishes `path` (NULL: no files).
static client_t *
s_online (fixture_t *fx, const char *user, const char *path)
{
    client_t *client = client_new (fx, NULL);
    assert_null (client_login (client, user, "pw"));
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = 10;
    file.mtime = 1700000000;
    Fshare__FileInfo *files [] = { &file };
    char *error = client_publish (client, files, path? 1: 0);
    assert_null (error);
    return client;
}

//  The broker still serves this client: a ping is answered with a pong.
static void
s_still_serves (client_t *client)
{
    uint64_t id = client_ping (client);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_PONG);
    fsh_msg_destroy (&reply);
}

//  --------------------------------------------------------------------------
//  Tests

//  Every request of a session, without one or with a forged one
static void
test_session_needed (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *client = client_new (fx, NULL);
    Fshare__Message__BodyCase needed [] = {
        FSHARE__MESSAGE__BODY_PUBLISH, FSHARE__MESSAGE__BODY_CHANGE,
        FSHARE__MESSAGE__BODY_PING, FSHARE__MESSAGE__BODY_LOGOUT,
        FSHARE__MESSAGE__BODY_GET, FSHARE__MESSAGE__BODY_OPENED,
        FSHARE__MESSAGE__BODY_CREDIT, FSHARE__MESSAGE__BODY_DONE,
        FSHARE__MESSAGE__BODY_CANCEL,
    };
    const char *tokens [] = { "", "forged-token", "0123456789abcdef0123456789abcdef" };
    for (size_t i = 0; i < sizeof needed / sizeof needed [0]; i++)
        for (size_t t = 0; t < 3; t++) {
            body_t body;
            Fshare__Message msg = s_message (needed [i], &body);
            Fshare__Message *reply = s_request_as (client, &msg, tokens [t]);
            s_expect_error (reply, FSH_ERR_UNKNOWN_SESSION, NULL);
            fsh_msg_destroy (&reply);
        }
    //  A chunk too, with its data frame
    body_t body;
    Fshare__Message msg = s_message (FSHARE__MESSAGE__BODY_CHUNK, &body);
    msg.id = ++client->next_id;
    msg.session = "forged-token";
    zmq_msg_t data;
    assert_int_equal (zmq_msg_init_size (&data, 100), 0);
    memset (zmq_msg_data (&data), 'd', 100);
    assert_int_equal (fsh_chunk_send (&msg, client->dealer, NULL, 0, &data), 0);
    zmq_msg_close (&data);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->id, msg.id);
    s_expect_error (reply, FSH_ERR_UNKNOWN_SESSION, NULL);
    fsh_msg_destroy (&reply);
    //  Under plain transport a snapshot needs no session (only CURVE's do)
    reply = client_snapshot (client);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
    fsh_msg_destroy (&reply);
    client_destroy (&client);
}

//  What is no request: refused with a reason, from a session or not
static void
test_not_requests (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *stranger = client_new (fx, NULL);
    client_t *client = s_online (fx, "alice", "a.txt");
    Fshare__Message__BodyCase replies [] = {
        FSHARE__MESSAGE__BODY__NOT_SET, FSHARE__MESSAGE__BODY_LOGIN_OK,
        FSHARE__MESSAGE__BODY_PUBLISH_OK, FSHARE__MESSAGE__BODY_LOGOUT_OK,
        FSHARE__MESSAGE__BODY_PONG, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE,
        FSHARE__MESSAGE__BODY_SERVE,
    };
    for (size_t i = 0; i < sizeof replies / sizeof replies [0]; i++) {
        client_t *who [] = { stranger, client };
        for (int w = 0; w < 2; w++) {
            body_t body;
            Fshare__Message msg = s_message (replies [i], &body);
            Fshare__Message *reply = client_request (who [w], &msg);
            s_expect_error (reply, FSH_ERR_BAD_REQUEST, "unexpected request");
            fsh_msg_destroy (&reply);
        }
    }
    //  A body_case the schema does not know: protobuf-c keeps it as an
    //  unknown field, so the message has no body at all
    const byte unknown_body [] = { 1 << 3, 7, 0x98, 0x06, 1 };     //  id 7, field 99 = 1
    assert_int_equal (zmq_send (zsock_resolve (client->dealer), unknown_body,
                                sizeof unknown_body, 0), sizeof unknown_body);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->id, 7);
    s_expect_error (reply, FSH_ERR_BAD_REQUEST, "unexpected request");
    fsh_msg_destroy (&reply);
    //  A data frame on anything but a chunk, before any session check
    Fshare__Message__BodyCase kinds [] = {
        FSHARE__MESSAGE__BODY_PING, FSHARE__MESSAGE__BODY_LOGIN, FSHARE__MESSAGE__BODY_GET,
        FSHARE__MESSAGE__BODY_PONG,
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds [0]; i++) {
        client_t *who [] = { stranger, client };
        for (int w = 0; w < 2; w++) {
            body_t body;
            Fshare__Message msg = s_message (kinds [i], &body);
            msg.id = ++who [w]->next_id;
            msg.session = who [w]->session? who [w]->session: "";
            zmq_msg_t data;
            zmq_msg_init_size (&data, 5);
            memcpy (zmq_msg_data (&data), "extra", 5);
            assert_int_equal (fsh_chunk_send (&msg, who [w]->dealer, NULL, 0, &data), 0);
            zmq_msg_close (&data);
            reply = client_recv (who [w]);
            assert_int_equal (reply->id, msg.id);
            s_expect_error (reply, FSH_ERR_PROTOCOL_ERROR, "unexpected data frame");
            fsh_msg_destroy (&reply);
        }
    }
    //  Not a Message, or a NUL in a string: refused under id 0
    zstr_send (client->dealer, "\xff\xff\xff\xff garbage");
    reply = client_recv (client);
    assert_int_equal (reply->id, 0);
    s_expect_error (reply, FSH_ERR_BAD_REQUEST, "malformed message");
    fsh_msg_destroy (&reply);
    const byte nul [] = { 1 << 3, 9, 2 << 3 | 2, 3, 'a', 0, 'b', 16 << 3 | 2, 0 };
    assert_int_equal (zmq_send (zsock_resolve (client->dealer), nul, sizeof nul, 0),
                      sizeof nul);
    reply = client_recv (client);
    s_expect_error (reply, FSH_ERR_BAD_REQUEST, "malformed message");
    fsh_msg_destroy (&reply);
    //  Three frames and more: dropped without an answer; the next
    //  request's answer is the next to come
    zstr_sendx (client->dealer, "one", "two", "three", NULL);
    zstr_sendx (client->dealer, "one", "two", "three", "four", NULL);
    s_still_serves (client);
    //  ... unless the first is a Message: answered protocol_error under its id
    body_t body;
    Fshare__Message ping = s_message (FSHARE__MESSAGE__BODY_PING, &body);
    ping.id = ++client->next_id;
    ping.session = client->session;
    size_t size = fshare__message__get_packed_size (&ping);
    byte *packed = (byte *) malloc (size);
    fshare__message__pack (&ping, packed);
    zmsg_t *three = zmsg_new ();
    zmsg_addmem (three, packed, size);
    zmsg_addstr (three, "two");
    zmsg_addstr (three, "three");
    assert_int_equal (zmsg_send (&three, client->dealer), 0);
    free (packed);
    reply = client_recv (client);
    assert_int_equal (reply->id, ping.id);
    s_expect_error (reply, FSH_ERR_PROTOCOL_ERROR, "too many frames");
    fsh_msg_destroy (&reply);
    client_destroy (&client);
    client_destroy (&stranger);
}

//  Garbage of every size from a raw socket, then honest clients are
//  served as if nothing happened
static void
test_garbage_requests (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    zsock_t *raw = zsock_new_dealer (fx->listen);
    zstr_send (raw, "");
    zstr_send (raw, "\xff\xff\xff\xff garbage");
    zstr_sendx (raw, "two", "frames", NULL);
    byte random [512];
    for (int i = 0; i < 200; i++) {
        randombytes_buf (random, sizeof random);
        zmq_send (zsock_resolve (raw), random, (size_t) (i % 512), 0);
    }
    client_t *client = client_new (fx, NULL);
    //  A change without a session
    s_change (client, "x");
    Fshare__Message *reply = client_recv (client);
    s_expect_error (reply, FSH_ERR_UNKNOWN_SESSION, "unknown session");
    fsh_msg_destroy (&reply);
    //  Bad paths from a logged-in peer are refused with a reason
    client_destroy (&client);
    client = s_online (fx, "honest", "ok.txt");
    const char *bad [] = { "../etc/passwd", "/abs", "a//b", "a/./b", "", ".p.fshare-part" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        s_change (client, bad [i]);
        reply = client_recv (client);
        assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
        assert_true (*reply->error);
        fsh_msg_destroy (&reply);
    }
    //  The broker still serves: another user logs in and publishes
    client_t *other = s_online (fx, "other", "b.txt");
    s_still_serves (client);
    client_destroy (&other);
    client_destroy (&client);
    zsock_destroy (&raw);
}

//  A session's requests and their rules
static void
test_session_requests (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *bob = s_online (fx, "bob", "docs/b.txt");
    client_t *alice = client_new (fx, NULL);
    assert_null (client_login (alice, "alice", "pw"));
    //  Nothing may be asked for before one's own files are published
    Fshare__Message *reply = s_get (alice, "bob", "docs/b.txt");
    s_expect_error (reply, FSH_ERR_PROTOCOL_ERROR, "files not published yet");
    fsh_msg_destroy (&reply);
    //  The first pages are not answered, the last one is; once only
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "a.txt";
    file.mtime = 1700000000;
    Fshare__FileInfo *files [] = { &file };
    client_publish_page (alice, files, 1, true);
    file.path = "b.txt";
    assert_null (client_publish (alice, files, 1));
    char *error = client_publish (alice, files, 1);
    assert_non_null (error);
    assert_string_equal (error, "files already published");
    zstr_free (&error);
    //  Ping: the broker's id and sequence
    uint64_t id = client_ping (alice);
    reply = client_recv (alice);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_PONG);
    assert_true (strlen (reply->pong->broker) > 0);
    assert_true (reply->pong->seq >= 2);        //  two joins at least
    fsh_msg_destroy (&reply);
    //  Get: who and what must exist and be someone else's
    reply = s_get (alice, "alice", "a.txt");
    s_expect_error (reply, FSH_ERR_BAD_REQUEST, "that is your own file");
    fsh_msg_destroy (&reply);
    const char *owners [] = { "nobody", "", "../bob", "bob\n", "-bob" };
    for (size_t i = 0; i < sizeof owners / sizeof owners [0]; i++) {
        reply = s_get (alice, owners [i], "docs/b.txt");
        s_expect_error (reply, FSH_ERR_UNKNOWN_USER, NULL);
        fsh_msg_destroy (&reply);
    }
    const char *paths [] = {
        "docs/missing.txt", "docs", "docs/", "../docs/b.txt", "/docs/b.txt", "docs//b.txt",
        "docs/.b.txt.fshare-part", "", "docs/b.txt\x7f"
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths [0]; i++) {
        reply = s_get (alice, "bob", paths [i]);
        s_expect_error (reply, FSH_ERR_UNKNOWN_FILE, NULL);
        fsh_msg_destroy (&reply);
    }
    //  Logout: answered, and the session is gone
    char *token = strdup (alice->session);
    client_logout (alice);
    body_t body;
    Fshare__Message ping = s_message (FSHARE__MESSAGE__BODY_PING, &body);
    reply = s_request_as (alice, &ping, token);
    s_expect_error (reply, FSH_ERR_UNKNOWN_SESSION, NULL);
    fsh_msg_destroy (&reply);
    //  ... so a get for its files finds no such user
    reply = s_get (bob, "alice", "a.txt");
    s_expect_error (reply, FSH_ERR_UNKNOWN_USER, NULL);
    fsh_msg_destroy (&reply);
    free (token);
    client_destroy (&alice);
    client_destroy (&bob);
}

//  An observer (a tap) publishes nothing; without CURVE a session's token
//  works only from the connection that logged in
static void
test_observer_and_reconnection (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *agent = s_online (fx, "carol", "c.txt");
    client_t *tap = client_new (fx, NULL);
    assert_null (client_observe (tap, "carol", "pw"));
    char *error = client_publish (tap, NULL, 0);
    assert_non_null (error);
    assert_string_equal (error, "an observer session publishes no files");
    zstr_free (&error);
    Fshare__Message *reply = client_snapshot (tap);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
    fsh_msg_destroy (&reply);
    s_still_serves (tap);

    //  Its token from another connection (learnt, guessed, or a DEALER
    //  that reconnected): unknown_session, and the session itself is
    //  untouched (an agent that lost its connection logs in again)
    client_t *moved = client_new (fx, NULL);
    moved->session = strdup (agent->session);
    uint64_t id = client_ping (moved);
    reply = client_recv (moved);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->code, FSH_ERR_UNKNOWN_SESSION);
    fsh_msg_destroy (&reply);
    s_still_serves (agent);
    //  Still the same online session: its file can be asked for
    client_t *dave = s_online (fx, "dave", NULL);
    reply = s_get (dave, "carol", "nothing-here.txt");
    s_expect_error (reply, FSH_ERR_UNKNOWN_FILE, NULL);
    fsh_msg_destroy (&reply);
    client_destroy (&dave);
    client_destroy (&moved);
    client_destroy (&tap);
    client_destroy (&agent);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_session_needed, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_not_requests, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_garbage_requests, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_session_requests, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_observer_and_reconnection, s_setup,
                                         fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
