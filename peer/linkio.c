/*  linkio.c - the link's DEALER, timers, pages and outbox. See link.h.

    What the state table's handlers (link.c) share: connecting, reconnecting
    with backoff, the heartbeat, cutting the Publish pages, and draining
    the outbox as the broker acknowledges.
*/
#include "link_int.h"
#include "chunk.h"
#include "pager.h"
#include "ratelog.h"

#define REPLY_BATCH     64
#define FLUSH_RETRY_MS  10
//  Room left in a Publish page for the message's own fields
#define PAGE_MARGIN     256

static int s_on_heartbeat (zloop_t *loop, int timer_id, void *arg);

bool
link_in_session (link_state_t state)
{
    return state == LINK_PUBLISHING || state == LINK_LOADING
        || state == LINK_ONLINE || state == LINK_RESYNCING;
}

void
link_set_state (link_t *self, link_state_t state)
{
    if (self->state == state)
        return;
    s_debug (self, "%s: link %s -> %s", self->user, link_state_text (self->state),
             link_state_text (state));
    self->state = state;
    if (self->handler.changed)
        self->handler.changed (self->arg);
}

void
link_timer_cancel (link_t *self, int *timer_id)
{
    if (*timer_id && self->loop)
        zloop_timer_end (self->loop, *timer_id);
    *timer_id = 0;
}

int
link_timer (link_t *self, int delay, zloop_timer_fn handler)
{
    if (!self->loop)
        return 0;
    return zloop_timer (self->loop, delay > 0? (size_t) delay: 1, 1, handler, self);
}

void
link_dealer_drop (link_t *self)
{
    zsock_t *dealer = fsh_loginclient_dealer (self->client);
    if (dealer && self->loop)
        zloop_reader_end (self->loop, dealer);
    if (dealer)
        self->dealer_gen++;
    fsh_loginclient_drop (self->client);
}

static int
s_on_retry (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    link_t *self = (link_t *) arg;
    self->retry_timer = 0;
    link_connect (self);
    return 0;
}

//  Forget the session and the DEALER; try again after `delay` ms. What
//  failed stays for fshare-ctl status until a login succeeds.
static void
s_reconnect (link_t *self, fsh_err_t code, const char *why, int delay)
{
    if (self->state == LINK_STOPPING || self->state == LINK_ENDED)
        return;
    if (why)
        zsys_warning ("%s: %s: reconnecting in %d ms", self->user, why, delay);
    snprintf (self->retry_why, sizeof self->retry_why, "%s",
              why? why: "no answer from the broker");
    self->retry_code = code;
    self->retry_at = zclock_mono () + delay;
    bool had_session = link_in_session (self->state);
    link_dealer_drop (self);
    outbox_clear (self->outbox);
    link_timer_cancel (self, &self->flush_timer);
    link_timer_cancel (self, &self->snapshot_timer);
    self->awaiting = 0;
    view_invalidate (self->view);
    link_set_state (self, LINK_DOWN);
    if (had_session && self->handler.lost)
        self->handler.lost (self->arg, why? why: "the broker restarted");
    link_timer_cancel (self, &self->retry_timer);
    self->retry_timer = link_timer (self, delay, s_on_retry);
}

void
link_reconnect (link_t *self, const char *why, int delay)
{
    s_reconnect (self, FSH_ERR_BROKER_UNREACHABLE, why, delay);
}

//  Reconnect with the current backoff, and back off further.
void
link_reconnect_later_code (link_t *self, fsh_err_t code, const char *why)
{
    int delay = fsh_backoff_next (&self->backoff, zclock_mono ());
    s_reconnect (self, code, why, delay);
}

void
link_reconnect_later (link_t *self, const char *why)
{
    link_reconnect_later_code (self, FSH_ERR_BROKER_UNREACHABLE, why);
}

//  The link is over: -1 ends the agent's loop.
int
link_end (link_t *self, bool confirmed)
{
    link_timer_cancel (self, &self->stop_timer);
    link_timer_cancel (self, &self->retry_timer);
    link_timer_cancel (self, &self->flush_timer);
    link_timer_cancel (self, &self->snapshot_timer);
    link_set_state (self, LINK_ENDED);
    if (self->handler.stopped)
        self->handler.stopped (self->arg, confirmed);
    return -1;
}

void
link_heartbeat_start (link_t *self, uint32_t interval)
{
    link_timer_cancel (self, &self->heartbeat_timer);
    self->heartbeat_ms = interval;
    if (self->loop)
        self->heartbeat_timer = zloop_timer (self->loop, interval, 0, s_on_heartbeat, self);
}

void
link_ping (link_t *self)
{
    uint64_t id = fsh_loginclient_ping (self->client);
    if (id && link_in_session (self->state))
        outbox_ping (self->outbox, id);
}

//  A packed Message with the session's token, for the outbox.
static zframe_t *
s_pack (link_t *self, Fshare__Message *msg)
{
    const char *token = fsh_loginclient_token (self->client);
    msg->session = (char *) (token? token: "");
    size_t size = fshare__message__get_packed_size (msg);
    zframe_t *frame = zframe_new (NULL, size);
    fshare__message__pack (msg, zframe_data (frame));
    return frame;
}

static void
s_queue_page (link_t *self, Fshare__FileInfo **files, size_t count, bool more)
{
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.files = files;
    publish.n_files = count;
    publish.more = more;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, self->awaiting, FSHARE__MESSAGE__BODY_PUBLISH, &publish);
    zframe_t *frame = s_pack (self, &msg);
    outbox_add_frame (self->outbox, &frame);
}

//  The host directory's files, sorted, in pages under page_bytes.
void
link_cut_pages (link_t *self)
{
    zlistx_t *files = fileset_sorted (self->files);
    size_t total = zlistx_size (files);
    Fshare__FileInfo *infos = (Fshare__FileInfo *) calloc (total + 1, sizeof (Fshare__FileInfo));
    assert (infos);
    const char *token = fsh_loginclient_token (self->client);
    fsh_pager_t *pager = fsh_pager_new (self->page_bytes - PAGE_MARGIN
                                        - (token? strlen (token): 0));
    size_t index = 0, pages = 1;
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (files); file;
         file = (const fileset_file_t *) zlistx_next (files)) {
        Fshare__FileInfo *info = &infos [index++];
        fileset_info (file, info);
        if (fsh_pager_full (pager, info)) {
            s_queue_page (self, fsh_pager_files (pager), fsh_pager_count (pager), true);
            fsh_pager_reset (pager);
            pages++;
        }
        fsh_pager_add (pager, info);
    }
    s_queue_page (self, fsh_pager_files (pager), fsh_pager_count (pager), false);
    fsh_pager_destroy (&pager);
    free (infos);
    zlistx_destroy (&files);
    s_debug (self, "%s: publishing %zu files in %zu pages", self->user, total, pages);
}

void
link_snapshot_request (link_t *self)
{
    Fshare__Snapshot snapshot = FSHARE__SNAPSHOT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    link_timer_cancel (self, &self->snapshot_timer);     //  this is the one asked
    self->awaiting = fsh_loginclient_new_id (self->client);
    fsh_msg_set_body (&msg, self->awaiting, FSHARE__MESSAGE__BODY_SNAPSHOT, &snapshot);
    view_snapshot_begin (self->view);
    //  Behind whatever is still queued, like any other request
    zframe_t *frame = s_pack (self, &msg);
    outbox_add_frame (self->outbox, &frame);
    link_flush (self);
}

//  --------------------------------------------------------------------------
//  The DEALER, the timers and the outbox

static int
s_on_dealer (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    link_t *self = (link_t *) arg;
    unsigned gen = self->dealer_gen;
    for (int count = 0; count < REPLY_BATCH; count++) {
        if (count && !(zsock_events (sock) & ZMQ_POLLIN))
            break;
        //  Download chunks come with a data frame: one extra frame allowed
        zmq_msg_t data;
        int frames;
        bool tainted;
        Fshare__Message *msg = fsh_chunk_recv_any (sock, 0, &data, &frames, NULL, NULL,
                                                   &tainted);
        self->heard_at = zclock_mono ();
        int rc = 0;
        //  A NUL in a string is refused like a wrong shape: what it names
        //  (a Serve, a transfer) is answered or ended now, never acted on
        if (msg && (tainted || frames > 2
                    || (frames == 2 && msg->body_case != FSHARE__MESSAGE__BODY_CHUNK)))
            rc = link_handle_malformed (self, msg, frames);
        else
        if (msg)
            rc = link_handle (self, msg, frames == 2? &data: NULL);
        else
        if (frames)
            fsh_ratelog_warning (self->ratelog, self->user,
                                 "dropped a malformed message from the broker (%d frames)",
                                 frames);
        zmq_msg_close (&data);
        fsh_msg_destroy (&msg);
        if (rc == -1)
            return -1;
        if (gen != self->dealer_gen)
            break;              //  the socket was replaced under us
    }
    return 0;
}

void
link_connect (link_t *self)
{
    if (self->state == LINK_STOPPING || self->state == LINK_ENDED)
        return;
    link_dealer_drop (self);
    const char *error = NULL;
    if (fsh_loginclient_connect (self->client, &error)) {
        //  The endpoint passed the agent's checks: only a resource problem
        zsys_error ("%s: cannot connect to the broker: %s", self->user, error);
        link_reconnect_later (self, "connect failed");
        return;
    }
    if (self->loop)
        zloop_reader (self->loop, fsh_loginclient_dealer (self->client), s_on_dealer, self);
    self->login_sent_at = zclock_mono ();
    link_set_state (self, LINK_LOGGING_IN);
    s_debug (self, "%s: login sent", self->user);
}

static int
s_on_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    link_t *self = (link_t *) arg;
    if (!fsh_loginclient_dealer (self->client)
    ||  self->state == LINK_STOPPING || self->state == LINK_ENDED)
        return 0;
    //  A loop that was busy for seconds (a huge scan) has not read what
    //  came meanwhile: an answer waiting in the socket is a sign of life
    if (zsock_events (fsh_loginclient_dealer (self->client)) & ZMQ_POLLIN)
        fsh_loginclient_heard (self->client);
    //  A tick far later than due: this process did not run (stopped,
    //  suspended), so the broker's silence meanwhile says nothing; it gets
    //  a fresh chance to answer the ping this tick sends
    int64_t now = zclock_mono ();
    if (self->ticked_at && now - self->ticked_at > 3 * (int64_t) self->heartbeat_ms
    &&  fsh_loginclient_answered (self->client))
        fsh_loginclient_heard (self->client);
    self->ticked_at = now;
    bool expired = fsh_loginclient_expired (self->client);
    if (link_in_session (self->state) && expired) {
        link_reconnect_later (self, "the broker stopped answering");
        return 0;
    }
    if (self->state == LINK_LOGGING_IN) {
        //  Waiting for a login reply: the broker may be slow (hashing),
        //  or gone; probes tell which
        if (expired) {
            link_reconnect_later (self, self->ever_session? "no answer from the broker": NULL);
            return 0;
        }
        if (zclock_mono () - self->login_sent_at > LINK_LOGIN_MAX_MS) {
            link_reconnect_later (self, "the broker never answered our login");
            return 0;
        }
    }
    link_ping (self);
    return 0;
}

static int
s_on_flush (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    link_t *self = (link_t *) arg;
    self->flush_timer = 0;
    link_flush (self);
    return 0;
}

static int
s_send_change (link_t *self, hostdir_change_t *change, size_t *bytes)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = change->path;
    file.size = change->size;
    file.mtime = change->mtime;
    //  The digest and mode the table knows for this very version
    const fileset_file_t *entry = fileset_lookup (self->files, change->path);
    if (entry && entry->size == change->size && entry->mtime == change->mtime) {
        file.mode = entry->mode;
        if (entry->has_sha256) {
            file.sha256.data = (uint8_t *) entry->sha256;
            file.sha256.len = sizeof entry->sha256;
        }
    }
    Fshare__Change body = FSHARE__CHANGE__INIT;
    body.kind = change->kind;
    body.file = &file;
    body.from = change->from? change->from: (char *) "";
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, fsh_loginclient_new_id (self->client),
                      FSHARE__MESSAGE__BODY_CHANGE, &body);
    int rc = fsh_loginclient_send (self->client, &msg);
    *bytes = fshare__message__get_packed_size (&msg);
    return rc;
}

static int
s_send_frame (link_t *self, zframe_t *frame, size_t *bytes)
{
    *bytes = zframe_size (frame);
    void *handle = zsock_resolve (fsh_loginclient_dealer (self->client));
    return zmq_send (handle, zframe_data (frame), zframe_size (frame), ZMQ_DONTWAIT) == -1? -1: 0;
}

//  Send from the head of the outbox while the window is open. A send the
//  DEALER refuses is tried again shortly; a closed window reopens with
//  the next pong.
void
link_flush (link_t *self)
{
    if (!link_in_session (self->state) || !fsh_loginclient_dealer (self->client))
        return;
    zframe_t *frame;
    hostdir_change_t *change;
    bool refused = false;
    while (!refused && outbox_window_open (self->outbox)
    &&     outbox_head (self->outbox, &frame, &change)) {
        if (outbox_ack_due (self->outbox)) {
            uint64_t id = fsh_loginclient_ping (self->client);
            if (!id) {
                refused = true;
                break;
            }
            outbox_ping (self->outbox, id);
        }
        size_t bytes = 0;
        if ((frame? s_send_frame (self, frame, &bytes): s_send_change (self, change, &bytes)))
            refused = true;
        else
            outbox_pop (self->outbox, bytes);
    }
    if (refused && !self->flush_timer)
        self->flush_timer = link_timer (self, FLUSH_RETRY_MS, s_on_flush);
}

//  --------------------------------------------------------------------------
//  The class

link_t *
link_new (zloop_t *loop, const link_config_t *config, fileset_t *files, view_t *view,
          const link_handler_t *handler, void *arg)
{
    link_t *self = (link_t *) zmalloc (sizeof (link_t));
    self->user = strdup (config->user);
    self->verbose = config->verbose;
    self->loop = loop;
    self->client = fsh_loginclient_new (&config->login);
    self->files = files;
    self->view = view;
    if (handler)
        self->handler = *handler;
    self->arg = arg;
    self->outbox = outbox_new ();
    self->ratelog = fsh_ratelog_new (5);
    fsh_backoff_init (&self->backoff, LINK_BACKOFF_MIN_MS, LINK_BACKOFF_MAX_MS, 0);
    fsh_backoff_init (&self->snapshot_backoff, LINK_BACKOFF_MIN_MS, LINK_BACKOFF_MAX_MS, 0);
    self->page_bytes = FSH_PAGE_BYTES;
    self->state = LINK_DOWN;
    link_heartbeat_start (self, FSH_DEFAULT_HEARTBEAT_MS);
    return self;
}

void
link_destroy (link_t **self_p)
{
    if (*self_p) {
        link_t *self = *self_p;
        link_timer_cancel (self, &self->heartbeat_timer);
        link_timer_cancel (self, &self->retry_timer);
        link_timer_cancel (self, &self->stop_timer);
        link_timer_cancel (self, &self->flush_timer);
        link_timer_cancel (self, &self->snapshot_timer);
        link_dealer_drop (self);
        fsh_loginclient_destroy (&self->client);
        outbox_destroy (&self->outbox);
        fsh_ratelog_destroy (&self->ratelog);
        free (self->user);
        free (self);
        *self_p = NULL;
    }
}

void
link_start (link_t *self)
{
    link_connect (self);
}

void
link_change (link_t *self, hostdir_change_t **change_p)
{
    //  Before the pages are cut they carry the truth: nothing to send
    if (!link_in_session (self->state)) {
        hostdir_change_destroy (change_p);
        return;
    }
    outbox_add_change (self->outbox, change_p);
    link_flush (self);
}

void
link_confirm (link_t *self)
{
    if (link_in_session (self->state))
        link_ping (self);
}

void
link_keepalive (link_t *self)
{
    if (link_in_session (self->state)
    &&  zclock_mono () >= fsh_loginclient_next_ping (self->client))
        link_ping (self);
}

bool
link_online (link_t *self)
{
    return self->state == LINK_ONLINE || self->state == LINK_RESYNCING;
}

bool
link_reachable (link_t *self)
{
    return self->heard_at
        && zclock_mono () - self->heard_at
           <= (int64_t) FSH_DEFAULT_LIVENESS * self->heartbeat_ms;
}

bool
link_relogging (link_t *self)
{
    return (self->state == LINK_DOWN || self->state == LINK_LOGGING_IN
         || self->state == LINK_PUBLISHING || self->state == LINK_LOADING)
        && link_reachable (self);
}

uint64_t
link_pongs (link_t *self)
{
    return self->pongs;
}

uint64_t
link_sessions (link_t *self)
{
    return self->sessions;
}

uint64_t
link_refusals (link_t *self)
{
    return self->refusals;
}

size_t
link_queued (link_t *self)
{
    return outbox_size (self->outbox);
}

fsh_loginclient_t *
link_client (link_t *self)
{
    return self->client;
}

zsock_t *
link_dealer (link_t *self)
{
    return fsh_loginclient_dealer (self->client);
}

const char *
link_token (link_t *self)
{
    return fsh_loginclient_token (self->client);
}

const char *
link_broker_id (link_t *self)
{
    return fsh_loginclient_broker_id (self->client);
}

