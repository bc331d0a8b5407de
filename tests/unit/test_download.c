/*  test_download.c - downloads through real agent and broker actors in
    one process, driven as fshare-ctl would drive them (CtlRequest "get"
    on the control socket). Where a test needs one side to misbehave or to
    pause at an exact point, that side is a raw protocol client instead of
    an agent: a raw owner to test the requester's agent, a raw requester to
    test the owner's agent. Everything on ipc endpoints in a temp dir.
    The requester's side against a raw owner is test_download_requester.c.
*/
#include "fixture_download.h"

static void
test_sizes_and_names (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    struct { const char *name; size_t size; char hex [65]; } files [] = {
        { "empty.bin", 0, "" }, { "one.bin", 1, "" }, { "chunk.bin", CHUNK, "" },
        { "chunk1.bin", CHUNK + 1, "" }, { "sub/dir/many.tar.gz", 13 * CHUNK + 77, "" }
    };
    size_t count = sizeof files / sizeof files [0];
    char *sub = zsys_sprintf ("%s/alice_files/sub/dir", fx->dir);
    assert_int_equal (fsh_mkdirs (sub, 0755), 0);
    zstr_free (&sub);
    for (size_t i = 0; i < count; i++)
        s_make_file (fx, "alice", files [i].name, files [i].size, files [i].hex);
    zactor_t *alice = s_agent_start (fx, "alice");
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    for (size_t i = 0; i < count; i++) {
        char *saved = s_get_ok (ctl, "alice", files [i].name, NULL, files [i].hex);
        const char *base = strrchr (files [i].name, '/');
        char *expected = s_path (fx, "bob", "downloads", base? base + 1: files [i].name);
        assert_string_equal (saved, expected);
        char *original = s_path (fx, "alice", "files", files [i].name);
        assert_true (fixture_same_content (saved, original));
        zstr_free (&original);
        zstr_free (&expected);
        zstr_free (&saved);
    }
    //  Again: a numbered name, the first copy untouched
    char *saved = s_get_ok (ctl, "alice", "sub/dir/many.tar.gz", NULL, files [4].hex);
    char *expected = s_path (fx, "bob", "downloads", "many.tar_1.gz");
    assert_string_equal (saved, expected);
    zstr_free (&saved);
    zstr_free (&expected);
    //  -o: a file name, then a directory
    char *output = zsys_sprintf ("%s/elsewhere.bin", fx->dir);
    saved = s_get_ok (ctl, "alice", "one.bin", output, files [1].hex);
    assert_string_equal (saved, output);
    zstr_free (&saved);
    saved = s_get_ok (ctl, "alice", "one.bin", output, files [1].hex);
    assert_non_null (strstr (saved, "/elsewhere_1.bin"));
    zstr_free (&saved);
    zstr_free (&output);
    saved = s_get_ok (ctl, "alice", "chunk.bin", fx->dir, files [2].hex);
    expected = zsys_sprintf ("%s/chunk.bin", fx->dir);
    assert_string_equal (saved, expected);
    zstr_free (&saved);
    zstr_free (&expected);
    //  No partial file anywhere
    char *command = zsys_sprintf ("find '%s' -name '*.fshare-part' | grep -q .", fx->dir);
    assert_int_not_equal (system (command), 0);
    zstr_free (&command);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    zactor_destroy (&alice);
}

static void
test_three_at_once (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char hex [3][65];
    const char *names [3] = { "a.bin", "b.bin", "c.bin" };
    for (int i = 0; i < 3; i++)
        s_make_file (fx, "alice", names [i], (size_t) (6 + i) * CHUNK + (size_t) i, hex [i]);
    zactor_t *alice = s_agent_start (fx, "alice");
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctls [3];
    for (int i = 0; i < 3; i++) {
        ctls [i] = fixture_ctl_connect (fx, "bob");
        s_get_send (ctls [i], "alice", names [i], NULL);
    }
    for (int i = 0; i < 3; i++) {
        Fshare__CtlReply *reply = s_get_wait (ctls [i], NULL);
        assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
        assert_string_equal (reply->get->sha256, hex [i]);
        char *original = s_path (fx, "alice", "files", names [i]);
        assert_true (fixture_same_content (reply->get->path, original));
        zstr_free (&original);
        fshare__ctl_reply__free_unpacked (reply, NULL);
        zsock_destroy (&ctls [i]);
    }
    zactor_destroy (&bob);
    zactor_destroy (&alice);
}

static void
test_refusals (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_make_file (fx, "alice", "a.txt", 10, NULL);
    s_make_file (fx, "bob", "mine.txt", 10, NULL);
    zactor_t *alice = s_agent_start (fx, "alice");
    zactor_t *bob = s_agent_start (fx, "bob");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    struct { const char *owner, *path, *error; } cases [] = {
        { "carol", "a.txt", "unknown user" },
        { "alice", "b.txt", "unknown file" },
        { "bob", "mine.txt", "that is your own file" },
        { "alice", "../a.txt", "invalid request: '.' or '..' in path" },
        { "-x", "a.txt", "invalid request: user name must not start with '.' or '-'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *error = s_get_error (ctl, cases [i].owner, cases [i].path, NULL);
        assert_string_equal (error, cases [i].error);
        zstr_free (&error);
    }
    //  A downloads "directory" that became a file: refused, even to root
    char *downloads = zsys_sprintf ("%s/bob_downloads", fx->dir);
    assert_int_equal (rmdir (downloads), 0);
    FILE *file = fopen (downloads, "w");
    fclose (file);
    char *error = s_get_error (ctl, "alice", "a.txt", NULL);
    assert_int_equal (strncmp (error, "downloads directory not writable", 32), 0);
    zstr_free (&error);
    assert_int_equal (s_size_of (downloads), 0);
    zstr_free (&downloads);
    zsock_destroy (&ctl);
    zactor_destroy (&bob);
    zactor_destroy (&alice);
}

//  --------------------------------------------------------------------------
//  Tests: the requester's agent against a raw owner

static void
test_owner_sees_changes (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_make_file (fx, "alice", "a.bin", 8 * CHUNK, NULL);
    s_make_file (fx, "alice", "b.bin", 8 * CHUNK, NULL);
    zactor_t *alice = s_agent_start (fx, "alice");
    client_t *bob = s_client_new (fx, "bob", NULL, 0);
    //  Rewritten during the transfer
    Fshare__Message *opened = s_requester_open (bob, "alice", "a.bin", 0, 0, 0);
    uint64_t transfer = opened->opened->transfer;
    assert_int_equal (opened->opened->size, 8 * CHUNK);
    fsh_msg_destroy (&opened);
    client_credit (bob, transfer, CHUNK);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    uint64_t received = 0;
    Fshare__Message *msg = s_requester_take (bob, &sha, &received, CHUNK);
    fsh_msg_destroy (&msg);
    char *path = s_path (fx, "alice", "files", "a.bin");
    FILE *file = fopen (path, "r+");
    fputs ("changed", file);
    fclose (file);
    client_credit (bob, transfer, CHUNK);
    msg = s_requester_take (bob, &sha, &received, 8 * CHUNK);
    assert_int_equal (msg->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (msg->error, "file changed during transfer");
    fsh_msg_destroy (&msg);

    //  Deleted during the transfer
    opened = s_requester_open (bob, "alice", "b.bin", 0, 0, 0);
    transfer = opened->opened->transfer;
    fsh_msg_destroy (&opened);
    client_credit (bob, transfer, CHUNK);
    received = 0;
    msg = s_requester_take (bob, &sha, &received, CHUNK);
    fsh_msg_destroy (&msg);
    zstr_free (&path);
    path = s_path (fx, "alice", "files", "b.bin");
    assert_int_equal (unlink (path), 0);
    client_credit (bob, transfer, CHUNK);
    msg = s_requester_take (bob, &sha, &received, 8 * CHUNK);
    assert_int_equal (msg->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (msg->error, "file deleted during transfer");
    fsh_msg_destroy (&msg);
    zstr_free (&path);
    client_destroy (&bob);
    zactor_destroy (&alice);
}

static void
test_owner_resume_and_fairness (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char hex [65];
    s_make_file (fx, "alice", "big.bin", 12 * CHUNK + 3, hex);
    zactor_t *alice = s_agent_start (fx, "alice");
    client_t *bob = s_client_new (fx, "bob", NULL, 0);
    client_t *carol = s_client_new (fx, "carol", NULL, 0);
    char *path = s_path (fx, "alice", "files", "big.bin");
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    zstr_free (&path);

    //  Bob resumes at 3 chunks and then stalls: he grants no more credit
    Fshare__Message *opened = s_requester_open (bob, "alice", "big.bin", 3 * CHUNK,
                                                (uint64_t) st.st_size, st.st_mtime);
    assert_int_equal (opened->opened->offset, 3 * CHUNK);
    uint64_t stalled = opened->opened->transfer;
    fsh_msg_destroy (&opened);
    client_credit (bob, stalled, CHUNK);

    //  Carol fetches the whole file meanwhile, at her own pace
    opened = s_requester_open (carol, "alice", "big.bin", 0, 0, 0);
    uint64_t moving = opened->opened->transfer;
    fsh_msg_destroy (&opened);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    uint64_t received = 0;
    client_credit (carol, moving, TRANSFER_WINDOW);
    Fshare__Message *msg = NULL;
    while (true) {
        msg = s_requester_take (carol, &sha, &received, received + 1);
        assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CHUNK);
        if (msg->chunk->last)
            break;
        client_credit (carol, moving, CHUNK);
        fsh_msg_destroy (&msg);
    }
    uint8_t digest [32];
    crypto_hash_sha256_final (&sha, digest);
    assert_memory_equal (msg->chunk->sha256.data, digest, 32);
    fsh_msg_destroy (&msg);

    //  Bob got exactly his one chunk, from where he resumed; the last
    //  chunk's digest covers the whole file
    zmq_msg_t data;
    zmq_msg_init (&data);
    msg = client_recv_data (bob, &data);
    assert_int_equal (msg->chunk->offset, 3 * CHUNK);
    assert_int_equal (zmq_msg_size (&data), CHUNK);
    zmq_msg_close (&data);
    fsh_msg_destroy (&msg);
    client_credit (bob, stalled, 16 * CHUNK);
    received = 4 * CHUNK;
    crypto_hash_sha256_init (&sha);
    msg = s_requester_take (bob, &sha, &received, 13 * CHUNK);
    assert_true (msg->chunk->last);
    char theirs [65];
    sodium_bin2hex (theirs, sizeof theirs, msg->chunk->sha256.data, 32);
    assert_string_equal (theirs, hex);
    fsh_msg_destroy (&msg);
    client_destroy (&carol);
    client_destroy (&bob);
    zactor_destroy (&alice);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_sizes_and_names, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_three_at_once, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_refusals, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_owner_sees_changes, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_owner_resume_and_fairness, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
