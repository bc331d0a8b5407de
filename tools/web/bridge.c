/*  bridge.c - fshare-web's link to the agent. See bridge.h. */
#include "bridge.h"
#include "ctlclient.h"
#include "webutil.h"
#include "cli.h"
#include "escape.h"
#include <sys/eventfd.h>

struct _bridge_t {
    char *endpoint;
    model_t *model;
    downloads_t *downloads;
    hub_t *hub;
    bool verbose;
    zloop_t *loop;
    int wake_fd;
    fsh_ctlstream_t *stream;    //  "events" subscription
    int64_t answered;           //  when the agent last answered a status
    int64_t pid;                //  the agent's, 0 until known
    char *state;                //  the agent's state word, "unreachable" or "no_fds"
    char *downloads_dir;
    bool relist;                //  the model needs a new listing
    int64_t relist_after;
    bool tick_due;
    bool short_of_fds;          //  a download waits for descriptors (said once)
    bool agent_lost;            //  a download lost the agent: probe before the next
    int64_t probed_at;          //  the last look for a quiet download's agent
    zlistx_t *links;            //  link_t of the running items (not owned)
};

//  A running item's stream and deadline.
typedef struct {
    bridge_t *bridge;
    download_job_t *job;
    download_item_t *item;
    fsh_ctlstream_t *stream;
    int64_t heard;
    bool cancel_sent;
    void *handle;               //  in the bridge's links
} link_t;

//  A line of the verbose log; `arg` (the agent's text) escaped as plain
//  output shows it: something posing as an agent may send a state word
//  with a bidirectional override or a C1 control, which would re-order or
//  drive the terminal that reads the log.
static void
s_log (bridge_t *self, const char *format, const char *arg)
{
    if (self->verbose) {
        char *shown = fsh_text_escape (arg);
        fprintf (stderr, "fshare-web: ");
        fprintf (stderr, format, shown? shown: "?");
        fprintf (stderr, "\n");
        free (shown);
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
                     : streq (state, "no_fds")? "fshare-web has no file descriptor left to ask "
                                                "the agent (raise ulimit -n): waiting…"
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

//  One request's replies into `replies`; 0 when the last one is not an error.
static int
s_call (bridge_t *self, const char *command, bool all, zlistx_t *replies)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = (char *) command;
    request.all = all;
    if (fsh_ctl_exchange (self->endpoint, &request, FSH_CTL_REQUEST_TIMEOUT_MS, replies)
        != FSH_CTL_OK)
        return -1;
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    return last && last->status == FSHARE__STATUS__STATUS_OK? 0: -1;
}

//  Status, peers, then every file: the model starts again from them.
//  Events newer than the status's sequence number are applied after.
static int
s_relist (bridge_t *self)
{
    zlistx_t *status = fsh_ctl_replies_new ();
    zlistx_t *peers = fsh_ctl_replies_new ();
    zlistx_t *files = fsh_ctl_replies_new ();
    int rc = s_call (self, "status", false, status);
    Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (status);
    if (rc == 0 && (!reply->agent || !fsh_text_valid (reply->agent->broker_id, 256)))
        rc = -1;
    if (rc == 0)
        rc = s_call (self, "peers", false, peers);
    if (rc == 0)
        rc = s_call (self, "ls", true, files);
    if (rc == 0) {
        model_lock (self->model);
        model_reset (self->model, reply->agent->broker_id, reply->agent->seq);
        for (Fshare__CtlReply *page = (Fshare__CtlReply *) zlistx_first (peers); page;
             page = (Fshare__CtlReply *) zlistx_next (peers))
            for (size_t i = 0; i < page->n_peers; i++)
                if (!fsh_user_check (page->peers [i]->user))
                    model_add_user (self->model, page->peers [i]->user, page->peers [i]->since);
        for (Fshare__CtlReply *page = (Fshare__CtlReply *) zlistx_first (files); page;
             page = (Fshare__CtlReply *) zlistx_next (files))
            for (size_t i = 0; i < page->n_files; i++)
                if (page->files [i]->user)
                    model_put (self->model, page->files [i]->user, page->files [i]->file);
        model_unlock (self->model);
        hub_publish (self->hub, "reload", "{}");
    }
    else
        s_log (self, "%s", "listing failed: trying again");
    zlistx_destroy (&status);
    zlistx_destroy (&peers);
    zlistx_destroy (&files);
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

static void
s_unsubscribe (bridge_t *self)
{
    if (self->stream) {
        zloop_reader_end (self->loop, (zsock_t *) fsh_ctlstream_socket (self->stream));
        zloop_reader_end (self->loop, (zsock_t *) fsh_ctlstream_monitor (self->stream));
        fsh_ctlstream_destroy (&self->stream);
    }
}

static int
s_on_stream (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    bridge_t *self = (bridge_t *) arg;
    Fshare__CtlReply *reply = NULL;
    fsh_ctl_result_t result = fsh_ctlstream_read (self->stream, sock, &reply);
    if (result == FSH_CTL_GONE) {
        //  The agent went away: a new one gets a new subscription
        s_log (self, "%s", "the agent's event stream ended");
        s_unsubscribe (self);
        self->pid = 0;
        return 0;
    }
    if (!reply)
        return 0;
    if (reply->resynced) {
        //  The agent's view loaded a snapshot after missing events: what it
        //  tells of the difference is the new listing, fetched whole
        self->relist = true;
        self->relist_after = zclock_mono ();
    }
    else
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
    fsh_ctl_reply_free (&reply);
    return 0;
}

static void
s_subscribe (bridge_t *self)
{
    s_unsubscribe (self);
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "events";
    self->stream = fsh_ctlstream_new (self->endpoint, &request);
    if (!self->stream)
        return;
    zloop_reader (self->loop, (zsock_t *) fsh_ctlstream_socket (self->stream), s_on_stream, self);
    zloop_reader (self->loop, (zsock_t *) fsh_ctlstream_monitor (self->stream), s_on_stream, self);
}

//  --- the status poll ------------------------------------------------------------

static void
s_poll_status (bridge_t *self)
{
    int64_t now = zclock_mono ();
    fsh_ctl_result_t result;
    Fshare__CtlReply *reply = fsh_ctl_probe_why (self->endpoint, FSH_CTL_PROBE_TIMEOUT_MS,
                                                 &result);
    Fshare__AgentStatus *status = reply? reply->agent: NULL;
    //  Our own shortage says nothing about the agent: the true cause
    if (!status && result == FSH_CTL_NO_FDS) {
        s_set_state (self, "no_fds");
        return;
    }
    if (!status || !fsh_text_valid (status->state, 64)) {
        //  A busy agent may miss one probe: say so only when it keeps silent
        if (now - self->answered > BRIDGE_STATUS_LATE_MS)
            s_set_state (self, "unreachable");
        fsh_ctl_reply_free (&reply);
        return;
    }
    self->answered = now;
    if (status->pid != self->pid || !self->stream) {
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
    fsh_ctl_reply_free (&reply);
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
    downloads_item_end (link->bridge->downloads, link->job, item, state);
    if (error) {
        free (item->error);
        item->error = strdup (error);
    }
    item->link = NULL;
    zlistx_delete (link->bridge->links, link->handle);
    if (link->stream) {
        zloop_reader_end (link->bridge->loop, (zsock_t *) fsh_ctlstream_socket (link->stream));
        zloop_reader_end (link->bridge->loop, (zsock_t *) fsh_ctlstream_monitor (link->stream));
        fsh_ctlstream_destroy (&link->stream);
    }
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
        //  Whatever the agent says it saved, only a file beneath its
        //  downloads directory is handed out (routes.c)
        item->downloads = link->bridge->downloads_dir? strdup (link->bridge->downloads_dir)
                                                     : NULL;
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
    (void) loop;
    link_t *link = (link_t *) arg;
    bridge_t *self = link->bridge;
    Fshare__CtlReply *reply = NULL;
    fsh_ctl_result_t result = fsh_ctlstream_read (link->stream, sock, &reply);
    if (result != FSH_CTL_GONE && !reply)
        return 0;
    downloads_lock (self->downloads);
    link->heard = zclock_mono ();
    download_item_t *item = link->item;
    if (result == FSH_CTL_GONE) {
        s_item_end (link, ITEM_FAILED, "the agent went away");
        self->agent_lost = true;
    }
    else
        s_item_reply (link, reply);
    bool link_running = item->state == ITEM_RUNNING;
    bool ended = !link_running;
    downloads_unlock (self->downloads);
    s_downloads_changed (self);
    fsh_ctl_reply_free (&reply);
    //  The next queued item starts on the wake-up this sends (not here:
    //  see s_tick), not on the next tick's: a folder of small files ran at
    //  four files a tick
    if (ended)
        bridge_poke (self);
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

//  Starts a queued item: true when it runs or has ended (failed), false
//  when the program has no descriptor left for its socket: it is queued
//  again, to start once some are free (a shortage is not the file's fault).
static bool
s_item_start (bridge_t *self, download_job_t *job, download_item_t *item)
{
    char *error = NULL;
    char *output = s_output (self, job, item, &error);
    link_t *link = (link_t *) zmalloc (sizeof (link_t));
    link->bridge = self;
    link->job = job;
    link->item = item;
    link->heard = zclock_mono ();
    item->link = link;
    link->handle = zlistx_add_end (self->links, link);
    //  Once a download lost the agent, each next one first looks whether
    //  anything listens on its socket: a stream to a dead one never
    //  connects and never hears of a disconnection, so every queued file
    //  of a folder would wait out the silence allowed to a live agent
    if (!error && self->agent_lost) {
        self->agent_lost = fsh_ctl_endpoint_dead (self->endpoint);
        if (self->agent_lost)
            error = strdup ("the agent went away");
    }
    if (!error) {
        Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
        char *args [2] = { job->owner, item->path };
        request.command = "get";
        request.n_args = 2;
        request.args = args;
        request.output = output? output: "";
        errno = 0;
        link->stream = fsh_ctlstream_new (self->endpoint, &request);
        if (!link->stream && errno == EMFILE) {
            if (!self->short_of_fds)
                fprintf (stderr, "fshare-web: busy: %s: downloads wait\n",
                         FSH_CTL_NO_FDS_TEXT);
            self->short_of_fds = true;
            downloads_requeue (self->downloads, job, item);
            item->link = NULL;
            zlistx_delete (self->links, link->handle);
            free (link);
            free (output);
            return false;
        }
    }
    if (!link->stream) {
        s_item_end (link, ITEM_FAILED, error? error: "cannot reach the agent");
        zstr_free (&error);
        free (output);
        return true;
    }
    self->short_of_fds = false;
    zloop_reader (self->loop, (zsock_t *) fsh_ctlstream_socket (link->stream), s_on_item, link);
    zloop_reader (self->loop, (zsock_t *) fsh_ctlstream_monitor (link->stream), s_on_item, link);
    free (item->output);
    item->output = output;
    return true;
}

//  Start what may start, cancel what was asked to stop, fail the silent.
static void
s_pump (bridge_t *self)
{
    bool changed = false;
    int64_t now = zclock_mono ();
    downloads_lock (self->downloads);
    //  The running items only: a folder's queue is never walked here
    zlistx_t *silent = zlistx_new ();
    zlistx_t *quiet = zlistx_new ();
    for (link_t *link = (link_t *) zlistx_first (self->links); link;
         link = (link_t *) zlistx_next (self->links)) {
        if (link->job->cancelled && !link->cancel_sent) {
            fsh_ctlstream_send (link->stream, "cancel");
            link->cancel_sent = true;
        }
        else
        if (now - link->heard > BRIDGE_ITEM_SILENT_MS)
            zlistx_add_end (silent, link);
        else
        if (now - link->heard > BRIDGE_ITEM_QUIET_MS)
            zlistx_add_end (quiet, link);
    }
    //  A stream started just as the agent died never connects, so it never
    //  hears of a disconnection either: quiet ones look whether anything
    //  listens (once a second), rather than wait out the silence allowed
    //  to a live agent
    if (zlistx_size (quiet) && now - self->probed_at >= BRIDGE_ITEM_QUIET_MS) {
        self->probed_at = now;
        if (fsh_ctl_endpoint_dead (self->endpoint)) {
            for (link_t *link = (link_t *) zlistx_first (quiet); link;
                 link = (link_t *) zlistx_next (quiet))
                s_item_end (link, ITEM_FAILED, "the agent went away");
            self->agent_lost = true;
            changed = true;
        }
    }
    zlistx_destroy (&quiet);
    for (link_t *link = (link_t *) zlistx_first (silent); link;
         link = (link_t *) zlistx_next (silent)) {
        s_item_end (link, ITEM_FAILED, "agent not responding");
        self->agent_lost = true;
        changed = true;
    }
    zlistx_destroy (&silent);
    download_job_t *job;
    download_item_t *item;
    //  Out of descriptors: the rest waits for the next tick
    while ((item = downloads_next (self->downloads, &job))
    &&      s_item_start (self, job, item))
        changed = true;
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
    self->links = zlistx_new ();
    assert (self->wake_fd >= 0 && self->loop && self->links);
    return self;
}

void
bridge_destroy (bridge_t **self_p)
{
    if (*self_p) {
        bridge_t *self = *self_p;
        //  Closing a download's socket is how the agent learns to cancel it
        downloads_lock (self->downloads);
        link_t *link;
        while ((link = (link_t *) zlistx_first (self->links)))
            s_item_end (link, ITEM_CANCELLED, "stopped");
        downloads_unlock (self->downloads);
        zlistx_destroy (&self->links);
        s_unsubscribe (self);
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
