/*  agent.c - the peer agent actor. See agent.h.

    One zloop drives everything: the broker DEALER (session), the event SUB
    (view), the control ROUTER (fshare-ctl), the inotify descriptor of the
    host directory, and timers (heartbeat, login retry, logout deadline).

    Session: Login -> LoginOk -> subscribe -> Publish pages -> PublishOk ->
    Snapshot pages -> online. Host-directory changes go to the broker as
    they happen once the pages are out. Any message from the broker is a
    sign of life; LIVENESS silent heartbeats mean it is gone: the DEALER is
    thrown away (with whatever was queued in it) and the login replayed
    with backoff. "unknown session" means the broker restarted: log in
    again at once.
*/
#include "agent.h"
#include "control.h"
#include "hostdir.h"
#include "view.h"
#include "transfer.h"
#include "chunk.h"
#include "curve.h"
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>

#define BACKOFF_MIN_MS      250
#define BACKOFF_MAX_MS      4000
#define LOGOUT_WAIT_MS      2000
//  A login that the broker keeps answering probes for but never replies to
#define LOGIN_MAX_MS        60000
#define EVENT_BATCH         256
#define REPLY_BATCH         64
//  Room left in a Publish page for the message's own fields
#define PAGE_MARGIN         256

typedef enum {
    STATE_CONNECTING,           //  no session yet
    STATE_LOGGING_IN,           //  session; publishing, loading the view
    STATE_ONLINE,
    STATE_RECONNECTING,         //  lost the broker, retrying
    STATE_STOPPING
} state_t;

static const char *s_state_names [] = {
    "connecting", "logging in", "online", "reconnecting", "stopping"
};

typedef struct {
    //  Configuration (owned copies)
    char *user;
    char *password;
    char *dir;
    char *downloads;
    char *broker_ep;
    char *events_override;
    char *control_ep;
    char *server_key;           //  broker's CURVE key; NULL without CURVE
    zcert_t *cert;              //  our key pair for this run (DEALER and SUB)
    bool verbose;

    zsock_t *pipe;
    zloop_t *loop;
    zsock_t *dealer;            //  to the broker; NULL between attempts
    unsigned dealer_gen;        //  changes whenever the dealer is replaced
    zsock_t *sub;               //  event stream
    char *sub_endpoint;
    control_t *control;
    hostdir_t *hostdir;
    zmq_pollitem_t hostdir_item;
    view_t *view;
    transfers_t *transfers;     //  downloads, as owner and as requester

    state_t state;
    bool ever_session;          //  some login succeeded once
    bool reported;              //  "ONLINE" was sent to the owner
    bool published;             //  this session's Publish pages are out
    bool finished;              //  the loop must end
    bool stopped_by_ctl;
    unsigned login_replies;     //  answers to Login seen (first one decides)
    char *session;
    char *broker_id;
    char *events_ep;
    uint32_t heartbeat_ms;
    uint32_t page_bytes;
    uint64_t next_id;
    uint64_t login_id;          //  outstanding Login, 0 if none
    uint64_t publish_id;
    uint64_t snapshot_id;
    uint64_t logout_id;
    int64_t login_sent_at;
    int64_t last_rx;            //  last sign of life from the broker
    int backoff_ms;
    int heartbeat_timer;
    int retry_timer;
    int stop_timer;
    int hostdir_timer;
    uint64_t resyncs;
    uint64_t bad_events;
    int64_t bad_events_logged_at;
    zframe_t *disconnect_to;    //  the ctl waiting for "disconnect"
} agent_t;

#define s_debug(self, ...) do { if ((self)->verbose) zsys_debug (__VA_ARGS__); } while (0)

static int s_login_start (agent_t *self);
static int s_on_heartbeat (zloop_t *loop, int timer_id, void *arg);

static char *
s_strdup_or_null (const char *text)
{
    return text? strdup (text): NULL;
}

static void
s_set (char **field, const char *value)
{
    free (*field);
    *field = s_strdup_or_null (value);
}

static uint64_t
s_new_id (agent_t *self)
{
    return ++self->next_id;
}

static const char *
s_state_name (agent_t *self)
{
    return s_state_names [self->state];
}

static void
s_set_state (agent_t *self, state_t state)
{
    if (self->state != state)
        s_debug (self, "%s: state %s -> %s", self->user, s_state_name (self),
                 s_state_names [state]);
    self->state = state;
}

//  --- Sending to the broker ---------------------------------------------------

//  The dealer never blocks (send timeout 0): a full queue means the broker
//  is not reading, which the caller treats as a lost broker.
static int
s_send (agent_t *self, Fshare__Message *msg)
{
    if (!self->dealer)
        return -1;
    msg->session = self->session? self->session: (char *) "";
    if (fsh_msg_send (msg, self->dealer) == 0)
        return 0;
    zsys_warning ("%s: cannot send %s to the broker: %s", self->user,
                  fsh_msg_kind (msg), zmq_strerror (zmq_errno ()));
    return -1;
}

static int
s_send_ping (agent_t *self)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Ping ping = FSHARE__PING__INIT;
    msg.id = s_new_id (self);
    msg.body_case = FSHARE__MESSAGE__BODY_PING;
    msg.ping = &ping;
    return s_send (self, &msg);
}

//  --- Connection management ------------------------------------------------------

static void
s_dealer_drop (agent_t *self)
{
    //  The session's transfers die with it
    if (self->transfers)
        transfers_set_broker (self->transfers, NULL, NULL, 0, "lost the broker");
    if (self->dealer) {
        zloop_reader_end (self->loop, self->dealer);
        zsock_destroy (&self->dealer);
        self->dealer_gen++;
    }
}

static void
s_timer_cancel (agent_t *self, int *timer_id)
{
    if (*timer_id) {
        zloop_timer_end (self->loop, *timer_id);
        *timer_id = 0;
    }
}

static int
s_on_retry (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    self->retry_timer = 0;
    return s_login_start (self);
}

//  Forget the session and the dealer; try again after `delay` ms.
static void
s_reconnect (agent_t *self, const char *why, int delay)
{
    if (self->state == STATE_STOPPING)
        return;
    if (why)
        zsys_warning ("%s: %s: reconnecting in %d ms", self->user, why, delay);
    s_dealer_drop (self);
    zstr_free (&self->session);
    self->login_id = 0;
    self->published = false;
    view_invalidate (self->view);
    s_set_state (self, self->ever_session? STATE_RECONNECTING: STATE_CONNECTING);
    s_timer_cancel (self, &self->retry_timer);
    self->retry_timer = zloop_timer (self->loop, delay > 0? (size_t) delay: 1, 1,
                                     s_on_retry, self);
}

//  Reconnect with the current backoff, and back off further.
static void
s_reconnect_later (agent_t *self, const char *why)
{
    int delay = self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > BACKOFF_MAX_MS? BACKOFF_MAX_MS
                                                            : self->backoff_ms * 2;
    s_reconnect (self, why, delay);
}

static int
s_on_broker (zloop_t *loop, zsock_t *sock, void *arg);

static int
s_login_start (agent_t *self)
{
    s_dealer_drop (self);
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer) {
        s_reconnect_later (self, "cannot create a socket");
        return 0;
    }
    fsh_socket_limits (self->dealer, 0);
    fsh_curve_client (self->dealer, self->cert, self->server_key);
    zsock_set_sndtimeo (self->dealer, 0);
    if (zsock_connect (self->dealer, "%s", self->broker_ep) == -1) {
        //  s_endpoint_error passed at start: only a resource problem
        zsys_error ("%s: cannot connect to %s: %s", self->user, self->broker_ep,
                    zmq_strerror (zmq_errno ()));
        s_reconnect_later (self, "connect failed");
        return 0;
    }
    zloop_reader (self->loop, self->dealer, s_on_broker, self);

    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = self->user;
    login.password = self->password;
    login.version = FSH_PROTOCOL_VERSION;
    msg.id = self->login_id = s_new_id (self);
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    zstr_free (&self->session);
    if (s_send (self, &msg)) {
        s_reconnect_later (self, "login not sent");
        return 0;
    }
    self->login_sent_at = self->last_rx = zclock_mono ();
    s_debug (self, "%s: login sent to %s", self->user, self->broker_ep);
    return 0;
}

static int
s_on_events (zloop_t *loop, zsock_t *sock, void *arg);

//  Subscribe to the whole sequenced stream (a view cannot filter topics).
static int
s_events_connect (agent_t *self, const char *endpoint)
{
    //  Under CURVE a SUB that reconnected before this login was refused by
    //  the broker's gate, and libzmq does not retry a refused handshake:
    //  subscribe afresh after every login.
    if (self->sub && streq (self->sub_endpoint, endpoint) && !self->server_key)
        return 0;
    if (self->sub) {
        zloop_reader_end (self->loop, self->sub);
        zsock_destroy (&self->sub);
    }
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub)
        return -1;
    fsh_socket_limits (self->sub, 0);
    fsh_curve_client (self->sub, self->cert, self->server_key);
    zsock_set_subscribe (self->sub, "");
    if (zsock_connect (self->sub, "%s", endpoint) == -1) {
        zsys_error ("%s: cannot connect to the event endpoint %s: %s", self->user,
                    endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->sub);
        return -1;
    }
    s_set (&self->sub_endpoint, endpoint);
    zloop_reader (self->loop, self->sub, s_on_events, self);
    s_debug (self, "%s: subscribed to %s", self->user, endpoint);
    return 0;
}

static void
s_heartbeat_start (agent_t *self, uint32_t interval)
{
    s_timer_cancel (self, &self->heartbeat_timer);
    self->heartbeat_ms = interval;
    self->heartbeat_timer = zloop_timer (self->loop, interval, 0, s_on_heartbeat, self);
}

//  --- Session flow ---------------------------------------------------------------

//  Pages of the host directory's files, sorted, each under page_bytes.
static int
s_publish_send_page (agent_t *self, Fshare__FileInfo **files, size_t count, bool more)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.files = files;
    publish.n_files = count;
    publish.more = more;
    msg.id = self->publish_id;
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH;
    msg.publish = &publish;
    return s_send (self, &msg);
}

static int
s_publish (agent_t *self)
{
    zlistx_t *files = fileset_sorted (hostdir_files (self->hostdir));
    size_t total = zlistx_size (files);
    Fshare__FileInfo *infos = (Fshare__FileInfo *) calloc (total + 1, sizeof (Fshare__FileInfo));
    Fshare__FileInfo **list = (Fshare__FileInfo **) calloc (total + 1, sizeof (Fshare__FileInfo *));
    assert (infos && list);
    self->publish_id = s_new_id (self);
    size_t limit = self->page_bytes - PAGE_MARGIN - strlen (self->session);
    size_t index = 0, start = 0, bytes = 0, pages = 0;
    int rc = 0;
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (files);
         file && rc == 0; file = (const fileset_file_t *) zlistx_next (files)) {
        Fshare__FileInfo *info = &infos [index];
        fileset_info (file, info);
        //  The entry plus its tag and length prefix
        size_t size = fshare__file_info__get_packed_size (info) + 4;
        if (index > start && bytes + size > limit) {
            rc = s_publish_send_page (self, list + start, index - start, true);
            pages++;
            start = index;
            bytes = 0;
        }
        list [index++] = info;
        bytes += size;
    }
    if (rc == 0) {
        rc = s_publish_send_page (self, list + start, index - start, false);
        pages++;
    }
    free (list);
    free (infos);
    zlistx_destroy (&files);
    if (rc == 0)
        s_debug (self, "%s: published %zu files in %zu pages", self->user, total, pages);
    return rc;
}

static void
s_snapshot_request (agent_t *self)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Snapshot snapshot = FSHARE__SNAPSHOT__INIT;
    msg.id = self->snapshot_id = s_new_id (self);
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT;
    msg.snapshot = &snapshot;
    view_snapshot_begin (self->view);
    if (s_send (self, &msg))
        s_reconnect_later (self, "snapshot request not sent");
}

static void
s_resync (agent_t *self, const char *reason)
{
    self->resyncs++;
    zsys_info ("%s: view resync #%" PRIu64 " (%s)", self->user, self->resyncs, reason);
    //  Before PublishOk the login flow asks for the snapshot itself
    if (self->session && self->snapshot_id)
        s_snapshot_request (self);
}

static int
s_on_login_ok (agent_t *self, Fshare__LoginOk *ok)
{
    self->login_id = 0;
    if (!fsh_text_valid (ok->session, 256) || !*ok->session
    ||  !fsh_text_valid (ok->broker, 64) || !fsh_text_valid (ok->events, 256)) {
        s_reconnect_later (self, "malformed login reply");
        return 0;
    }
    const char *events = self->events_override? self->events_override: ok->events;
    if (!*events) {
        s_reconnect_later (self, "the broker named no event endpoint");
        return 0;
    }
    s_set (&self->session, ok->session);
    s_set (&self->broker_id, ok->broker);
    s_set (&self->events_ep, events);
    transfers_set_broker (self->transfers, self->dealer, self->session, ok->max_message, NULL);
    self->ever_session = true;
    self->backoff_ms = BACKOFF_MIN_MS;
    self->snapshot_id = 0;
    uint32_t heartbeat = ok->heartbeat_ms >= 50 && ok->heartbeat_ms <= 60000?
                         ok->heartbeat_ms: FSH_DEFAULT_HEARTBEAT_MS;
    if (heartbeat != self->heartbeat_ms)
        s_heartbeat_start (self, heartbeat);
    self->page_bytes = FSH_PAGE_BYTES;
    if (ok->max_message > 4096 && ok->max_message < self->page_bytes)
        self->page_bytes = ok->max_message;
    s_set_state (self, STATE_LOGGING_IN);
    zsys_info ("%s: logged in to %s (broker %s)", self->user, self->broker_ep, ok->broker);

    //  Subscribe before the snapshot (Clone pattern): events in between
    //  are buffered by the view
    if (s_events_connect (self, events)) {
        s_reconnect_later (self, "cannot subscribe to events");
        return 0;
    }
    view_invalidate (self->view);
    if (s_publish (self)) {
        s_reconnect_later (self, "publish failed");
        return 0;
    }
    self->published = true;
    return 0;
}

static void
s_on_online (agent_t *self)
{
    if (self->state != STATE_LOGGING_IN)
        return;
    s_set_state (self, STATE_ONLINE);
    zsys_info ("%s: online: %zu users, %" PRIu64 " files (broker %s, seq %" PRIu64 ")",
               self->user, view_user_count (self->view), view_file_count (self->view),
               view_broker (self->view), view_seq (self->view));
    if (!self->reported) {
        self->reported = true;
        zstr_send (self->pipe, "ONLINE");
    }
}

static void
s_on_snapshot_page (agent_t *self, Fshare__SnapshotPage *page)
{
    int rc = view_snapshot_page (self->view, page);
    if (rc == 1)
        s_on_online (self);
    else
    if (rc == -1)
        s_resync (self, view_resync_reason (self->view));
}

//  Ends the loop: replies to a waiting ctl, tells the owner.
static int
s_finish (agent_t *self, bool confirmed)
{
    if (confirmed)
        zsys_info ("%s: logged out", self->user);
    else
        zsys_warning ("%s: stopped without the broker confirming the logout", self->user);
    if (self->disconnect_to) {
        if (confirmed)
            control_reply_ok (self->control, self->disconnect_to, "logged out");
        else
            control_reply_error (self->control, self->disconnect_to,
                                 FSH_ERR_BROKER_UNREACHABLE,
                                 "broker unreachable; stopped anyway");
        //  Let the reply leave before the socket closes
        zsock_set_linger (control_sock (self->control), 1000);
        zframe_destroy (&self->disconnect_to);
    }
    if (self->stopped_by_ctl)
        zstr_send (self->pipe, "STOPPED");
    self->finished = true;
    return -1;
}

static int
s_on_stop_timeout (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    self->stop_timer = 0;
    return s_finish (self, false);
}

//  Log out if there is a session; -1 when the loop must end now.
static int
s_stop (agent_t *self)
{
    if (self->state == STATE_STOPPING)
        return 0;
    s_set_state (self, STATE_STOPPING);
    s_timer_cancel (self, &self->retry_timer);
    //  The broker ends our transfers on the other sides when we log out
    transfers_set_broker (self->transfers, NULL, NULL, 0, "the agent is stopping");
    if (!self->session || !self->dealer)
        return s_finish (self, false);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Logout logout = FSHARE__LOGOUT__INIT;
    msg.id = self->logout_id = s_new_id (self);
    msg.body_case = FSHARE__MESSAGE__BODY_LOGOUT;
    msg.logout = &logout;
    if (s_send (self, &msg))
        return s_finish (self, false);
    self->stop_timer = zloop_timer (self->loop, LOGOUT_WAIT_MS, 1, s_on_stop_timeout, self);
    return 0;
}

static int
s_fail (agent_t *self, const char *reason)
{
    //  The owner reports it (fshare-peer prints it once, as its error)
    s_debug (self, "%s: login refused: %s", self->user, reason);
    zstr_sendf (self->pipe, "FAILED %s", reason);
    self->finished = true;
    return -1;
}

static int
s_on_login_error (agent_t *self, fsh_err_t code, const char *reason)
{
    self->login_id = 0;
    //  Not about us: many logins from our address are waiting their turn.
    //  Not an answer to our login either, so it leaves "first" alone.
    if (code == FSH_ERR_BUSY) {
        s_reconnect_later (self, reason);
        return 0;
    }
    bool first = self->login_replies++ == 0;
    //  A retried login can meet our own previous session, still alive on
    //  the broker until it expires: wait for that rather than give up.
    if (code == FSH_ERR_ALREADY_LOGGED_IN && !first) {
        s_reconnect_later (self, "the broker still has our previous session");
        return 0;
    }
    if (first || code == FSH_ERR_INVALID_CREDENTIALS || code == FSH_ERR_UNSUPPORTED_VERSION)
        return s_fail (self, reason);
    s_reconnect_later (self, reason);
    return 0;
}

static int
s_on_error_reply (agent_t *self, Fshare__Message *msg)
{
    fsh_err_t code = fsh_msg_error_code (msg, FSH_ERR_INTERNAL);
    const char *error = fsh_text_valid (msg->error, 512) && *msg->error?
                        msg->error: fsh_err_text (code);
    if (self->login_id && msg->id == self->login_id)
        return s_on_login_error (self, code, error);
    if (self->state == STATE_STOPPING && msg->id == self->logout_id)
        return s_finish (self, false);
    //  Our probe pings before login get errors: they only prove life
    if (!self->session) {
        s_debug (self, "%s: probe answered: %s", self->user, error);
        return 0;
    }
    if (code == FSH_ERR_UNKNOWN_SESSION) {
        zsys_info ("%s: the broker does not know our session (restarted?)", self->user);
        s_reconnect (self, NULL, 0);
        return 0;
    }
    if (self->session && (msg->id == self->publish_id || msg->id == self->snapshot_id)) {
        char *why = zsys_sprintf ("the broker refused our %s: %s",
                                  msg->id == self->publish_id? "file list": "snapshot request",
                                  error);
        s_reconnect_later (self, why);
        zstr_free (&why);
        return 0;
    }
    zsys_warning ("%s: the broker answered request %" PRIu64 " with: %s",
                  self->user, msg->id, error);
    return 0;
}

static int
s_on_message (agent_t *self, Fshare__Message *msg)
{
    //  Pongs are the heartbeat: not worth a line each
    if (msg->body_case != FSHARE__MESSAGE__BODY_PONG)
        s_debug (self, "%s: <- %s #%" PRIu64 "%s", self->user, fsh_msg_kind (msg), msg->id,
                 msg->status == FSHARE__STATUS__STATUS_ERROR? " (error)": "");
    if (msg->status == FSHARE__STATUS__STATUS_ERROR)
        return s_on_error_reply (self, msg);
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_LOGIN_OK:
            if (self->login_id && msg->id == self->login_id
            &&  self->state != STATE_STOPPING) {
                self->login_replies++;
                return s_on_login_ok (self, msg->login_ok);
            }
            break;
        case FSHARE__MESSAGE__BODY_PUBLISH_OK:
            if (self->session && msg->id == self->publish_id && !self->snapshot_id)
                s_snapshot_request (self);
            break;
        case FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE:
            if (self->session && msg->id == self->snapshot_id
            &&  self->state != STATE_STOPPING)
                s_on_snapshot_page (self, msg->snapshot_page);
            break;
        case FSHARE__MESSAGE__BODY_PONG:
            if (self->state == STATE_ONLINE
            &&  view_pong (self->view, msg->pong->broker, msg->pong->seq))
                s_resync (self, view_resync_reason (self->view));
            break;
        case FSHARE__MESSAGE__BODY_LOGOUT_OK:
            if (self->state == STATE_STOPPING)
                return s_finish (self, true);
            break;
        default:
            s_debug (self, "%s: unexpected %s from the broker", self->user, fsh_msg_kind (msg));
    }
    return 0;
}

static int
s_on_broker (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    agent_t *self = (agent_t *) arg;
    unsigned gen = self->dealer_gen;
    for (int count = 0; count < REPLY_BATCH; count++) {
        if (count && !(zsock_events (sock) & ZMQ_POLLIN))
            break;
        //  Download chunks come with a data frame: one extra frame allowed
        zmq_msg_t data;
        int frames;
        Fshare__Message *msg = fsh_chunk_recv (sock, 0, &data, &frames);
        self->last_rx = zclock_mono ();
        if (!msg) {
            if (frames)
                zsys_warning ("%s: dropped a malformed message from the broker (%d frames)",
                              self->user, frames);
            zmq_msg_close (&data);
            continue;
        }
        int rc = 0;
        if (!transfers_on_message (self->transfers, msg, frames == 2? &data: NULL))
            rc = s_on_message (self, msg);
        zmq_msg_close (&data);
        fsh_msg_destroy (&msg);
        if (rc == -1)
            return -1;
        if (gen != self->dealer_gen)
            break;              //  the socket was replaced under us
    }
    return 0;
}

//  --- Events -----------------------------------------------------------------------

static void
s_bad_event (agent_t *self)
{
    int64_t now = zclock_mono ();
    self->bad_events++;
    if (now - self->bad_events_logged_at >= 1000) {
        zsys_warning ("%s: dropped malformed events (%" PRIu64 " so far)",
                      self->user, self->bad_events);
        self->bad_events_logged_at = now;
    }
}

static int
s_on_events (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    agent_t *self = (agent_t *) arg;
    for (int count = 0; count < EVENT_BATCH; count++) {
        if (count && !(zsock_events (sock) & ZMQ_POLLIN))
            break;
        Fshare__Event *event = fsh_event_recv (sock);
        if (!event) {
            s_bad_event (self);
            continue;
        }
        control_publish (self->control, event);
        view_result_t result = view_event (self->view, event);
        if (result == VIEW_RESYNC && self->state == STATE_ONLINE)
            s_resync (self, view_resync_reason (self->view));
        fsh_event_destroy (&event);
    }
    return 0;
}

//  --- Host directory ---------------------------------------------------------------

static int
s_send_change (agent_t *self, hostdir_change_t *change)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Change body = FSHARE__CHANGE__INIT;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = change->path;
    file.size = change->size;
    file.mtime = change->mtime;
    body.kind = change->kind;
    body.file = &file;
    body.from = change->from? change->from: (char *) "";
    msg.id = s_new_id (self);
    msg.body_case = FSHARE__MESSAGE__BODY_CHANGE;
    msg.change = &body;
    return s_send (self, &msg);
}

static int s_on_hostdir_timer (zloop_t *loop, int timer_id, void *arg);

static void
s_hostdir_process (agent_t *self)
{
    zlistx_t *changes = zlistx_new ();
    hostdir_process (self->hostdir, changes);
    bool lost = false;
    hostdir_change_t *change = (hostdir_change_t *) zlistx_first (changes);
    while (change) {
        //  Before the pages are out they carry the truth: nothing to send
        if (self->published && !lost && s_send_change (self, change))
            lost = true;
        hostdir_change_destroy (&change);
        change = (hostdir_change_t *) zlistx_next (changes);
    }
    zlistx_destroy (&changes);
    if (lost)
        s_reconnect_later (self, "the broker is not taking our changes");
    s_timer_cancel (self, &self->hostdir_timer);
    int timeout = hostdir_timeout (self->hostdir);
    if (timeout >= 0)
        self->hostdir_timer = zloop_timer (self->loop, timeout > 0? (size_t) timeout: 1, 1,
                                           s_on_hostdir_timer, self);
}

static int
s_on_hostdir (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop; (void) item;
    s_hostdir_process ((agent_t *) arg);
    return 0;
}

static int
s_on_hostdir_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    self->hostdir_timer = 0;
    s_hostdir_process (self);
    return 0;
}

//  --- Heartbeat --------------------------------------------------------------------

static int
s_on_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    if (!self->dealer || self->state == STATE_STOPPING)
        return 0;
    int64_t now = zclock_mono ();
    int64_t silence = now - self->last_rx;
    int64_t limit = (int64_t) FSH_DEFAULT_LIVENESS * self->heartbeat_ms;
    if (self->session) {
        if (silence > limit) {
            s_reconnect_later (self, "the broker stopped answering");
            return 0;
        }
    }
    else
    if (self->login_id) {
        //  Waiting for a login reply: the broker may be slow (hashing),
        //  or gone; probes tell which
        if (silence > limit) {
            s_reconnect_later (self, self->ever_session? "no answer from the broker"
                                                       : NULL);
            return 0;
        }
        if (now - self->login_sent_at > LOGIN_MAX_MS) {
            s_reconnect_later (self, "the broker never answered our login");
            return 0;
        }
    }
    s_send_ping (self);
    return 0;
}

//  --- Control commands -------------------------------------------------------------

static bool
s_online (agent_t *self)
{
    return self->state == STATE_ONLINE;
}

static void
s_ctl_status (agent_t *self, zframe_t *to)
{
    Fshare__AgentStatus status = FSHARE__AGENT_STATUS__INIT;
    fileset_t *mine = view_user_files (self->view, self->user);
    size_t users = view_user_count (self->view);
    uint64_t files = view_file_count (self->view);
    status.user = self->user;
    status.state = (char *) s_state_name (self);
    status.broker = self->broker_ep;
    status.broker_id = (char *) (self->state == STATE_ONLINE? view_broker (self->view)
                                 : self->broker_id? self->broker_id: "");
    status.seq = view_seq (self->view);
    status.my_files = fileset_size (hostdir_files (self->hostdir));
    status.peers = mine? users - 1: users;
    status.other_files = files - (mine? fileset_size (mine): 0);
    status.dir = self->dir;
    status.downloads = self->downloads;
    status.pid = getpid ();
    status.events = self->events_ep? self->events_ep
                  : self->events_override? self->events_override: (char *) "";
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.agent = &status;
    control_reply (self->control, to, &reply);
}

static void
s_ls_add (control_pager_t *pager, const char *user, fileset_t *files, const char *glob)
{
    zlistx_t *sorted = fileset_sorted (files);
    for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (sorted); file;
         file = (const fileset_file_t *) zlistx_next (sorted))
        if (!glob || fnmatch (glob, file->path, 0) == 0)
            control_pager_add (pager, user, file);
    zlistx_destroy (&sorted);
}

static void
s_ctl_ls (agent_t *self, zframe_t *to, Fshare__CtlRequest *request)
{
    const char *glob = request->glob && *request->glob? request->glob: NULL;
    const char *only = request->user && *request->user? request->user: NULL;
    if (glob && !fsh_text_valid (glob, FSH_PATH_MAX)) {
        control_reply_error (self->control, to, FSH_ERR_BAD_REQUEST, "invalid glob");
        return;
    }
    if (!request->all) {
        control_pager_t *pager = control_pager_new (self->control, to);
        s_ls_add (pager, self->user, hostdir_files (self->hostdir), glob);
        control_pager_finish (&pager);
        return;
    }
    if (!s_online (self)) {
        control_reply_error (self->control, to, FSH_ERR_BROKER_UNREACHABLE, NULL);
        return;
    }
    if (only) {
        fileset_t *files = fsh_user_check (only)? NULL: view_user_files (self->view, only);
        if (!files) {
            char *error = zsys_sprintf ("unknown user %s",
                                        fsh_text_valid (only, FSH_USER_MAX)? only: "(invalid)");
            control_reply_error (self->control, to, FSH_ERR_UNKNOWN_USER, error);
            zstr_free (&error);
            return;
        }
        control_pager_t *pager = control_pager_new (self->control, to);
        s_ls_add (pager, only, files, glob);
        control_pager_finish (&pager);
        return;
    }
    control_pager_t *pager = control_pager_new (self->control, to);
    zlistx_t *users = view_users_sorted (self->view);
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users))
        s_ls_add (pager, user, view_user_files (self->view, user), glob);
    zlistx_destroy (&users);
    control_pager_finish (&pager);
}

static void
s_ctl_peers (agent_t *self, zframe_t *to)
{
    if (!s_online (self)) {
        control_reply_error (self->control, to, FSH_ERR_BROKER_UNREACHABLE, NULL);
        return;
    }
    zlistx_t *users = view_users_sorted (self->view);
    size_t count = zlistx_size (users);
    Fshare__PeerInfo *infos = (Fshare__PeerInfo *) calloc (count + 1, sizeof (Fshare__PeerInfo));
    Fshare__PeerInfo **list = (Fshare__PeerInfo **) calloc (count + 1, sizeof (Fshare__PeerInfo *));
    assert (infos && list);
    size_t index = 0;
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users), index++) {
        fshare__peer_info__init (&infos [index]);
        infos [index].user = (char *) user;
        infos [index].files = fileset_size (view_user_files (self->view, user));
        infos [index].since = view_user_since (self->view, user);
        list [index] = &infos [index];
    }
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.peers = list;
    reply.n_peers = count;
    control_reply (self->control, to, &reply);
    free (list);
    free (infos);
    zlistx_destroy (&users);
}

static int
s_ctl_disconnect (agent_t *self, zframe_t *to)
{
    if (self->disconnect_to || self->state == STATE_STOPPING) {
        control_reply_error (self->control, to, FSH_ERR_BAD_REQUEST, "already stopping");
        return 0;
    }
    zsys_info ("%s: disconnect requested", self->user);
    self->disconnect_to = zframe_dup (to);
    self->stopped_by_ctl = true;
    return s_stop (self);
}

static int
s_on_control (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop; (void) sock;
    agent_t *self = (agent_t *) arg;
    control_request_t *req = control_recv (self->control);
    if (!req)
        return 0;
    const char *command = req->request->command;
    zframe_t *to = req->sender;
    s_debug (self, "%s: ctl %s", self->user, command);
    int rc = 0;
    if (streq (command, "status"))
        s_ctl_status (self, to);
    else
    if (streq (command, "ls"))
        s_ctl_ls (self, to, req->request);
    else
    if (streq (command, "peers"))
        s_ctl_peers (self, to);
    else
    if (streq (command, "events"))
        control_subscribe (self->control, to);
    else
    if (streq (command, "disconnect"))
        rc = s_ctl_disconnect (self, to);
    else
    if (streq (command, "ping"))
        control_reply_ok (self->control, to, "pong");
    else
    if (streq (command, "get")) {
        if (s_online (self))
            transfers_get (self->transfers, to, req->request);
        else
            control_reply_error (self->control, to, FSH_ERR_BROKER_UNREACHABLE, NULL);
    }
    else
    if (streq (command, "cancel"))
        transfers_cancel (self->transfers, to);
    else {
        char *error = zsys_sprintf ("unknown command '%s'", command);
        control_reply_error (self->control, to, FSH_ERR_BAD_REQUEST, error);
        zstr_free (&error);
    }
    control_request_destroy (&req);
    return rc;
}

//  --- Owner pipe -------------------------------------------------------------------

static int
s_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    agent_t *self = (agent_t *) arg;
    char *command = zstr_recv (pipe);
    if (!command)
        return 0;
    int rc = 0;
    if (streq (command, "$TERM"))
        rc = s_stop (self);
    else
        zsys_warning ("%s: unknown pipe command '%s'", self->user, command);
    zstr_free (&command);
    return rc;
}

//  --- Life cycle -------------------------------------------------------------------

static void
s_agent_destroy (agent_t **self_p)
{
    if (*self_p) {
        agent_t *self = *self_p;
        transfers_destroy (&self->transfers);
        zloop_destroy (&self->loop);
        zsock_destroy (&self->dealer);
        zsock_destroy (&self->sub);
        control_destroy (&self->control);
        hostdir_destroy (&self->hostdir);
        view_destroy (&self->view);
        zframe_destroy (&self->disconnect_to);
        fsh_password_free (&self->password);
        free (self->user);
        free (self->dir);
        free (self->downloads);
        free (self->broker_ep);
        free (self->events_override);
        free (self->control_ep);
        free (self->server_key);
        zcert_destroy (&self->cert);
        free (self->sub_endpoint);
        free (self->session);
        free (self->broker_id);
        free (self->events_ep);
        free (self);
        *self_p = NULL;
    }
}

static char *
s_absolute (const char *path)
{
    char *real = realpath (path, NULL);
    return real? real: strdup (path);
}

//  Whether libzmq takes the endpoint at all: NULL, or why not. Found now
//  rather than at every reconnection attempt.
static const char *
s_endpoint_error (const char *endpoint)
{
    zsock_t *probe = zsock_new (ZMQ_DEALER);
    if (!probe)
        return "cannot create a socket";
    zsock_set_linger (probe, 0);
    const char *error = zsock_connect (probe, "%s", endpoint) == -1?
                        zmq_strerror (zmq_errno ()): NULL;
    zsock_destroy (&probe);
    return error;
}

//  Everything that can fail before the loop starts. NULL, or what failed.
static char *
s_agent_setup (agent_t *self, agent_config_t *config)
{
    if (!config || !config->user || !config->password || !config->dir
    ||  !config->downloads || !config->broker || !config->control)
        return strdup ("configuration: a required setting is missing");
    const char *problem = fsh_user_check (config->user);
    if (problem)
        return zsys_sprintf ("user name: %s", problem);
    self->user = strdup (config->user);
    self->password = strdup (config->password);
    self->broker_ep = strdup (config->broker);
    self->events_override = s_strdup_or_null (config->events);
    self->control_ep = strdup (config->control);
    self->verbose = config->verbose;
    if (config->server_key) {
        problem = fsh_curve_key_check (config->server_key);
        if (problem)
            return zsys_sprintf ("server key: %s", problem);
        //  A fresh key pair per run: the broker knows us by it only once
        //  our password has been checked (gate.h)
        self->server_key = strdup (config->server_key);
        self->cert = zcert_new ();
    }
    if (!fsh_endpoint_is_local (self->broker_ep) && !self->server_key)
        return zsys_sprintf ("refusing to send a password unencrypted to %s "
                             "(use CURVE: --server-key)", self->broker_ep);

    const char *bad = s_endpoint_error (self->broker_ep);
    if (bad)
        return zsys_sprintf ("broker endpoint %s: %s", self->broker_ep, bad);
    bad = self->events_override? s_endpoint_error (self->events_override): NULL;
    if (bad)
        return zsys_sprintf ("events endpoint %s: %s", self->events_override, bad);

    const char *error = NULL;
    self->control = control_new (self->control_ep, &error);
    if (!self->control)
        return zsys_sprintf ("control endpoint %s: %s", self->control_ep, error);
    if (fsh_mkdirs (config->downloads, 0755))
        return zsys_sprintf ("downloads directory %s: %s", config->downloads, strerror (errno));
    self->hostdir = hostdir_new (config->dir);
    if (!self->hostdir)
        return zsys_sprintf ("host directory %s: cannot watch it (see the log)", config->dir);
    self->dir = s_absolute (config->dir);
    self->downloads = s_absolute (config->downloads);
    self->view = view_new ();
    return NULL;
}

static void
s_agent_run (agent_t *self)
{
    self->loop = zloop_new ();
    //  Interrupts are the owner's business: it sends $TERM and we log out
    zloop_set_nonstop (self->loop, true);
    zloop_reader (self->loop, self->pipe, s_on_pipe, self);
    zloop_reader (self->loop, control_sock (self->control), s_on_control, self);
    self->transfers = transfers_new (self->loop, self->control, self->user, self->dir,
                                     self->downloads, self->verbose);
    self->hostdir_item.fd = hostdir_fd (self->hostdir);
    self->hostdir_item.events = ZMQ_POLLIN;
    zloop_poller (self->loop, &self->hostdir_item, s_on_hostdir, self);
    s_heartbeat_start (self, FSH_DEFAULT_HEARTBEAT_MS);
    self->backoff_ms = BACKOFF_MIN_MS;
    self->page_bytes = FSH_PAGE_BYTES;
    s_login_start (self);
    s_hostdir_process (self);
    while (!self->finished) {
        int rc = zloop_start (self->loop);
        if (rc == -1 || self->finished || zmq_errno () == ETERM)
            break;
    }
}

void
agent_actor (zsock_t *pipe, void *args)
{
    //  Signals go to the owner's thread, which turns them into $TERM
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);

    agent_t *self = (agent_t *) zmalloc (sizeof (agent_t));
    self->pipe = pipe;
    char *error = s_agent_setup (self, (agent_config_t *) args);
    zsock_signal (pipe, 0);
    if (error) {
        //  The owner reports it: fshare-peer prints it as its error
        zstr_sendf (pipe, "ERROR %s", error);
        zstr_free (&error);
    }
    else
        s_agent_run (self);
    s_agent_destroy (&self);
}
