/*  bridge.c - fshare-web's link to the agent. See bridge.h. */
#include "bridge.h"
#include "agentlink.h"
#include "webutil.h"
#include "cli.h"
#include <sys/eventfd.h>

struct _bridge_t {
    char *endpoint;
    model_t *model;
    downloads_t *downloads;
    hub_t *hub;
    bool verbose;
    zloop_t *loop;
    int wake_fd;
    zsock_t *stream;            //  "events" subscription
    zsock_t *status;            //  status poll
    int64_t status_sent;        //  when the outstanding poll left, 0: none
    int64_t pid;                //  the agent's, 0 until known
    char *state;                //  the agent's state word, or "unreachable"
    char *downloads_dir;
    bool relist;                //  the model needs a new listing
    int64_t relist_after;
    bool tick_due;
};

//  A running item's socket and deadline.
typedef struct {
    bridge_t *bridge;
    download_job_t *job;
    download_item_t *item;
    zsock_t *dealer;
    int64_t heard;
    bool cancel_sent;
} link_t;

static void
s_log (bridge_t *self, const char *format, const char *arg)
{
    if (self->verbose) {
        fprintf (stderr, "fshare-web: ");
        fprintf (stderr, format, arg);
        fprintf (stderr, "\n");
    }
}

//  --- the banner -------------------------------------------------------------

static void
s_publish_state (bridge_t *self)
{
    webbuf_t buf;
    webbuf_init (&buf);
    const char *state = self->state? self->state: "starting";
    const char *text = streq (state, "online")? ""
                     : streq (state, "unreachable")? "The agent is not answering: waiting for it…"
                     : "The agent is reconnecting to the broker…";
    webbuf_add (&buf, "{\"agent\":");
    webbuf_json (&buf, state);
    webbuf_add (&buf, ",\"text\":");
    webbuf_json (&buf, text);
    webbuf_add (&buf, "}");
    char *data = webbuf_take (&buf, NULL);
    hub_set_state (self->hub, data, text);
    free (data);
}

static void
s_set_state (bridge_t *self, const char *state)
{
    if (self->state && streq (self->state, state))
        return;
    s_log (self, "agent state: %s", state);
    bool was_online = self->state && streq (self->state, "online");
    free (self->state);
    self->state = strdup (state);
    if (!was_online && streq (state, "online"))
        self->relist = true;
    s_publish_state (self);
}

//  --- the listing --------------------------------------------------------------

typedef struct {
    zlistx_t *replies;          //  Fshare__CtlReply kept until applied
} collect_t;

static void
s_collect (const Fshare__CtlReply *reply, void *arg)
{
    //  The reply is freed after the callback: keep a copy of what we need
    collect_t *collect = (collect_t *) arg;
    size_t size = fshare__ctl_reply__get_packed_size (reply);
    zframe_t *frame = zframe_new (NULL, size);
    fshare__ctl_reply__pack (reply, zframe_data (frame));
    zlistx_add_end (collect->replies, frame);
}

static void
s_chunk_free (void **item)
{
    zframe_t *frame = (zframe_t *) *item;
    zframe_destroy (&frame);
    *item = NULL;
}

//  Status, peers, then every file: the model starts again from them.
//  Events newer than the status's sequence number are applied after.
static int
s_relist (bridge_t *self)
{
    zsock_t *dealer = agentlink_dealer (self->endpoint);
    if (!dealer)
        return -1;
    collect_t status = { zlistx_new () }, peers = { zlistx_new () }, files = { zlistx_new () };
    zlistx_set_destructor (status.replies, s_chunk_free);
    zlistx_set_destructor (peers.replies, s_chunk_free);
    zlistx_set_destructor (files.replies, s_chunk_free);
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    char *error = NULL;
    request.command = "status";
    int rc = agentlink_call (dealer, &request, AGENTLINK_TIMEOUT_MS, s_collect, &status, &error);
    request.command = "peers";
    if (rc == 0)
        rc = agentlink_call (dealer, &request, AGENTLINK_TIMEOUT_MS, s_collect, &peers, &error);
    request.command = "ls";
    request.all = true;
    if (rc == 0)
        rc = agentlink_call (dealer, &request, AGENTLINK_TIMEOUT_MS, s_collect, &files, &error);
    zsock_destroy (&dealer);
    if (rc == 0) {
        zframe_t *chunk = (zframe_t *) zlistx_first (status.replies);
        Fshare__CtlReply *reply = chunk? (Fshare__CtlReply *) fsh_unpack (
            &fshare__ctl_reply__descriptor, zframe_data (chunk), zframe_size (chunk)): NULL;
        if (!reply || !reply->agent)
            rc = -1;
        model_lock (self->model);
        if (rc == 0)
            model_reset (self->model, reply->agent->broker_id, reply->agent->seq);
        for (chunk = (zframe_t *) zlistx_first (peers.replies); chunk && rc == 0;
             chunk = (zframe_t *) zlistx_next (peers.replies)) {
            Fshare__CtlReply *page = (Fshare__CtlReply *) fsh_unpack (
                &fshare__ctl_reply__descriptor, zframe_data (chunk), zframe_size (chunk));
            for (size_t i = 0; page && i < page->n_peers; i++)
                if (!fsh_user_check (page->peers [i]->user))
                    model_add_user (self->model, page->peers [i]->user, page->peers [i]->since);
            if (page)
                fshare__ctl_reply__free_unpacked (page, NULL);
        }
        for (chunk = (zframe_t *) zlistx_first (files.replies); chunk && rc == 0;
             chunk = (zframe_t *) zlistx_next (files.replies)) {
            Fshare__CtlReply *page = (Fshare__CtlReply *) fsh_unpack (
                &fshare__ctl_reply__descriptor, zframe_data (chunk), zframe_size (chunk));
            for (size_t i = 0; page && i < page->n_files; i++)
                model_put (self->model, page->files [i]->user, page->files [i]->file);
            if (page)
                fshare__ctl_reply__free_unpacked (page, NULL);
        }
        model_unlock (self->model);
        if (reply)
            fshare__ctl_reply__free_unpacked (reply, NULL);
    }
    else
        s_log (self, "listing failed: %s", error);
    zstr_free (&error);
    zlistx_destroy (&status.replies);
    zlistx_destroy (&peers.replies);
    zlistx_destroy (&files.replies);
    if (rc == 0)
        hub_publish (self->hub, "reload", "{}");
    return rc;
}

//  --- the event stream -----------------------------------------------------------

static void
s_announce (bridge_t *self, model_change_t *change)
{
    if (change->users || zhashx_size (change->groups) > 64) {
        hub_publish (self->hub, "reload", "{}");
        return;
    }
    if (zhashx_size (change->groups) == 0)
        return;
    webbuf_t buf;
    webbuf_init (&buf);
    webbuf_add (&buf, "[");
    const char *separator = "";
    for (void *item = zhashx_first (change->groups); item; item = zhashx_next (change->groups)) {
        const char *key = (const char *) zhashx_cursor (change->groups);
        const char *colon = strchr (key, ':');
        char *user = strndup (key, (size_t) (colon - key));
        webbuf_printf (&buf, "%s[", separator);
        webbuf_json (&buf, user);
        webbuf_add (&buf, ",");
        webbuf_json (&buf, colon + 1);
        webbuf_add (&buf, "]");
        separator = ",";
        free (user);
    }
    webbuf_add (&buf, "]");
    char *data = webbuf_take (&buf, NULL);
    hub_publish (self->hub, "groups", data);
    free (data);
}

static int
s_on_stream (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    bridge_t *self = (bridge_t *) arg;
    Fshare__CtlReply *reply = agentlink_recv (sock);
    if (!reply)
        return 0;
    if (reply->event && !fsh_event_check (reply->event)) {
        model_change_t change;
        model_lock (self->model);
        bool listed = model_listed (self->model);
        model_event (self->model, reply->event, &change);
        model_unlock (self->model);
        if (change.gap && listed) {
            s_log (self, "%s", "a gap in the event stream: listing again");
            self->relist = true;
            //  The agent fetches a snapshot on the same gap: let it land first
            self->relist_after = zclock_mono () + 200;
        }
        s_announce (self, &change);
        zhashx_destroy (&change.groups);
    }
    fshare__ctl_reply__free_unpacked (reply, NULL);
    return 0;
}

static void
s_subscribe (bridge_t *self)
{
    if (self->stream) {
        zloop_reader_end (self->loop, self->stream);
        zsock_destroy (&self->stream);
    }
    self->stream = agentlink_dealer (self->endpoint);
    if (!self->stream)
        return;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "events";
    agentlink_send (self->stream, &request);
    zloop_reader (self->loop, self->stream, s_on_stream, self);
}

//  --- the status poll ------------------------------------------------------------

static void
s_status_reset (bridge_t *self)
{
    if (self->status) {
        zloop_reader_end (self->loop, self->status);
        zsock_destroy (&self->status);
    }
    self->status_sent = 0;
}

static int
s_on_status (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    bridge_t *self = (bridge_t *) arg;
    Fshare__CtlReply *reply = agentlink_recv (sock);
    self->status_sent = 0;
    if (!reply)
        return 0;
    Fshare__AgentStatus *status = reply->agent;
    if (status && fsh_text_valid (status->state, 64)) {
        if (status->pid != self->pid) {
            //  A new agent (or the first): its event stream, then a listing
            self->pid = status->pid;
            s_subscribe (self);
            self->relist = true;
        }
        if (fsh_text_valid (status->downloads, FSH_PATH_MAX) && status->downloads [0] == '/') {
            free (self->downloads_dir);
            self->downloads_dir = strdup (status->downloads);
        }
        s_set_state (self, status->state);
    }
    fshare__ctl_reply__free_unpacked (reply, NULL);
    return 0;
}

static void
s_poll_status (bridge_t *self)
{
    int64_t now = zclock_mono ();
    if (self->status_sent && now - self->status_sent > BRIDGE_STATUS_LATE_MS) {
        s_set_state (self, "unreachable");
        self->pid = 0;
        s_status_reset (self);
    }
    if (self->status_sent)
        return;
    if (!self->status) {
        self->status = agentlink_dealer (self->endpoint);
        if (!self->status)
            return;
        zloop_reader (self->loop, self->status, s_on_status, self);
    }
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    if (agentlink_send (self->status, &request) == 0)
        self->status_sent = now;
}

//  --- downloads ----------------------------------------------------------------------

static void
s_downloads_changed (bridge_t *self)
{
    downloads_changed (self->downloads);
    hub_publish (self->hub, "downloads", "{}");
}

//  End a running item (lock held): its socket goes, its state stays.
static void
s_item_end (link_t *link, item_state_t state, const char *error)
{
    download_item_t *item = link->item;
    item->state = state;
    if (error) {
        free (item->error);
        item->error = strdup (error);
    }
    item->link = NULL;
    zloop_reader_end (link->bridge->loop, link->dealer);
    zsock_destroy (&link->dealer);
    free (link);
}

static void
s_item_reply (link_t *link, Fshare__CtlReply *reply)
{
    download_item_t *item = link->item;
    if (reply->status != FSHARE__STATUS__STATUS_OK) {
        const char *error = fsh_text_valid (reply->error, 512)? reply->error: "failed";
        s_item_end (link, link->job->cancelled? ITEM_CANCELLED: ITEM_FAILED, error);
        return;
    }
    if (reply->progress) {
        item->done = reply->progress->done;
        item->total = reply->progress->total;
    }
    if (reply->get && fsh_text_valid (reply->get->path, FSH_PATH_MAX)
    &&  reply->get->path [0] == '/') {
        item->saved = strdup (reply->get->path);
        item->size = reply->get->size;
        item->done = item->total = reply->get->size;
        item->sha256 = strdup (fsh_text_valid (reply->get->sha256, 64)? reply->get->sha256: "");
        s_item_end (link, ITEM_DONE, NULL);
        return;
    }
    if (!reply->more)
        s_item_end (link, ITEM_FAILED, "the agent ended the download without a result");
}

static int
s_on_item (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop; (void) sock;
    link_t *link = (link_t *) arg;
    bridge_t *self = link->bridge;
    Fshare__CtlReply *reply = agentlink_recv (link->dealer);
    if (!reply)
        return 0;
    downloads_lock (self->downloads);
    link->heard = zclock_mono ();
    s_item_reply (link, reply);
    downloads_unlock (self->downloads);
    s_downloads_changed (self);
    fshare__ctl_reply__free_unpacked (reply, NULL);
    return 0;
}

//  Where a folder's file goes: <downloads>/<folder name>/<path below it>,
//  directories made first. NULL: the agent's default (a single file).
static char *
s_output (bridge_t *self, download_job_t *job, download_item_t *item, char **error)
{
    if (!job->folder)
        return NULL;
    if (!self->downloads_dir) {
        *error = strdup ("the agent's downloads directory is not known yet");
        return NULL;
    }
    const char *dir = job->what;
    const char *slash = strrchr (dir, '/');
    const char *base = *dir? (slash? slash + 1: dir): job->owner;
    const char *below = *dir? item->path + strlen (dir) + 1: item->path;
    char *output = zsys_sprintf ("%s/%s/%s", self->downloads_dir, base, below);
    char *parent = strdup (output);
    *strrchr (parent, '/') = 0;
    if (fsh_mkdirs (parent, 0755)) {
        *error = zsys_sprintf ("cannot create %s: %s", parent, strerror (errno));
        zstr_free (&output);
    }
    free (parent);
    return output;
}

static void
s_item_start (bridge_t *self, download_job_t *job, download_item_t *item)
{
    char *error = NULL;
    char *output = s_output (self, job, item, &error);
    link_t *link = (link_t *) zmalloc (sizeof (link_t));
    link->bridge = self;
    link->job = job;
    link->item = item;
    link->heard = zclock_mono ();
    link->dealer = error? NULL: agentlink_dealer (self->endpoint);
    item->link = link;
    if (!link->dealer) {
        link->dealer = zsock_new (ZMQ_DEALER);      //  so that ending is uniform
        zloop_reader (self->loop, link->dealer, s_on_item, link);
        s_item_end (link, ITEM_FAILED, error? error: "cannot reach the agent");
        zstr_free (&error);
        return;
    }
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    char *args [2] = { job->owner, item->path };
    request.command = "get";
    request.n_args = 2;
    request.args = args;
    request.output = output? output: "";
    zloop_reader (self->loop, link->dealer, s_on_item, link);
    if (agentlink_send (link->dealer, &request))
        s_item_end (link, ITEM_FAILED, "cannot reach the agent");
    free (item->output);
    item->output = output;
}

//  Start what may start, cancel what was asked to stop, fail the silent.
static void
s_pump (bridge_t *self)
{
    bool changed = false;
    int64_t now = zclock_mono ();
    downloads_lock (self->downloads);
    zlistx_t *jobs = downloads_jobs (self->downloads);
    for (download_job_t *job = (download_job_t *) zlistx_first (jobs); job;
         job = (download_job_t *) zlistx_next (jobs))
        for (size_t i = 0; i < job->count; i++) {
            link_t *link = (link_t *) job->items [i].link;
            if (!link)
                continue;
            if (job->cancelled && !link->cancel_sent) {
                Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
                request.command = "cancel";
                agentlink_send (link->dealer, &request);
                link->cancel_sent = true;
            }
            else
            if (now - link->heard > BRIDGE_ITEM_SILENT_MS) {
                s_item_end (link, ITEM_FAILED, "agent not responding");
                changed = true;
            }
        }
    download_job_t *job;
    download_item_t *item;
    while ((item = downloads_next (self->downloads, &job))) {
        s_item_start (self, job, item);
        changed = true;
    }
    downloads_unlock (self->downloads);
    if (changed)
        s_downloads_changed (self);
}

//  --- the loop ------------------------------------------------------------------------

//  The periodic work, run from the wake-up poller rather than the timer:
//  zloop tolerates sockets ended by a reader's handler, not by a timer's.
static void
s_tick (bridge_t *self)
{
    s_poll_status (self);
    if (self->relist && self->state && streq (self->state, "online")
    &&  zclock_mono () >= self->relist_after) {
        if (s_relist (self) == 0)
            self->relist = false;
        else
            self->relist_after = zclock_mono () + 1000;
    }
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    bridge_t *self = (bridge_t *) arg;
    self->tick_due = true;
    bridge_poke (self);
    return 0;
}

static int
s_on_wake (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    bridge_t *self = (bridge_t *) arg;
    uint64_t count;
    if (read (item->fd, &count, sizeof count) < 0 && errno != EAGAIN)
        return -1;
    if (self->tick_due) {
        self->tick_due = false;
        s_tick (self);
    }
    s_pump (self);
    return 0;
}

static int
s_on_signal (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop; (void) arg;
    return fsh_signals_read (item->fd)? -1: 0;
}

bridge_t *
bridge_new (const char *endpoint, model_t *model, downloads_t *downloads, hub_t *hub,
            bool verbose)
{
    bridge_t *self = (bridge_t *) zmalloc (sizeof (bridge_t));
    self->endpoint = strdup (endpoint);
    self->model = model;
    self->downloads = downloads;
    self->hub = hub;
    self->verbose = verbose;
    self->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->loop = zloop_new ();
    assert (self->wake_fd >= 0 && self->loop);
    return self;
}

void
bridge_destroy (bridge_t **self_p)
{
    if (*self_p) {
        bridge_t *self = *self_p;
        //  Closing a download's socket is how the agent learns to cancel it
        downloads_lock (self->downloads);
        zlistx_t *jobs = downloads_jobs (self->downloads);
        for (download_job_t *job = (download_job_t *) zlistx_first (jobs); job;
             job = (download_job_t *) zlistx_next (jobs))
            for (size_t i = 0; i < job->count; i++)
                if (job->items [i].link)
                    s_item_end ((link_t *) job->items [i].link, ITEM_CANCELLED, "stopped");
        downloads_unlock (self->downloads);
        s_status_reset (self);
        zsock_destroy (&self->stream);
        zloop_destroy (&self->loop);
        close (self->wake_fd);
        free (self->endpoint);
        free (self->state);
        free (self->downloads_dir);
        free (self);
        *self_p = NULL;
    }
}

void
bridge_poke (bridge_t *self)
{
    uint64_t one = 1;
    if (write (self->wake_fd, &one, sizeof one) < 0)
        return;                 //  the counter is full: a wake-up is pending anyway
}

int
bridge_run (bridge_t *self, int signal_fd)
{
    zmq_pollitem_t wake = { NULL, self->wake_fd, ZMQ_POLLIN, 0 };
    zmq_pollitem_t signals = { NULL, signal_fd, ZMQ_POLLIN, 0 };
    zloop_poller (self->loop, &wake, s_on_wake, self);
    zloop_poller (self->loop, &signals, s_on_signal, self);
    zloop_timer (self->loop, BRIDGE_TICK_MS, 0, s_on_tick, self);
    zloop_set_nonstop (self->loop, true);
    s_on_tick (self->loop, 0, self);
    zloop_start (self->loop);
    return 0;
}
