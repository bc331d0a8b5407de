/*  transfer.c - the agent's downloads, in both roles. See transfer.h.

    Uploads are keyed by the broker's transfer id, downloads by the id of
    our Get (every message the broker sends about a download carries it).
    Those ids are drawn from a range of their own, far above the agent's
    request ids, so an error reply is never taken for the wrong request.
*/
#include "transfer.h"
#include "source.h"
#include "sink.h"
#include "chunk.h"
#include "idtable.h"
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

//  Resume prefixes are hashed this much per loop turn (a few ms)
#define PREPARE_STEP    (8 * 1024 * 1024)
//  Progress to the ctl; a ctl that is gone is noticed at the next one
#define TICK_MS         200
#define ID_BASE         ((uint64_t) 1 << 62)

typedef struct {
    uint64_t id;                //  the broker's transfer id (key)
    source_t *source;
    char *path;
    char *requester;
    uint64_t credit;            //  bytes we may still send
    bool ready;                 //  resume prefix hashed
    bool sent_last;             //  waiting for Done
    int64_t started;
} upload_t;

typedef struct {
    uint64_t id;                //  our Get's id (key)
    uint64_t transfer;          //  the broker's, from Opened; 0 before
    sink_t *sink;               //  NULL once the ctl has been answered
    char *owner;
    char *path;
    zframe_t *ctl;              //  the ctl waiting; NULL when gone
    bool preparing;             //  hashing the resumed part
    bool abandoned;             //  ended here before Opened: cancel it then
    int64_t started;
    uint64_t start_offset;
} download_t;

struct _transfers_t {
    zloop_t *loop;
    control_t *control;
    char *user;
    char *host_dir;
    char *downloads_dir;
    bool verbose;
    zsock_t *dealer;            //  the agent's; NULL when offline
    char *session;
    size_t chunk;               //  what we send as owner
    zhashx_t *uploads;          //  &id -> upload_t
    zhashx_t *downloads;        //  &id -> download_t
    uint64_t next_id;
    int work_timer;
    int tick_timer;
    uint8_t *scratch;           //  resume hashing reads through this
};

#define s_debug(self, ...) do { if ((self)->verbose) zsys_debug (__VA_ARGS__); } while (0)

static void s_schedule_work (transfers_t *self);

//  --------------------------------------------------------------------------
//  Tables keyed by uint64 (idtable.h)

//  The items of a table in a plain list, to walk while ending some of
//  them. (zhashx_values would give the list the table's destructor.)
static zlistx_t *
s_items (zhashx_t *table)
{
    zlistx_t *list = zlistx_new ();
    for (void *item = zhashx_first (table); item; item = zhashx_next (table))
        zlistx_add_end (list, item);
    return list;
}

static void
s_upload_destroy (void **item_p)
{
    upload_t *upload = (upload_t *) *item_p;
    if (upload) {
        source_destroy (&upload->source);
        free (upload->path);
        free (upload->requester);
        free (upload);
        *item_p = NULL;
    }
}

static void
s_download_destroy (void **item_p)
{
    download_t *download = (download_t *) *item_p;
    if (download) {
        sink_destroy (&download->sink);
        zframe_destroy (&download->ctl);
        free (download->owner);
        free (download->path);
        free (download);
        *item_p = NULL;
    }
}

static double
s_seconds_since (int64_t start)
{
    return (double) (zclock_mono () - start) / 1000.0;
}

static double
s_rate (uint64_t bytes, double seconds)
{
    return seconds > 0? (double) bytes / seconds / 1e6: 0;
}

//  --------------------------------------------------------------------------
//  To the broker

static int
s_send (transfers_t *self, Fshare__Message *msg)
{
    if (!self->dealer)
        return -1;
    msg->session = self->session;
    if (fsh_msg_send (msg, self->dealer) == 0)
        return 0;
    zsys_warning ("%s: cannot send %s to the broker: %s", self->user, fsh_msg_kind (msg),
                  zmq_strerror (errno));
    return -1;
}

static void
s_send_cancel (transfers_t *self, uint64_t transfer, fsh_err_t code, const char *reason)
{
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = transfer;
    cancel.code = code;
    cancel.reason = (char *) (reason? reason: fsh_err_text (code));
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
    msg.cancel = &cancel;
    s_send (self, &msg);
}

static void
s_send_credit (transfers_t *self, uint64_t transfer, uint64_t bytes)
{
    Fshare__Credit credit = FSHARE__CREDIT__INIT;
    credit.transfer = transfer;
    credit.bytes = bytes;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CREDIT;
    msg.credit = &credit;
    s_send (self, &msg);
}

//  --------------------------------------------------------------------------
//  Owner side

static void
s_upload_end (transfers_t *self, upload_t *upload, fsh_err_t code, const char *reason,
              bool tell_broker)
{
    if (tell_broker)
        s_send_cancel (self, upload->id, code, reason);
    zsys_warning ("%s: serving '%s' to %s stopped after %" PRIu64 " bytes: %s", self->user,
                  upload->path, upload->requester,
                  source_position (upload->source) - source_offset (upload->source), reason);
    zhashx_delete (self->uploads, &upload->id);
}

//  Send chunks while the credit lasts. Chunk data is read straight into
//  the zmq message that carries it: no copy on our side.
static void
s_upload_send (transfers_t *self, upload_t *upload)
{
    while (upload->ready && !upload->sent_last && self->dealer) {
        uint64_t left = source_size (upload->source) - source_position (upload->source);
        size_t size = left < self->chunk? (size_t) left: self->chunk;
        if (size > upload->credit)
            size = (size_t) upload->credit;
        if (upload->credit == 0 || (size == 0 && left > 0))
            return;
        zmq_msg_t data;
        zmq_msg_init_size (&data, size);
        uint64_t offset = source_position (upload->source);
        bool last = false;
        char *error = NULL;
        if (source_read (upload->source, zmq_msg_data (&data), size, &last, &error) < 0) {
            zmq_msg_close (&data);
            s_upload_end (self, upload, source_code (upload->source), error, true);
            zstr_free (&error);
            return;
        }
        Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
        chunk.transfer = upload->id;
        chunk.offset = offset;
        chunk.last = last;
        if (last) {
            chunk.sha256.data = (uint8_t *) source_digest (upload->source);
            chunk.sha256.len = DIGEST_SIZE;
        }
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.session = self->session;
        msg.body_case = FSHARE__MESSAGE__BODY_CHUNK;
        msg.chunk = &chunk;
        if (fsh_chunk_send (&msg, self->dealer, NULL, 0, &data) == -1) {
            //  The broker is not taking our messages: it will end this
            //  transfer (or our session) itself
            char *why = zsys_sprintf ("cannot send to the broker: %s", zmq_strerror (errno));
            s_upload_end (self, upload, FSH_ERR_BROKER_UNREACHABLE, why, false);
            zstr_free (&why);
            return;
        }
        upload->credit -= size;
        upload->sent_last = last;
    }
}

static void
s_on_serve (transfers_t *self, Fshare__Message *msg)
{
    Fshare__Serve *serve = msg->serve;
    if (zhashx_lookup (self->uploads, &serve->transfer))
        return;                 //  a duplicate: the first one stands
    const char *requester = fsh_text_valid (serve->requester, FSH_USER_MAX)?
                            serve->requester: "(someone)";
    char *error = NULL;
    source_t *source = source_new (self->host_dir, serve->path, serve->offset,
                                   serve->expect_size, serve->expect_mtime, &error);
    if (!source) {
        zsys_warning ("%s: cannot serve '%s' to %s: %s", self->user,
                      fsh_text_valid (serve->path, FSH_PATH_MAX)? serve->path: "(invalid)",
                      requester, error);
        s_send_cancel (self, serve->transfer, FSH_ERR_UNREADABLE, error);
        zstr_free (&error);
        return;
    }
    upload_t *upload = (upload_t *) zmalloc (sizeof (upload_t));
    upload->id = serve->transfer;
    upload->source = source;
    upload->path = strdup (serve->path);
    upload->requester = strdup (requester);
    upload->started = zclock_mono ();
    upload->ready = source_offset (source) == 0;
    zhashx_insert (self->uploads, &upload->id, upload);

    Fshare__Opened opened = FSHARE__OPENED__INIT;
    opened.transfer = upload->id;
    opened.size = source_size (source);
    opened.mtime = source_mtime (source);
    opened.offset = source_offset (source);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.body_case = FSHARE__MESSAGE__BODY_OPENED;
    reply.opened = &opened;
    s_send (self, &reply);
    zsys_info ("%s: serving '%s' to %s: %" PRIu64 " bytes%s", self->user, upload->path,
               upload->requester, opened.size, opened.offset? " (resumed)": "");
    if (!upload->ready)
        s_schedule_work (self);
}

static void
s_on_upload_done (transfers_t *self, upload_t *upload)
{
    double seconds = s_seconds_since (upload->started);
    uint64_t bytes = source_size (upload->source) - source_offset (upload->source);
    zsys_info ("%s: served '%s' to %s: %" PRIu64 " bytes in %.3f s (%.1f MB/s)", self->user,
               upload->path, upload->requester, bytes, seconds, s_rate (bytes, seconds));
    zhashx_delete (self->uploads, &upload->id);
}

//  Messages to the owner: Serve, Credit, Done, Cancel.
static void
s_on_owner_message (transfers_t *self, Fshare__Message *msg)
{
    if (msg->body_case == FSHARE__MESSAGE__BODY_SERVE) {
        s_on_serve (self, msg);
        return;
    }
    uint64_t id = msg->body_case == FSHARE__MESSAGE__BODY_CREDIT? msg->credit->transfer
                : msg->body_case == FSHARE__MESSAGE__BODY_DONE? msg->done->transfer
                : msg->cancel->transfer;
    upload_t *upload = (upload_t *) zhashx_lookup (self->uploads, &id);
    if (!upload)
        return;                 //  crossed our own end of it
    if (msg->body_case == FSHARE__MESSAGE__BODY_CREDIT) {
        upload->credit += msg->credit->bytes;
        s_upload_send (self, upload);
    }
    else
    if (msg->body_case == FSHARE__MESSAGE__BODY_DONE)
        s_on_upload_done (self, upload);
    else {
        fsh_err_t code = fsh_err_received (msg->cancel->code, FSH_ERR_CANCELLED);
        const char *reason = fsh_text_valid (msg->cancel->reason, 512)?
                             msg->cancel->reason: fsh_err_text (code);
        s_upload_end (self, upload, code, reason, false);
    }
}

//  --------------------------------------------------------------------------
//  Requester side

//  Progress to the ctl; before the owner has answered, a bare "still
//  working" reply. Either way a ctl that is gone is noticed here.
static void
s_progress (transfers_t *self, download_t *download)
{
    if (!download->ctl || !download->sink)
        return;
    Fshare__Progress progress = FSHARE__PROGRESS__INIT;
    progress.done = sink_written (download->sink);
    progress.total = sink_size (download->sink);
    progress.resumed = sink_resumed (download->sink);
    progress.resumed_at = download->start_offset;
    progress.restarted = sink_restarted (download->sink);
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.more = true;
    reply.progress = download->transfer? &progress: NULL;
    if (control_reply (self->control, download->ctl, &reply) == -1)
        zframe_destroy (&download->ctl);    //  gone: the tick cancels it
}

//  End a download here: tell the broker (now, or when the Opened that is
//  still on its way arrives), answer the ctl, keep or drop the partial file.
static void
s_download_fail (transfers_t *self, download_t *download, fsh_err_t code, const char *reason,
                 bool tell_broker)
{
    if (!reason)
        reason = fsh_err_text (code);
    if (download->sink) {
        zsys_warning ("%s: download of %s:'%s' failed after %.3f s: %s", self->user,
                      download->owner, download->path, s_seconds_since (download->started),
                      reason);
        //  A failure that leaves the partial file a valid prefix of the
        //  owner's file keeps it for a resume; one about the content not
        sink_abort (download->sink, fsh_err_keeps_partial (code));
        sink_destroy (&download->sink);
    }
    if (download->ctl)
        control_reply_error (self->control, download->ctl, code, reason);
    zframe_destroy (&download->ctl);
    if (tell_broker && !download->transfer && self->dealer) {
        download->abandoned = true;
        return;
    }
    if (tell_broker && download->transfer)
        s_send_cancel (self, download->transfer, code, reason);
    zhashx_delete (self->downloads, &download->id);
}

static void
s_download_succeed (transfers_t *self, download_t *download)
{
    sink_t *sink = download->sink;
    double seconds = s_seconds_since (download->started);
    uint64_t bytes = sink_size (sink) - download->start_offset;
    zsys_info ("%s: downloaded %s:'%s' to %s: %" PRIu64 " bytes in %.3f s (%.1f MB/s)%s",
               self->user, download->owner, download->path, sink_saved (sink),
               sink_size (sink), seconds, s_rate (bytes, seconds),
               sink_resumed (sink)? ", resumed": "");
    if (download->ctl) {
        Fshare__GetResult result = FSHARE__GET_RESULT__INIT;
        result.path = (char *) sink_saved (sink);
        result.size = sink_size (sink);
        result.sha256 = (char *) sink_sha256 (sink);
        result.resumed = sink_resumed (sink);
        result.resumed_at = download->start_offset;
        result.restarted = sink_restarted (sink);
        result.duration_ms = (uint64_t) (seconds * 1000);
        Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
        reply.get = &result;
        control_reply (self->control, download->ctl, &reply);
    }
    zhashx_delete (self->downloads, &download->id);
}

static void
s_on_opened (transfers_t *self, download_t *download, Fshare__Opened *opened)
{
    if (download->transfer || !opened->transfer) {
        s_download_fail (self, download, FSH_ERR_PROTOCOL_ERROR, "protocol error: opened twice",
                         false);
        return;
    }
    download->transfer = opened->transfer;
    if (download->abandoned) {
        s_download_fail (self, download, FSH_ERR_CANCELLED, NULL, true);
        return;
    }
    char *error = NULL;
    if (sink_start (download->sink, opened->size, opened->mtime, opened->offset, &error)) {
        s_download_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
        return;
    }
    download->start_offset = opened->offset;
    s_debug (self, "%s: %s:'%s' opened: %" PRIu64 " bytes from %" PRIu64, self->user,
             download->owner, download->path, opened->size, opened->offset);
    s_progress (self, download);
    if (sink_resumed (download->sink)) {
        download->preparing = true;
        s_schedule_work (self);
    }
    else
        s_send_credit (self, download->transfer, TRANSFER_WINDOW);
}

static void
s_on_chunk (transfers_t *self, download_t *download, Fshare__Chunk *chunk, zmq_msg_t *data)
{
    if (!download->sink || chunk->transfer != download->transfer || download->preparing
    ||  !data) {
        s_download_fail (self, download, FSH_ERR_PROTOCOL_ERROR,
                         "protocol error: unexpected chunk", true);
        return;
    }
    char *error = NULL;
    size_t size = zmq_msg_size (data);
    if (sink_write (download->sink, chunk->offset, zmq_msg_data (data), size, &error)) {
        s_download_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
        return;
    }
    if (!chunk->last) {
        if (size)
            s_send_credit (self, download->transfer, size);
        return;
    }
    if (sink_finish (download->sink, chunk->sha256.data, chunk->sha256.len, &error)) {
        s_download_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
        return;
    }
    //  Acknowledged only now that the file is safe under its name
    Fshare__Done done = FSHARE__DONE__INIT;
    done.transfer = download->transfer;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_DONE;
    msg.done = &done;
    s_send (self, &msg);
    s_download_succeed (self, download);
}

//  Messages to the requester carry our Get's id: Opened, Chunk, errors.
static bool
s_on_requester_message (transfers_t *self, Fshare__Message *msg, zmq_msg_t *data)
{
    download_t *download = (download_t *) zhashx_lookup (self->downloads, &msg->id);
    if (!download) {
        //  Ended here before the owner answered: end it there too
        if (msg->body_case == FSHARE__MESSAGE__BODY_OPENED
        &&  msg->status == FSHARE__STATUS__STATUS_OK)
            s_send_cancel (self, msg->opened->transfer, FSH_ERR_CANCELLED, NULL);
        return msg->status != FSHARE__STATUS__STATUS_ERROR;
    }
    if (msg->status == FSHARE__STATUS__STATUS_ERROR) {
        fsh_err_t code = fsh_msg_error_code (msg, FSH_ERR_INTERNAL);
        const char *error = fsh_text_valid (msg->error, 512) && *msg->error?
                            msg->error: fsh_err_text (code);
        bool agent_too = code == FSH_ERR_UNKNOWN_SESSION;
        s_download_fail (self, download, code, agent_too? "lost the broker's session": error,
                         false);
        return !agent_too;
    }
    if (download->abandoned && msg->body_case == FSHARE__MESSAGE__BODY_CHUNK)
        return true;            //  crossed our cancel
    if (msg->body_case == FSHARE__MESSAGE__BODY_OPENED)
        s_on_opened (self, download, msg->opened);
    else
        s_on_chunk (self, download, msg->chunk, data);
    return true;
}

//  Where the ctl wants the file: (dir, name) from -o, else the downloads
//  directory and the file's base name. -1 with *error.
static int
s_destination (transfers_t *self, const char *path, const char *output,
               char **dir, char **name, char **error)
{
    const char *slash = strrchr (path, '/');
    const char *base = slash? slash + 1: path;
    if (!output || !*output) {
        *dir = strdup (self->downloads_dir);
        *name = strdup (base);
        return 0;
    }
    if (output [0] != '/' || !fsh_text_valid (output, FSH_PATH_MAX)) {
        *error = strdup ("-o: not an absolute path");
        return -1;
    }
    struct stat st;
    if (stat (output, &st) == 0 && S_ISDIR (st.st_mode)) {
        *dir = strdup (output);
        *name = strdup (base);
        return 0;
    }
    slash = strrchr (output, '/');
    if (!slash [1]) {
        *error = zsys_sprintf ("-o %s: no such directory", output);
        return -1;
    }
    *dir = slash == output? strdup ("/"): zsys_sprintf ("%.*s", (int) (slash - output), output);
    *name = strdup (slash + 1);
    return 0;
}

void
transfers_get (transfers_t *self, zframe_t *to, Fshare__CtlRequest *request)
{
    if (request->n_args != 2) {
        control_reply_error (self->control, to, FSH_ERR_BAD_REQUEST, "get needs OWNER and PATH");
        return;
    }
    const char *owner = request->args [0];
    const char *path = request->args [1];
    const char *problem = fsh_user_check (owner);
    if (!problem)
        problem = fsh_path_check (path);
    if (problem) {
        char *error = zsys_sprintf ("invalid request: %s", problem);
        control_reply_error (self->control, to, FSH_ERR_BAD_REQUEST, error);
        zstr_free (&error);
        return;
    }
    if (!self->dealer) {
        control_reply_error (self->control, to, FSH_ERR_BROKER_UNREACHABLE, NULL);
        return;
    }
    char *dir = NULL, *name = NULL, *error = NULL;
    sink_t *sink = NULL;
    fsh_err_t code = FSH_ERR_BAD_REQUEST;
    if (s_destination (self, path, request->output, &dir, &name, &error) == 0)
        sink = sink_new (dir, name, owner, path, &code, &error);
    free (dir);
    free (name);
    if (!sink) {
        zsys_warning ("%s: download of %s:'%s' refused: %s", self->user, owner, path, error);
        control_reply_error (self->control, to, code, error);
        zstr_free (&error);
        return;
    }
    download_t *download = (download_t *) zmalloc (sizeof (download_t));
    download->id = ++self->next_id;
    download->sink = sink;
    download->owner = strdup (owner);
    download->path = strdup (path);
    download->ctl = zframe_dup (to);
    download->started = zclock_mono ();
    zhashx_insert (self->downloads, &download->id, download);

    Fshare__Get get = FSHARE__GET__INIT;
    get.owner = download->owner;
    get.path = download->path;
    get.offset = sink_offset (sink);
    get.expect_size = sink_expect_size (sink);
    get.expect_mtime = sink_expect_mtime (sink);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = download->id;
    msg.body_case = FSHARE__MESSAGE__BODY_GET;
    msg.get = &get;
    s_debug (self, "%s: get %s:'%s' into %s (offset %" PRIu64 ")", self->user, owner, path,
             sink_part (sink), get.offset);
    if (s_send (self, &msg))
        s_download_fail (self, download, FSH_ERR_BROKER_UNREACHABLE, NULL, false);
    else
        s_progress (self, download);    //  accepted: the ctl can wait now
}

void
transfers_cancel (transfers_t *self, zframe_t *to)
{
    zlistx_t *mine = zlistx_new ();
    for (download_t *download = (download_t *) zhashx_first (self->downloads); download;
         download = (download_t *) zhashx_next (self->downloads))
        if (download->ctl && zframe_eq (download->ctl, to))
            zlistx_add_end (mine, download);
    size_t count = zlistx_size (mine);
    for (download_t *download = (download_t *) zlistx_first (mine); download;
         download = (download_t *) zlistx_next (mine))
        s_download_fail (self, download, FSH_ERR_CANCELLED, "interrupted", true);
    zlistx_destroy (&mine);
    char *text = zsys_sprintf ("%zu download%s cancelled", count, count == 1? "": "s");
    control_reply_ok (self->control, to, text);
    zstr_free (&text);
}

//  --------------------------------------------------------------------------
//  Timers: resume hashing in steps, progress and vanished ctls

static int
s_on_work (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    transfers_t *self = (transfers_t *) arg;
    self->work_timer = 0;
    char *error = NULL;
    zlistx_t *list = s_items (self->uploads);
    for (upload_t *upload = (upload_t *) zlistx_first (list); upload;
         upload = (upload_t *) zlistx_next (list)) {
        if (upload->ready)
            continue;
        int rc = source_prepare (upload->source, self->scratch, TRANSFER_CHUNK, PREPARE_STEP,
                                 &error);
        if (rc == -1) {
            s_upload_end (self, upload, source_code (upload->source), error, true);
            zstr_free (&error);
        }
        else
        if (rc == 1) {
            upload->ready = true;
            s_upload_send (self, upload);
        }
    }
    zlistx_destroy (&list);
    list = s_items (self->downloads);
    for (download_t *download = (download_t *) zlistx_first (list); download;
         download = (download_t *) zlistx_next (list)) {
        if (!download->preparing)
            continue;
        int rc = sink_prepare (download->sink, self->scratch, TRANSFER_CHUNK, PREPARE_STEP,
                               &error);
        if (rc == -1) {
            s_download_fail (self, download, sink_code (download->sink), error, true);
            zstr_free (&error);
        }
        else
        if (rc == 1) {
            download->preparing = false;
            s_send_credit (self, download->transfer, TRANSFER_WINDOW);
        }
    }
    zlistx_destroy (&list);
    s_schedule_work (self);
    return 0;
}

static void
s_schedule_work (transfers_t *self)
{
    if (self->work_timer)
        return;
    bool pending = false;
    for (upload_t *upload = (upload_t *) zhashx_first (self->uploads); upload && !pending;
         upload = (upload_t *) zhashx_next (self->uploads))
        pending = !upload->ready;
    for (download_t *download = (download_t *) zhashx_first (self->downloads);
         download && !pending; download = (download_t *) zhashx_next (self->downloads))
        pending = download->preparing;
    if (pending)
        self->work_timer = zloop_timer (self->loop, 1, 1, s_on_work, self);
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    transfers_t *self = (transfers_t *) arg;
    zlistx_t *list = s_items (self->downloads);
    for (download_t *download = (download_t *) zlistx_first (list); download;
         download = (download_t *) zlistx_next (list)) {
        s_progress (self, download);
        //  The ctl went away (interrupted): cancel end to end
        if (!download->ctl && download->sink) {
            zsys_info ("%s: the ctl of %s:'%s' went away: cancelling", self->user,
                       download->owner, download->path);
            s_download_fail (self, download, FSH_ERR_CANCELLED, "interrupted", true);
        }
    }
    zlistx_destroy (&list);
    return 0;
}

//  --------------------------------------------------------------------------
//  Life cycle and the broker link

transfers_t *
transfers_new (zloop_t *loop, control_t *control, const char *user,
               const char *host_dir, const char *downloads, bool verbose)
{
    //  Process-wide, on purpose: see transfer.h
    signal (SIGXFSZ, SIG_IGN);
    //  Every chunk is a fresh zmq message of up to TRANSFER_CHUNK bytes;
    //  malloc's defaults would hand each one new pages (mmap above
    //  128 KiB, heap trimmed after each free), and first touches of new
    //  pages cost more than the hashing. Keep freed buffers for reuse.
    mallopt (M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt (M_TRIM_THRESHOLD, 32 * 1024 * 1024);
    transfers_t *self = (transfers_t *) zmalloc (sizeof (transfers_t));
    self->loop = loop;
    self->control = control;
    self->user = strdup (user);
    self->host_dir = strdup (host_dir);
    self->downloads_dir = strdup (downloads);
    self->verbose = verbose;
    self->uploads = fsh_idtable_new (s_upload_destroy);
    self->downloads = fsh_idtable_new (s_download_destroy);
    self->next_id = ID_BASE;
    self->chunk = TRANSFER_CHUNK;
    self->scratch = (uint8_t *) malloc (TRANSFER_CHUNK);
    assert (self->scratch);
    self->tick_timer = zloop_timer (loop, TICK_MS, 0, s_on_tick, self);
    return self;
}

void
transfers_destroy (transfers_t **self_p)
{
    if (*self_p) {
        transfers_t *self = *self_p;
        if (self->work_timer)
            zloop_timer_end (self->loop, self->work_timer);
        if (self->tick_timer)
            zloop_timer_end (self->loop, self->tick_timer);
        zhashx_destroy (&self->downloads);
        zhashx_destroy (&self->uploads);
        //  The agent's thread ends with us
        digest_thread_end ();
        free (self->scratch);
        free (self->user);
        free (self->host_dir);
        free (self->downloads_dir);
        free (self->session);
        free (self);
        *self_p = NULL;
    }
}

void
transfers_set_broker (transfers_t *self, zsock_t *dealer, const char *session,
                      uint32_t max_message, const char *why)
{
    if (self->dealer && (dealer != self->dealer || !session || !self->session
                         || !streq (session, self->session))) {
        //  A new or no session: the broker forgot every transfer of the old one
        const char *reason = why? why: "lost the broker";
        fsh_err_t code = FSH_ERR_BROKER_UNREACHABLE;
        zlistx_t *list = s_items (self->uploads);
        for (upload_t *upload = (upload_t *) zlistx_first (list); upload;
             upload = (upload_t *) zlistx_next (list))
            s_upload_end (self, upload, code, reason, false);
        zlistx_destroy (&list);
        list = s_items (self->downloads);
        for (download_t *download = (download_t *) zlistx_first (list); download;
             download = (download_t *) zlistx_next (list))
            s_download_fail (self, download, code, reason, false);
        zlistx_destroy (&list);
    }
    //  Room for the header frame too, or the broker drops the connection
    self->chunk = TRANSFER_CHUNK;
    if (max_message >= 8192 && max_message - 4096 < self->chunk)
        self->chunk = max_message - 4096;
    self->dealer = session? dealer: NULL;
    zstr_free (&self->session);
    self->session = self->dealer? strdup (session): NULL;
}

bool
transfers_on_message (transfers_t *self, Fshare__Message *msg, zmq_msg_t *data)
{
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_SERVE:
        case FSHARE__MESSAGE__BODY_CREDIT:
        case FSHARE__MESSAGE__BODY_DONE:
            s_on_owner_message (self, msg);
            return true;
        case FSHARE__MESSAGE__BODY_CANCEL:
            //  To the owner as such; to the requester as an error reply
            if (msg->status == FSHARE__STATUS__STATUS_OK) {
                s_on_owner_message (self, msg);
                return true;
            }
            return s_on_requester_message (self, msg, NULL);
        case FSHARE__MESSAGE__BODY_OPENED:
        case FSHARE__MESSAGE__BODY_CHUNK:
            return s_on_requester_message (self, msg, data);
        default:
            if (msg->status == FSHARE__STATUS__STATUS_ERROR && msg->id > ID_BASE)
                return s_on_requester_message (self, msg, NULL);
            return false;
    }
}

size_t
transfers_uploads (transfers_t *self)
{
    return zhashx_size (self->uploads);
}

size_t
transfers_downloads (transfers_t *self)
{
    return zhashx_size (self->downloads);
}
