/*  fixture_download.h - the download tests' common steps (test_download.c
    and test_download_requester.c include it, in place of fixture.h): a
    broker with fast heartbeats, test files, agents driven by "get" on their
    control socket, and raw owners and requesters that pause at an exact
    point of a transfer.
*/
#ifndef FIXTURE_DOWNLOAD_H_INCLUDED
#define FIXTURE_DOWNLOAD_H_INCLUDED
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

static inline int
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

static inline char *
s_path (fixture_t *fx, const char *user, const char *kind, const char *name)
{
    return zsys_sprintf ("%s/%s_%s/%s", fx->dir, user, kind, name);
}

//  A file of `size` pseudo-random bytes in user's host dir; its SHA-256 in
//  hex (by libsodium, an implementation independent of the agents').
static inline void
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

static inline bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

static inline off_t
s_size_of (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0? st.st_size: -1;
}

//  --------------------------------------------------------------------------
//  Agents and their control sockets

static inline zactor_t *
s_agent_start (fixture_t *fx, const char *user)
{
    zactor_t *agent = fixture_agent_new (fx, user, "pw", NULL);
    char *word = fixture_word (agent, DEADLINE_MS);
    assert_non_null (word);
    assert_string_equal (word, "ONLINE");
    zstr_free (&word);
    return agent;
}

static inline void
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

static inline void
s_get_send (zsock_t *ctl, const char *owner, const char *path, const char *output)
{
    s_get_send_again (ctl, owner, path, output, false);
}

//  The final reply of a get, skipping progress; `first` (may be NULL)
//  gets a copy of the first progress report, if there was one.
static inline Fshare__CtlReply *
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
static inline char *
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
static inline char *
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
static inline client_t *
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

static inline client_t *
s_client_new (fixture_t *fx, const char *user, const char *path, uint64_t size)
{
    return s_client_publish (fx, user, path, size, 1700000000, NULL);
}

//  Raw owner: expects Serve, answers Opened; returns the transfer id.
static inline uint64_t
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

static inline uint64_t
s_expect_credit (client_t *owner)
{
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    uint64_t bytes = msg->credit->bytes;
    fsh_msg_destroy (&msg);
    return bytes;
}

//  Raw owner sends bytes of 'x' (or `digest` on the last chunk).
static inline void
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

static inline void
s_expect_cancel (client_t *owner, const char *reason)
{
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_string_equal (msg->cancel->reason, reason);
    fsh_msg_destroy (&msg);
}

//  Raw requester: sends a Get, returns the Opened.
static inline Fshare__Message *
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
static inline Fshare__Message *
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
static inline bool
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

static inline void
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
static inline char *
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
static inline void
s_x_digest (size_t size, uint8_t digest [32])
{
    uint8_t *data = (uint8_t *) malloc (size + 1);
    memset (data, 'x', size);
    crypto_hash_sha256 (digest, data, size);
    free (data);
}

static inline void
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

static inline size_t
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

#endif
