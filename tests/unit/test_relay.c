/*  test_relay.c - the broker's download relay, driven by raw protocol
    clients playing owner and requester: the checks of a Get, the whole
    flow (serve, opened, credit, chunks with their data frames, done),
    credit enforcement, and every way a transfer ends early (either side
    cancels, logs out or goes silent, a side breaks the protocol).
*/
#include "fixture.h"

#define FILE_SIZE   FIXTURE_FILE_SIZE
#define FILE_MTIME  FIXTURE_FILE_MTIME

//  --------------------------------------------------------------------------
//  Fixture: a broker on ipc endpoints in a temp dir

//  max_transfers, max_serving: the broker's limits per session, 0 = default
static void
s_start_broker_limited (fixture_t *fx, int heartbeat_ms, int max_transfers, int max_serving)
{
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = heartbeat_ms;
    config.liveness = 3;
    config.stats_ms = 5000;
    config.max_transfers = max_transfers;
    config.max_serving = max_serving;
    fixture_broker_start (fx, &config);
}

static int
s_setup (void **state)
{
    *state = fixture_new ("relay");
    return 0;
}

static void
s_start_broker (fixture_t *fx, int heartbeat_ms)
{
    s_start_broker_limited (fx, heartbeat_ms, 0, 0);
}

//  --------------------------------------------------------------------------
//  Raw clients

//  Nothing but pongs arrives within `msecs`.
static void
s_expect_silence (client_t *client, int msecs)
{
    zpoller_t *poller = zpoller_new (client->dealer, NULL);
    int64_t deadline = zclock_mono () + msecs;
    while (zclock_mono () < deadline) {
        if (!zpoller_wait (poller, 20))
            continue;
        Fshare__Message *msg = fsh_msg_recv (client->dealer);
        assert_non_null (msg);
        assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_PONG);
        fsh_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
}

//  --------------------------------------------------------------------------
//  Protocol steps

static uint64_t
s_get (client_t *client, const char *owner, const char *path, uint64_t offset,
       uint64_t expect_size)
{
    return client_get (client, owner, path, offset, expect_size, FILE_MTIME);
}

//  A Get that the broker refuses: returns its error text (caller frees).
static char *
s_get_refused (client_t *client, const char *owner, const char *path)
{
    uint64_t id = s_get (client, owner, path, 0, 0);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    char *error = strdup (reply->error);
    fsh_msg_destroy (&reply);
    return error;
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

//  Send bytes [offset, offset + size) of a pattern as one chunk.
static void
s_chunk (client_t *owner, uint64_t transfer, uint64_t offset, size_t size, bool last)
{
    uint8_t digest [32];
    memset (digest, 0xAB, sizeof digest);
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = transfer;
    chunk.offset = offset;
    chunk.last = last;
    if (last) {
        chunk.sha256.data = digest;
        chunk.sha256.len = sizeof digest;
    }
    zmq_msg_t data;
    zmq_msg_init_size (&data, size);
    for (size_t i = 0; i < size; i++)
        ((uint8_t *) zmq_msg_data (&data)) [i] = (uint8_t) ((offset + i) * 7);
    client_send_chunk (owner, &chunk, &data);
}

//  The requester receives a chunk: checks header and bytes; returns the
//  chunk's receipt.
static uint64_t
s_expect_chunk (client_t *requester, uint64_t get_id, uint64_t transfer,
                uint64_t offset, size_t size, bool last)
{
    zmq_msg_t data;
    zmq_msg_init (&data);
    Fshare__Message *msg = client_recv_data (requester, &data);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CHUNK);
    assert_int_equal (msg->id, get_id);
    assert_string_equal (msg->session, "");
    assert_int_equal (msg->chunk->transfer, transfer);
    assert_int_equal (msg->chunk->offset, offset);
    assert_int_equal (msg->chunk->last, last);
    assert_int_equal (msg->chunk->sha256.len, last? 32: 0);
    assert_int_equal (zmq_msg_size (&data), size);
    for (size_t i = 0; i < size; i++)
        assert_int_equal (((uint8_t *) zmq_msg_data (&data)) [i], (uint8_t) ((offset + i) * 7));
    zmq_msg_close (&data);
    uint64_t receipt = msg->chunk->receipt;
    fsh_msg_destroy (&msg);
    return receipt;
}

//  The next message is of this kind; its content does not matter here.
static void
s_expect_body (client_t *client, Fshare__Message__BodyCase body)
{
    Fshare__Message *msg = client_recv (client);
    assert_int_equal (msg->body_case, body);
    fsh_msg_destroy (&msg);
}

static void
s_expect_credit (client_t *owner, uint64_t transfer, uint64_t bytes)
{
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    assert_int_equal (msg->credit->transfer, transfer);
    assert_int_equal (msg->credit->bytes, bytes);
    fsh_msg_destroy (&msg);
}

//  Transfers in progress and bytes relayed, from a snapshot.
static void
s_expect_stats (client_t *client, uint64_t transfers, uint64_t bytes)
{
    Fshare__Message *page = client_snapshot (client);
    while (true) {
        assert_int_equal (page->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
        assert_int_equal (page->snapshot_page->transfers, transfers);
        assert_int_equal (page->snapshot_page->bytes_relayed, bytes);
        bool more = page->snapshot_page->more;
        fsh_msg_destroy (&page);
        if (!more)
            break;
        page = client_recv (client);
    }
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_get_refusals (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 2);
    client_t *early = client_new (fx, NULL);       //  logged in, never online
    assert_null (client_login (early, "early", "pw"));
    char *error = s_get_refused (early, "alice", "docs/f0.txt");
    assert_string_equal (error, "files not published yet");
    zstr_free (&error);

    client_t *bob = client_online (fx, "bob", 0);
    struct { const char *owner, *path, *error; } cases [] = {
        { "nobody", "docs/f0.txt", "unknown user" },
        { "early", "docs/f0.txt", "unknown user" },     //  not online
        { "../x", "docs/f0.txt", "unknown user" },
        { "alice", "docs/none.txt", "unknown file" },
        { "alice", "../docs/f0.txt", "unknown file" },
        { "alice", "/docs/f0.txt", "unknown file" },
        { "alice", "docs/.f0.txt.fshare-part", "unknown file" },
        { "bob", "docs/f0.txt", "that is your own file" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        error = s_get_refused (bob, cases [i].owner, cases [i].path);
        assert_string_equal (error, cases [i].error);
        zstr_free (&error);
    }
    error = s_get_refused (alice, "alice", "docs/f0.txt");
    assert_string_equal (error, "that is your own file");
    zstr_free (&error);
    //  None of them reached the owner
    s_expect_silence (alice, 100);
    s_expect_stats (bob, 0, 0);
    client_destroy (&early);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  Each side sends only its own messages: data and Opened from the owner,
//  credit and Done from the requester. The other side's are dropped, and
//  the transfer goes on as if they had never been sent.
static void
test_each_side_its_own (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    s_chunk (bob, transfer, 0, 100, false);
    client_opened (bob, transfer, FILE_SIZE, FIXTURE_FILE_MTIME, 0);
    client_credit (alice, transfer, 77);
    s_done (alice, transfer);

    client_credit (bob, transfer, 600);
    s_expect_credit (alice, transfer, 600);
    s_chunk (alice, transfer, 0, 400, false);
    s_expect_chunk (bob, get_id, transfer, 0, 400, false);
    client_credit (bob, transfer, 600);
    s_expect_credit (alice, transfer, 600);
    s_chunk (alice, transfer, 400, 600, true);
    s_expect_chunk (bob, get_id, transfer, 400, 600, true);
    s_done (bob, transfer);
    Fshare__Message *done = client_recv (alice);
    assert_int_equal (done->body_case, FSHARE__MESSAGE__BODY_DONE);
    fsh_msg_destroy (&done);
    s_expect_stats (bob, 0, FILE_SIZE);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  The stats events say what a snapshot says: peers and files online (a
//  tap's session is none), a transfer in progress, bytes relayed (SPEC 4.4).
static void
test_stats_events (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 1000;
    config.liveness = 3;
    config.stats_ms = 100;
    fixture_broker_start (fx, &config);
    zsock_t *sub = fixture_subscriber (fx, NULL, 0);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_id;
    //  A tap is a session, not a peer online
    client_t *tap = client_new (fx, NULL);
    Fshare__Login login = client_login_body ("alice", "pw", true);
    char *error = client_login_with (tap, &login);
    assert_null (error);
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 600);
    s_expect_credit (alice, transfer, 600);
    s_chunk (alice, transfer, 0, 400, false);
    s_expect_chunk (bob, get_id, transfer, 0, 400, false);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    bool seen = false;
    while (!seen && zclock_mono () < deadline) {
        Fshare__Event *event = fixture_event (sub, 500, true);
        if (event && event->type == FSHARE__EVENT_TYPE__EVENT_STATS && event->stats)
            seen = event->stats->peers == 2 && event->stats->files >= 1
                && event->stats->transfers == 1 && event->stats->bytes_relayed == 400;
        fsh_event_destroy (&event);
    }
    if (!seen)
        fail_msg ("no stats event told 2 peers, 1 transfer, 400 bytes relayed");
    client_destroy (&tap);
    client_destroy (&bob);
    client_destroy (&alice);
    zsock_destroy (&sub);
}

static void
test_whole_flow (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    s_expect_stats (bob, 1, 0);

    client_credit (bob, transfer, 600);
    s_expect_credit (alice, transfer, 600);
    s_chunk (alice, transfer, 0, 400, false);
    s_chunk (alice, transfer, 400, 200, false);
    s_expect_chunk (bob, get_id, transfer, 0, 400, false);
    s_expect_chunk (bob, get_id, transfer, 400, 200, false);
    client_credit (bob, transfer, 400);
    s_expect_credit (alice, transfer, 400);
    s_chunk (alice, transfer, 600, 400, true);
    s_expect_chunk (bob, get_id, transfer, 600, 400, true);
    //  Still in progress until the requester acknowledges
    s_expect_stats (bob, 1, FILE_SIZE);
    s_done (bob, transfer);
    Fshare__Message *done = client_recv (alice);
    assert_int_equal (done->body_case, FSHARE__MESSAGE__BODY_DONE);
    assert_int_equal (done->done->transfer, transfer);
    fsh_msg_destroy (&done);
    s_expect_stats (bob, 0, FILE_SIZE);
    //  Late messages for the finished transfer are dropped quietly
    client_credit (bob, transfer, 100);
    s_expect_silence (alice, 100);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_resume_and_empty (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    //  The resume point reaches the owner; the owner resumes at it
    uint64_t get_id = s_get (bob, "alice", "docs/f0.txt", 700, FILE_SIZE);
    Fshare__Message *serve = client_recv (alice);
    assert_int_equal (serve->serve->offset, 700);
    assert_int_equal (serve->serve->expect_size, FILE_SIZE);
    assert_int_equal (serve->serve->expect_mtime, FILE_MTIME);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, FILE_SIZE, FILE_MTIME, 700);
    Fshare__Message *opened = client_recv (bob);
    assert_int_equal (opened->opened->offset, 700);
    fsh_msg_destroy (&opened);
    client_credit (bob, transfer, 1000);
    s_expect_credit (alice, transfer, 1000);
    s_chunk (alice, transfer, 700, 300, true);
    s_expect_chunk (bob, get_id, transfer, 700, 300, true);
    s_done (bob, transfer);
    s_expect_body (alice, FSHARE__MESSAGE__BODY_DONE);

    //  An offset beyond the size it claims is no resume
    get_id = s_get (bob, "alice", "docs/f0.txt", 2000, FILE_SIZE);
    serve = client_recv (alice);
    assert_int_equal (serve->serve->offset, 0);
    assert_int_equal (serve->serve->expect_size, 0);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);

    //  An empty file: one empty last chunk
    client_opened (alice, transfer, 0, FILE_MTIME, 0);
    s_expect_body (bob, FSHARE__MESSAGE__BODY_OPENED);
    client_credit (bob, transfer, 4096);
    s_expect_credit (alice, transfer, 4096);
    s_chunk (alice, transfer, 0, 0, true);
    s_expect_chunk (bob, get_id, transfer, 0, 0, true);
    s_done (bob, transfer);
    s_expect_body (alice, FSHARE__MESSAGE__BODY_DONE);
    s_expect_stats (bob, 0, 300);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_protocol_violations (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    client_t *carol = client_online (fx, "carol", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    //  Someone else's credit and cancel change nothing
    client_credit (carol, transfer, 500);
    client_cancel (carol, transfer, "mischief");
    s_expect_silence (alice, 100);
    //  Credit beyond the window is clamped
    client_credit (bob, transfer, (uint64_t) 1 << 40);
    Fshare__Message *credit = client_recv (alice);
    assert_int_equal (credit->credit->bytes, 16 * 1024 * 1024);
    fsh_msg_destroy (&credit);
    //  ... and the window is full: not one byte more reaches the owner
    client_credit (bob, transfer, 1);
    s_expect_silence (alice, 100);
    //  A chunk out of order ends the transfer on both sides
    s_chunk (alice, transfer, 10, 100, false);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: chunk out of order");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: chunk out of order");
    s_expect_stats (bob, 0, 0);

    //  A chunk beyond the credit, likewise
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 100);
    s_expect_credit (alice, transfer, 100);
    s_chunk (alice, transfer, 0, 101, false);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: owner sent beyond its credit");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: owner sent beyond its credit");

    //  More than the file's size within the credit, likewise
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 2000);
    s_expect_credit (alice, transfer, 2000);
    s_chunk (alice, transfer, 0, 1001, false);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: owner sent more than the file's size");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: owner sent more than the file's size");

    //  A chunk before Opened, likewise
    get_id = s_get (bob, "alice", "docs/f0.txt", 0, 0);
    Fshare__Message *serve = client_recv (alice);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    s_chunk (alice, transfer, 0, 0, true);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: chunk outside a running transfer");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: chunk outside a running transfer");

    //  A last chunk sent twice: the second is not relayed as a chunk
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 2000);
    s_expect_credit (alice, transfer, 2000);
    s_chunk (alice, transfer, 0, 1000, true);
    s_expect_chunk (bob, get_id, transfer, 0, 1000, true);
    s_chunk (alice, transfer, 1000, 0, true);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: chunk outside a running transfer");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: chunk outside a running transfer");

    //  A last chunk short of the size, likewise
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 2000);
    s_expect_credit (alice, transfer, 2000);
    s_chunk (alice, transfer, 0, 999, true);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: last chunk before the end of the file");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: last chunk before the end of the file");
    s_expect_stats (bob, 0, 1000);      //  the file sent before its last chunk again

    //  Opened twice: the second would reset the size and the offset that
    //  the relay checks the chunks against
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_opened (alice, transfer, FIXTURE_FILE_SIZE * 2, FIXTURE_FILE_MTIME, 0);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: owner opened twice");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: owner opened twice");

    //  An empty chunk that is not the last: no step at all
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 100);
    s_expect_credit (alice, transfer, 100);
    s_chunk (alice, transfer, 0, 0, false);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: empty chunk");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR, "protocol error: empty chunk");

    //  A last chunk whose digest is not 32 bytes
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 2000);
    s_expect_credit (alice, transfer, 2000);
    uint8_t short_digest [31] = { 0 };
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = transfer;
    chunk.last = true;
    chunk.sha256.data = short_digest;
    chunk.sha256.len = sizeof short_digest;
    zmq_msg_t data;
    zmq_msg_init_size (&data, 1000);
    memset (zmq_msg_data (&data), 7, 1000);
    client_send_chunk (alice, &chunk, &data);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: last chunk without a digest");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: last chunk without a digest");

    //  The requester's Done before the last chunk: the owner is not told
    //  of a complete transfer
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 100);
    s_expect_credit (alice, transfer, 100);
    s_chunk (alice, transfer, 0, 100, false);
    s_expect_chunk (bob, get_id, transfer, 0, 100, false);
    s_done (bob, transfer);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: done before the last chunk");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: done before the last chunk");

    //  Credit before the owner answered (the requester cannot know the
    //  transfer's number yet, but may guess it): no credit reaches the owner
    get_id = s_get (bob, "alice", "docs/f0.txt", 0, 0);
    serve = client_recv (alice);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_credit (bob, transfer, 100);
    client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR,
                          "protocol error: credit before the owner answered");
    client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: credit before the owner answered");
    client_destroy (&carol);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  A transfer message as `frames` frames (a header and frames - 1 data
//  frames of 10 bytes).
static void
s_send_shaped (client_t *client, Fshare__Message *msg, int frames)
{
    msg->id = ++client->next_id;
    msg->session = client->session;
    size_t size = fshare__message__get_packed_size (msg);
    byte *header = (byte *) malloc (size);
    fshare__message__pack (msg, header);
    zmsg_t *out = zmsg_new ();
    zmsg_addmem (out, header, size);
    for (int i = 1; i < frames; i++)
        zmsg_addmem (out, "0123456789", 10);
    assert_int_equal (zmsg_send (&out, client->dealer), 0);
    free (header);
}

//  Transfer messages of the wrong shape (a chunk of three frames, an
//  Opened or a Credit with data frames): the transfer ends protocol_error
//  on both sides at once, rather than stall.
static void
test_misshapen (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    const char *why = "protocol error: a malformed message";
    for (int round = 0; round < 3; round++) {
        uint64_t get_id, transfer;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
        Fshare__Opened opened = FSHARE__OPENED__INIT;
        Fshare__Credit credit = FSHARE__CREDIT__INIT;
        if (round == 0) {
            transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
            client_credit (bob, transfer, 2000);
            s_expect_credit (alice, transfer, 2000);
            chunk.transfer = transfer;
            fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CHUNK, &chunk);
            s_send_shaped (alice, &msg, 3);
        }
        else
        if (round == 1) {
            get_id = s_get (bob, "alice", "docs/f0.txt", 0, 0);
            Fshare__Message *serve = client_recv (alice);
            transfer = serve->serve->transfer;
            fsh_msg_destroy (&serve);
            opened.transfer = transfer;
            opened.size = FILE_SIZE;
            opened.mtime = FILE_MTIME;
            fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_OPENED, &opened);
            s_send_shaped (alice, &msg, 2);
        }
        else {
            transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
            credit.transfer = transfer;
            credit.bytes = 100;
            fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CREDIT, &credit);
            s_send_shaped (bob, &msg, 4);
        }
        client_expect_cancel (alice, transfer, FSH_ERR_PROTOCOL_ERROR, why);
        client_expect_error (bob, get_id, FSH_ERR_PROTOCOL_ERROR, why);
    }
    s_expect_stats (bob, 0, 0);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  An owner that trickles (100 bytes every 50 ms, under ample credit) to a
//  requester that reads and credits each chunk back: no progress, so the
//  stall timeout ends it as it would a silent owner, on both sides.
static void
test_trickling_owner (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 200;
    config.liveness = 10;
    config.stall_timeout_ms = 1000;
    fixture_broker_start (fx, &config);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_id = s_get (bob, "alice", "docs/f0.txt", 0, 0);
    Fshare__Message *serve = client_recv (alice);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, 64 * 1024 * 1024, FILE_MTIME, 0);
    Fshare__Message *opened = client_recv (bob);
    assert_int_equal (opened->body_case, FSHARE__MESSAGE__BODY_OPENED);
    fsh_msg_destroy (&opened);
    client_credit (bob, transfer, 8 * 1024 * 1024);
    s_expect_credit (alice, transfer, 8 * 1024 * 1024);
    zpoller_t *poller = zpoller_new (bob->dealer, alice->dealer, NULL);
    int64_t began = zclock_mono ();
    uint64_t offset = 0;
    Fshare__Message *ended = NULL;
    while (!ended && zclock_mono () - began < 8000) {
        s_chunk (alice, transfer, offset, 100, false);
        offset += 100;
        client_ping (alice);
        client_ping (bob);
        int64_t until = zclock_mono () + 50;
        while (!ended && zclock_mono () < until) {
            zsock_t *which = (zsock_t *) zpoller_wait (poller, (int) (until - zclock_mono ()));
            if (!which)
                break;
            zmq_msg_t data;
            int frames;
            Fshare__Message *msg = fsh_chunk_recv (which, 0, &data, &frames);
            zmq_msg_close (&data);
            if (which == bob->dealer && msg && msg->body_case == FSHARE__MESSAGE__BODY_CHUNK)
                client_credit_read (bob, transfer, 100, msg->chunk->offset + 100,
                                    msg->chunk->receipt);
            else
            if (which == bob->dealer && msg && msg->status == FSHARE__STATUS__STATUS_ERROR) {
                ended = msg;
                msg = NULL;
            }
            fsh_msg_destroy (&msg);
        }
    }
    zpoller_destroy (&poller);
    assert_non_null (ended);
    assert_int_equal (ended->id, get_id);
    assert_int_equal (ended->code, FSH_ERR_STALLED);
    assert_string_equal (ended->error, "owner stalled");
    assert_true (zclock_mono () - began < 6000);
    fsh_msg_destroy (&ended);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_cancels (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    //  The owner cannot read the file
    uint64_t get_id = s_get (bob, "alice", "docs/f0.txt", 0, 0);
    Fshare__Message *serve = client_recv (alice);
    client_cancel (alice, serve->serve->transfer, "cannot read file");
    fsh_msg_destroy (&serve);
    client_expect_error (bob, get_id, FSH_ERR_CANCELLED, "cannot read file");

    //  The requester cancels mid-transfer
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 500);
    s_expect_credit (alice, transfer, 500);
    client_cancel (bob, transfer, "interrupted");
    client_expect_cancel (alice, transfer, FSH_ERR_CANCELLED, "cancelled by bob: interrupted");
    //  A chunk that crossed the cancel is dropped
    s_chunk (alice, transfer, 0, 500, false);
    s_expect_silence (bob, 100);

    //  The owner finds the file changed
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_cancel (alice, transfer, "file changed during transfer");
    client_expect_error (bob, get_id, FSH_ERR_CANCELLED, "file changed during transfer");

    //  A code that speaks of a session, its end or a login is not a side's to
    //  tell the other (unknown_session would make bob's agent take its
    //  own session for lost): passed on as cancelled, either way; a
    //  transfer's own code as it came
    const fsh_err_t foreign [] = {
        FSH_ERR_UNKNOWN_SESSION, FSH_ERR_INVALID_CREDENTIALS, FSH_ERR_ALREADY_LOGGED_IN,
        FSH_ERR_UNSUPPORTED_VERSION, FSH_ERR_BUSY, FSH_ERR_BROKER_UNREACHABLE, FSH_ERR_NO_AGENT,
        //  only the broker sees a session end (owner_gone sends the
        //  requester to another source)
        FSH_ERR_OWNER_GONE, FSH_ERR_REQUESTER_GONE
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign [0]; i++) {
        for (int side = 0; side < 2; side++) {
            transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
            Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
            cancel.transfer = transfer;
            cancel.reason = "mischief";
            cancel.code = foreign [i];
            Fshare__Message msg = FSHARE__MESSAGE__INIT;
            msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
            msg.cancel = &cancel;
            client_send (side? bob: alice, &msg);
            if (side)
                client_expect_cancel (alice, transfer, FSH_ERR_CANCELLED,
                                      "cancelled by bob: mischief");
            else
                client_expect_error (bob, get_id, FSH_ERR_CANCELLED, "mischief");
        }
    }
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    Fshare__Cancel unreadable = FSHARE__CANCEL__INIT;
    unreadable.transfer = transfer;
    unreadable.reason = "cannot read file";
    unreadable.code = FSH_ERR_UNREADABLE;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
    msg.cancel = &unreadable;
    client_send (alice, &msg);
    client_expect_error (bob, get_id, FSH_ERR_UNREADABLE, "cannot read file");

    //  The requester logs out: the owner is told
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_logout (bob);
    client_expect_cancel (alice, transfer, FSH_ERR_REQUESTER_GONE, "requester bob logged out");
    client_destroy (&bob);

    //  The owner logs out: the requester is told
    bob = client_online (fx, "bob", 0);
    transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_logout (alice);
    client_expect_error (bob, get_id, FSH_ERR_OWNER_GONE, "owner alice logged out");
    s_expect_stats (bob, 0, 0);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_owner_goes_silent (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 100);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_id;
    uint64_t transfer = client_open (alice, bob, "docs/f0.txt", &get_id);
    client_credit (bob, transfer, 500);
    //  Bob keeps his session alive; alice says nothing more
    zpoller_t *poller = zpoller_new (bob->dealer, NULL);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    Fshare__Message *msg = NULL;
    while (!msg && zclock_mono () < deadline) {
        client_ping (bob);
        if (!zpoller_wait (poller, 50))
            continue;
        msg = fsh_msg_recv (bob->dealer);
        if (msg && msg->body_case == FSHARE__MESSAGE__BODY_PONG)
            fsh_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    assert_non_null (msg);
    assert_int_equal (msg->id, get_id);
    assert_string_equal (msg->error, "owner alice went away");
    fsh_msg_destroy (&msg);
    client_destroy (&bob);
    client_destroy (&alice);
}

static void
test_independent_transfers (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 2);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_a, get_b;
    uint64_t stalled = client_open (alice, bob, "docs/f0.txt", &get_a);
    uint64_t moving = client_open (alice, bob, "docs/f1.txt", &get_b);
    assert_true (stalled != moving);
    client_credit (bob, stalled, 100);
    s_expect_credit (alice, stalled, 100);
    s_chunk (alice, stalled, 0, 100, false);
    //  The stalled one grants nothing more; the other completes meanwhile
    client_credit (bob, moving, FILE_SIZE);
    s_expect_credit (alice, moving, FILE_SIZE);
    s_chunk (alice, moving, 0, FILE_SIZE, true);
    s_expect_chunk (bob, get_a, stalled, 0, 100, false);
    s_expect_chunk (bob, get_b, moving, 0, FILE_SIZE, true);
    s_done (bob, moving);
    Fshare__Message *done = client_recv (alice);
    assert_int_equal (done->done->transfer, moving);
    fsh_msg_destroy (&done);
    s_expect_stats (bob, 1, FILE_SIZE + 100);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  --max-transfers and --max-serving: a Get beyond either limit is refused
//  with its own error and never reaches the owner; a slot comes back when
//  a transfer ends.
static void
test_transfer_limits (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker_limited (fx, 1000, 2, 3);
    client_t *alice = client_online (fx, "alice", 2);
    client_t *bob = client_online (fx, "bob", 0);
    client_t *carol = client_online (fx, "carol", 0);
    uint64_t first_get = s_get (bob, "alice", "docs/f0.txt", 0, 0);
    uint64_t first = client_expect_serve (alice, "bob");
    s_get (bob, "alice", "docs/f1.txt", 0, 0);
    client_expect_serve (alice, "bob");
    char *error = s_get_refused (bob, "alice", "docs/f0.txt");
    assert_string_equal (error, "too many transfers");
    zstr_free (&error);

    s_get (carol, "alice", "docs/f0.txt", 0, 0);
    client_expect_serve (alice, "carol");
    error = s_get_refused (carol, "alice", "docs/f1.txt");
    assert_string_equal (error, "the owner is serving too many transfers; try again later");
    zstr_free (&error);
    s_expect_silence (alice, 100);
    s_expect_stats (bob, 3, 0);

    //  The owner ends one of bob's: both limits have room again
    client_cancel (alice, first, "owner changed its mind");
    client_expect_error (bob, first_get, FSH_ERR_CANCELLED, "owner changed its mind");
    s_get (bob, "alice", "docs/f0.txt", 0, 0);
    client_expect_serve (alice, "bob");
    client_destroy (&carol);
    client_destroy (&bob);
    client_destroy (&alice);
}

//  Credit is no proof that the requester reads: one that grants credit
//  and reads nothing gets the owner one window (16 MiB) in all, so unread
//  chunks cannot pile up in the broker. The receipt of a chunk it did read
//  moves the window on; a receipt not of a relayed chunk moves nothing.
static void
test_credit_needs_receipts (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1000);
    client_t *alice = client_online (fx, "alice", 1);
    client_t *bob = client_online (fx, "bob", 0);
    uint64_t get_id = client_get (bob, "alice", "docs/f0.txt", 0, 0, FIXTURE_FILE_MTIME);
    Fshare__Message *serve = client_recv (alice);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    const uint64_t mib = 1024 * 1024;
    client_opened (alice, transfer, 64 * mib, FIXTURE_FILE_MTIME, 0);
    s_expect_body (bob, FSHARE__MESSAGE__BODY_OPENED);

    //  A window, then credit for 20 MiB more that nothing was read for
    client_credit (bob, transfer, 8 * mib);
    s_expect_credit (alice, transfer, 8 * mib);
    for (int i = 0; i < 20; i++)
        client_credit (bob, transfer, mib);
    for (int i = 0; i < 8; i++)
        s_expect_credit (alice, transfer, mib);
    s_expect_silence (alice, 200);

    //  A chunk read and its receipt returned: that much more, no more
    s_chunk (alice, transfer, 0, 1000, false);
    uint64_t receipt = s_expect_chunk (bob, get_id, transfer, 0, 1000, false);
    client_credit_read (bob, transfer, 5000, 1000, receipt);
    s_expect_credit (alice, transfer, 1000);
    s_expect_silence (alice, 100);

    //  Receipts that are no relayed chunk's: beyond what was relayed, the
    //  right offset with a wrong value; then the right one
    s_chunk (alice, transfer, 1000, 1000, false);
    receipt = s_expect_chunk (bob, get_id, transfer, 1000, 1000, false);
    client_credit_read (bob, transfer, 1000, 3000, receipt);
    client_credit_read (bob, transfer, 1000, 2000, receipt ^ 1);
    s_expect_silence (alice, 200);
    client_credit_read (bob, transfer, 1000, 2000, receipt);
    s_expect_credit (alice, transfer, 1000);
    client_destroy (&bob);
    client_destroy (&alice);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_get_refusals, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_whole_flow, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_stats_events, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_each_side_its_own, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_resume_and_empty, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_protocol_violations, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_misshapen, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_trickling_owner, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_cancels, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_owner_goes_silent, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_independent_transfers, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_transfer_limits, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_credit_needs_receipts, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
