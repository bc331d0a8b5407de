/*  test_relay_ids.c - the relay's transfer ids and session tokens from
    hostile clients: a second Get under the id of a transfer still running
    (everything the requester is told carries that id) is refused
    bad_request and the first goes on; messages for another pair's
    transfer, or for a transfer that ended, change nothing; an owner's
    Opened or chunk for one that never existed is answered Cancel
    protocol_error, and nothing else is; a logged-out
    session's token is an unknown session, for a Get as for a transfer's
    message; an owner's Opened with a malformed digest, mode, mtime or
    offset ends the transfer protocol_error on both sides and is never
    passed on.
*/
#include "fixture.h"

static int
s_setup (void **state)
{
    *state = fixture_new ("relayids");
    fixture_t *fx = (fixture_t *) *state;
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 1000;
    config.liveness = 10;
    fixture_broker_start (fx, &config);
    return 0;
}

static client_t *
s_client (fixture_t *fx, const char *user, int count)
{
    client_t *client = client_online (fx, user, count);
    client->keepalive_ms = 100;
    return client;
}

static void
s_done (client_t *client, uint64_t transfer)
{
    Fshare__Done done = FSHARE__DONE__INIT;
    done.transfer = transfer;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_DONE;
    msg.done = &done;
    client_send (client, &msg);
}

//  The whole file as one last chunk; the requester receives it.
static void
s_finish (client_t *owner, client_t *requester, uint64_t transfer, uint64_t get_id)
{
    client_credit (requester, transfer, FIXTURE_FILE_SIZE);
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    fsh_msg_destroy (&msg);
    uint8_t digest [32] = { 1 };
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = transfer;
    chunk.last = true;
    chunk.sha256.data = digest;
    chunk.sha256.len = sizeof digest;
    zmq_msg_t data;
    zmq_msg_init_size (&data, FIXTURE_FILE_SIZE);
    memset (zmq_msg_data (&data), 'x', FIXTURE_FILE_SIZE);
    client_send_chunk (owner, &chunk, &data);
    zmq_msg_init (&data);
    msg = client_recv_data (requester, &data);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CHUNK);
    assert_int_equal (msg->id, get_id);
    assert_int_equal (zmq_msg_size (&data), FIXTURE_FILE_SIZE);
    zmq_msg_close (&data);
    fsh_msg_destroy (&msg);
}

static void
s_expect_nothing (client_t *client)
{
    Fshare__Message *msg = client_recv_within (client, 300, NULL);
    if (msg)
        fail_msg ("%s was told %s (#%" PRIu64 ", code %d)", client->user, fsh_msg_kind (msg),
                  msg->id, msg->code);
}

static void
test_duplicate_get_id (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client (fx, "alice", 2);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    //  The same id again, for another file: refused, the owner never asked
    bob->next_id = get_id - 1;
    assert_int_equal (client_get (bob, "alice", "docs/f1.txt", 0, 0, FIXTURE_FILE_MTIME),
                      get_id);
    client_expect_error (bob, get_id, FSH_ERR_BAD_REQUEST,
                         "a download of that request id is in progress");
    s_expect_nothing (alice);
    //  The first transfer is whole; once it has ended the id is free again
    s_finish (alice, bob, transfer, get_id);
    s_done (bob, transfer);
    Fshare__Message *msg = client_recv (alice);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_DONE);
    fsh_msg_destroy (&msg);
    bob->next_id = get_id - 1;
    client_get (bob, "alice", "docs/f1.txt", 0, 0, FIXTURE_FILE_MTIME);
    client_expect_serve (alice, "bob");
    client_destroy (&bob);
    client_destroy (&alice);
}

//  Carol, a third session, sends every transfer message for bob's
//  transfer; then bob and alice send them again once it has ended.
static void
s_meddle (client_t *client, uint64_t transfer)
{
    client_opened (client, transfer, 5, FIXTURE_FILE_MTIME, 0);
    client_credit (client, transfer, 1 << 20);
    uint8_t digest [32] = { 2 };
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = transfer;
    chunk.last = true;
    chunk.sha256.data = digest;
    chunk.sha256.len = sizeof digest;
    zmq_msg_t data;
    zmq_msg_init_size (&data, 3);
    memcpy (zmq_msg_data (&data), "bad", 3);
    client_send_chunk (client, &chunk, &data);
    s_done (client, transfer);
    client_cancel (client, transfer, "mine now");
}

static void
test_foreign_and_ended (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    client_t *carol = s_client (fx, "carol", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    s_meddle (carol, transfer);
    s_expect_nothing (alice);
    s_expect_nothing (bob);
    s_expect_nothing (carol);
    s_finish (alice, bob, transfer, get_id);
    s_done (bob, transfer);
    Fshare__Message *msg = client_recv (alice);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_DONE);
    fsh_msg_destroy (&msg);
    //  Ended: whatever either side still says of it is dropped
    s_meddle (alice, transfer);
    s_meddle (bob, transfer);
    s_expect_nothing (alice);
    s_expect_nothing (bob);
    //  and the next transfer between them is whole
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    s_finish (alice, bob, transfer, get_id);
    client_destroy (&carol);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  Every transfer message for an id never given out: the owner's Opened
//  and chunk are answered Cancel protocol_error under that id (so it lets
//  go of what it opened), nothing else is answered, and the transfer
//  running meanwhile is untouched
static void
test_never_existed (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    uint64_t bogus = transfer + 1000;
    s_meddle (alice, bogus);
    for (int i = 0; i < 2; i++) {
        Fshare__Message *msg = client_recv (alice);
        assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
        assert_int_equal (msg->id, bogus);
        assert_int_equal (msg->cancel->transfer, bogus);
        assert_int_equal (msg->cancel->code, FSH_ERR_PROTOCOL_ERROR);
        fsh_msg_destroy (&msg);
    }
    s_expect_nothing (alice);
    client_credit (bob, bogus + 1, 100);
    s_done (bob, bogus + 1);
    client_cancel (bob, bogus + 1, "never mine");
    s_expect_nothing (bob);
    s_expect_nothing (alice);
    s_finish (alice, bob, transfer, get_id);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_logged_out_token (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_t *carol = s_client (fx, "carol", 0);
    char *token = strdup (carol->session);
    carol->keepalive_ms = 0;
    client_logout (carol);
    //  Carol's old token, from her DEALER and from another
    client_t *replay = client_new (fx, NULL);
    client_t *clients [] = { carol, replay };
    for (int i = 0; i < 2; i++) {
        zstr_free (&clients [i]->session);
        clients [i]->session = strdup (token);
        uint64_t id = client_get (clients [i], "alice", "docs/f0.txt", 0, 0,
                                  FIXTURE_FILE_MTIME);
        client_expect_error (clients [i], id, FSH_ERR_UNKNOWN_SESSION, "unknown session");
        client_credit (clients [i], transfer, 100);
        Fshare__Message *msg = client_recv (clients [i]);
        assert_int_equal (msg->code, FSH_ERR_UNKNOWN_SESSION);
        fsh_msg_destroy (&msg);
    }
    s_expect_nothing (alice);
    s_finish (alice, bob, transfer, get_id);
    free (token);
    client_destroy (&replay);
    client_destroy (&carol);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  Opened, each time with one field out of its range
static void
test_malformed_opened (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    byte digest [100000] = { 0 };
    struct { size_t digest; uint32_t mode; int64_t mtime; uint64_t offset; } cases [] = {
        { 31, 0644, FIXTURE_FILE_MTIME, 0 }, { 33, 0644, FIXTURE_FILE_MTIME, 0 },
        { sizeof digest, 0644, FIXTURE_FILE_MTIME, 0 }, { 32, 0xFFFFFFFF, FIXTURE_FILE_MTIME, 0 },
        { 0, 010000, FIXTURE_FILE_MTIME, 0 }, { 0, 0644, INT64_MIN, 0 },
        { 0, 0644, INT64_MAX, 0 }, { 0, 0644, FIXTURE_FILE_MTIME, FIXTURE_FILE_SIZE + 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        uint64_t get_id = client_get (bob, "alice", "docs/f0.txt", 0, 0, FIXTURE_FILE_MTIME);
        uint64_t transfer = client_expect_serve (alice, "bob");
        Fshare__Opened opened = FSHARE__OPENED__INIT;
        opened.transfer = transfer;
        opened.size = FIXTURE_FILE_SIZE;
        opened.mtime = cases [i].mtime;
        opened.offset = cases [i].offset;
        opened.mode = cases [i].mode;
        opened.sha256.data = digest;
        opened.sha256.len = cases [i].digest;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.body_case = FSHARE__MESSAGE__BODY_OPENED;
        msg.opened = &opened;
        client_send (alice, &msg);
        client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                             "protocol error: owner sent an impossible answer");
        client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                              "protocol error: owner sent an impossible answer");
    }
    //  In range: passed on as it came
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    s_finish (alice, bob, transfer, get_id);
    client_destroy (&bob);
    client_destroy (&alice);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_duplicate_get_id, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_foreign_and_ended, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_never_existed, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_logged_out_token, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_opened, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
