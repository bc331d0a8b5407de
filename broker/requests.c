/*  requests.c - the broker's request socket. See broker_int.h.

    Takes requests off the ROUTER in batches, checks each against one
    table of {message kind, whether it needs a session, handler}, finds
    the sender's session and hands the request to its handler: publish,
    change, get, ping, logout and snapshot here, login to the pipeline
    (login.c), the transfer messages to the relay (relay.c).
*/
#include "broker_int.h"

//  Requests taken from the ROUTER per wake-up: chunks come in streams
#define ROUTER_BATCH         64

//  --------------------------------------------------------------------------
//  Snapshot: every online session, at the current sequence number

//  A snapshot for the connection on socket fd (-1: the one it asked on).
//  Refused busy when every connection's pages in flight reach the budget
//  (snapflow.h): the client asks again, as after a busy login.
static void
s_send_snapshot (broker_t *self, zframe_t *routing_id, int fd, uint64_t request_id)
{
    snapflow_verdict_t verdict;
    snapflow_account_t *account = snapflow_admit (self->snapflow, routing_id, fd, request_id,
                                                  &verdict);
    if (verdict == SNAPFLOW_REPLACED)
        broker_complain (self, "a client asks for snapshots faster than it reads them; "
                         "its newest request waits");
    if (verdict == SNAPFLOW_BUSY) {
        broker_complain (self, "snapshot refused busy: %zu bytes of snapshots in flight "
                         "(at most %d)", snapflow_bytes (self->snapflow), SNAPFLOW_BUDGET_BYTES);
        broker_reply_error (self, routing_id, request_id, FSH_ERR_BUSY,
                            "too many snapshots in flight");
    }
    if (!account)
        return;
    zlistx_t *online = registry_online (self->registry);
    publisher_snapshot (self->publisher, self->router, routing_id, account, request_id, online,
                        relay_active (self->relay), relay_bytes (self->relay));
    zlistx_destroy (&online);
}

void
broker_send_snapshot (void *arg, zframe_t *routing_id, uint64_t request_id)
{
    s_send_snapshot ((broker_t *) arg, routing_id, -1, request_id);
}


//  --------------------------------------------------------------------------
//  Requests of a logged-in session

//  The limits a session's list is checked against now.
static catalog_limits_t
s_catalog_limits (broker_t *self, session_t *session)
{
    uint64_t total = registry_list_bytes (self->registry);
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
        broker_reply_error (self, routing_id, msg->id, FSH_ERR_PROTOCOL_ERROR, "files already published");
        return;
    }
    if (registry_is_observer (self->registry, session)) {
        broker_complain (self, "observer %s tried to publish files", session_user (session));
        broker_reply_error (self, routing_id, msg->id, FSH_ERR_BAD_REQUEST, "an observer session publishes no files");
        return;
    }
    //  The pages so far are already counted in the total: measure anew
    catalog_limits_t limits = s_catalog_limits (self, session);
    const char *reason = NULL;
    fsh_err_t code = catalog_publish (session, msg->publish, &limits, self->ratelog, &reason);
    if (code != FSH_ERR_NONE) {
        broker_reply_error (self, routing_id, msg->id, code, reason);
        broker_session_drop (self, session, false, "was refused");
        return;
    }
    if (msg->publish->more)
        return;
    session_set_online (session, zclock_time ());
    publisher_join (self->publisher, session);
    Fshare__PublishOk ok = FSHARE__PUBLISH_OK__INIT;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, msg->id, FSHARE__MESSAGE__BODY_PUBLISH_OK, &ok);
    broker_send (self, routing_id, &reply);
    zsys_info ("broker: %s online with %zu files", session_user (session),
               session_file_count (session));
}

static void
s_handle_change (broker_t *self, session_t *session, zframe_t *routing_id,
                 Fshare__Message *msg, zmq_msg_t *data)
{
    (void) data;
    //  Every change is an event in every subscriber's queue: a session
    //  that changes faster than its budget is refused, and its agent
    //  publishes its list anew once it has slowed down
    if (msg->change
    &&  !session_spend_change (session, session_change_cost (msg->change),
                               self->config.max_change_rate, zclock_mono ())) {
        fsh_ratelog_warning (self->ratelog, session_user (session),
                             "changes beyond --max-change-rate (%" PRIu64 " bytes/s): refused",
                             self->config.max_change_rate);
        broker_reply_error (self, routing_id, msg->id, FSH_ERR_BUSY,
                            "too many changes at once: slow down");
        return;
    }
    catalog_limits_t limits = s_catalog_limits (self, session);
    const char *reason = NULL;
    fsh_err_t code = catalog_change (session, msg->change, &limits, self->publisher,
                                     self->ratelog, &reason);
    if (code != FSH_ERR_NONE)
        broker_reply_error (self, routing_id, msg->id, code, reason);
}

static void
s_handle_ping (broker_t *self, zframe_t *routing_id, Fshare__Message *msg)
{
    Fshare__Pong pong = FSHARE__PONG__INIT;
    pong.broker = self->id;
    pong.seq = publisher_seq (self->publisher);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, msg->id, FSHARE__MESSAGE__BODY_PONG, &pong);
    broker_send (self, routing_id, &reply);
}

static void
s_handle_logout (broker_t *self, session_t *session, zframe_t *routing_id,
                 Fshare__Message *msg, zmq_msg_t *data)
{
    (void) data;
    zsys_info ("broker: %s logged out", session_user (session));
    broker_session_drop (self, session, true, "logged out");
    Fshare__LogoutOk ok = FSHARE__LOGOUT_OK__INIT;
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, msg->id, FSHARE__MESSAGE__BODY_LOGOUT_OK, &ok);
    broker_send (self, routing_id, &reply);
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
    ||  !(owner = registry_agent (self->registry, get->owner))
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
        broker_reply_error (self, routing_id, msg->id, code, error);
    }
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
    s_send_snapshot (self, routing_id, self->caller.fd, msg->id);
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

//  The sender's session, or NULL (refused as unknown). A session belongs
//  to what logged in: under CURVE its key (its token from another key is
//  no session at all; the same key on a new connection is the same agent,
//  whose DEALER reconnected), without CURVE the connection itself (its
//  routing id), since nothing else says who sends: a token that another
//  client learnt or guessed is refused unknown_session from its DEALER and
//  changes nothing of the session. An agent whose connection dropped hears
//  unknown_session too, and logs in again at once (SPEC 4.1), replacing
//  its stale session by its instance id.
static session_t *
s_sender_session (broker_t *self, zframe_t *routing_id, Fshare__Message *msg)
{
    session_t *session = registry_lookup (self->registry, msg->session);
    if (session && self->gate && !streq (session_key (session), self->caller.key)) {
        broker_complain (self, "%s's session token presented by another client key", 
                         session_user (session));
        session = NULL;
    }
    if (session && !self->gate && routing_id
    &&  !zframe_eq (routing_id, session_routing_id (session))) {
        broker_complain (self, "%s's session token presented from another connection "
                         "(refused: unknown session)", session_user (session));
        session = NULL;
    }
    if (!session) {
        //  An agent whose broker restarted says one such; a flood is bounded
        fsh_ratelog_warning (self->strangers, "broker", "a %s request #%" PRIu64 " with a "
                             "session token this broker does not know: answered "
                             "unknown_session", fsh_msg_kind (msg), msg->id);
        broker_reply_error (self, routing_id, msg->id, FSH_ERR_UNKNOWN_SESSION, NULL);
        return NULL;
    }
    //  A new routing id under CURVE: the DEALER reconnected, so whatever
    //  of its transfers was in flight on the old connection is lost
    if (session_touch (session, routing_id, zclock_mono ())) {
        zsys_info ("broker: %s is back on a new connection", session_user (session));
        relay_session_gone (self->relay, session, "went away (its connection dropped)");
    }
    session_set_fd (session, self->caller.fd);
    return session;
}

//  A request the broker will not act on (a wrong shape, a NUL byte in a
//  string) but whose id and body it could read. A transfer's ends (the
//  relay tells both sides); any other is answered `code` under the
//  request's own id, so the sender stops waiting at once.
static void
s_refuse_malformed (broker_t *self, zframe_t *routing_id, Fshare__Message *msg,
                    fsh_err_t code, const char *why)
{
    if (relay_accepts (msg)) {
        session_t *session = s_sender_session (self, routing_id, msg);
        if (session)
            relay_malformed (self->relay, session, msg);
        return;
    }
    broker_reply_error (self, routing_id, msg->id, code, why);
}

//  A request of the wrong shape: too many frames, or a data frame on
//  anything but a chunk. A transfer's ends (the relay tells both sides);
//  any other is answered protocol_error.
static void
s_misshapen (broker_t *self, zframe_t *routing_id, Fshare__Message *msg, int frames)
{
    broker_complain (self, "dropped a %s request of %d frames", fsh_msg_kind (msg), frames);
    s_refuse_malformed (self, routing_id, msg, FSH_ERR_PROTOCOL_ERROR,
                        frames > 2? "too many frames": "unexpected data frame");
}

static void
s_dispatch (broker_t *self, zframe_t *routing_id, Fshare__Message *msg, zmq_msg_t *data,
            int frames)
{
    //  Chunks come by the thousand: they are the relay's to log
    if (self->config.verbose && msg->body_case != FSHARE__MESSAGE__BODY_CHUNK
    &&  msg->body_case != FSHARE__MESSAGE__BODY_CREDIT)
        zsys_debug ("broker: %s #%" PRIu64, fsh_msg_kind (msg), msg->id);
    if (frames > 2 || (data && msg->body_case != FSHARE__MESSAGE__BODY_CHUNK)) {
        s_misshapen (self, routing_id, msg, frames);
        return;
    }
    const route_t *route = s_route (msg->body_case);
    if (!route) {
        broker_complain (self, "unexpected %s request", fsh_msg_kind (msg));
        broker_reply_error (self, routing_id, msg->id, FSH_ERR_BAD_REQUEST, "unexpected request");
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
    bool tainted = false;
    //  fsh_chunk_recv, plus who sent it (CURVE key, peer address: gate.h)
    Fshare__Message *msg = more? gate_recv (self->router, &data, &frames, &self->caller,
                                            &tainted): NULL;
    self->caller_routing_id = more? routing_id: NULL;
    if (!more)
        zmq_msg_init (&data);
    //  Too many frames whose first is a Message: s_dispatch ends what it names
    if (frames < 1 || (frames > 2 && !msg))
        broker_complain (self, "dropped a request of %d frames", frames);
    else
    if (!msg) {
        broker_complain (self, "dropped a malformed request (not a Message, a NUL byte in a string, or too many items)");
        broker_reply_error (self, routing_id, 0, FSH_ERR_BAD_REQUEST, "malformed message");
    }
    else
    if (tainted) {
        broker_complain (self, "refused a %s request #%" PRIu64 " with a NUL byte in a string",
                         fsh_msg_kind (msg), msg->id);
        s_refuse_malformed (self, routing_id, msg, FSH_ERR_BAD_REQUEST,
                            "a NUL byte in a string");
    }
    else
        s_dispatch (self, routing_id, msg, frames == 2? &data: NULL, frames);
    self->caller_routing_id = NULL;
    zmq_msg_close (&data);
    fsh_msg_destroy (&msg);
    zframe_destroy (&routing_id);
    return 0;
}

int
requests_handle_router (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop; (void) reader;
    broker_t *self = (broker_t *) arg;
    for (int count = 0; count < ROUTER_BATCH; count++)
        if (s_receive_one (self) == -1)
            break;
    return 0;
}
