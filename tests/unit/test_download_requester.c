/*  test_download_requester.c - the requester's agent against a raw owner
    that pauses, lies or changes its file at an exact point: cancel and
    resume, a vanished fshare-ctl, Opened checked against what was
    published, "already there" and another source (SPEC 4.3).
*/
#include "fixture_download.h"

static void
test_requester_cancel_and_resume (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    uint64_t size = 10 * CHUNK;
    client_t *alice = s_client_new (fx, "alice", "big.bin", size);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_get_send (ctl, "alice", "big.bin", NULL);
    uint64_t transfer = s_owner_open (alice, size, NULL);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    s_owner_chunk (alice, transfer, 0, CHUNK, NULL);
    assert_int_equal (s_expect_credit (alice), CHUNK);
    //  The ctl cancels: the owner is told, the ctl gets its error
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "cancel";
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
    s_expect_cancel (alice, "cancelled by bob: interrupted");
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "interrupted");
    fshare__ctl_reply__free_unpacked (reply, NULL);
    reply = fixture_ctl_recv (ctl);
    assert_string_equal (reply->text, "1 download cancelled");
    fshare__ctl_reply__free_unpacked (reply, NULL);
    //  The partial file stays, and knows its source
    char *part = s_path (fx, "bob", "downloads", ".big.bin.fshare-part");
    assert_int_equal (s_size_of (part), CHUNK);
    char meta [512];
    assert_true (getxattr (part, "user.fshare.source", meta, sizeof meta) > 0);

    //  The next get resumes where it stopped
    s_get_send (ctl, "alice", "big.bin", NULL);
    uint64_t offset;
    transfer = s_owner_open (alice, size, &offset);
    assert_int_equal (offset, CHUNK);
    Fshare__Progress first;
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    //  The owner dies (logs out) mid-way: the ctl is told why, the part stays
    s_owner_chunk (alice, transfer, CHUNK, CHUNK, NULL);
    assert_int_equal (s_expect_credit (alice), CHUNK);
    Fshare__Logout logout = FSHARE__LOGOUT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGOUT;
    msg.logout = &logout;
    client_send (alice, &msg);
    reply = s_get_wait (ctl, &first);
    assert_true (first.resumed);
    assert_int_equal (first.resumed_at, CHUNK);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "owner alice logged out");
    fshare__ctl_reply__free_unpacked (reply, NULL);
    assert_int_equal (s_size_of (part), 2 * CHUNK);
    client_destroy (&alice);

    //  A new owner session whose file differs: restarted, then the digest
    //  is wrong: nothing under the final name, no partial file
    alice = s_client_publish (fx, "alice", "big.bin", 100, 1700000001, NULL);
    s_get_send (ctl, "alice", "big.bin", NULL);
    Fshare__Message *serve = client_recv (alice);
    assert_int_equal (serve->serve->offset, 2 * CHUNK);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, 100, 1700000001, 0);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    uint8_t wrong [32] = { 0 };
    s_owner_chunk (alice, transfer, 0, 100, wrong);
    s_expect_cancel (alice, "cancelled by bob: file corrupted in transit: SHA-256 mismatch");
    reply = s_get_wait (ctl, &first);
    assert_true (first.restarted);
    assert_string_equal (reply->error, "file corrupted in transit: SHA-256 mismatch");
    fshare__ctl_reply__free_unpacked (reply, NULL);
    assert_false (s_exists (part));
    char *final = s_path (fx, "bob", "downloads", "big.bin");
    assert_false (s_exists (final));
    zstr_free (&final);
    zstr_free (&part);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    client_destroy (&alice);
}

//  Cancelled before the owner answered: the Opened that comes later is
//  cancelled end to end (nothing is credited, nothing written), however
//  late it comes.
static void
test_requester_cancel_before_opened (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client_new (fx, "alice", "big.bin", 10 * CHUNK);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_get_send (ctl, "alice", "big.bin", NULL);
    Fshare__Message *serve = client_recv (alice);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "cancel";
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "interrupted");
    fshare__ctl_reply__free_unpacked (reply, NULL);
    reply = fixture_ctl_recv (ctl);
    assert_string_equal (reply->text, "1 download cancelled");
    fshare__ctl_reply__free_unpacked (reply, NULL);
    client_opened (alice, transfer, 10 * CHUNK, 1700000000, 0);
    s_expect_cancel (alice, "cancelled by bob: cancelled");
    char *final = s_path (fx, "bob", "downloads", "big.bin");
    assert_false (s_exists (final));
    zstr_free (&final);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    client_destroy (&alice);
}

static void
test_requester_ctl_vanishes (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *alice = s_client_new (fx, "alice", "big.bin", 10 * CHUNK);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_get_send (ctl, "alice", "big.bin", NULL);
    uint64_t transfer = s_owner_open (alice, 10 * CHUNK, NULL);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    //  fshare-ctl killed: its socket goes; the agent cancels end to end
    zsock_destroy (&ctl);
    s_expect_cancel (alice, "cancelled by bob: interrupted");
    //  The owner's file changes: its cancel reaches nobody, harmlessly
    client_cancel (alice, transfer, "file changed during transfer");
    zactor_destroy (&bob);
    client_destroy (&alice);
}

//  Opened is checked against what was published: a false size is a
//  protocol error, a newer version a changed file; neither leaves a
//  partial file, nothing is written past the announced size.
static void
test_requester_checks_opened (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    uint64_t size = 4 * CHUNK;
    client_t *alice = s_client_new (fx, "alice", "big.bin", size);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_wait_sees (ctl, "alice", "big.bin");
    char *downloads = zsys_sprintf ("%s/bob_downloads", fx->dir);

    //  2^62 bytes claimed for a file published at 4 MiB, same mtime
    s_get_send (ctl, "alice", "big.bin", NULL);
    Fshare__Message *serve = client_recv (alice);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, (uint64_t) 1 << 62, 1700000000, 0);
    Fshare__Message *msg = client_recv (alice);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_int_equal (msg->cancel->code, FSH_ERR_PROTOCOL_ERROR);
    fsh_msg_destroy (&msg);
    char *error = s_get_fails (ctl, FSH_ERR_PROTOCOL_ERROR);
    assert_string_equal (error, "protocol error: the owner's size disagrees with what it published");
    zstr_free (&error);
    assert_int_equal (s_parts_in (downloads), 0);

    //  A newer version than the one published: the file changed
    s_get_send (ctl, "alice", "big.bin", NULL);
    serve = client_recv (alice);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, size + 10, 1700000500, 0);
    s_expect_cancel (alice, "cancelled by bob: the owner's file changed since it was published");
    error = s_get_fails (ctl, FSH_ERR_FILE_CHANGED);
    assert_string_equal (error, "the owner's file changed since it was published");
    zstr_free (&error);
    assert_int_equal (s_parts_in (downloads), 0);

    //  Honest size, then a chunk past it: refused, nothing kept
    s_get_send (ctl, "alice", "big.bin", NULL);
    serve = client_recv (alice);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, size, 1700000000, 0);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    s_owner_chunk (alice, transfer, 0, CHUNK, NULL);
    assert_int_equal (s_expect_credit (alice), CHUNK);
    s_owner_chunk (alice, transfer, CHUNK, 3 * CHUNK + 1, NULL);
    msg = client_recv (alice);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_int_equal (msg->cancel->code, FSH_ERR_PROTOCOL_ERROR);
    fsh_msg_destroy (&msg);
    error = s_get_fails (ctl, FSH_ERR_PROTOCOL_ERROR);
    zstr_free (&error);
    assert_int_equal (s_parts_in (downloads), 0);
    zstr_free (&downloads);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    client_destroy (&alice);
}

//  Content already in the downloads directory is not fetched again;
//  --again fetches it; what was saved is then known without hashing.
static void
test_requester_already_there (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    size_t size = 2 * CHUNK + 5;
    uint8_t digest [32];
    s_x_digest (size, digest);
    char hex [65];
    sodium_bin2hex (hex, sizeof hex, digest, 32);
    client_t *alice = s_client_publish (fx, "alice", "x.bin", size, 1700000000, digest);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_wait_sees (ctl, "alice", "x.bin");
    //  The same content under another name, and a decoy of the same size
    char *other = s_path (fx, "bob", "downloads", "other.bin");
    s_write_x (other, size);
    char *decoy = s_path (fx, "bob", "downloads", "decoy.bin");
    s_write_x (decoy, size);
    FILE *file = fopen (decoy, "r+");
    fputc ('y', file);
    fclose (file);

    s_get_send (ctl, "alice", "x.bin", NULL);
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    assert_true (reply->get->identical);
    assert_string_equal (reply->get->path, other);
    assert_string_equal (reply->get->sha256, hex);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    //  Nothing was asked of the owner
    assert_null (client_recv_within (alice, 300, NULL));

    //  --again: a new copy under the next free name
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    char *args [2] = { "alice", "x.bin" };
    request.command = "get";
    request.args = args;
    request.n_args = 2;
    request.again = true;
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
    Fshare__Message *serve = client_recv (alice);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, size, 1700000000, 0);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    s_owner_chunk (alice, transfer, 0, CHUNK, NULL);
    s_owner_chunk (alice, transfer, CHUNK, CHUNK + 5, digest);
    reply = s_get_wait (ctl, NULL);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    assert_false (reply->get->identical);
    char *saved = s_path (fx, "bob", "downloads", "x.bin");
    assert_string_equal (reply->get->path, saved);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    assert_true (fixture_same_content (saved, other));
    //  The saved copy has the owner's mtime
    struct stat st;
    assert_int_equal (stat (saved, &st), 0);
    assert_int_equal (st.st_mtime, 1700000000);
    zstr_free (&saved);
    zstr_free (&decoy);
    zstr_free (&other);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    client_destroy (&alice);
}

//  The owner leaves mid-transfer; another user publishes the same digest:
//  the download continues from that copy at the offset reached.
static void
test_requester_switches_source (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    size_t size = 5 * CHUNK + 3;
    uint8_t digest [32];
    s_x_digest (size, digest);
    client_t *alice = s_client_publish (fx, "alice", "big.bin", size, 1700000000, digest);
    client_t *carol = s_client_publish (fx, "carol", "copy/of.bin", size, 1600000000, digest);
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_wait_sees (ctl, "alice", "big.bin");
    s_wait_sees (ctl, "carol", "copy/of.bin");

    s_get_send (ctl, "alice", "big.bin", NULL);
    Fshare__Message *serve = client_recv (alice);
    uint64_t transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (alice, transfer, size, 1700000000, 0);
    assert_int_equal (s_expect_credit (alice), TRANSFER_WINDOW);
    s_owner_chunk (alice, transfer, 0, CHUNK, NULL);
    s_owner_chunk (alice, transfer, CHUNK, CHUNK, NULL);
    assert_int_equal (s_expect_credit (alice), CHUNK);
    assert_int_equal (s_expect_credit (alice), CHUNK);
    client_destroy (&alice);    //  dies: the broker's heartbeat expiry

    //  Carol is asked to go on from 2 chunks, keyed on the digest
    serve = client_recv (carol);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    assert_string_equal (serve->serve->path, "copy/of.bin");
    assert_int_equal (serve->serve->offset, 2 * CHUNK);
    assert_int_equal (serve->serve->expect_size, size);
    assert_int_equal (serve->serve->expect_mtime, 1600000000);
    transfer = serve->serve->transfer;
    fsh_msg_destroy (&serve);
    client_opened (carol, transfer, size, 1600000000, 2 * CHUNK);
    assert_int_equal (s_expect_credit (carol), TRANSFER_WINDOW);
    s_owner_chunk (carol, transfer, 2 * CHUNK, 3 * CHUNK + 3, digest);
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    if (reply->status != FSHARE__STATUS__STATUS_OK)
        fail_msg ("the switched get failed: %s", reply->error);
    assert_string_equal (reply->get->switched_to, "carol");
    assert_int_equal (reply->get->size, size);
    char *saved = s_path (fx, "bob", "downloads", "big.bin");
    assert_string_equal (reply->get->path, saved);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    char *expected = zsys_sprintf ("%s/expected.bin", fx->dir);
    s_write_x (expected, size);
    assert_true (fixture_same_content (saved, expected));
    zstr_free (&expected);
    zstr_free (&saved);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    client_destroy (&carol);
}

//  --------------------------------------------------------------------------
//  Tests: the owner's agent against raw requesters

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_requester_cancel_and_resume, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_cancel_before_opened, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_ctl_vanishes, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_checks_opened, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_already_there, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_switches_source, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
