/*  download.c - the requester's role in downloads. See download.h.

    A download goes LOOKING (is the content already saved here?) ->
    ASKED (Get sent, Opened owed) -> PREPARING (hashing our partial file)
    -> RUNNING (chunks owed against our credit) -> saved or failed. Each
    message is checked against the state it may arrive in. Downloads are
    keyed by the id of our Get: every message the broker sends about one
    carries it; a switch to another source is a new Get, so a new id.
    What the view says about the source (may the owner's Opened stand,
    who else has the content) is dlsource.c's.
    What each end does (the ctl's answer, the partial file, the
    broker's cancel) is dlend.c's.
*/
#include "download_int.h"
#include "dlend.h"
#include "dlsource.h"
#include "dlrequest.h"
#include "idtable.h"

//  A "still checking" credit while our partial file is hashed: every
//  second, or more often under a short stall timeout
#define CHECKING_MS     1000
//  Switches to another source in a row without progress (FSH_PROGRESS_BYTES)
#define DL_IDLE_SWITCHES 4


static void
s_download_destroy (void **item_p)
{
    download_t *download = (download_t *) *item_p;
    if (download) {
        sink_destroy (&download->sink);
        already_search_destroy (&download->search);
        zframe_destroy (&download->ctl);
        free (download->owner);
        free (download->path);
        free (download->dir);
        free (download->name);
        free (download->switched_from);
        free (download);
        *item_p = NULL;
    }
}

downloads_t *
downloads_new (tlink_t *link, control_t *control, const char *downloads_dir)
{
    downloads_t *self = (downloads_t *) zmalloc (sizeof (downloads_t));
    self->link = link;
    self->control = control;
    self->downloads_dir = strdup (downloads_dir);
    self->table = fsh_idtable_new (s_download_destroy);
    self->next_id = DOWNLOAD_ID_BASE;
    self->already = already_new ();
    return self;
}

void
downloads_destroy (downloads_t **self_p)
{
    if (*self_p) {
        downloads_t *self = *self_p;
        zhashx_destroy (&self->table);
        already_destroy (&self->already);
        free (self->downloads_dir);
        free (self);
        *self_p = NULL;
    }
}

void
downloads_set_view (downloads_t *self, view_t *view)
{
    self->view = view;
}

size_t
downloads_size (downloads_t *self)
{
    return zhashx_size (self->table);
}

//  --------------------------------------------------------------------------
//  Asking the broker

//  Send the Get (creating the partial file first). False when it failed
//  (the download is then ended).
static bool
s_ask (downloads_t *self, download_t *download)
{
    if (!download->sink) {
        fsh_err_t code = FSH_ERR_NONE;
        char *error = NULL;
        download->sink = sink_new (download->dir, download->name, download->owner,
                                   download->path, download->has_sha256? download->sha256: NULL,
                                   &code, &error);
        if (!download->sink) {
            dlend_fail (self, download, code, error, false);
            zstr_free (&error);
            return false;
        }
        if (download->has_published)
            sink_resume_as (download->sink, download->pub_mtime);
    }
    sink_t *sink = download->sink;
    Fshare__Get get = FSHARE__GET__INIT;
    get.owner = download->owner;
    get.path = download->path;
    get.offset = sink_offset (sink);
    get.expect_size = sink_expect_size (sink);
    get.expect_mtime = sink_expect_mtime (sink);
    if (download->has_sha256) {
        get.sha256.data = download->sha256;
        get.sha256.len = DIGEST_SIZE;
    }
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, download->id, FSHARE__MESSAGE__BODY_GET, &get);
    tlink_debug (self->link, "%s: get %s:'%s' into %s (offset %" PRIu64 ")", self->link->user,
                 download->owner, download->path, sink_part (sink), get.offset);
    download->state = DL_ASKED;
    download->heard = zclock_mono ();
    if (tlink_send (self->link, &msg)) {
        dlend_fail (self, download, FSH_ERR_BROKER_UNREACHABLE, NULL, false);
        return false;
    }
    return true;
}

//  The download under a new Get id (a new Get: another source, or the
//  whole file again); the old entry is left empty for the caller's table.
static download_t *
s_renumber (downloads_t *self, download_t *download)
{
    download_t *moved = (download_t *) malloc (sizeof (download_t));
    *moved = *download;
    memset (download, 0, sizeof (download_t));
    download->id = moved->id;
    zhashx_delete (self->table, &download->id);
    moved->id = ++self->next_id;
    moved->transfer = 0;
    zhashx_insert (self->table, &moved->id, moved);
    return moved;
}

//  Another online user publishes the same content: continue from there at
//  the offset reached. True when the download goes on. Sources that come
//  and go without moving the download on (two owners of a made-up digest
//  that each open and then say they are gone, or two that keep dropping
//  off) get DL_IDLE_SWITCHES turns in all: then the download fails, as it
//  would have with one source, instead of bouncing between them forever.
static bool
s_switch_source (downloads_t *self, download_t *download)
{
    if (!download->has_sha256 || !download->sink || !self->view || download->answered
    ||  (download->state != DL_RUNNING && download->state != DL_PREPARING))
        return false;
    uint64_t written = sink_written (download->sink);
    if (written >= download->switch_written + FSH_PROGRESS_BYTES)
        download->idle_switches = 0;
    if (download->idle_switches >= DL_IDLE_SWITCHES) {
        zsys_warning ("%s: %s:'%s' lost its owner again at %" PRIu64 " bytes, after %u "
                      "sources in a row that moved it no further: not switching again",
                      self->link->user, download->owner, download->path, written,
                      download->idle_switches);
        return false;
    }
    char *user = NULL;
    const fileset_file_t *file = dlsource_other (self->view, download->owner, self->link->user,
                                                 download->sha256, sink_size (download->sink),
                                                 &user);
    bool switched = file && sink_switch (download->sink, user, file->path, file->mtime) == 0;
    if (switched) {
        zsys_info ("%s: %s:'%s' lost its owner at %" PRIu64 " bytes: continuing from %s:'%s'",
                   self->link->user, download->owner, download->path,
                   sink_written (download->sink), user, file->path);
        download_t *moved = s_renumber (self, download);
        moved->idle_switches++;
        moved->switch_written = written;
        if (!moved->switched_from)
            moved->switched_from = moved->owner;
        else
            free (moved->owner);
        free (moved->path);
        moved->owner = user;
        user = NULL;
        moved->path = strdup (file->path);
        moved->has_published = true;
        moved->pub_size = file->size;
        moved->pub_mtime = file->mtime;
        s_ask (self, moved);
    }
    free (user);
    return switched;
}

//  The content's digest became known after the Get was sent (a file the
//  owner was still hashing when we asked): kept for the end's check, the
//  partial file's record and another source when the owner goes.
static void
s_learn_digest (downloads_t *self, download_t *download, const uint8_t *sha256)
{
    if (download->has_sha256 || !download->sink || sink_learn_digest (download->sink, sha256))
        return;
    download->has_sha256 = true;
    memcpy (download->sha256, sha256, DIGEST_SIZE);
    tlink_debug (self->link, "%s: %s:'%s': its digest is known now", self->link->user,
                 download->owner, download->path);
}

void
downloads_on_view (downloads_t *self)
{
    for (download_t *download = (download_t *) zhashx_first (self->table); download;
         download = (download_t *) zhashx_next (self->table)) {
        if (download->has_sha256 || download->answered || !download->sink
        ||  !sink_started (download->sink))
            continue;
        //  The very version being fetched, as the owner publishes it now
        const fileset_file_t *file = dlsource_published (self->view, download->owner,
                                                         download->path);
        if (file && file->has_sha256 && file->size == sink_size (download->sink)
        &&  file->mtime == sink_mtime (download->sink))
            s_learn_digest (self, download, file->sha256);
    }
}

//  --------------------------------------------------------------------------
//  The owner's messages

static void
s_on_opened (downloads_t *self, download_t *download, Fshare__Opened *opened)
{
    if (download->transfer || !opened->transfer || download->state != DL_ASKED) {
        dlend_fail (self, download, FSH_ERR_PROTOCOL_ERROR,
                    "protocol error: opened twice", false);
        return;
    }
    download->transfer = opened->transfer;
    if (download->abandoned) {
        dlend_fail (self, download, FSH_ERR_CANCELLED, NULL, true);
        return;
    }
    fsh_err_t code;
    dlsource_asked_t asked = { download->has_published, download->pub_size, download->pub_mtime,
                               download->has_sha256, download->sha256 };
    const char *problem = dlsource_opened_check (self->view, download->owner, download->path,
                                                 &asked, opened, &code);
    if (problem) {
        zsys_warning ("%s: %s:'%s' opened as %" PRIu64 " bytes, mtime %" PRId64 ": refused",
                      self->link->user, download->owner, download->path, opened->size,
                      opened->mtime);
        dlend_fail (self, download, code, problem, true);
        return;
    }
    char *error = NULL;
    if (sink_start (download->sink, opened->size, opened->mtime, opened->offset, &error)) {
        dlend_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
        return;
    }
    sink_set_mode (download->sink, opened->mode);
    if (opened->sha256.len == DIGEST_SIZE)
        s_learn_digest (self, download, opened->sha256.data);
    if (!download->switched_from)
        download->start_offset = opened->offset;
    download->heard = zclock_mono ();
    tlink_debug (self->link, "%s: %s:'%s' opened: %" PRIu64 " bytes from %" PRIu64,
                 self->link->user, download->owner, download->path, opened->size,
                 opened->offset);
    dlend_progress (self, download);
    if (sink_resumed (download->sink)) {
        download->state = DL_PREPARING;
        download->checking_sent = zclock_mono ();
        tlink_credit (self->link, download->transfer, 0, true, 0, 0);
    }
    else {
        download->state = DL_RUNNING;
        tlink_credit (self->link, download->transfer, TRANSFER_WINDOW, false, 0, 0);
    }
}

//  A resumed download failed its check at the end: the fault may be the
//  kept prefix (damaged on our disk while we were down) as well as the
//  bytes that came. Its partial file is gone; fetch the whole file once
//  more, from the start, before saying corrupted. True when it goes on.
static bool
s_fetch_whole (downloads_t *self, download_t *download, const char *error)
{
    if (download->whole_again || download->answered)
        return false;
    zsys_warning ("%s: %s:'%s' resumed from %" PRIu64 " did not verify (%s): "
                  "downloading it whole", self->link->user, download->owner,
                  download->path, download->start_offset, error);
    //  This transfer is over for the owner and the broker
    tlink_cancel (self->link, download->transfer, FSH_ERR_CORRUPTED, error);
    sink_abort (download->sink, false);
    sink_destroy (&download->sink);
    download_t *moved = s_renumber (self, download);
    moved->whole_again = true;
    moved->start_offset = 0;
    s_ask (self, moved);
    return true;
}

static void
s_on_chunk (downloads_t *self, download_t *download, Fshare__Chunk *chunk, zmq_msg_t *data)
{
    if (download->state != DL_RUNNING || chunk->transfer != download->transfer || !data) {
        dlend_fail (self, download, FSH_ERR_PROTOCOL_ERROR,
                    "protocol error: unexpected chunk", true);
        return;
    }
    char *error = NULL;
    size_t size = zmq_msg_size (data);
    if (sink_write (download->sink, chunk->offset, zmq_msg_data (data), size, &error)) {
        dlend_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
        return;
    }
    //  A trickle of bytes is no progress (the broker's rule too)
    if (sink_written (download->sink) - download->heard_bytes >= FSH_PROGRESS_BYTES) {
        download->heard = zclock_mono ();
        download->heard_bytes = sink_written (download->sink);
    }
    if (!chunk->last) {
        if (size)
            tlink_credit (self->link, download->transfer, size, false,
                          chunk->offset + size, chunk->receipt);
        return;
    }
    bool resumed = sink_resumed (download->sink);
    if (sink_finish (download->sink, chunk->sha256.data, chunk->sha256.len, &error)) {
        if (resumed && sink_code (download->sink) == FSH_ERR_CORRUPTED
        &&  s_fetch_whole (self, download, error)) {
            zstr_free (&error);
            return;
        }
        dlend_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
        return;
    }
    //  Acknowledged only now that the file is safe under its name
    Fshare__Done done = FSHARE__DONE__INIT;
    done.transfer = download->transfer;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_DONE, &done);
    tlink_send (self->link, &msg);
    dlend_succeed (self, download);
}

bool
downloads_on_message (downloads_t *self, Fshare__Message *msg, zmq_msg_t *data)
{
    download_t *download = (download_t *) zhashx_lookup (self->table, &msg->id);
    if (!download) {
        //  Ended here before the owner answered: end it there too
        if (msg->body_case == FSHARE__MESSAGE__BODY_OPENED
        &&  msg->status == FSHARE__STATUS__STATUS_OK)
            tlink_cancel (self->link, msg->opened->transfer, FSH_ERR_CANCELLED, NULL);
        return msg->status != FSHARE__STATUS__STATUS_ERROR;
    }
    if (msg->status == FSHARE__STATUS__STATUS_ERROR) {
        fsh_err_t code = fsh_msg_error_code (msg, FSH_ERR_INTERNAL);
        const char *error = fsh_text_valid (msg->error, 512) && *msg->error?
                            msg->error: fsh_err_text (code);
        bool agent_too = code == FSH_ERR_UNKNOWN_SESSION;
        if (code == FSH_ERR_OWNER_GONE && s_switch_source (self, download))
            return true;
        dlend_fail (self, download, code, agent_too? "lost the broker's session": error,
                    false);
        return !agent_too;
    }
    if (download->abandoned && msg->body_case == FSHARE__MESSAGE__BODY_CHUNK)
        return true;            //  crossed our cancel
    if (msg->body_case != FSHARE__MESSAGE__BODY_OPENED
    &&  msg->body_case != FSHARE__MESSAGE__BODY_CHUNK) {
        dlend_fail (self, download, FSH_ERR_PROTOCOL_ERROR,
                    "protocol error: a reply of the wrong kind", true);
        return true;
    }
    if (msg->body_case == FSHARE__MESSAGE__BODY_OPENED)
        s_on_opened (self, download, msg->opened);
    else
        s_on_chunk (self, download, msg->chunk, data);
    return true;
}

bool
downloads_on_malformed (downloads_t *self, uint64_t id)
{
    download_t *download = (download_t *) zhashx_lookup (self->table, &id);
    if (download)
        dlend_fail (self, download, FSH_ERR_PROTOCOL_ERROR,
                    "protocol error: a malformed reply", true);
    return download != NULL;
}

//  --------------------------------------------------------------------------
//  The ctl's commands

void
downloads_get (downloads_t *self, zframe_t *to, Fshare__CtlRequest *request)
{
    fsh_err_t code;
    char *error = NULL;
    dlrequest_t *asked = dlrequest_new (request, self->downloads_dir, self->link->user,
                                        &code, &error);
    if (asked && !self->link->dealer) {
        code = FSH_ERR_BROKER_UNREACHABLE;
        error = strdup (fsh_err_text (code));
        dlrequest_destroy (&asked);
    }
    if (!asked) {
        zsys_warning ("%s: download of %s:'%s' refused: %s", self->link->user,
                      request->n_args == 2? request->args [0]: "",
                      request->n_args == 2? request->args [1]: "", error);
        control_reply_error (self->control, to, code, error);
        zstr_free (&error);
        return;
    }
    download_t *download = (download_t *) zmalloc (sizeof (download_t));
    download->id = ++self->next_id;
    download->owner = asked->owner;
    download->path = asked->path;
    download->dir = asked->dir;
    download->name = asked->name;
    asked->owner = asked->path = asked->dir = asked->name = NULL;
    download->ctl = zframe_dup (to);
    download->started = zclock_mono ();
    const fileset_file_t *file = dlsource_published (self->view, download->owner,
                                                     download->path);
    if (file) {
        download->has_published = true;
        download->pub_size = file->size;
        download->pub_mtime = file->mtime;
        download->has_sha256 = file->has_sha256;
        memcpy (download->sha256, file->sha256, DIGEST_SIZE);
    }
    zhashx_insert (self->table, &download->id, download);
    //  Already there? Not asked when -o names the file to write
    if (download->has_sha256 && !asked->again && !asked->named) {
        download->state = DL_LOOKING;
        download->search = already_search_new (self->already, download->dir, file->size,
                                               file->sha256);
        dlend_progress (self, download);    //  accepted: the ctl can wait now
    }
    else
    if (s_ask (self, download))
        dlend_progress (self, download);
    dlrequest_destroy (&asked);
}

void
downloads_cancel (downloads_t *self, zframe_t *to)
{
    zlistx_t *mine = zlistx_new ();
    for (download_t *download = (download_t *) zhashx_first (self->table); download;
         download = (download_t *) zhashx_next (self->table))
        if (download->ctl && !download->answered && zframe_eq (download->ctl, to))
            zlistx_add_end (mine, download);
    size_t count = zlistx_size (mine);
    for (download_t *download = (download_t *) zlistx_first (mine); download;
         download = (download_t *) zlistx_next (mine))
        dlend_fail (self, download, FSH_ERR_CANCELLED, "interrupted", true);
    zlistx_destroy (&mine);
    char *text = zsys_sprintf ("%zu download%s cancelled", count, count == 1? "": "s");
    control_reply_ok (self->control, to, text);
    zstr_free (&text);
}

//  --------------------------------------------------------------------------
//  Work in steps, and the clock

bool
downloads_pending (downloads_t *self)
{
    for (download_t *download = (download_t *) zhashx_first (self->table); download;
         download = (download_t *) zhashx_next (self->table))
        if (download->state == DL_LOOKING || download->state == DL_PREPARING)
            return true;
    return false;
}

static void
s_work_one (downloads_t *self, download_t *download, uint8_t *buf, size_t buf_size,
            size_t budget)
{
    if (download->state == DL_LOOKING) {
        int rc = already_search_step (download->search, buf, buf_size, budget);
        if (rc == 1)
            dlend_identical (self, download, already_search_found (download->search));
        else
        if (rc == -1) {
            already_search_destroy (&download->search);
            s_ask (self, download);
        }
        return;
    }
    int64_t now = zclock_mono ();
    int64_t every = self->link->stall_ms && self->link->stall_ms / 4 < CHECKING_MS?
                    self->link->stall_ms / 4: CHECKING_MS;
    if (now - download->checking_sent >= every) {
        download->checking_sent = now;
        tlink_credit (self->link, download->transfer, 0, true, 0, 0);
    }
    char *error = NULL;
    int rc = sink_prepare (download->sink, buf, buf_size, budget, &error);
    if (rc == -1) {
        dlend_fail (self, download, sink_code (download->sink), error, true);
        zstr_free (&error);
    }
    else
    if (rc == 1) {
        download->state = DL_RUNNING;
        download->heard = zclock_mono ();
        tlink_credit (self->link, download->transfer, TRANSFER_WINDOW, false, 0, 0);
    }
}

static bool
s_wants_work (void *item)
{
    download_t *download = (download_t *) item;
    return download->state == DL_LOOKING || download->state == DL_PREPARING;
}

bool
downloads_work (downloads_t *self, uint8_t *buf, size_t buf_size, size_t budget)
{
    //  The budget is the loop turn's, shared by at most budget / buf_size
    //  downloads, the next ones at the next turn. A budget for each made a
    //  turn last as many budgets as resumes were hashing at once: 32 of
    //  them kept the agent from answering for seconds, and gets failed
    //  `agent not responding`.
    size_t slices = budget / buf_size? budget / buf_size: 1;
    zlistx_t *list = fsh_idtable_turn (self->table, s_wants_work, slices, &self->work_turn);
    size_t slice = zlistx_size (list)? budget / zlistx_size (list): budget;
    for (download_t *download = (download_t *) zlistx_first (list); download;
         download = (download_t *) zlistx_next (list))
        s_work_one (self, download, buf, buf_size, slice);
    zlistx_destroy (&list);
    return downloads_pending (self);
}

void
downloads_tick (downloads_t *self)
{
    int64_t now = zclock_mono ();
    int64_t limit = tlink_stall_limit (self->link);
    //  A digest published in a resync's snapshot is learnt here
    downloads_on_view (self);
    zlistx_t *list = fsh_idtable_items (self->table);
    for (download_t *download = (download_t *) zlistx_first (list); download;
         download = (download_t *) zlistx_next (list)) {
        dlend_progress (self, download);
        if (download->answered) {
            //  Waiting to cancel an Opened that never came
            if (now - download->heard > limit)
                zhashx_delete (self->table, &download->id);
            continue;
        }
        //  The ctl went away (interrupted): cancel end to end
        if (!download->ctl) {
            zsys_info ("%s: the ctl of %s:'%s' went away: cancelling", self->link->user,
                       download->owner, download->path);
            dlend_fail (self, download, FSH_ERR_CANCELLED, "interrupted", true);
        }
        else
        //  The owner owes us Opened, or data against our credit
        if ((download->state == DL_ASKED || download->state == DL_RUNNING)
        &&  now - download->heard > limit)
            dlend_fail (self, download, FSH_ERR_STALLED, "owner stalled", true);
    }
    zlistx_destroy (&list);
}

void
downloads_pause (downloads_t *self, int64_t ms)
{
    zlistx_t *list = fsh_idtable_items (self->table);
    for (download_t *download = (download_t *) zlistx_first (list); download;
         download = (download_t *) zlistx_next (list))
        download->heard += ms;
    zlistx_destroy (&list);
}

void
downloads_end_all (downloads_t *self, fsh_err_t code, const char *reason)
{
    zlistx_t *list = fsh_idtable_items (self->table);
    for (download_t *download = (download_t *) zlistx_first (list); download;
         download = (download_t *) zlistx_next (list))
        dlend_fail (self, download, code, reason, false);
    zlistx_destroy (&list);
}
