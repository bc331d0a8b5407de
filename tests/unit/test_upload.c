/*  test_upload.c - the owner's role in downloads (peer/upload.c), with
    the broker played by a DEALER at the other end of the downloads' link
    and the requester's messages handed in directly: Opened, then chunks
    only against credit (cut to the link's chunk size and to the credit),
    the last with the whole file's SHA-256, Done; refusals as a Cancel; a
    duplicate Serve; a resume prefix hashed in steps; a changed file; the
    stall clock, which runs only once the requester has credited; a known
    digest from the database, distrusted for good after 'corrupted'; the
    end of every upload with nothing sent.
*/
#include "fixture.h"
#include "upload.h"
#include "digestdb.h"
#include "chunk.h"
#include <sys/stat.h>
#include <sodium.h>

#define SIZE    (10 * 1000 + 7)

typedef struct {
    char dir [64];
    char root [96];
    zsock_t *broker;
    zsock_t *dealer;
    tlink_t link;
    uploads_t *uploads;
    uint8_t sha [32];           //  of root/f.bin
    uint64_t next_marker;
    char *corrupted;            //  the path the callback was given
} bench_t;

static void
s_on_corrupted (void *arg, const char *path)
{
    bench_t *fx = (bench_t *) arg;
    free (fx->corrupted);
    fx->corrupted = strdup (path);
}

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "upload");
    snprintf (fx->root, sizeof fx->root, "%s/files", fx->dir);
    assert_int_equal (mkdir (fx->root, 0755), 0);
    uint8_t data [SIZE];
    for (size_t i = 0; i < SIZE; i++)
        data [i] = (uint8_t) (i * 13 + 1);
    char *path = zsys_sprintf ("%s/f.bin", fx->root);
    FILE *file = fopen (path, "wb");
    assert_int_equal (fwrite (data, 1, SIZE, file), SIZE);
    fclose (file);
    assert_int_equal (chmod (path, 0750), 0);
    zstr_free (&path);
    crypto_hash_sha256 (fx->sha, data, SIZE);

    char endpoint [64];
    fixture_inproc (endpoint, sizeof endpoint, "upload");
    fx->broker = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_bind (fx->broker, "%s", endpoint), 0);
    zsock_set_rcvtimeo (fx->broker, 5000);
    fx->dealer = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (fx->dealer, "%s", endpoint), 0);
    fx->link.user = "owner";
    fx->link.dealer = fx->dealer;
    fx->link.session = "sess";
    fx->link.chunk = 4000;
    fx->uploads = uploads_new (&fx->link, fx->root);
    uploads_on_corrupted (fx->uploads, s_on_corrupted, fx);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uploads_destroy (&fx->uploads);
    assert_null (fx->uploads);
    zsock_destroy (&fx->dealer);
    zsock_destroy (&fx->broker);
    fixture_rm_rf (fx->dir);
    free (fx->corrupted);
    free (fx);
    return 0;
}

//  --------------------------------------------------------------------------
//  The requester's messages, as the broker forwards them

static void
s_serve (bench_t *fx, uint64_t transfer, const char *path, uint64_t offset,
         uint64_t expect_size, int64_t expect_mtime)
{
    Fshare__Serve serve = FSHARE__SERVE__INIT;
    serve.transfer = transfer;
    serve.path = (char *) path;
    serve.offset = offset;
    serve.expect_size = expect_size;
    serve.expect_mtime = expect_mtime;
    serve.requester = "bob";
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_SERVE;
    msg.serve = &serve;
    uploads_on_message (fx->uploads, &msg);
}

static void
s_credit (bench_t *fx, uint64_t transfer, uint64_t bytes)
{
    Fshare__Credit credit = FSHARE__CREDIT__INIT;
    credit.transfer = transfer;
    credit.bytes = bytes;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CREDIT;
    msg.credit = &credit;
    uploads_on_message (fx->uploads, &msg);
}

static void
s_done (bench_t *fx, uint64_t transfer)
{
    Fshare__Done done = FSHARE__DONE__INIT;
    done.transfer = transfer;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_DONE;
    msg.done = &done;
    uploads_on_message (fx->uploads, &msg);
}

static void
s_cancel (bench_t *fx, uint64_t transfer, fsh_err_t code)
{
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = transfer;
    cancel.code = code;
    cancel.reason = (char *) fsh_err_text (code);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
    msg.cancel = &cancel;
    uploads_on_message (fx->uploads, &msg);
}

//  --------------------------------------------------------------------------
//  What the broker receives

//  The next message; a chunk's bytes in *data (closed by the caller).
static Fshare__Message *
s_recv (bench_t *fx, zmq_msg_t *data)
{
    int frames = 0;
    Fshare__Message *msg = fsh_chunk_recv (fx->broker, 0, data, &frames);
    assert_non_null (msg);
    assert_string_equal (msg->session, "sess");
    return msg;
}

//  Nothing was sent since the last receive: a marker sent now through the
//  same link is the next message.
static void
s_expect_nothing (bench_t *fx)
{
    Fshare__Ping ping = FSHARE__PING__INIT;
    Fshare__Message marker = FSHARE__MESSAGE__INIT;
    marker.body_case = FSHARE__MESSAGE__BODY_PING;
    marker.ping = &ping;
    marker.id = ++fx->next_marker + 1000000;
    assert_int_equal (tlink_send (&fx->link, &marker), 0);
    zmq_msg_t data;
    Fshare__Message *msg = s_recv (fx, &data);
    zmq_msg_close (&data);
    if (msg->body_case != FSHARE__MESSAGE__BODY_PING)
        fail_msg ("a %s was sent", fsh_msg_kind (msg));
    assert_int_equal (msg->id, marker.id);
    fsh_msg_destroy (&msg);
}

static Fshare__Opened *
s_expect_opened (bench_t *fx, Fshare__Message **msg_p, uint64_t transfer)
{
    zmq_msg_t data;
    *msg_p = s_recv (fx, &data);
    zmq_msg_close (&data);
    assert_int_equal ((*msg_p)->body_case, FSHARE__MESSAGE__BODY_OPENED);
    assert_int_equal ((*msg_p)->opened->transfer, transfer);
    return (*msg_p)->opened;
}

static void
s_expect_cancel (bench_t *fx, uint64_t transfer, fsh_err_t code, const char *reason)
{
    zmq_msg_t data;
    Fshare__Message *msg = s_recv (fx, &data);
    zmq_msg_close (&data);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_int_equal (msg->cancel->transfer, transfer);
    assert_int_equal (msg->cancel->code, code);
    if (reason)
        assert_string_equal (msg->cancel->reason, reason);
    fsh_msg_destroy (&msg);
}

//  One chunk: at `offset`, of `size` bytes, the last or not; the bytes go
//  into the running digest.
static void
s_expect_chunk (bench_t *fx, uint64_t transfer, uint64_t offset, size_t size, bool last,
                crypto_hash_sha256_state *hash)
{
    zmq_msg_t data;
    Fshare__Message *msg = s_recv (fx, &data);
    assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CHUNK);
    assert_int_equal (msg->chunk->transfer, transfer);
    assert_int_equal (msg->chunk->offset, offset);
    assert_int_equal (zmq_msg_size (&data), size);
    assert_int_equal (msg->chunk->last, last);
    if (hash)
        crypto_hash_sha256_update (hash, (const uint8_t *) zmq_msg_data (&data), size);
    if (last) {
        assert_int_equal (msg->chunk->sha256.len, 32);
        assert_memory_equal (msg->chunk->sha256.data, fx->sha, 32);
    }
    else
        assert_int_equal (msg->chunk->sha256.len, 0);
    zmq_msg_close (&data);
    fsh_msg_destroy (&msg);
}

static int64_t
s_mtime (bench_t *fx)
{
    char *path = zsys_sprintf ("%s/f.bin", fx->root);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    zstr_free (&path);
    return (int64_t) st.st_mtim.tv_sec;
}

//  --------------------------------------------------------------------------

//  A whole upload: nothing before credit, chunks cut to the chunk size and
//  to the credit, the last with the digest, Done ends it.
static void
test_serve (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_serve (fx, 7, "f.bin", 0, 0, 0);
    Fshare__Message *msg;
    Fshare__Opened *opened = s_expect_opened (fx, &msg, 7);
    assert_int_equal (opened->size, SIZE);
    assert_int_equal (opened->mtime, s_mtime (fx));
    assert_int_equal (opened->offset, 0);
    assert_int_equal (opened->mode, 0750);
    assert_int_equal (opened->sha256.len, 0);
    fsh_msg_destroy (&msg);
    assert_int_equal (uploads_size (fx->uploads), 1);
    assert_false (uploads_pending (fx->uploads));
    s_expect_nothing (fx);

    crypto_hash_sha256_state hash;
    crypto_hash_sha256_init (&hash);
    s_credit (fx, 7, 6000);                 //  one chunk and a part of one
    s_expect_chunk (fx, 7, 0, 4000, false, &hash);
    s_expect_chunk (fx, 7, 4000, 2000, false, &hash);
    s_expect_nothing (fx);
    s_credit (fx, 7, 0);                    //  a sign of life, nothing more
    s_expect_nothing (fx);
    s_credit (fx, 7, 100000);
    s_expect_chunk (fx, 7, 6000, 4000, false, &hash);
    s_expect_chunk (fx, 7, 10000, 7, true, &hash);
    uint8_t got [32];
    crypto_hash_sha256_final (&hash, got);
    assert_memory_equal (got, fx->sha, 32);
    //  More credit after the last chunk: nothing
    s_credit (fx, 7, 100000);
    s_expect_nothing (fx);
    assert_int_equal (uploads_size (fx->uploads), 1);
    s_done (fx, 7);
    assert_int_equal (uploads_size (fx->uploads), 0);
    //  Messages for a transfer that is over: nothing
    s_credit (fx, 7, 100);
    s_done (fx, 7);
    s_cancel (fx, 7, FSH_ERR_CANCELLED);
    s_expect_nothing (fx);
}

//  What cannot be served is refused with a Cancel; a duplicate Serve is
//  not served twice; a requester's Cancel ends the upload quietly.
static void
test_refusals (void **state)
{
    bench_t *fx = (bench_t *) *state;
    const char *paths [] = { "missing.bin", "../files/f.bin", "/etc/passwd", "", ".f.bin.fshare-part" };
    for (size_t i = 0; i < sizeof paths / sizeof paths [0]; i++) {
        s_serve (fx, 20 + i, paths [i], 0, 0, 0);
        s_expect_cancel (fx, 20 + i, FSH_ERR_UNREADABLE, NULL);
    }
    assert_int_equal (uploads_size (fx->uploads), 0);

    s_serve (fx, 30, "f.bin", 0, 0, 0);
    Fshare__Message *msg;
    s_expect_opened (fx, &msg, 30);
    fsh_msg_destroy (&msg);
    s_serve (fx, 30, "f.bin", 0, 0, 0);
    s_expect_nothing (fx);
    assert_int_equal (uploads_size (fx->uploads), 1);
    s_cancel (fx, 30, FSH_ERR_CANCELLED);
    assert_int_equal (uploads_size (fx->uploads), 0);
    s_expect_nothing (fx);
    assert_null (fx->corrupted);
}

//  A resume: the prefix is hashed in steps (nothing is sent meanwhile),
//  then chunks from the offset; the last carries the whole file's digest.
static void
test_resume (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_serve (fx, 8, "f.bin", 9000, SIZE, s_mtime (fx));
    Fshare__Message *msg;
    Fshare__Opened *opened = s_expect_opened (fx, &msg, 8);
    assert_int_equal (opened->offset, 9000);
    fsh_msg_destroy (&msg);
    assert_true (uploads_pending (fx->uploads));
    s_credit (fx, 8, 100000);
    s_expect_nothing (fx);                  //  not before the prefix is hashed
    uint8_t buf [1000];
    int steps = 0;
    while (uploads_work (fx->uploads, buf, sizeof buf, sizeof buf))
        steps++;
    assert_true (steps >= 8);
    assert_false (uploads_pending (fx->uploads));
    s_expect_chunk (fx, 8, 9000, 1007, true, NULL);
    s_done (fx, 8);

    //  Another version than the one asked for: served from the start
    s_serve (fx, 9, "f.bin", 9000, SIZE, s_mtime (fx) - 1);
    opened = s_expect_opened (fx, &msg, 9);
    assert_int_equal (opened->offset, 0);
    fsh_msg_destroy (&msg);
    assert_false (uploads_pending (fx->uploads));
}

//  The file changes under an upload: a Cancel that says so.
static void
test_file_changes (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_serve (fx, 10, "f.bin", 0, 0, 0);
    Fshare__Message *msg;
    s_expect_opened (fx, &msg, 10);
    fsh_msg_destroy (&msg);
    s_credit (fx, 10, 4000);
    s_expect_chunk (fx, 10, 0, 4000, false, NULL);
    char *path = zsys_sprintf ("%s/f.bin", fx->root);
    FILE *file = fopen (path, "ab");
    fputs ("more", file);
    fclose (file);
    s_credit (fx, 10, 4000);
    s_expect_cancel (fx, 10, FSH_ERR_FILE_CHANGED, "file changed during transfer");
    assert_int_equal (uploads_size (fx->uploads), 0);
    zstr_free (&path);
}

//  Our own stall clock: a requester that has credited and owes more (or
//  its Done) past the limit is cancelled; one that never credited is left
//  to the broker's clock (it may be checking its partial file).
static void
test_stall (void **state)
{
    bench_t *fx = (bench_t *) *state;
    fx->link.stall_ms = 1;                  //  a limit of 1 + the margin
    Fshare__Message *msg;
    s_serve (fx, 11, "f.bin", 0, 0, 0);     //  never credited
    s_expect_opened (fx, &msg, 11);
    fsh_msg_destroy (&msg);
    s_serve (fx, 12, "f.bin", 0, 0, 0);     //  credited, then silent
    s_expect_opened (fx, &msg, 12);
    fsh_msg_destroy (&msg);
    s_serve (fx, 13, "f.bin", 0, 0, 0);     //  everything sent, Done never comes
    s_expect_opened (fx, &msg, 13);
    fsh_msg_destroy (&msg);
    s_credit (fx, 12, 4000);
    s_expect_chunk (fx, 12, 0, 4000, false, NULL);
    s_credit (fx, 13, SIZE);
    s_expect_chunk (fx, 13, 0, 4000, false, NULL);
    s_expect_chunk (fx, 13, 4000, 4000, false, NULL);
    s_expect_chunk (fx, 13, 8000, SIZE - 8000, true, NULL);
    //  Not yet past the limit
    uploads_tick (fx->uploads);
    s_expect_nothing (fx);
    zpoller_t *poller = zpoller_new (NULL);
    int64_t since = zclock_mono ();
    while (zclock_mono () - since <= tlink_stall_limit (&fx->link) + 10)
        zpoller_wait (poller, 50);
    //  Past the limit, but this process did not run for all that time
    //  (stopped, suspended): nobody is blamed for its own silence
    uploads_pause (fx->uploads, zclock_mono () - since);
    uploads_tick (fx->uploads);
    s_expect_nothing (fx);
    since = zclock_mono ();
    while (zclock_mono () - since <= tlink_stall_limit (&fx->link) + 10)
        zpoller_wait (poller, 50);
    zpoller_destroy (&poller);
    uploads_tick (fx->uploads);
    zmq_msg_t data;
    uint64_t cancelled [2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        msg = s_recv (fx, &data);
        zmq_msg_close (&data);
        assert_int_equal (msg->body_case, FSHARE__MESSAGE__BODY_CANCEL);
        assert_int_equal (msg->cancel->code, FSH_ERR_STALLED);
        assert_string_equal (msg->cancel->reason, "requester stalled");
        cancelled [i] = msg->cancel->transfer;
        fsh_msg_destroy (&msg);
    }
    assert_true ((cancelled [0] == 12 && cancelled [1] == 13)
              || (cancelled [0] == 13 && cancelled [1] == 12));
    s_expect_nothing (fx);
    assert_int_equal (uploads_size (fx->uploads), 1);
    //  Its first credit starts its clock, and credit goes as usual
    s_credit (fx, 11, 10);
    s_expect_chunk (fx, 11, 0, 10, false, NULL);
}

//  A digest the database knows for exactly this version: the Opened
//  carries it and nothing is hashed (not even a resume prefix). Found
//  'corrupted', that version is never served from the database again,
//  and the owner is told to hash it again; 'corrupted' about a digest we
//  computed ourselves asks for nothing.
static void
test_known_digest (void **state)
{
    bench_t *fx = (bench_t *) *state;
    char *db_path = zsys_sprintf ("%s/digests.db", fx->dir);
    digestdb_t *db = digestdb_open (db_path);
    char *path = zsys_sprintf ("%s/f.bin", fx->root);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    file_key_t key;
    file_key_of (&st, &key);
    digestdb_store (db, &key, fx->sha);
    digestdb_flush (db);
    uploads_set_digests (fx->uploads, db_path);

    s_serve (fx, 40, "f.bin", 9000, SIZE, s_mtime (fx));
    Fshare__Message *msg;
    Fshare__Opened *opened = s_expect_opened (fx, &msg, 40);
    assert_int_equal (opened->offset, 9000);
    assert_int_equal (opened->sha256.len, 32);
    assert_memory_equal (opened->sha256.data, fx->sha, 32);
    fsh_msg_destroy (&msg);
    assert_false (uploads_pending (fx->uploads));
    s_credit (fx, 40, 100000);
    s_expect_chunk (fx, 40, 9000, 1007, true, NULL);
    s_cancel (fx, 40, FSH_ERR_CORRUPTED);
    assert_non_null (fx->corrupted);
    assert_string_equal (fx->corrupted, "f.bin");
    zstr_free (&fx->corrupted);
    assert_int_equal (uploads_size (fx->uploads), 0);

    //  The same version again: hashed while read, not taken from the database
    s_serve (fx, 41, "f.bin", 0, 0, 0);
    opened = s_expect_opened (fx, &msg, 41);
    assert_int_equal (opened->sha256.len, 0);
    fsh_msg_destroy (&msg);
    s_cancel (fx, 41, FSH_ERR_CORRUPTED);
    assert_null (fx->corrupted);

    //  A database that cannot be opened: hash while reading
    uploads_set_digests (fx->uploads, "/nonexistent/digests.db");
    s_serve (fx, 42, "f.bin", 0, 0, 0);
    opened = s_expect_opened (fx, &msg, 42);
    assert_int_equal (opened->sha256.len, 0);
    fsh_msg_destroy (&msg);
    uploads_set_digests (fx->uploads, NULL);
    digestdb_destroy (&db);
    zstr_free (&path);
    zstr_free (&db_path);
}

//  The session is gone: every upload ends, nothing is sent; offline,
//  credit sends nothing either.
static void
test_end_all_and_offline (void **state)
{
    bench_t *fx = (bench_t *) *state;
    Fshare__Message *msg;
    s_serve (fx, 50, "f.bin", 0, 0, 0);
    s_expect_opened (fx, &msg, 50);
    fsh_msg_destroy (&msg);
    s_serve (fx, 51, "f.bin", 0, 0, 0);
    s_expect_opened (fx, &msg, 51);
    fsh_msg_destroy (&msg);
    fx->link.dealer = NULL;
    s_credit (fx, 50, 100000);
    fx->link.dealer = fx->dealer;
    s_expect_nothing (fx);
    uploads_end_all (fx->uploads, FSH_ERR_UNKNOWN_SESSION, NULL);
    assert_int_equal (uploads_size (fx->uploads), 0);
    s_expect_nothing (fx);
}

//  Only published files leave: a Serve for anything else (an ignored
//  file, one never published) is refused, and nothing of it is read.
static void
test_serves_only_published (void **state)
{
    bench_t *fx = (bench_t *) *state;
    char *secret = zsys_sprintf ("%s/secret.env", fx->root);
    FILE *file = fopen (secret, "wb");
    assert_non_null (file);
    fputs ("TOKEN=1", file);
    fclose (file);
    fileset_t *published = fileset_new ();
    fileset_put (published, "f.bin", SIZE, s_mtime (fx));
    uploads_set_published (fx->uploads, published);
    s_serve (fx, 60, "secret.env", 0, 0, 0);
    s_expect_cancel (fx, 60, FSH_ERR_UNKNOWN_FILE, NULL);
    assert_int_equal (uploads_size (fx->uploads), 0);
    s_serve (fx, 61, "f.bin", 0, 0, 0);
    Fshare__Message *msg;
    Fshare__Opened *opened = s_expect_opened (fx, &msg, 61);
    assert_int_equal (opened->size, SIZE);
    fsh_msg_destroy (&msg);
    //  Without a table (the default), any file beneath the root is served
    uploads_set_published (fx->uploads, NULL);
    s_serve (fx, 62, "secret.env", 0, 0, 0);
    opened = s_expect_opened (fx, &msg, 62);
    assert_int_equal (opened->size, 7);
    fsh_msg_destroy (&msg);
    uploads_end_all (fx->uploads, FSH_ERR_CANCELLED, "test over");
    fileset_destroy (&published);
    zstr_free (&secret);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_serves_only_published, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_serve, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resume, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_file_changes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stall, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_known_digest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_end_all_and_offline, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
