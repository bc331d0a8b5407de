/*  test_download.c - downloads through real agent and broker actors in
    one process, driven as fshare-ctl would drive them (CtlRequest "get"
    on the control socket). Where a test needs one side to misbehave or to
    pause at an exact point, that side is a raw protocol client instead of
    an agent: a raw owner to test the requester's agent, a raw requester to
    test the owner's agent. Everything on ipc endpoints in a temp dir.
*/
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sodium.h>

#define DEADLINE_MS 10000
#include "fixture.h"
#include "transfer.h"

#define CHUNK       TRANSFER_CHUNK

//  --------------------------------------------------------------------------
//  Fixture: a broker whose sessions need a message every 300 ms or so
//  (and are gone after six missed)

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("download");
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 300;
    //  1.8 s of silence before a session is gone: the agents under test
    //  keep their own pace on a loaded machine, and one dead owner is still
    //  noticed well within the fixture's deadline
    config.liveness = 6;
    fixture_broker_start (fx, &config);
    *state = fx;
    return 0;
}

//  --------------------------------------------------------------------------
//  Files

static char *
s_path (fixture_t *fx, const char *user, const char *kind, const char *name)
{
    return zsys_sprintf ("%s/%s_%s/%s", fx->dir, user, kind, name);
}

//  A file of `size` pseudo-random bytes in user's host dir; its SHA-256 in
//  hex (by libsodium, an implementation independent of the agents').
static void
s_make_file (fixture_t *fx, const char *user, const char *name, size_t size, char hex [65])
{
    char *dir = zsys_sprintf ("%s/%s_files", fx->dir, user);
    uint8_t digest [32];
    fixture_make_file (dir, name, size, (uint32_t) size * 2654435761u + (uint32_t) strlen (name),
                       digest);
    if (hex)
        sodium_bin2hex (hex, 65, digest, 32);
    zstr_free (&dir);
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

static off_t
s_size_of (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0? st.st_size: -1;
}

//  --------------------------------------------------------------------------
//  Agents and their control sockets

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

static void
s_get_send_again (zsock_t *ctl, const char *owner, const char *path, const char *output,
                  bool again)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    char *args [2] = { (char *) owner, (char *) path };
    request.command = "get";
    request.args = args;
    request.n_args = 2;
    request.output = (char *) (output? output: "");
    request.again = again;
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
}

static void
s_get_send (zsock_t *ctl, const char *owner, const char *path, const char *output)
{
    s_get_send_again (ctl, owner, path, output, false);
}

//  The final reply of a get, skipping progress; `first` (may be NULL)
//  gets a copy of the first progress report, if there was one.
static Fshare__CtlReply *
s_get_wait (zsock_t *ctl, Fshare__Progress *first)
{
    bool seen = false;
    while (true) {
        Fshare__CtlReply *reply = fixture_ctl_recv (ctl);
        if (!reply->more)
            return reply;
        //  Bare replies until the owner has answered, progress after
        if (reply->progress) {
            assert_true (reply->progress->done <= reply->progress->total);
            if (first && !seen)
                *first = *reply->progress;
            seen = true;
        }
        fshare__ctl_reply__free_unpacked (reply, NULL);
    }
}

//  A get expected to succeed: returns the saved path (caller frees),
//  checking the digest against `hex`.
static char *
s_get_ok (zsock_t *ctl, const char *owner, const char *path, const char *output,
          const char *hex)
{
    //  A new copy even when the owner publishes digests: these tests are
    //  about names and bytes ("already there" has its own test)
    s_get_send_again (ctl, owner, path, output, true);
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    if (reply->status != FSHARE__STATUS__STATUS_OK)
        fail_msg ("get %s:%s failed: %s", owner, path, reply->error);
    assert_non_null (reply->get);
    if (hex)
        assert_string_equal (reply->get->sha256, hex);
    char *saved = strdup (reply->get->path);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    return saved;
}

//  A get expected to fail: returns the error (caller frees).
static char *
s_get_error (zsock_t *ctl, const char *owner, const char *path, const char *output)
{
    s_get_send (ctl, owner, path, output);
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    char *error = strdup (reply->error);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    return error;
}

//  --------------------------------------------------------------------------
//  Raw protocol clients

//  Logged in and online, publishing one file of `size` bytes (or none);
//  it pings while it waits, to stay alive.
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
    if (sha256) {
        info.sha256.data = (uint8_t *) sha256;
        info.sha256.len = 32;
    }
    assert_null (client_publish (client, list, path? 1: 0));
    return client;
}

static client_t *
s_client_new (fixture_t *fx, const char *user, const char *path, uint64_t size)
{
    return s_client_publish (fx, user, path, size, 1700000000, NULL);
}

//  Raw owner: expects Serve, answers Opened; returns the transfer id.
static uint64_t
s_owner_open (client_t *owner, uint64_t size, uint64_t *asked_offset)
{
    Fshare__Message *serve = client_recv (owner);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    uint64_t transfer = serve->serve->transfer;
    uint64_t offset = serve->serve->offset;
    if (asked_offset)
        *asked_offset = offset;
    fsh_msg_destroy (&serve);
    client_opened (owner, transfer, size, 1700000000, offset);
    return transfer;
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

//  Raw owner sends bytes of 'x' (or `digest` on the last chunk).
static void
s_owner_chunk (client_t *owner, uint64_t transfer, uint64_t offset, size_t size,
               const uint8_t *digest)
{
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = transfer;
    chunk.offset = offset;
    chunk.last = digest != NULL;
    if (digest) {
        chunk.sha256.data = (uint8_t *) digest;
        chunk.sha256.len = 32;
    }
    zmq_msg_t data;
    zmq_msg_init_size (&data, size);
    memset (zmq_msg_data (&data), 'x', size);
    client_send_chunk (owner, &chunk, &data);
}

static void
s_expect_cancel (client_t *owner, const char *reason)
{
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_string_equal (msg->cancel->reason, reason);
    fsh_msg_destroy (&msg);
}

//  Raw requester: sends a Get, returns the Opened.
static Fshare__Message *
s_requester_open (client_t *requester, const char *owner, const char *path,
                  uint64_t offset, uint64_t expect_size, int64_t expect_mtime)
{
    client_get (requester, owner, path, offset, expect_size, expect_mtime);
    Fshare__Message *opened = client_recv (requester);
    if (opened->body_case != FSHARE__MESSAGE__BODY_OPENED)
        fail_msg ("expected opened, got %s: %s", fsh_msg_kind (opened), opened->error);
    return opened;
}

//  Raw requester receives chunks up to `until` bytes (or the last one),
//  hashing them into `state`. Returns the message that ended the wait.
static Fshare__Message *
s_requester_take (client_t *requester, crypto_hash_sha256_state *state,
                  uint64_t *received, uint64_t until)
{
    while (true) {
        zmq_msg_t data;
        zmq_msg_init (&data);
        Fshare__Message *msg = client_recv_data (requester, &data);
        if (msg->body_case != FSHARE__MESSAGE__BODY_CHUNK) {
            zmq_msg_close (&data);
            return msg;
        }
        assert_int_equal (msg->chunk->offset, *received);
        crypto_hash_sha256_update (state, zmq_msg_data (&data), zmq_msg_size (&data));
        *received += zmq_msg_size (&data);
        zmq_msg_close (&data);
        if (msg->chunk->last || *received >= until)
            return msg;
        fsh_msg_destroy (&msg);
    }
}


//  True when the agent behind `ctl` sees owner's `path` in its view.
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

//  The final reply of a get that must fail with `code`; returns its text.
static char *
s_get_fails (zsock_t *ctl, fsh_err_t code)
{
    Fshare__CtlReply *reply = s_get_wait (ctl, NULL);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, code);
    char *error = strdup (reply->error);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    return error;
}

//  SHA-256 of `size` bytes of 'x' (what s_owner_chunk sends).
static void
s_x_digest (size_t size, uint8_t digest [32])
{
    uint8_t *data = (uint8_t *) malloc (size + 1);
    memset (data, 'x', size);
    crypto_hash_sha256 (digest, data, size);
    free (data);
}

static void
s_write_x (const char *path, size_t size)
{
    uint8_t *data = (uint8_t *) malloc (size + 1);
    memset (data, 'x', size);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
    free (data);
}

static size_t
s_parts_in (const char *dir)
{
    char *command = zsys_sprintf ("find '%s' -name '*.fshare-part' | wc -l", dir);
    FILE *pipe = popen (command, "r");
    size_t count = 0;
    assert_int_equal (fscanf (pipe, "%zu", &count), 1);
    pclose (pipe);
    zstr_free (&command);
    return count;
}

//  --------------------------------------------------------------------------
//  Tests: real agents on both sides

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
        cmocka_unit_test_setup_teardown (test_requester_cancel_and_resume, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_ctl_vanishes, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_checks_opened, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_already_there, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_requester_switches_source, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_owner_sees_changes, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_owner_resume_and_fairness, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
