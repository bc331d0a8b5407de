/*  test_relay_ends.c - how the relay keeps an owner's slots and its
    transfers from hanging (issue 8): a transfer that makes no progress
    for the stall timeout ends on both sides with "owner stalled" or
    "requester stalled" (code stalled), while a requester that says it is
    still checking its partial file is not stalled (on a resume only, and
    for no longer than reading that file at 1 MB/s takes); a connection that
    libzmq drops (a frame above --max-message) or that the DEALER replaced
    ends that session's transfers at once; an owner's serving slots are
    shared fairly, so a newcomer gets one however many the others hold.
*/
#define DEADLINE_MS 6000
#include "fixture.h"
#include "relay.h"

#define STALL_MS    600

static int
s_setup (void **state)
{
    *state = fixture_new ("relayend");
    return 0;
}

static void
s_start (fixture_t *fx, int max_transfers, int max_serving)
{
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 1000;
    config.liveness = 10;
    config.stats_ms = 5000;
    config.stall_timeout_ms = STALL_MS;
    config.max_transfers = max_transfers;
    config.max_serving = max_serving;
    config.max_message = 65536;
    fixture_broker_start (fx, &config);
}

//  An online client publishing docs/f0.txt .. f<count-1>.txt; it pings
//  while it waits for anything.
static client_t *
s_client (fixture_t *fx, const char *user, int count)
{
    client_t *client = client_online (fx, user, count);
    client->keepalive_ms = 100;
    return client;
}

//  The owner's Serve for a requester's Get; returns the transfer id.
static uint64_t
s_serve (client_t *owner, client_t *requester, const char *path, uint64_t *get_id)
{
    *get_id = client_get (requester, owner->user, path, 0, 0, FIXTURE_FILE_MTIME);
    return client_expect_serve (owner, requester->user);
}

static void
s_checking (client_t *requester, uint64_t transfer)
{
    Fshare__Credit credit = FSHARE__CREDIT__INIT;
    credit.transfer = transfer;
    credit.checking = true;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CREDIT;
    msg.credit = &credit;
    client_send (requester, &msg);
}

static void
test_owner_stalls (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0, 0);
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 500);
    Fshare__Message *credit = client_recv (alice);
    assert_int_equal (credit->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    fsh_msg_destroy (&credit);
    //  Alice holds credit and sends nothing (only pings)
    int64_t start = zclock_mono ();
    client_expect_error (bob, get_id, FSH_ERR_STALLED, "owner stalled");
    assert_true (zclock_mono () - start >= STALL_MS - 100);
    client_expect_cancel (alice, transfer, FSH_ERR_STALLED, "owner stalled");
    client_destroy (&bob);
    client_destroy (&alice);
}

//  A resume from 2 MiB of a 4 MiB file: the requester may check its
//  partial file for STALL_MS plus 2 MiB at RELAY_CHECK_BYTES_PER_MS
#define RESUME_AT   (2 * 1024 * 1024)
#define CHECK_MS    (STALL_MS + RESUME_AT / RELAY_CHECK_BYTES_PER_MS)

static uint64_t
s_open_resumed (client_t *owner, client_t *requester, uint64_t *get_id)
{
    *get_id = client_get (requester, owner->user, "docs/f0.txt", RESUME_AT, 2 * RESUME_AT,
                          FIXTURE_FILE_MTIME);
    uint64_t transfer = client_expect_serve (owner, requester->user);
    client_opened (owner, transfer, 2 * RESUME_AT, FIXTURE_FILE_MTIME, RESUME_AT);
    Fshare__Message *opened = client_recv (requester);
    assert_int_equal (opened->body_case, FSHARE__MESSAGE__BODY_OPENED);
    assert_int_equal (opened->opened->offset, RESUME_AT);
    fsh_msg_destroy (&opened);
    return transfer;
}

static void
test_requester_stalls_unless_checking (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0, 0);
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = s_open_resumed (alice, bob, &get_id);
    //  Checking its partial file for three stall timeouts: not stalled
    int64_t until = zclock_mono () + 3 * STALL_MS;
    while (zclock_mono () < until) {
        s_checking (bob, transfer);
        assert_null (client_recv_within (bob, 100, NULL));
    }
    //  Then silence: the requester owes credit
    client_expect_error (bob, get_id, FSH_ERR_STALLED, "requester stalled");
    client_expect_cancel (alice, transfer, FSH_ERR_STALLED, "requester stalled");
    client_destroy (&bob);
    client_destroy (&alice);
}

//  "Still checking" for ever: stalled once reading the partial file would
//  have been over; on a transfer that resumes nothing, at once
static void
test_checking_is_bounded (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0, 0);
    client_t *alice = s_client (fx, "alice", 2);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = s_open_resumed (alice, bob, &get_id);
    int64_t start = zclock_mono ();
    Fshare__Message *msg = NULL;
    while (!msg && zclock_mono () - start < CHECK_MS + 3 * STALL_MS) {
        s_checking (bob, transfer);
        msg = client_recv_within (bob, 100, NULL);
    }
    assert_non_null (msg);
    assert_int_equal (msg->code, FSH_ERR_STALLED);
    assert_true (zclock_mono () - start >= CHECK_MS - 100);
    fsh_msg_destroy (&msg);
    client_expect_cancel (alice, transfer, FSH_ERR_STALLED, "requester stalled");

    transfer = client_open (alice, bob, "docs/f1.txt", &get_id);
    start = zclock_mono ();
    while (!msg && zclock_mono () - start < CHECK_MS) {
        s_checking (bob, transfer);
        msg = client_recv_within (bob, 100, NULL);
    }
    assert_non_null (msg);
    assert_int_equal (msg->code, FSH_ERR_STALLED);
    assert_true (zclock_mono () - start < STALL_MS + 500);
    fsh_msg_destroy (&msg);
    client_expect_cancel (alice, transfer, FSH_ERR_STALLED, "requester stalled");
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_owner_never_answers (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0, 0);
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = s_serve (alice, bob, "docs/f0.txt", &get_id);
    client_expect_error (bob, get_id, FSH_ERR_STALLED, "owner stalled");
    client_expect_cancel (alice, transfer, FSH_ERR_STALLED, "owner stalled");
    client_destroy (&bob);
    client_destroy (&alice);
}

//  An oversized frame: libzmq drops alice's connection, the monitor says
//  so, and her transfer ends at once (well before the stall timeout)
static void
test_dropped_connection (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0, 0);
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    (void) transfer;
    size_t size = 70000;
    byte *junk = (byte *) zmalloc (size);
    assert_int_equal (zmq_send (zsock_resolve (alice->dealer), junk, size, 0), (int) size);
    free (junk);
    Fshare__Message *msg = client_recv_within (bob, STALL_MS / 2, NULL);
    assert_non_null (msg);
    assert_int_equal (msg->id, get_id);
    assert_int_equal (msg->code, FSH_ERR_OWNER_GONE);
    assert_string_equal (msg->error, "owner alice went away (its connection dropped)");
    fsh_msg_destroy (&msg);

    //  Her DEALER reconnected on its own: a new connection, where her
    //  token is no session without CURVE (an agent logs in again at once)
    alice->keepalive_ms = 0;
    uint64_t ping = client_ping (alice);
    while ((msg = client_recv (alice))->id != ping)
        fsh_msg_destroy (&msg);     //  refusals of earlier keep-alive pings
    assert_int_equal (msg->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (msg->code, FSH_ERR_UNKNOWN_SESSION);
    fsh_msg_destroy (&msg);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  A session's token from another connection (a client that learnt or
//  guessed it) is refused unknown_session whatever it asks, and changes
//  nothing: the session's transfer runs on, its owner still serves
static void
test_token_elsewhere (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 0, 0);
    client_t *alice = s_client (fx, "alice", 1);
    client_t *bob = s_client (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_t *thief = client_new (fx, NULL);
    thief->session = strdup (alice->session);
    uint64_t ping = client_ping (thief);
    client_cancel (thief, transfer, "stolen");
    Fshare__Message *msg = client_recv (thief);
    assert_int_equal (msg->id, ping);
    assert_int_equal (msg->code, FSH_ERR_UNKNOWN_SESSION);
    fsh_msg_destroy (&msg);
    msg = client_recv (thief);
    assert_int_equal (msg->id, ping + 1);
    assert_int_equal (msg->code, FSH_ERR_UNKNOWN_SESSION);
    fsh_msg_destroy (&msg);
    //  bob's transfer is untouched: his credit reaches alice
    client_credit (bob, transfer, 500);
    msg = client_recv (alice);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    assert_int_equal (msg->credit->transfer, transfer);
    fsh_msg_destroy (&msg);
    assert_null (client_recv_within (bob, 200, NULL));
    client_destroy (&thief);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  Four slots: bob takes them all; carol still gets in, twice (her share
//  is two), at the cost of bob's newest; a third is refused.
static void
test_fair_share (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start (fx, 8, 4);
    client_t *alice = s_client (fx, "alice", 8);
    client_t *bob = s_client (fx, "bob", 0);
    client_t *carol = s_client (fx, "carol", 0);
    uint64_t get_ids [4], transfers [4];
    for (int i = 0; i < 4; i++) {
        char path [32];
        snprintf (path, sizeof path, "docs/f%d.txt", i);
        transfers [i] = s_serve (alice, bob, path, &get_ids [i]);
    }
    Fshare__Message *reply = NULL;
    uint64_t refused = client_get (bob, "alice", "docs/f4.txt", 0, 0, FIXTURE_FILE_MTIME);
    reply = client_recv (bob);
    assert_int_equal (reply->id, refused);
    assert_int_equal (reply->code, FSH_ERR_OWNER_BUSY);
    fsh_msg_destroy (&reply);

    for (int round = 0; round < 2; round++) {
        uint64_t carol_get;
        //  Bob's newest gives way: alice is told first, then serves carol
        carol_get = client_get (carol, "alice", round? "docs/f6.txt": "docs/f5.txt", 0, 0,
                                FIXTURE_FILE_MTIME);
        client_expect_cancel (alice, transfers [3 - round], FSH_ERR_OWNER_BUSY,
                              "the owner is serving too many transfers; try again later");
        Fshare__Message *serve = client_recv (alice);
        assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
        assert_string_equal (serve->serve->requester, "carol");
        fsh_msg_destroy (&serve);
        client_expect_error (bob, get_ids [3 - round], FSH_ERR_OWNER_BUSY,
                             "the owner is serving too many transfers; try again later");
        (void) carol_get;
    }
    refused = client_get (carol, "alice", "docs/f7.txt", 0, 0, FIXTURE_FILE_MTIME);
    reply = client_recv (carol);
    assert_int_equal (reply->id, refused);
    assert_int_equal (reply->code, FSH_ERR_OWNER_BUSY);
    fsh_msg_destroy (&reply);
    client_destroy (&carol);
    client_destroy (&bob);
    client_destroy (&alice);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_owner_stalls, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_checking_is_bounded, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_stalls_unless_checking, s_setup,
                                         fixture_teardown),
        cmocka_unit_test_setup_teardown (test_owner_never_answers, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_token_elsewhere, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_dropped_connection, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_fair_share, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
