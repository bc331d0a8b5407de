/*  fixture_transfer.h - part of fixture.h (which includes it; tests
    include fixture.h only): a download's steps on raw protocol clients,
    as requester (Get, Credit, Cancel) and as owner (Opened, chunks), an
    owner publishing test files, and the checks of what each side is told
    (Serve, Opened, Cancel, a Get's failure with its code).
*/
#ifndef FIXTURE_TRANSFER_H_INCLUDED
#define FIXTURE_TRANSFER_H_INCLUDED

//  --------------------------------------------------------------------------
//  Raw clients: download steps, as requester or as owner

//  Asks for a file; returns the Get's id, which the transfer's messages
//  to the requester carry.
static inline uint64_t
client_get (client_t *self, const char *owner, const char *path, uint64_t offset,
            uint64_t expect_size, int64_t expect_mtime)
{
    Fshare__Get get = FSHARE__GET__INIT;
    get.owner = (char *) owner;
    get.path = (char *) path;
    get.offset = offset;
    get.expect_size = expect_size;
    get.expect_mtime = expect_mtime;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_GET;
    msg.get = &get;
    client_send (self, &msg);
    return msg.id;
}

//  The owner's answer to a Serve: the file it opened, and where it starts.
static inline void
client_opened (client_t *self, uint64_t transfer, uint64_t size, int64_t mtime,
               uint64_t offset)
{
    Fshare__Opened opened = FSHARE__OPENED__INIT;
    opened.transfer = transfer;
    opened.size = size;
    opened.mtime = mtime;
    opened.offset = offset;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_OPENED;
    msg.opened = &opened;
    client_send (self, &msg);
}

static inline void
client_credit_read (client_t *self, uint64_t transfer, uint64_t bytes,
                    uint64_t received, uint64_t receipt)
{
    Fshare__Credit credit = FSHARE__CREDIT__INIT;
    credit.transfer = transfer;
    credit.bytes = bytes;
    credit.received = received;
    credit.receipt = receipt;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CREDIT;
    msg.credit = &credit;
    client_send (self, &msg);
}

//  Credit without a receipt (before the first chunk, or a requester that
//  does not say what it read).
static inline void
client_credit (client_t *self, uint64_t transfer, uint64_t bytes)
{
    client_credit_read (self, transfer, bytes, 0, 0);
}

static inline void
client_cancel (client_t *self, uint64_t transfer, const char *reason)
{
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = transfer;
    cancel.reason = (char *) reason;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
    msg.cancel = &cancel;
    client_send (self, &msg);
}

//  The owner sends a chunk with its bytes (moved out of `data`).
static inline void
client_send_chunk (client_t *self, Fshare__Chunk *chunk, zmq_msg_t *data)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = ++self->next_id;
    msg.session = self->session;
    msg.body_case = FSHARE__MESSAGE__BODY_CHUNK;
    msg.chunk = chunk;
    assert_int_equal (fsh_chunk_send (&msg, self->dealer, NULL, 0, data), 0);
}

//  --------------------------------------------------------------------------
//  Owners of test files, and what each side of a transfer is told

//  The files of client_online: docs/f<i>.txt, this size and mtime each
#define FIXTURE_FILE_SIZE   1000
#define FIXTURE_FILE_MTIME  1700000000

//  A client logged in as `user` (password "pw") and online, publishing
//  `count` files docs/f0.txt .. (at most 8; 0: online with none).
static inline client_t *
client_online (fixture_t *fx, const char *user, int count)
{
    client_t *client = client_new (fx, NULL);
    assert_null (client_login (client, user, "pw"));
    Fshare__FileInfo infos [8];
    Fshare__FileInfo *list [8];
    char paths [8][32];
    assert_true (count <= 8);
    for (int i = 0; i < count; i++) {
        fshare__file_info__init (&infos [i]);
        snprintf (paths [i], sizeof paths [i], "docs/f%d.txt", i);
        infos [i].path = paths [i];
        infos [i].size = FIXTURE_FILE_SIZE;
        infos [i].mtime = FIXTURE_FILE_MTIME;
        list [i] = &infos [i];
    }
    assert_null (client_publish (client, list, (size_t) count));
    return client;
}

//  The owner is asked to serve `requester` (a user name); returns the
//  transfer id.
static inline uint64_t
client_expect_serve (client_t *owner, const char *requester)
{
    Fshare__Message *serve = client_recv (owner);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    assert_string_equal (serve->serve->requester, requester);
    uint64_t transfer = serve->serve->transfer;
    assert_true (transfer > 0);
    fsh_msg_destroy (&serve);
    return transfer;
}

//  The requester asks the owner for `path` (a file of client_online) from
//  the start; the owner is asked to serve it, opens it, and the requester
//  is told so. Returns the transfer id, the Get's id in *get_id.
static inline uint64_t
client_open (client_t *owner, client_t *requester, const char *path, uint64_t *get_id)
{
    *get_id = client_get (requester, owner->user, path, 0, 0, FIXTURE_FILE_MTIME);
    Fshare__Message *serve = client_recv (owner);
    assert_int_equal (serve->body_case, FSHARE__MESSAGE__BODY_SERVE);
    assert_string_equal (serve->serve->path, path);
    assert_string_equal (serve->serve->requester, requester->user);
    assert_int_equal (serve->serve->offset, 0);
    uint64_t transfer = serve->serve->transfer;
    assert_true (transfer > 0);
    fsh_msg_destroy (&serve);
    client_opened (owner, transfer, FIXTURE_FILE_SIZE, FIXTURE_FILE_MTIME, 0);
    Fshare__Message *opened = client_recv (requester);
    assert_int_equal (opened->body_case, FSHARE__MESSAGE__BODY_OPENED);
    assert_int_equal (opened->id, *get_id);
    assert_int_equal (opened->opened->transfer, transfer);
    assert_int_equal (opened->opened->size, FIXTURE_FILE_SIZE);
    assert_int_equal (opened->opened->mtime, FIXTURE_FILE_MTIME);
    fsh_msg_destroy (&opened);
    return transfer;
}

//  The owner is told that its transfer ended: a Cancel, this code and reason.
static inline void
client_expect_cancel (client_t *owner, uint64_t transfer, fsh_err_t code, const char *reason)
{
    Fshare__Message *msg = client_recv (owner);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_int_equal (msg->cancel->transfer, transfer);
    assert_int_equal (msg->cancel->code, code);
    assert_string_equal (msg->cancel->reason, reason);
    fsh_msg_destroy (&msg);
}

//  The requester's Get failed: an error reply to it, this code and text.
static inline void
client_expect_error (client_t *requester, uint64_t get_id, fsh_err_t code, const char *error)
{
    Fshare__Message *msg = client_recv (requester);
    assert_int_equal (msg->id, get_id);
    assert_int_equal (msg->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (msg->code, code);
    assert_string_equal (msg->error, error);
    fsh_msg_destroy (&msg);
}

#endif
