/*  loginclient.c - a client's session with the broker. See loginclient.h.

    The client keeps just enough to classify replies: the ids of the
    outstanding Login and Logout, the token, the LoginOk values, and when
    the broker was last heard. What to do about each classified message is
    the caller's (the agent's link state machine, the tap's loop).
*/
#include "fshare.h"
#include "loginclient.h"
#include "curve.h"
#include "socknew.h"

#define ERROR_MAX   512

struct _fsh_loginclient_t {
    char *user;
    char *password;
    char *broker;
    char *server_key;
    zcert_t *cert;
    bool observer;
    byte instance [FSH_INSTANCE_BYTES];
    size_t instance_size;

    zsock_t *dealer;
    char *token;
    uint64_t next_id;
    uint64_t login_id;          //  outstanding Login, 0 if none
    uint64_t logout_id;         //  outstanding Logout, 0 if none
    uint64_t first_id;          //  the first request id of the session
    int64_t connected_at;
    int64_t heard_at;           //  0: nothing heard on this DEALER yet
    int64_t next_ping;
    fsh_err_t code;
    char *error;
    char *broker_id;
    char *events;
    uint32_t heartbeat_ms;
    uint32_t max_message;
    uint32_t stall_timeout_ms;
    uint64_t seq;
};

static void
s_set (char **field, const char *value)
{
    free (*field);
    *field = value? strdup (value): NULL;
}

fsh_loginclient_t *
fsh_loginclient_new (const fsh_loginclient_config_t *config)
{
    assert (config && config->user && config->password && config->broker);
    fsh_loginclient_t *self = (fsh_loginclient_t *) zmalloc (sizeof (fsh_loginclient_t));
    self->user = strdup (config->user);
    self->password = strdup (config->password);
    self->broker = strdup (config->broker);
    s_set (&self->server_key, config->server_key);
    self->cert = config->cert;
    self->observer = config->observer;
    if (config->instance && config->instance_size) {
        self->instance_size = config->instance_size < FSH_INSTANCE_BYTES?
                              config->instance_size: FSH_INSTANCE_BYTES;
        memcpy (self->instance, config->instance, self->instance_size);
    }
    self->heartbeat_ms = FSH_DEFAULT_HEARTBEAT_MS;
    //  Ids that a restarted client does not reuse soon after its last run
    self->next_id = (uint64_t) zclock_time () << 16;
    return self;
}

void
fsh_loginclient_destroy (fsh_loginclient_t **self_p)
{
    if (*self_p) {
        fsh_loginclient_t *self = *self_p;
        zsock_destroy (&self->dealer);
        fsh_password_free (&self->password);
        free (self->user);
        free (self->broker);
        free (self->server_key);
        free (self->token);
        free (self->error);
        free (self->broker_id);
        free (self->events);
        free (self);
        *self_p = NULL;
    }
}

void
fsh_loginclient_drop (fsh_loginclient_t *self)
{
    zsock_destroy (&self->dealer);
    zstr_free (&self->token);
    self->login_id = 0;
    self->logout_id = 0;
    self->heard_at = 0;
}

int
fsh_loginclient_connect (fsh_loginclient_t *self, const char **error)
{
    fsh_loginclient_drop (self);
    self->dealer = fsh_socket_new (ZMQ_DEALER);
    if (!self->dealer) {
        *error = "cannot create a socket";
        return -1;
    }
    fsh_socket_limits (self->dealer, 0);
    fsh_curve_client (self->dealer, self->cert, self->server_key);
    zsock_set_sndtimeo (self->dealer, 0);
    if (zsock_connect (self->dealer, "%s", self->broker) == -1) {
        *error = zmq_strerror (zmq_errno ());
        zsock_destroy (&self->dealer);
        return -1;
    }
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = self->user;
    login.password = self->password;
    login.version = FSH_PROTOCOL_VERSION;
    login.observer = self->observer;
    login.instance.data = self->instance;
    login.instance.len = self->instance_size;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, fsh_loginclient_new_id (self), FSHARE__MESSAGE__BODY_LOGIN, &login);
    self->connected_at = zclock_mono ();
    self->next_ping = self->connected_at + self->heartbeat_ms;
    //  A fresh DEALER queues the Login until the connection is up
    if (fsh_loginclient_send (self, &msg)) {
        *error = zmq_strerror (zmq_errno ());
        zsock_destroy (&self->dealer);
        return -1;
    }
    self->login_id = msg.id;
    return 0;
}

zsock_t *
fsh_loginclient_dealer (fsh_loginclient_t *self)
{
    return self->dealer;
}

const char *
fsh_loginclient_token (fsh_loginclient_t *self)
{
    return self->token;
}

uint64_t
fsh_loginclient_new_id (fsh_loginclient_t *self)
{
    return ++self->next_id;
}

int
fsh_loginclient_send (fsh_loginclient_t *self, Fshare__Message *msg)
{
    if (!self->dealer) {
        errno = ENOTCONN;
        return -1;
    }
    msg->session = self->token? self->token: (char *) "";
    return fsh_msg_send (msg, self->dealer);
}

uint64_t
fsh_loginclient_ping (fsh_loginclient_t *self)
{
    Fshare__Ping ping = FSHARE__PING__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, fsh_loginclient_new_id (self), FSHARE__MESSAGE__BODY_PING, &ping);
    self->next_ping = zclock_mono () + self->heartbeat_ms;
    return fsh_loginclient_send (self, &msg)? 0: msg.id;
}

uint64_t
fsh_loginclient_logout (fsh_loginclient_t *self)
{
    Fshare__Logout logout = FSHARE__LOGOUT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, fsh_loginclient_new_id (self), FSHARE__MESSAGE__BODY_LOGOUT, &logout);
    if (fsh_loginclient_send (self, &msg))
        return 0;
    self->logout_id = msg.id;
    return msg.id;
}

static void
s_set_refusal (fsh_loginclient_t *self, fsh_err_t code, const char *text)
{
    self->code = code;
    s_set (&self->error, text && *text && fsh_text_valid (text, ERROR_MAX)?
                         text: fsh_err_text (code));
}

static fsh_login_event_t
s_on_login_ok (fsh_loginclient_t *self, const Fshare__LoginOk *ok)
{
    self->login_id = 0;
    if (!fsh_text_valid (ok->session, 256) || !*ok->session
    ||  !fsh_text_valid (ok->broker, 64) || !fsh_text_valid (ok->events, 256)) {
        s_set_refusal (self, FSH_ERR_PROTOCOL_ERROR, "malformed login reply");
        return FSH_LOGIN_MALFORMED;
    }
    s_set (&self->token, ok->session);
    //  Requests before this one went without the token (probes)
    self->first_id = self->next_id + 1;
    s_set (&self->broker_id, ok->broker);
    s_set (&self->events, ok->events);
    self->heartbeat_ms = ok->heartbeat_ms >= 50 && ok->heartbeat_ms <= 60000?
                         ok->heartbeat_ms: FSH_DEFAULT_HEARTBEAT_MS;
    self->max_message = ok->max_message;
    self->stall_timeout_ms = ok->stall_timeout_ms;
    self->seq = ok->seq;
    self->code = FSH_ERR_NONE;
    self->next_ping = zclock_mono () + self->heartbeat_ms;
    return FSH_LOGIN_OK;
}

static fsh_login_event_t
s_on_error (fsh_loginclient_t *self, const Fshare__Message *msg)
{
    fsh_err_t code = fsh_msg_error_code (msg, FSH_ERR_INTERNAL);
    if (self->login_id && msg->id == self->login_id) {
        self->login_id = 0;
        s_set_refusal (self, code, msg->error);
        return FSH_LOGIN_REFUSED;
    }
    if (self->logout_id && msg->id == self->logout_id) {
        self->logout_id = 0;
        zstr_free (&self->token);
        return FSH_LOGIN_LOGGED_OUT;
    }
    if (code == FSH_ERR_UNKNOWN_SESSION) {
        //  Our probe pings, sent before the token, are answered so (even
        //  when the answer comes after the LoginOk): life, not loss
        if (!self->token || msg->id < self->first_id)
            return FSH_LOGIN_STALE;
        zstr_free (&self->token);
        return FSH_LOGIN_UNKNOWN;
    }
    return FSH_LOGIN_OTHER;
}

fsh_login_event_t
fsh_loginclient_on_message (fsh_loginclient_t *self, const Fshare__Message *msg)
{
    fsh_loginclient_heard (self);
    if (msg->status == FSHARE__STATUS__STATUS_ERROR)
        return s_on_error (self, msg);
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_LOGIN_OK:
            if (!self->login_id || msg->id != self->login_id)
                return FSH_LOGIN_STALE;
            return s_on_login_ok (self, msg->login_ok);
        case FSHARE__MESSAGE__BODY_PONG:
            return msg->pong? FSH_LOGIN_PONG: FSH_LOGIN_OTHER;
        case FSHARE__MESSAGE__BODY_LOGOUT_OK:
            if (!self->logout_id || msg->id != self->logout_id)
                return FSH_LOGIN_STALE;
            self->logout_id = 0;
            zstr_free (&self->token);
            return FSH_LOGIN_LOGGED_OUT;
        default:
            return FSH_LOGIN_OTHER;
    }
}

bool
fsh_loginclient_awaits (fsh_loginclient_t *self, uint64_t id)
{
    return self->login_id && id == self->login_id;
}

void
fsh_loginclient_heard (fsh_loginclient_t *self)
{
    self->heard_at = zclock_mono ();
}

int64_t
fsh_loginclient_silence (fsh_loginclient_t *self)
{
    int64_t since = self->heard_at? self->heard_at: self->connected_at;
    return zclock_mono () - since;
}

bool
fsh_loginclient_answered (fsh_loginclient_t *self)
{
    return self->heard_at != 0;
}

bool
fsh_loginclient_expired (fsh_loginclient_t *self)
{
    return fsh_loginclient_silence (self)
         > (int64_t) FSH_DEFAULT_LIVENESS * self->heartbeat_ms;
}

fsh_err_t
fsh_loginclient_code (fsh_loginclient_t *self)
{
    return self->code;
}

const char *
fsh_loginclient_error (fsh_loginclient_t *self)
{
    return self->error? self->error: fsh_err_text (self->code);
}

const char *
fsh_loginclient_broker_id (fsh_loginclient_t *self)
{
    return self->broker_id? self->broker_id: "";
}

const char *
fsh_loginclient_events (fsh_loginclient_t *self)
{
    return self->events? self->events: "";
}

uint32_t
fsh_loginclient_heartbeat_ms (fsh_loginclient_t *self)
{
    return self->heartbeat_ms;
}

uint32_t
fsh_loginclient_max_message (fsh_loginclient_t *self)
{
    return self->max_message;
}

uint32_t
fsh_loginclient_stall_timeout_ms (fsh_loginclient_t *self)
{
    return self->stall_timeout_ms;
}

uint64_t
fsh_loginclient_seq (fsh_loginclient_t *self)
{
    return self->seq;
}

//  --------------------------------------------------------------------------
//  Blocking helpers

fsh_login_event_t
fsh_loginclient_wait (fsh_loginclient_t *self, int timeout_ms)
{
    const char *error = NULL;
    if (fsh_loginclient_connect (self, &error)) {
        s_set_refusal (self, FSH_ERR_BROKER_UNREACHABLE, error);
        return FSH_LOGIN_SILENT;
    }
    int64_t limit = zclock_mono () + timeout_ms;
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    fsh_login_event_t event = FSH_LOGIN_SILENT;
    while (event == FSH_LOGIN_SILENT) {
        int64_t left = limit - zclock_mono ();
        if (left <= 0 || !zpoller_wait (poller, (int) left)) {
            if (left <= 0 || zpoller_terminated (poller) || zsys_interrupted)
                break;
            continue;
        }
        Fshare__Message *msg = fsh_msg_recv (self->dealer);
        if (!msg)
            continue;
        fsh_login_event_t seen = fsh_loginclient_on_message (self, msg);
        if (seen == FSH_LOGIN_OK || seen == FSH_LOGIN_REFUSED || seen == FSH_LOGIN_MALFORMED)
            event = seen;
        fsh_msg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    if (event == FSH_LOGIN_SILENT)
        s_set_refusal (self, FSH_ERR_BROKER_UNREACHABLE, NULL);
    return event;
}

bool
fsh_loginclient_keepalive (fsh_loginclient_t *self)
{
    if (!self->dealer || !self->token)
        return false;
    while (zsock_events (self->dealer) & ZMQ_POLLIN) {
        Fshare__Message *msg = fsh_msg_recv (self->dealer);
        fsh_loginclient_heard (self);
        bool lost = msg && fsh_loginclient_on_message (self, msg) == FSH_LOGIN_UNKNOWN;
        fsh_msg_destroy (&msg);
        if (lost)
            return false;
    }
    if (fsh_loginclient_expired (self))
        return false;
    if (zclock_mono () >= self->next_ping)
        fsh_loginclient_ping (self);
    return true;
}

int64_t
fsh_loginclient_next_ping (fsh_loginclient_t *self)
{
    return self->next_ping;
}
