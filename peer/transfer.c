/*  transfer.c - the agent's downloads, in both roles. See transfer.h. */
#include "transfer.h"
#include "upload.h"
#include "download.h"
#include "digest.h"
#include "chunk.h"
#include <signal.h>

//  Files are hashed this much per loop turn (a few ms)
#define WORK_STEP       (8 * 1024 * 1024)
//  Progress to the ctl and the stall clocks; a ctl that is gone is
//  noticed at the next one
#define TICK_MS         200
//  A tick this much later than due: the process did not run meanwhile
#define TICK_LATE_MS    1000

struct _transfers_t {
    zloop_t *loop;
    tlink_t link;
    uploads_t *uploads;
    downloads_t *downloads;
    int work_timer;
    int tick_timer;
    int64_t ticked_at;          //  the last tick
    uint8_t *scratch;           //  hashing reads through this
};

static void s_schedule_work (transfers_t *self);

static int
s_on_work (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    transfers_t *self = (transfers_t *) arg;
    self->work_timer = 0;
    uploads_work (self->uploads, self->scratch, TRANSFER_CHUNK, WORK_STEP);
    downloads_work (self->downloads, self->scratch, TRANSFER_CHUNK, WORK_STEP);
    s_schedule_work (self);
    return 0;
}

static void
s_schedule_work (transfers_t *self)
{
    if (self->work_timer)
        return;
    if (uploads_pending (self->uploads) || downloads_pending (self->downloads))
        self->work_timer = zloop_timer (self->loop, 1, 1, s_on_work, self);
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    transfers_t *self = (transfers_t *) arg;
    //  Stopped or suspended, we read nothing: the broker's answer (its
    //  own stall verdict, say, which names the right side) may wait in
    //  the socket. Our clocks fired late would blame the other side for
    //  our own silence, so they move on by the time we did not run.
    int64_t now = zclock_mono ();
    int64_t late = self->ticked_at? now - self->ticked_at - TICK_MS: 0;
    self->ticked_at = now;
    if (late > TICK_LATE_MS) {
        uploads_pause (self->uploads, late);
        downloads_pause (self->downloads, late);
    }
    uploads_tick (self->uploads);
    downloads_tick (self->downloads);
    return 0;
}

transfers_t *
transfers_new (zloop_t *loop, control_t *control, const char *user,
               const char *host_dir, const char *downloads, bool verbose)
{
    //  Process-wide, on purpose: see transfer.h
    signal (SIGXFSZ, SIG_IGN);
    fsh_chunk_malloc_policy ();
    transfers_t *self = (transfers_t *) zmalloc (sizeof (transfers_t));
    self->loop = loop;
    self->link.user = strdup (user);
    self->link.verbose = verbose;
    self->link.chunk = TRANSFER_CHUNK;
    self->uploads = uploads_new (&self->link, host_dir);
    self->downloads = downloads_new (&self->link, control, downloads);
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
        downloads_destroy (&self->downloads);
        uploads_destroy (&self->uploads);
        //  The agent's thread ends with us
        digest_thread_end ();
        free (self->scratch);
        free (self->link.user);
        free (self->link.session);
        free (self);
        *self_p = NULL;
    }
}

void
transfers_set_broker (transfers_t *self, zsock_t *dealer, const char *session,
                      uint32_t max_message, const char *why)
{
    tlink_t *link = &self->link;
    if (link->dealer && (dealer != link->dealer || !session || !link->session
                         || !streq (session, link->session))) {
        //  A new or no session: the broker forgot every transfer of the old one
        const char *reason = why? why: "lost the broker";
        uploads_end_all (self->uploads, FSH_ERR_BROKER_UNREACHABLE, reason);
        downloads_end_all (self->downloads, FSH_ERR_BROKER_UNREACHABLE, reason);
    }
    //  Room for the header frame too, or the broker drops the connection
    link->chunk = TRANSFER_CHUNK;
    if (max_message >= 8192 && max_message - 4096 < link->chunk)
        link->chunk = max_message - 4096;
    link->dealer = session? dealer: NULL;
    zstr_free (&link->session);
    link->session = link->dealer? strdup (session): NULL;
}

void
transfers_set_stall_timeout (transfers_t *self, uint32_t stall_ms)
{
    self->link.stall_ms = stall_ms;
}

void
transfers_set_digests (transfers_t *self, const char *db_path)
{
    uploads_set_digests (self->uploads, db_path);
}

void
transfers_on_corrupted (transfers_t *self, uploads_corrupted_fn *fn, void *arg)
{
    uploads_on_corrupted (self->uploads, fn, arg);
}

void
transfers_set_published (transfers_t *self, fileset_t *files)
{
    uploads_set_published (self->uploads, files);
}

void
transfers_set_view (transfers_t *self, view_t *view)
{
    downloads_set_view (self->downloads, view);
}

void
transfers_on_view (transfers_t *self)
{
    downloads_on_view (self->downloads);
}

bool
transfers_on_message (transfers_t *self, Fshare__Message *msg, zmq_msg_t *data)
{
    bool handled = true;
    //  The broker's requests to an owner carry no id; a reply under one of
    //  our Gets' ids is that download's, whatever its kind
    if (msg->id > DOWNLOAD_ID_BASE)
        handled = downloads_on_message (self->downloads, msg, data);
    else
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_SERVE:
        case FSHARE__MESSAGE__BODY_CREDIT:
        case FSHARE__MESSAGE__BODY_DONE:
            uploads_on_message (self->uploads, msg);
            break;
        case FSHARE__MESSAGE__BODY_CANCEL:
            //  To the owner as such; to the requester as an error reply
            if (msg->status == FSHARE__STATUS__STATUS_OK)
                uploads_on_message (self->uploads, msg);
            else
                handled = downloads_on_message (self->downloads, msg, NULL);
            break;
        case FSHARE__MESSAGE__BODY_OPENED:
        case FSHARE__MESSAGE__BODY_CHUNK:
            handled = downloads_on_message (self->downloads, msg, data);
            break;
        default:
            return false;
    }
    s_schedule_work (self);
    return handled;
}

bool
transfers_on_malformed (transfers_t *self, Fshare__Message *msg)
{
    if (msg->id > DOWNLOAD_ID_BASE)
        return downloads_on_malformed (self->downloads, msg->id);
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_SERVE:
        case FSHARE__MESSAGE__BODY_CREDIT:
        case FSHARE__MESSAGE__BODY_DONE:
        case FSHARE__MESSAGE__BODY_CANCEL:
            uploads_on_malformed (self->uploads, msg);
            return true;
        default:
            return false;
    }
}

void
transfers_get (transfers_t *self, zframe_t *to, Fshare__CtlRequest *request)
{
    downloads_get (self->downloads, to, request);
    s_schedule_work (self);
}

void
transfers_cancel (transfers_t *self, zframe_t *to)
{
    downloads_cancel (self->downloads, to);
}

size_t
transfers_uploads (transfers_t *self)
{
    return uploads_size (self->uploads);
}

size_t
transfers_downloads (transfers_t *self)
{
    return downloads_size (self->downloads);
}
