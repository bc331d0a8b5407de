/*  broker.c - the fshare broker actor. See broker.h.

    One thread, one zloop: the ROUTER, the hasher's result socket and the
    actor pipe are readers; heartbeat expiry, stats and the account-file
    check are timers. Nothing in the loop blocks: password hashing runs in
    the hasher's threads, sends to peers use ZMQ_DONTWAIT. Requests and
    their dispatch are requests.c's; sessions the registry's (registry.h);
    downloads the relay's (relay.c).
*/
#include "broker_int.h"
#include <malloc.h>
#include <sodium.h>

#define COMPLAINTS_PER_SEC   10
//  How often snapshots that wait for their connection are looked at
#define SNAPSHOT_RELEASE_MS  50
//  Requests one connection may have waiting in the broker (64 bytes each
//  and what a frame holds beyond 33 bytes; a chunk is held by its credit)
#define BROKER_RCVHWM        256

//  --------------------------------------------------------------------------
//  Logging bad input without letting a flood of it flood the log

void
broker_complain (broker_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fsh_ratelog_vwarning (self->ratelog, "broker", format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Replies

void
broker_send (broker_t *self, zframe_t *routing_id, Fshare__Message *reply)
{
    //  The connection's socket is known for the request being handled
    int fd = routing_id == self->caller_routing_id? self->caller.fd: -1;
    if (outflow_send (self->outflow, routing_id, fd, reply) == OUTFLOW_FAILED
    &&  self->config.verbose)
        zsys_debug ("broker: could not send %s: %s", fsh_msg_kind (reply), zmq_strerror (errno));
}

void
broker_reply_error (broker_t *self, zframe_t *routing_id, uint64_t request_id, fsh_err_t code,
                    const char *error)
{
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&reply, request_id, code, error);
    broker_send (self, routing_id, &reply);
}

//  --------------------------------------------------------------------------
//  Login: the pipeline (login.c) found the password right; now what the
//  account's state says (SPEC 4.1)

static fsh_err_t
s_login_accept (void *arg, const login_grant_t *grant, const char **text)
{
    broker_t *self = (broker_t *) arg;
    session_t *online = grant->observer? NULL
                      : registry_agent (self->registry, grant->user);
    if (grant->observer
    &&  registry_observers (self->registry, grant->user) >= self->config.max_observers) {
        broker_complain (self, "observer login of %s refused: %d observers already (--max-observers)",
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
        broker_session_drop (self, online, true, "was replaced by a new login");
    }
    session_t *session = session_new (grant->user, grant->routing_id);
    session_set_origin (session, grant->instance, grant->instance_size, grant->caller->key);
    session_set_fd (session, grant->caller->fd);
    registry_add (self->registry, session, grant->observer);
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
    fsh_msg_set_body (&reply, grant->request_id, FSHARE__MESSAGE__BODY_LOGIN_OK, &ok);
    reply.session = ok.session;
    broker_send (self, grant->routing_id, &reply);
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
    self->login = login_new (&config, self->loop, self->outflow, self->ratelog,
                             s_login_accept, self, &error);
    if (self->login && config.registration)
        zsys_warning ("broker: registration is ON: the first login of an unknown user "
                      "creates that account");
    zstr_free (&state_dir);
    zstr_free (&path);
    return error;
}

void
broker_session_drop (broker_t *self, session_t *session, bool publish_leave, const char *why)
{
    relay_session_gone (self->relay, session, why);
    if (publish_leave && session_online (session))
        publisher_leave (self->publisher, session);
    if (self->gate)
        gate_forget (self->gate, session_token (session));
    registry_remove (self->registry, session);
}


//  --------------------------------------------------------------------------
//  Timers

static int
s_expire_sessions (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    broker_t *self = (broker_t *) arg;
    int64_t limit = zclock_mono () - (int64_t) self->config.heartbeat_ms * self->config.liveness;
    zlistx_t *gone = registry_silent (self->registry, limit);
    for (session_t *session = (session_t *) zlistx_first (gone); session;
         session = (session_t *) zlistx_next (gone)) {
        zsys_info ("broker: %s went silent; declared gone", session_user (session));
        broker_session_drop (self, session, true, "went away");
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
    registry_count_online (self->registry, &stats.peers, &stats.files);
    stats.transfers = relay_active (self->relay);
    stats.bytes_relayed = relay_bytes (self->relay);
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_STATS;
    event.user = "";
    event.stats = &stats;
    publisher_send (self->publisher, &event);
    //  Give back what a crowd left behind (subscribers' queues, join pages
    //  of users gone): the allocator keeps freed pages for itself otherwise,
    //  and a broker's size would stay at its worst moment for ever
    malloc_trim (0);
    return 0;
}

void
broker_malloc_policy (void)
{
    //  One arena for every thread. glibc gives each thread an arena of its
    //  own, and malloc_trim (after each stats event) cannot hand back the
    //  free top of a thread's arena: after a login storm the broker's
    //  thread kept up to 10 MB of freed pages resident, so its size
    //  depended on the storm's worst moment. Its threads allocate little
    //  at a time (a chunk buffer per MiB relayed), so sharing one arena
    //  costs nothing measurable.
    mallopt (M_ARENA_MAX, 1);
    fsh_chunk_malloc_policy ();
}

//  Snapshots that stalled, and those that waited for their connection to
//  take the previous one
static int
s_release_snapshots (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    broker_t *self = (broker_t *) arg;
    int64_t now = zclock_mono ();
    size_t dropped = snapflow_expire (self->snapflow, now);
    if (dropped)
        broker_complain (self, "dropped %zu connections whose snapshot was not read for %d ms",
                         dropped, self->config.stall_timeout_ms);
    outflow_expire (self->outflow, now);
    snapflow_release (self->snapflow, broker_send_snapshot, self);
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
        broker_complain (self, "a connection failed the ZMTP handshake (protocol error 0x%x)", value);
        return 0;
    }
    snapflow_disconnected (self->snapflow, value);
    outflow_disconnected (self->outflow, value);
    for (session_t *session = registry_first (self->registry); session;
         session = registry_next (self->registry))
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
s_broker_destroy (broker_t **self_p)
{
    broker_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy (&self->loop);
    login_destroy (&self->login);
    relay_destroy (&self->relay);
    registry_destroy (&self->registry);
    fsh_ratelog_destroy (&self->ratelog);
    fsh_ratelog_destroy (&self->strangers);
    monitor_destroy (&self->monitor);
    zsock_destroy (&self->router);
    snapflow_destroy (&self->snapflow);
    outflow_destroy (&self->outflow);
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
    //  A second broker on a live broker's ipc endpoint: refused as a TCP
    //  bind would be, not a silent take-over of the first one's name
    if (fsh_endpoint_in_use (endpoint)) {
        *error = zsys_sprintf ("cannot bind %s: another process is listening there", endpoint);
        return NULL;
    }
    const char *why = fsh_endpoint_prepare (endpoint);
    if (why || zsock_bind (sock, "%s", endpoint) == -1) {
        *error = zsys_sprintf ("cannot bind %s: %s%s", endpoint, why? "its directory: ": "",
                               why? why: zmq_strerror (zmq_errno ()));
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
s_handle_subscriptions (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    broker_t *self = (broker_t *) arg;
    subscriptions_take (reader, self->ratelog, NULL, NULL);
    return 0;
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
    self->registry = registry_new ();
    self->ratelog = fsh_ratelog_new (COMPLAINTS_PER_SEC);
    self->strangers = fsh_ratelog_new (1);
    self->loop = zloop_new ();
    self->router = zsock_new (ZMQ_ROUTER);
    self->pub = zsock_new (ZMQ_XPUB);
    fsh_socket_limits (self->router, self->config.max_message);
    //  A connection's requests not yet read: beyond, libzmq stops reading
    //  that connection (its sender waits; nothing is lost), so a flood of
    //  requests from many connections cannot pile up here
    zsock_set_rcvhwm (self->router, BROKER_RCVHWM);
    fsh_socket_limits (self->pub, self->config.max_message);
    subscriptions_setup (self->pub);    //  after the limits: its own, smaller
    //  A subscriber that never reads costs at most FSH_SUBSCRIBER_BYTES
    zsock_set_sndhwm (self->pub, publisher_hwm ());
    self->publisher = publisher_new (self->pub, self->id);
    self->outflow = outflow_new (self->router, OUTFLOW_BUDGET_BYTES,
                                 self->config.stall_timeout_ms);
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
    self->snapflow = snapflow_new (SNAPFLOW_BUDGET_BYTES, self->config.stall_timeout_ms);
    zloop_timer (self->loop, SNAPSHOT_RELEASE_MS, 0, s_release_snapshots, self);
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
    zloop_reader (self->loop, self->router, requests_handle_router, self);
    zloop_reader (self->loop, self->pub, s_handle_subscriptions, self);
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
