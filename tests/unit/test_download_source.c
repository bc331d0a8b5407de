/*  test_download_source.c - "another source" (SPEC 4.3) only when the
    owner is gone: an owner that ends the transfer with an error of its
    own (here: it cannot read the file any more) fails the download with
    that error, even while another online user publishes the same content.
    A real agent as the requester, raw protocol clients as the owner and
    the other copy, a broker actor, all on ipc in a temp dir.
*/
#include <sodium.h>

#define DEADLINE_MS 10000
#include "fixture.h"
#include "transfer.h"

#define CHUNK       TRANSFER_CHUNK

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("dlsource");
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 300;
    config.liveness = 6;
    fixture_broker_start (fx, &config);
    *state = fx;
    return 0;
}

static zactor_t *
s_agent_start (fixture_t *fx, const char *user)
{
    zactor_t *agent = fixture_agent_new (fx, user, "pw", NULL);
    char *word = fixture_word (agent, DEADLINE_MS);
    assert_non_null (word);
    assert_string_equal (word, "ONLINE");
    zstr_free (&word);
    return agent;
}

//  A raw client of `user` publishing one file with its digest.
static client_t *
s_client_publish (fixture_t *fx, const char *user, const char *path, uint64_t size,
                  int64_t mtime, const uint8_t *sha256)
{
    client_t *client = client_new (fx, NULL);
    client->keepalive_ms = 100;
    assert_null (client_login (client, user, "pw"));
    Fshare__FileInfo info = FSHARE__FILE_INFO__INIT;
    Fshare__FileInfo *list [1] = { &info };
    info.path = (char *) path;
    info.size = size;
    info.mtime = mtime;
    info.sha256.data = (uint8_t *) sha256;
    info.sha256.len = 32;
    assert_null (client_publish (client, list, 1));
    return client;
}

static bool
s_view_has (zsock_t *ctl, const char *owner, const char *path)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "ls";
    request.all = true;
    request.user = (char *) owner;
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
    bool found = false;
    while (true) {
        Fshare__CtlReply *reply = fixture_ctl_recv (ctl);
        for (size_t i = 0; i < reply->n_files; i++)
            if (streq (reply->files [i]->file->path, path))
                found = true;
        bool more = reply->more;
        fshare__ctl_reply__free_unpacked (reply, NULL);
        if (!more)
            break;
    }
    return found;
}

static void
s_wait_sees (zsock_t *ctl, const char *owner, const char *path)
{
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!s_view_has (ctl, owner, path)) {
        if (zclock_mono () > deadline)
            fail_msg ("%s:%s never showed in the view", owner, path);
        zclock_sleep (20);
    }
}

static uint64_t
s_expect_credit (client_t *owner)
{
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    uint64_t bytes = msg->credit->bytes;
    fsh_msg_destroy (&msg);
    return bytes;
}

static void
s_owner_chunk (client_t *owner, uint64_t transfer, uint64_t offset, size_t size)
{
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = transfer;
    chunk.offset = offset;
    zmq_msg_t data;
    zmq_msg_init_size (&data, size);
    memset (zmq_msg_data (&data), 'x', size);
    client_send_chunk (owner, &chunk, &data);
}

//  The get's final reply, past its progress reports.
static Fshare__CtlReply *
s_get_wait (zsock_t *ctl)
{
    while (true) {
        Fshare__CtlReply *reply = fixture_ctl_recv (ctl);
        if (!reply->more)
            return reply;
        fshare__ctl_reply__free_unpacked (reply, NULL);
    }
}

static void
test_owner_error_is_no_switch (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    size_t size = 5 * CHUNK + 3;
    uint8_t digest [32];
    uint8_t *bytes = (uint8_t *) malloc (size);
    memset (bytes, 'x', size);
    crypto_hash_sha256 (digest, bytes, size);
    free (bytes);
    client_t *alice = s_client_publish (fx, "alice", "big.bin", size, 1700000000, digest);
    client_t *carol = s_client_publish (fx, "carol", "copy/of.bin", size, 1600000000, digest);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_wait_sees (ctl, "alice", "big.bin");
    s_wait_sees (ctl, "carol", "copy/of.bin");

    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    char *args [2] = { "alice", "big.bin" };
    request.command = "get";
    request.args = args;
    request.n_args = 2;
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
    Fshare__Message *serve = client_recv (alice);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, size, 1700000000, 0);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    s_owner_chunk (alice, transfer, 0, CHUNK);
    assert_int_equal (s_expect_credit (alice), CHUNK);

    //  The owner, still online, cannot read on: its error, no other source
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = transfer;
    cancel.reason = "cannot read big.bin: Input/output error";
    cancel.code = FSH_ERR_UNREADABLE;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
    msg.cancel = &cancel;
    client_send (alice, &msg);

    Fshare__CtlReply *reply = s_get_wait (ctl);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, FSH_ERR_UNREADABLE);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    client_destroy (&carol);
    client_destroy (&alice);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_owner_error_is_no_switch, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
