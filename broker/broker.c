/*  broker.c - the fshare broker actor. See broker.h.

    One thread, one zloop: the ROUTER, the hasher's result socket and the
    actor pipe are readers; heartbeat expiry, stats and the account-file
    check are timers. Nothing in the loop blocks: password hashing runs in
    the hasher's threads, sends to peers use ZMQ_DONTWAIT. Downloads are
    the relay's (relay.c): the broker checks a Get, then hands every
    transfer message, with a chunk's data frame, to it.
*/
#include "broker.h"
#include "login.h"
#include "session.h"
#include "relay.h"
#include "chunk.h"
#include "gate.h"
#include "bounds.h"
#include "monitor.h"
#include "publisher.h"
#include "catalog.h"
#include <sodium.h>

#define COMPLAINTS_PER_SEC   10
//  Requests taken from the ROUTER per wake-up: chunks come in streams
#define ROUTER_BATCH         64

typedef struct {
    broker_config_t config;
    zsock_t *pipe;
    zsock_t *router;
    zsock_t *pub;
    zloop_t *loop;
    login_t *login;             //  the login pipeline (login.h)
    zhashx_t *sessions;         //  token -> session_t (owned)
    zhashx_t *users;            //  user -> session_t (not owned)
    char *events_endpoint;      //  told to peers at login
    char id [17];               //  broker instance id
    publisher_t *publisher;     //  events and snapshots (publisher.h)
    relay_t *relay;             //  downloads in progress
    zcert_t *cert;              //  CURVE key pair; NULL without CURVE
    gate_t *gate;               //  ZAP handler; NULL without CURVE
    gate_caller_t caller;       //  who sent the request being handled
    fsh_ratelog_t *ratelog;     //  bad-input warnings, shared with the relay
    monitor_t *monitor;         //  connections libzmq dropped (monitor.h)
} broker_t;

static void s_session_drop (broker_t *self, session_t *session, bool publish_leave,
                            const char *why);

//  Observer sessions (fshare-tap --user) are those that `users` does not
//  list: the user's one agent session is the one it does.

static bool
s_is_observer (broker_t *self, session_t *session)
{
    return zhashx_lookup (self->users, session_user (session)) != session;
}

static int
s_observer_count (broker_t *self, const char *user)
{
    int count = 0;
    for (session_t *session = (session_t *) zhashx_first (self->sessions); session;
         session = (session_t *) zhashx_next (self->sessions))
        count += streq (session_user (session), user) && s_is_observer (self, session);
    return count;
}

//  --------------------------------------------------------------------------
//  Logging bad input without letting a flood of it flood the log

static void
s_complain (broker_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fsh_ratelog_vwarning (self->ratelog, "broker", format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Replies

static void
s_send (broker_t *self, zframe_t *routing_id, Fshare__Message *reply)
{
    if (fsh_msg_send_to (reply, self->router, routing_id) == -1 && self->config.verbose)
        zsys_debug ("broker: could not send %s: %s", fsh_msg_kind (reply), zmq_strerror (errno));
}

static void
s_reply_error (broker_t *self, zframe_t *routing_id, uint64_t request_id, fsh_err_t code,
               const char *error)
{
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&reply, request_id, code, error);
    s_send (self, routing_id, &reply);
}

//  --------------------------------------------------------------------------
//  Snapshot: every online session, at the current sequence number

static void
s_send_snapshot (broker_t *self, zframe_t *routing_id, uint64_t request_id)
{
    zlistx_t *online = zlistx_new ();
    for (session_t *session = (session_t *) zhashx_first (self->sessions); session;
         session = (session_t *) zhashx_next (self->sessions))
        if (session_online (session))
            zlistx_add_end (online, session);
    publisher_snapshot (self->publisher, self->router, routing_id, request_id, online,
                        relay_active (self->relay), relay_bytes (self->relay));
    zlistx_destroy (&online);
}

//  --------------------------------------------------------------------------
//  Login: the pipeline (login.c) found the password right; now what the
//  account's state says (SPEC 4.1)

static fsh_err_t
s_login_accept (void *arg, const login_grant_t *grant, const char **text)
{
    broker_t *self = (broker_t *) arg;
    session_t *online = grant->observer? NULL
                      : (session_t *) zhashx_lookup (self->users, grant->user);
    //  An observer is a session missing from `users` (see s_is_observer)
    if (grant->observer
    &&  s_observer_count (self, grant->user) >= self->config.max_observers) {
        s_complain (self, "observer login of %s refused: %d observers already (--max-observers)",
                    grant->user, self->config.max_observers);
        *text = "too many observer sessions";
        return FSH_ERR_BUSY;
    }
    if (online && !session_same_instance (online, grant->instance, grant->instance_size)) {
        zsys_info ("broker: login of %s refused: already logged in", grant->user);
        return FSH_ERR_ALREADY_LOGGED_IN;
    }
    //  The same agent instance, restarted: its old session is stale
    if (online) {
        zsys_info ("broker: %s logged in again from the same agent instance; "
                   "its previous session is replaced", grant->user);
        s_session_drop (self, online, true, "was replaced by a new login");
    }
    session_t *session = session_new (grant->user, grant->routing_id);
    session_set_origin (session, grant->instance, grant->instance_size, grant->caller->key);
    session_set_fd (session, grant->caller->fd);
    zhashx_insert (self->sessions, session_token (session), session);
    if (!grant->observer)
        zhashx_insert (self->users, grant->user, session);
    //  Under CURVE this key may now subscribe to events (gate.h)
    if (self->gate)
        gate_admit (self->gate, session_token (session), grant->caller->key);
    Fshare__LoginOk ok = FSHARE__LOGIN_OK__INIT;
    ok.session = (char *) session_token (session);
    ok.broker = self->id;
    ok.seq = publisher_seq (self->publisher);
    ok.events = self->events_endpoint;
    ok.heartbeat_ms = (uint32_t) self->config.heartbeat_ms;
    ok.max_message = (uint32_t) self->config.max_message;
    ok.stall_timeout_ms = (uint32_t) self->config.stall_timeout_ms;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = grant->request_id;
    reply.session = ok.session;
    reply.body_case = FSHARE__MESSAGE__BODY_LOGIN_OK;
    reply.login_ok = &ok;
    s_send (self, grant->routing_id, &reply);
    zsys_info ("broker: %s logged in%s", grant->user, grant->observer? " as an observer": "");
    return FSH_ERR_NONE;
}

static char *
s_login_setup (broker_t *self, bool local)
{
    char *state_dir = self->config.state_dir? strdup (self->config.state_dir): fsh_state_dir ();
    char *path = self->config.accounts? strdup (self->config.accounts)
                                      : zsys_sprintf ("%s/accounts", state_dir);
    login_config_t config = {
        .accounts = path, .cost = self->config.cost,
        .registration = self->config.registration < 0? local: self->config.registration,
        .delay_ms = self->config.login_delay_ms, .delay_max_ms = self->config.login_delay_max_ms,
        .queue = self->config.login_queue
    };
    char *error = NULL;
    self->login = login_new (&config, self->loop, self->router, self->ratelog,
                             s_login_accept, self, &error);
    if (self->login && config.registration)
        zsys_warning ("broker: registration is ON: the first login of an unknown user "
                      "creates that account");
    zstr_free (&state_dir);
    zstr_free (&path);
    return error;
}

//  --------------------------------------------------------------------------
//  Requests of a logged-in session

//  The limits a session's list is checked against now.
static catalog_limits_t
s_catalog_limits (broker_t *self, session_t *session)
{
    uint64_t total = 0;
    for (session_t *other = (session_t *) zhashx_first (self->sessions); other;
         other = (session_t *) zhashx_next (self->sessions))
        total += session_list_bytes (other);
    uint64_t room = self->config.max_total_bytes > total? self->config.max_total_bytes - total: 0;
    catalog_limits_t limits = {
        .max_files = (size_t) self->config.max_files, .max_path = (size_t) self->config.max_path,
        .max_depth = self->config.max_depth, .max_bytes = self->config.max_list_bytes,
        .total_left = room
    };
    (void) session;
    return limits;
}

static void
s_handle_publish (broker_t *self, session_t *session, zframe_t *routing_id,
                  Fshare__Message *msg, zmq_msg_t *data)
{
    (void) data;
    if (session_online (session)) {
        s_reply_error (self, routing_id, msg->id, FSH_ERR_PROTOCOL_ERROR, "files already published");
        return;
    }
    if (s_is_observer (self, session)) {
        s_complain (self, "observer %s tried to publish files", session_user (session));
        s_reply_error (self, routing_id, msg->id, FSH_ERR_BAD_REQUEST, "an observer session publishes no files");
        return;
    }
    //  The pages so far are already counted in the total: measure anew
    catalog_limits_t limits = s_catalog_limits (self, session);
    const char *reason = NULL;
    fsh_err_t code = catalog_publish (session, msg->publish, &limits, self->ratelog, &reason);
    if (code != FSH_ERR_NONE) {
        s_reply_error (self, routing_id, msg->id, code, reason);
        s_session_drop (self, session, false, "was refused");
        return;
    }
    if (msg->publish->more)
        return;
    session_set_online (session, zclock_time ());
    publisher_join (self->publisher, session);
    Fshare__PublishOk ok = FSHARE__PUBLISH_OK__INIT;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = msg->id;
    reply.body_case = FSHARE__MESSAGE__BODY_PUBLISH_OK;
    reply.publish_ok = &ok;
    s_send (self, routing_id, &reply);
    zsys_info ("broker: %s online with %zu files", session_user (session),
               session_file_count (session));
}

static void
s_handle_change (broker_t *self, session_t *session, zframe_t *routing_id,
                 Fshare__Message *msg, zmq_msg_t *data)
{
    (void) data;
    catalog_limits_t limits = s_catalog_limits (self, session);
    const char *reason = NULL;
    fsh_err_t code = catalog_change (session, msg->change, &limits, self->publisher,
                                     self->ratelog, &reason);
    if (code != FSH_ERR_NONE)
        s_reply_error (self, routing_id, msg->id, code, reason);
}

static void
s_handle_ping (broker_t *self, zframe_t *routing_id, Fshare__Message *msg)
{
    Fshare__Pong pong = FSHARE__PONG__INIT;
    pong.broker = self->id;
    pong.seq = publisher_seq (self->publisher);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = msg->id;
    reply.body_case = FSHARE__MESSAGE__BODY_PONG;
    reply.pong = &pong;
    s_send (self, routing_id, &reply);
}

static void
s_handle_logout (broker_t *self, session_t *session, zframe_t *routing_id,
                 Fshare__Message *msg, zmq_msg_t *data)
{
    (void) data;
    zsys_info ("broker: %s logged out", session_user (session));
    s_session_drop (self, session, true, "logged out");
    Fshare__LogoutOk ok = FSHARE__LOGOUT_OK__INIT;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = msg->id;
    reply.body_case = FSHARE__MESSAGE__BODY_LOGOUT_OK;
    reply.logout_ok = &ok;
    s_send (self, routing_id, &reply);
}

//  A download request: the checks of SPEC 4.3 that need the broker's
//  tables, then the relay asks the owner.
static void
s_handle_get (broker_t *self, session_t *session, zframe_t *routing_id,
              Fshare__Message *msg, zmq_msg_t *data)
{
    (void) data;
    Fshare__Get *get = msg->get;
    const char *error = NULL;
    fsh_err_t code = FSH_ERR_NONE;
    session_t *owner = NULL;
    if (!session_online (session)) {
        code = FSH_ERR_PROTOCOL_ERROR;
        error = "files not published yet";
    }
    else
    if (fsh_user_check (get->owner)
    ||  !(owner = (session_t *) zhashx_lookup (self->users, get->owner))
    ||  !session_online (owner))
        code = FSH_ERR_UNKNOWN_USER;
    else
    if (owner == session) {
        code = FSH_ERR_BAD_REQUEST;
        error = "that is your own file";
    }
    else
    if (fsh_path_check (get->path) || fsh_path_is_partial (get->path)
    ||  !session_file (owner, get->path))
        code = FSH_ERR_UNKNOWN_FILE;
    else
        code = relay_start (self->relay, session, owner, msg->id, get, &error);
    if (code != FSH_ERR_NONE) {
        if (!error)
            error = fsh_err_text (code);
        if (self->config.verbose)
            zsys_debug ("broker: get from %s refused: %s", session_user (session), error);
        s_reply_error (self, routing_id, msg->id, code, error);
    }
}

static void
s_session_drop (broker_t *self, session_t *session, bool publish_leave, const char *why)
{
    relay_session_gone (self->relay, session, why);
    if (publish_leave && session_online (session))
        publisher_leave (self->publisher, session);
    if (self->gate)
        gate_forget (self->gate, session_token (session));
    //  An observer's end must not unlist the same user's agent
    if (!s_is_observer (self, session))
        zhashx_delete (self->users, session_user (session));
    zhashx_delete (self->sessions, session_token (session));
}

//  --------------------------------------------------------------------------
//  The request socket

//  Handlers of the request table: `session` is the sender's (NULL for a
//  route that needs none), `data` a chunk's data frame.
typedef void (route_fn) (broker_t *self, session_t *session, zframe_t *routing_id,
                         Fshare__Message *msg, zmq_msg_t *data);

static void
s_on_login (broker_t *self, session_t *session, zframe_t *routing_id, Fshare__Message *msg,
            zmq_msg_t *data)
{
    (void) session; (void) data;
    login_handle (self->login, routing_id, msg, &self->caller);
}

static void
s_on_snapshot (broker_t *self, session_t *session, zframe_t *routing_id,
               Fshare__Message *msg, zmq_msg_t *data)
{
    (void) session; (void) data;
    s_send_snapshot (self, routing_id, msg->id);
}

static void
s_on_ping (broker_t *self, session_t *session, zframe_t *routing_id, Fshare__Message *msg,
           zmq_msg_t *data)
{
    (void) session; (void) data;
    s_handle_ping (self, routing_id, msg);
}

static void
s_on_transfer (broker_t *self, session_t *session, zframe_t *routing_id,
               Fshare__Message *msg, zmq_msg_t *data)
{
    (void) routing_id;
    relay_handle (self->relay, session, msg, data);
}

//  Who may send what: every request the broker takes, whether it needs a
//  session (SESSION_CURVE: only under CURVE, where the state, like the
//  events, is for sessions only), and its handler. Anything else is
//  refused in one place, the same way.
typedef enum { SESSION_NONE, SESSION_NEEDED, SESSION_CURVE } route_session_t;

typedef struct {
    Fshare__Message__BodyCase body;
    route_session_t session;
    route_fn *handler;
} route_t;

static const route_t s_routes [] = {
    { FSHARE__MESSAGE__BODY_LOGIN,    SESSION_NONE,   s_on_login },
    { FSHARE__MESSAGE__BODY_SNAPSHOT, SESSION_CURVE,  s_on_snapshot },
    { FSHARE__MESSAGE__BODY_PUBLISH,  SESSION_NEEDED, s_handle_publish },
    { FSHARE__MESSAGE__BODY_CHANGE,   SESSION_NEEDED, s_handle_change },
    { FSHARE__MESSAGE__BODY_PING,     SESSION_NEEDED, s_on_ping },
    { FSHARE__MESSAGE__BODY_LOGOUT,   SESSION_NEEDED, s_handle_logout },
    { FSHARE__MESSAGE__BODY_GET,      SESSION_NEEDED, s_handle_get },
    { FSHARE__MESSAGE__BODY_OPENED,   SESSION_NEEDED, s_on_transfer },
    { FSHARE__MESSAGE__BODY_CREDIT,   SESSION_NEEDED, s_on_transfer },
    { FSHARE__MESSAGE__BODY_CHUNK,    SESSION_NEEDED, s_on_transfer },
    { FSHARE__MESSAGE__BODY_DONE,     SESSION_NEEDED, s_on_transfer },
    { FSHARE__MESSAGE__BODY_CANCEL,   SESSION_NEEDED, s_on_transfer },
};

static const route_t *
s_route (Fshare__Message__BodyCase body)
{
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes [0]; i++)
        if (s_routes [i].body == body)
            return &s_routes [i];
    return NULL;
}

//  The sender's session, or NULL (refused as unknown). Under CURVE a
//  session belongs to the key that logged in: its token from another key
//  is no session at all.
static session_t *
s_sender_session (broker_t *self, zframe_t *routing_id, Fshare__Message *msg)
{
    session_t *session = (session_t *) zhashx_lookup (self->sessions, msg->session);
    if (session && self->gate && !streq (session_key (session), self->caller.key)) {
        s_complain (self, "%s's session token presented by another client key", 
                    session_user (session));
        session = NULL;
    }
    if (!session) {
        s_reply_error (self, routing_id, msg->id, FSH_ERR_UNKNOWN_SESSION, NULL);
        return NULL;
    }
    //  A new routing id: the DEALER reconnected, so whatever of its
    //  transfers was in flight on the old connection is lost
    if (session_touch (session, routing_id, zclock_mono ())) {
        zsys_info ("broker: %s is back on a new connection", session_user (session));
        relay_session_gone (self->relay, session, "went away (its connection dropped)");
    }
    session_set_fd (session, self->caller.fd);
    return session;
}

static void
s_dispatch (broker_t *self, zframe_t *routing_id, Fshare__Message *msg, zmq_msg_t *data)
{
    //  Chunks come by the thousand: they are the relay's to log
    if (self->config.verbose && msg->body_case != FSHARE__MESSAGE__BODY_CHUNK
    &&  msg->body_case != FSHARE__MESSAGE__BODY_CREDIT)
        zsys_debug ("broker: %s #%" PRIu64, fsh_msg_kind (msg), msg->id);
    if (data && msg->body_case != FSHARE__MESSAGE__BODY_CHUNK) {
        s_complain (self, "dropped a %s request with a data frame", fsh_msg_kind (msg));
        s_reply_error (self, routing_id, msg->id, FSH_ERR_PROTOCOL_ERROR, "unexpected data frame");
        return;
    }
    const route_t *route = s_route (msg->body_case);
    if (!route) {
        s_complain (self, "unexpected %s request", fsh_msg_kind (msg));
        s_reply_error (self, routing_id, msg->id, FSH_ERR_BAD_REQUEST, "unexpected request");
        return;
    }
    session_t *session = NULL;
    if (route->session == SESSION_NEEDED || (route->session == SESSION_CURVE && self->gate))
        if (!(session = s_sender_session (self, routing_id, msg)))
            return;
    route->handler (self, session, routing_id, msg, data);
}

//  One request: routing id, a Message, and for a chunk one data frame.
//  Returns -1 when nothing was waiting.
static int
s_receive_one (broker_t *self)
{
    void *handle = zsock_resolve (self->router);
    zmq_msg_t id_frame;
    zmq_msg_init (&id_frame);
    if (zmq_msg_recv (&id_frame, handle, ZMQ_DONTWAIT) == -1) {
        zmq_msg_close (&id_frame);
        return -1;
    }
    zframe_t *routing_id = zframe_new (zmq_msg_data (&id_frame), zmq_msg_size (&id_frame));
    bool more = zmq_msg_more (&id_frame);
    zmq_msg_close (&id_frame);
    zmq_msg_t data;
    int frames = 0;
    //  fsh_chunk_recv, plus who sent it (CURVE key, peer address: gate.h)
    Fshare__Message *msg = more? gate_recv (self->router, &data, &frames, &self->caller): NULL;
    if (!more)
        zmq_msg_init (&data);
    if (frames != 1 && frames != 2)
        s_complain (self, "dropped a request of %d frames", frames);
    else
    if (!msg) {
        s_complain (self, "dropped a malformed request (not a Message, or a NUL byte in a string)");
        s_reply_error (self, routing_id, 0, FSH_ERR_BAD_REQUEST, "malformed message");
    }
    else
        s_dispatch (self, routing_id, msg, frames == 2? &data: NULL);
    zmq_msg_close (&data);
    fsh_msg_destroy (&msg);
    zframe_destroy (&routing_id);
    return 0;
}

static int
s_handle_router (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop; (void) reader;
    broker_t *self = (broker_t *) arg;
    for (int count = 0; count < ROUTER_BATCH; count++)
        if (s_receive_one (self) == -1)
            break;
    return 0;
}

//  --------------------------------------------------------------------------
//  Timers

static int
s_expire_sessions (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    broker_t *self = (broker_t *) arg;
    int64_t limit = zclock_mono () - (int64_t) self->config.heartbeat_ms * self->config.liveness;
    zlistx_t *gone = zlistx_new ();
    for (session_t *session = (session_t *) zhashx_first (self->sessions); session;
         session = (session_t *) zhashx_next (self->sessions))
        if (session_last_seen (session) < limit)
            zlistx_add_end (gone, session);
    for (session_t *session = (session_t *) zlistx_first (gone); session;
         session = (session_t *) zlistx_next (gone)) {
        zsys_info ("broker: %s went silent; declared gone", session_user (session));
        s_session_drop (self, session, true, "went away");
    }
    zlistx_destroy (&gone);
    return 0;
}

static int
s_publish_stats (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    broker_t *self = (broker_t *) arg;
    Fshare__Stats stats = FSHARE__STATS__INIT;
    for (session_t *session = (session_t *) zhashx_first (self->sessions); session;
         session = (session_t *) zhashx_next (self->sessions))
        if (session_online (session)) {
            stats.peers++;
            stats.files += session_file_count (session);
        }
    stats.transfers = relay_active (self->relay);
    stats.bytes_relayed = relay_bytes (self->relay);
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_STATS;
    event.user = "";
    event.stats = &stats;
    publisher_send (self->publisher, &event);
    return 0;
}

static int
s_check_stalls (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    relay_check_stalls (((broker_t *) arg)->relay, zclock_mono ());
    return 0;
}

//  A connection ended: libzmq dropped it (a frame above --max-message, a
//  ZMTP error) or the peer closed it. Whatever of a transfer was in
//  flight on it is lost, so the transfers of the session whose latest
//  message came on it end now; the session itself lives on, on the
//  connection its DEALER makes next.
static int
s_handle_monitor (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop; (void) reader;
    broker_t *self = (broker_t *) arg;
    int event, value;
    if (monitor_read (self->monitor, &event, &value))
        return 0;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        s_complain (self, "a connection failed the ZMTP handshake (protocol error 0x%x)", value);
        return 0;
    }
    for (session_t *session = (session_t *) zhashx_first (self->sessions); session;
         session = (session_t *) zhashx_next (self->sessions))
        if (value >= 0 && session_fd (session) == value) {
            session_set_fd (session, -1);
            zsys_warning ("broker: the connection of %s ended (closed by the peer, or dropped "
                          "by libzmq: a frame above --max-message %d bytes or a ZMTP error); "
                          "its transfers end", session_user (session), self->config.max_message);
            relay_session_gone (self->relay, session, "went away (its connection dropped)");
        }
    return 0;
}

static int
s_handle_pipe (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop; (void) reader;
    broker_t *self = (broker_t *) arg;
    char *command = zstr_recv (self->pipe);
    if (!command || streq (command, "$TERM")) {
        zstr_free (&command);
        return -1;
    }
    if (streq (command, "RELOAD"))
        login_reload (self->login);
    zstr_free (&command);
    return 0;
}

//  --------------------------------------------------------------------------
//  Set-up and tear-down

static void
s_session_destructor (void **item_p)
{
    session_destroy ((session_t **) item_p);
}

static void
s_broker_destroy (broker_t **self_p)
{
    broker_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy (&self->loop);
    login_destroy (&self->login);
    relay_destroy (&self->relay);
    zhashx_destroy (&self->users);
    zhashx_destroy (&self->sessions);
    fsh_ratelog_destroy (&self->ratelog);
    monitor_destroy (&self->monitor);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
    publisher_destroy (&self->publisher);
    gate_destroy (&self->gate);
    zcert_destroy (&self->cert);
    zstr_free (&self->events_endpoint);
    free (self);
    *self_p = NULL;
}

//  Bind a socket; returns the endpoint it really bound (wildcards resolved)
//  or NULL with *error set.
static char *
s_bind (zsock_t *sock, const char *endpoint, char **error)
{
    if (fsh_endpoint_prepare (endpoint) || zsock_bind (sock, "%s", endpoint) == -1) {
        *error = zsys_sprintf ("cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    return zsock_last_endpoint (sock);
}

//  --------------------------------------------------------------------------
//  Security (SPEC 6): CURVE and its ZAP gate, the login throttle

//  The certificate, the gate, both sockets CURVE servers; before they
//  bind, so nobody ever connects in clear. NULL, or what failed.
static char *
s_curve_setup (broker_t *self)
{
    if (!fsh_curve_wanted (self->config.curve, self->config.listen, self->config.publish))
        return NULL;
    char *state_dir = self->config.state_dir? strdup (self->config.state_dir): fsh_state_dir ();
    bool created = false;
    char *error = NULL;
    self->cert = fsh_curve_broker_cert (state_dir, &created, &error);
    if (created)
        zsys_warning ("broker: created a new CURVE certificate in %s", state_dir);
    zstr_free (&state_dir);
    if (!self->cert || !(self->gate = gate_new (self->config.verbose, &error)))
        return error;
    fsh_curve_server (self->router, self->cert, FSH_ZAP_REQUESTS);
    fsh_curve_server (self->pub, self->cert, FSH_ZAP_EVENTS);
    zsys_info ("broker: CURVE on, public key %s", zcert_public_txt (self->cert));
    return NULL;
}

static int
s_handle_gate (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop; (void) reader;
    gate_handle (((broker_t *) arg)->gate);
    return 0;
}

static broker_t *
s_broker_new (zsock_t *pipe, broker_config_t *config, char **error)
{
    broker_t *self = (broker_t *) zmalloc (sizeof (broker_t));
    self->pipe = pipe;
    self->config = *config;
    broker_config_defaults (&self->config);
    unsigned char raw [8];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (self->id, sizeof self->id, raw, sizeof raw);
    self->sessions = zhashx_new ();
    zhashx_set_destructor (self->sessions, s_session_destructor);
    self->users = zhashx_new ();
    self->ratelog = fsh_ratelog_new (COMPLAINTS_PER_SEC);
    self->loop = zloop_new ();
    self->router = zsock_new (ZMQ_ROUTER);
    self->pub = zsock_new (ZMQ_PUB);
    fsh_socket_limits (self->router, self->config.max_message);
    fsh_socket_limits (self->pub, self->config.max_message);
    //  A subscriber that never reads costs at most FSH_SUBSCRIBER_BYTES
    zsock_set_sndhwm (self->pub, publisher_hwm ());
    self->publisher = publisher_new (self->pub, self->id);
    if ((*error = s_curve_setup (self)))
        return self;
    char *listen = s_bind (self->router, self->config.listen, error);
    if (!listen)
        return self;
    char *publish = s_bind (self->pub, self->config.publish, error);
    if (!publish) {
        zstr_free (&listen);
        return self;
    }
    self->events_endpoint = self->config.events? strdup (self->config.events): strdup (publish);
    bool local = fsh_endpoint_is_local (listen) && fsh_endpoint_is_local (publish);
    *error = s_login_setup (self, local);
    if (!*error)
        zsys_info ("broker %s: requests on %s, events on %s, %zu accounts in %s", self->id,
                   listen, publish, login_accounts (self->login),
                   login_accounts_path (self->login));
    zstr_free (&listen);
    zstr_free (&publish);
    if (*error)
        return self;

    self->relay = relay_new (self->router, self->ratelog, self->config.verbose);
    relay_set_limits (self->relay, self->config.max_transfers, self->config.max_serving);
    relay_set_stall_timeout (self->relay, self->config.stall_timeout_ms);
    self->monitor = monitor_new (self->router, self->id);
    if (self->monitor)
        zloop_reader (self->loop, monitor_socket (self->monitor), s_handle_monitor, self);
    else
        zsys_warning ("broker: no socket monitor (%s): dropped connections end their "
                      "transfers only when their session speaks again", zmq_strerror (errno));
    int stall_check = self->config.stall_timeout_ms / 4;
    zloop_timer (self->loop, (size_t) (stall_check < 1000? stall_check: 1000), 0,
                 s_check_stalls, self);
    zloop_reader (self->loop, self->pipe, s_handle_pipe, self);
    zloop_reader (self->loop, self->router, s_handle_router, self);
    zloop_timer (self->loop, (size_t) self->config.heartbeat_ms, 0, s_expire_sessions, self);
    zloop_timer (self->loop, (size_t) self->config.stats_ms, 0, s_publish_stats, self);
    if (self->gate)
        zloop_reader (self->loop, gate_socket (self->gate), s_handle_gate, self);
    return self;
}

void
broker_actor (zsock_t *pipe, void *args)
{
    char *error = NULL;
    broker_t *self = s_broker_new (pipe, (broker_config_t *) args, &error);
    zsock_signal (pipe, 0);
    if (error) {
        zstr_sendf (pipe, "ERROR %s", error);
        zstr_free (&error);
        s_broker_destroy (&self);
        return;
    }
    char *listen = zsock_last_endpoint (self->router);
    char *publish = zsock_last_endpoint (self->pub);
    zstr_sendf (pipe, "OK %s %s%s%s", listen, publish, self->cert? " ": "",
                self->cert? zcert_public_txt (self->cert): "");
    zstr_free (&listen);
    zstr_free (&publish);
    zloop_start (self->loop);
    //  Sessions end with the broker: agents notice the silence and log in
    //  again to its successor, which announces itself with a new instance id.
    s_broker_destroy (&self);
}
