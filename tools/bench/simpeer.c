/*  simpeer.c - one simulated peer of fshare-bench. See simpeer.h.

    A peer without a view still checks every event's broker instance and
    sequence, but reads only the few fields it needs straight from the
    protobuf wire format (s_scan): decoding every join of a login storm
    in full, for hundreds of simulated peers in one process, would time
    the bench instead of the broker. Peers with a view decode each event
    in full and hand it to view_event, as the agent does.
*/
#include "simpeer.h"
#include "loginclient.h"
#include "pager.h"
#include "zmtp_sub.h"

#define BUSY_RETRY_MS   50              //  the lobby was full: try again
#define PAGE_MARGIN     4096            //  room for the Publish around its files

struct _simpeer_t {
    simpeer_config_t config;
    int index;
    fsh_loginclient_t *client;
    zsock_t *sub;                       //  --zmq-subscribers
    zmtp_sub_t *raw;                    //  otherwise
    view_t *view;
    bool heard;
    bool logged_in;
    bool published;
    bool snapshot_asked;
    bool online;
    int64_t retry_at;                   //  a busy login goes again then
    int busy;
    int pongs;
    char *failure;
    char broker [64];                   //  the light check's broker instance
    uint64_t seq;                       //  and the last seq it saw
    bool seen;                          //  an event has been seen
    simpeer_fn *fn;                     //  during simpeer_on_events
    void *arg;
};

simpeer_t *
simpeer_new (const simpeer_config_t *config, int index)
{
    simpeer_t *self = (simpeer_t *) zmalloc (sizeof (simpeer_t));
    self->config = *config;
    self->index = index;
    self->config.user = strdup (config->user);
    fsh_loginclient_config_t login = { .user = config->user, .password = config->password,
                                       .broker = config->broker };
    self->client = fsh_loginclient_new (&login);
    if (config->view)
        self->view = view_new ();
    return self;
}

void
simpeer_destroy (simpeer_t **self_p)
{
    simpeer_t *self = *self_p;
    if (!self)
        return;
    fsh_loginclient_destroy (&self->client);
    zsock_destroy (&self->sub);
    zmtp_sub_destroy (&self->raw);
    view_destroy (&self->view);
    free ((char *) self->config.user);
    free (self->failure);
    free (self);
    *self_p = NULL;
}

static int
s_fail (simpeer_t *self, const char *format, ...)
{
    if (self->failure)
        return -1;
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    self->failure = zsys_sprintf ("%s: %s", self->config.user, text);
    zstr_free (&text);
    return -1;
}

//  --------------------------------------------------------------------------
//  The event stream

typedef struct {
    const uint8_t *broker;
    size_t broker_size;
    uint64_t seq;
    simpeer_event_t event;
} scan_t;

static bool
s_varint (const uint8_t **cursor, const uint8_t *end, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 64 && *cursor < end; shift += 7) {
        uint8_t byte = *(*cursor)++;
        *value |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

//  The FileInfo's path (field 1) inside an Event's file field.
static void
s_scan_file (const uint8_t *data, size_t size, simpeer_event_t *event)
{
    const uint8_t *cursor = data, *end = data + size;
    uint64_t key, length;
    while (cursor < end && s_varint (&cursor, end, &key)) {
        if ((key & 7) == 0 && s_varint (&cursor, end, &length))
            continue;
        if ((key & 7) != 2 || !s_varint (&cursor, end, &length)
        ||  length > (uint64_t) (end - cursor))
            return;
        if (key >> 3 == 1) {
            event->path = (const char *) cursor;
            event->path_size = (size_t) length;
        }
        cursor += length;
    }
}

//  The fields of an Event the light check needs, from the wire format
//  (fshare.proto: broker 1, seq 2, type 4, user 5, file 6, more 10);
//  everything else is skipped over. False when it is not well formed.
static bool
s_scan (const uint8_t *data, size_t size, scan_t *scan)
{
    const uint8_t *cursor = data, *end = data + size;
    uint64_t key, value;
    while (cursor < end) {
        if (!s_varint (&cursor, end, &key))
            return false;
        int field = (int) (key >> 3), wire = (int) (key & 7);
        if (wire == 0) {
            if (!s_varint (&cursor, end, &value))
                return false;
            if (field == 2)
                scan->seq = value;
            else if (field == 4)
                scan->event.type = (Fshare__EventType) value;
            else if (field == 10)
                scan->event.more = value != 0;
            continue;
        }
        if (wire != 2 || !s_varint (&cursor, end, &value) || value > (uint64_t) (end - cursor))
            return false;     //  no fixed-size fields in an Event
        if (field == 1) {
            scan->broker = cursor;
            scan->broker_size = (size_t) value;
        }
        else if (field == 5) {
            scan->event.user = (const char *) cursor;
            scan->event.user_size = (size_t) value;
        }
        else if (field == 6)
            s_scan_file (cursor, (size_t) value, &scan->event);
        cursor += value;
    }
    return scan->broker_size > 0 && scan->broker_size < 64;
}

//  The light check: one broker instance, every seq the last one + 1.
static int
s_light (simpeer_t *self, const uint8_t *body, size_t size)
{
    scan_t scan = { .broker = NULL };
    if (!s_scan (body, size, &scan))
        return s_fail (self, "an event that does not decode");
    if (!self->seen) {
        memcpy (self->broker, scan.broker, scan.broker_size);
        self->broker [scan.broker_size] = 0;
        self->seen = true;
    }
    else
    if (strlen (self->broker) != scan.broker_size
    ||  memcmp (self->broker, scan.broker, scan.broker_size) != 0)
        return s_fail (self, "events from a new broker instance");
    else
    if (scan.seq != self->seq + 1)
        return s_fail (self, "a gap in the event stream: seq %" PRIu64 " after %" PRIu64,
                       scan.seq, self->seq);
    self->seq = scan.seq;
    scan.event.result = VIEW_APPLIED;
    if (self->fn)
        self->fn (self->arg, self->index, &scan.event);
    return 0;
}

//  With a view: the agent's own code decides (s_on_events in agent.c).
static int
s_viewed (simpeer_t *self, const uint8_t *body, size_t size)
{
    Fshare__Event *event = (Fshare__Event *) fsh_unpack (&fshare__event__descriptor, body, size);
    if (!event)
        return s_fail (self, "an event that does not decode");
    view_result_t result = view_event (self->view, event);
    if (result == VIEW_RESYNC) {
        fsh_event_destroy (&event);
        return s_fail (self, "the view needs a resync: %s", view_resync_reason (self->view));
    }
    simpeer_event_t seen = { .type = event->type, .more = event->more, .result = result };
    if (event->user) {
        seen.user = event->user;
        seen.user_size = strlen (event->user);
    }
    if (event->file && event->file->path) {
        seen.path = event->file->path;
        seen.path_size = strlen (event->file->path);
    }
    if (self->fn)
        self->fn (self->arg, self->index, &seen);
    fsh_event_destroy (&event);
    return 0;
}

static void
s_on_frame (void *arg, const uint8_t *topic, size_t topic_size,
            const uint8_t *body, size_t body_size)
{
    (void) topic_size;
    simpeer_t *self = (simpeer_t *) arg;
    self->heard = true;
    if (self->failure)
        return;
    if (body == topic) {
        s_fail (self, "an event of one frame");
        return;
    }
    if (self->view)
        s_viewed (self, body, body_size);
    else
        s_light (self, body, body_size);
}

int
simpeer_subscribe (simpeer_t *self)
{
    if (self->config.zmq_sub) {
        self->sub = zsock_new (ZMQ_SUB);
        fsh_socket_limits (self->sub, 0);
        zsock_set_subscribe (self->sub, "");
        if (zsock_connect (self->sub, "%s", self->config.events))
            return s_fail (self, "cannot connect a SUB to %s", self->config.events);
        return 0;
    }
    const char *error = NULL;
    self->raw = zmtp_sub_new (self->config.events, 10000, &error);
    return self->raw? 0: s_fail (self, "subscriber: %s", error);
}

int
simpeer_on_events (simpeer_t *self, simpeer_fn *fn, void *arg)
{
    self->fn = fn;
    self->arg = arg;
    if (self->raw && zmtp_sub_read (self->raw, s_on_frame, self) < 0)
        s_fail (self, "the subscriber's connection failed");
    while (self->sub && !self->failure && (zsock_events (self->sub) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv (self->sub);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg), *body = zmsg_last (msg);
        s_on_frame (self, zframe_data (topic), zframe_size (topic),
                    zframe_data (body), zframe_size (body));
        zmsg_destroy (&msg);
    }
    self->fn = NULL;
    return self->failure? -1: 0;
}

//  --------------------------------------------------------------------------
//  The session

int
simpeer_login (simpeer_t *self)
{
    const char *error = NULL;
    self->retry_at = 0;
    if (fsh_loginclient_connect (self->client, &error))
        return s_fail (self, "cannot log in: %s", error);
    return 0;
}

//  The files in pages, as the agent's link does; the broker answers the
//  last page (more = false) with PublishOk.
static int
s_publish (simpeer_t *self)
{
    uint32_t max = fsh_loginclient_max_message (self->client);
    size_t budget = (max? max: 1024 * 1024) - PAGE_MARGIN;
    fsh_pager_t *pager = fsh_pager_new (budget);
    int rc = 0;
    for (size_t i = 0; i <= self->config.n_files && rc == 0; i++) {
        bool last = i == self->config.n_files;
        if (!last && !fsh_pager_full (pager, self->config.files [i])) {
            fsh_pager_add (pager, self->config.files [i]);
            continue;
        }
        Fshare__Publish publish = FSHARE__PUBLISH__INIT;
        publish.files = fsh_pager_files (pager);
        publish.n_files = fsh_pager_count (pager);
        publish.more = !last;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        fsh_msg_set_body (&msg, fsh_loginclient_new_id (self->client), FSHARE__MESSAGE__BODY_PUBLISH, &publish);
        if (fsh_loginclient_send (self->client, &msg))
            rc = s_fail (self, "cannot publish: %s", zmq_strerror (errno));
        fsh_pager_reset (pager);
        if (!last)
            fsh_pager_add (pager, self->config.files [i]);
    }
    fsh_pager_destroy (&pager);
    return rc;
}

static int
s_snapshot (simpeer_t *self)
{
    Fshare__Snapshot snapshot = FSHARE__SNAPSHOT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, fsh_loginclient_new_id (self->client), FSHARE__MESSAGE__BODY_SNAPSHOT, &snapshot);
    view_snapshot_begin (self->view);
    self->snapshot_asked = true;
    if (fsh_loginclient_send (self->client, &msg))
        return s_fail (self, "cannot ask for a snapshot: %s", zmq_strerror (errno));
    return 0;
}

//  A message that is not about the session itself.
static int
s_other (simpeer_t *self, Fshare__Message *msg)
{
    if (msg->status == FSHARE__STATUS__STATUS_ERROR)
        return s_fail (self, "the broker refused a request: %s (%s)",
                       msg->error? msg->error: "", fsh_err_name ((fsh_err_t) msg->code));
    if (msg->body_case == FSHARE__MESSAGE__BODY_PUBLISH_OK && !self->published) {
        self->published = true;
        if (!self->view)
            self->online = true;
        //  As the agent: the snapshot once the subscription is active
        return self->view && self->heard? s_snapshot (self): 0;
    }
    if (msg->body_case == FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE && self->view && !self->online) {
        int rc = view_snapshot_page (self->view, msg->snapshot_page);
        if (rc == -1)
            return s_fail (self, "the snapshot needs fetching again: %s",
                           view_resync_reason (self->view));
        self->online = rc == 1;
        return 0;
    }
    return s_fail (self, "an unexpected reply (body %d)", (int) msg->body_case);
}

static int
s_on_message (simpeer_t *self, Fshare__Message *msg)
{
    switch (fsh_loginclient_on_message (self->client, msg)) {
        case FSH_LOGIN_OK:
            self->logged_in = true;
            return s_publish (self);
        case FSH_LOGIN_REFUSED:
            if (fsh_loginclient_code (self->client) == FSH_ERR_BUSY) {
                self->busy++;
                self->retry_at = zclock_mono () + BUSY_RETRY_MS;
                return 0;
            }
            return s_fail (self, "login refused: %s", fsh_loginclient_error (self->client));
        case FSH_LOGIN_MALFORMED:
            return s_fail (self, "a LoginOk that fails the checks");
        case FSH_LOGIN_PONG:
            //  Not fed to view_pong: its "behind" mark trips when a view
            //  is a heartbeat behind the stream, which here measures this
            //  one process reading for hundreds of peers, not the broker.
            //  A lost event still shows as a gap at the next one, and the
            //  login bench checks the sample views exact at the end.
            self->pongs++;
            return 0;
        case FSH_LOGIN_UNKNOWN:
            return s_fail (self, "the broker forgot the session");
        case FSH_LOGIN_STALE:
            return 0;
        case FSH_LOGIN_LOGGED_OUT:
        case FSH_LOGIN_SILENT:
            return s_fail (self, "logged out unasked");
        case FSH_LOGIN_OTHER:
            break;
    }
    return s_other (self, msg);
}

int
simpeer_on_dealer (simpeer_t *self)
{
    zsock_t *dealer = fsh_loginclient_dealer (self->client);
    while (dealer && !self->failure && (zsock_events (dealer) & ZMQ_POLLIN)) {
        Fshare__Message *msg = fsh_msg_recv (dealer);
        if (!msg)
            return s_fail (self, "a reply that does not decode");
        s_on_message (self, msg);
        fsh_msg_destroy (&msg);
    }
    return self->failure? -1: 0;
}

int
simpeer_tick (simpeer_t *self)
{
    if (self->failure)
        return -1;
    int64_t now = zclock_mono ();
    if (self->retry_at && now >= self->retry_at)
        return simpeer_login (self);
    //  Published before it subscribed: the snapshot waits for the stream
    if (self->view && self->published && self->heard && !self->snapshot_asked)
        return s_snapshot (self);
    if (self->logged_in && fsh_loginclient_expired (self->client))
        return s_fail (self, "the broker fell silent");
    if (self->logged_in && now >= fsh_loginclient_next_ping (self->client))
        fsh_loginclient_ping (self->client);
    return 0;
}

//  --------------------------------------------------------------------------
//  State

int
simpeer_dealer_fd (simpeer_t *self)
{
    zsock_t *dealer = fsh_loginclient_dealer (self->client);
    return dealer? zsock_fd (dealer): -1;
}

int
simpeer_sub_fd (simpeer_t *self)
{
    return self->raw? zmtp_sub_fd (self->raw): self->sub? zsock_fd (self->sub): -1;
}

bool simpeer_edge_triggered (simpeer_t *self) { return self->sub != NULL; }
bool simpeer_heard (simpeer_t *self)         { return self->heard; }
bool simpeer_logged_in (simpeer_t *self)     { return self->logged_in; }
bool simpeer_published (simpeer_t *self)     { return self->published; }
bool simpeer_online (simpeer_t *self)        { return self->online; }
int simpeer_busy_refusals (simpeer_t *self)  { return self->busy; }
const char *simpeer_failure (simpeer_t *self) { return self->failure; }
view_t *simpeer_view (simpeer_t *self)       { return self->view; }
const char *simpeer_user (simpeer_t *self)   { return self->config.user; }
