/*  gate.c - the broker's ZAP handler. See gate.h.

    ZAP (ZeroMQ RFC 27): a request is "1.0", request id, domain, address,
    routing id, mechanism, then the mechanism's credentials (for CURVE the
    client's 32-byte public key). The reply is "1.0", request id, status
    code, status text, user id, metadata.
*/
#include "gate.h"
#include "chunk.h"

//  Refusals logged per second; a reconnecting crowd must not flood the log
#define GATE_LOGS_PER_SEC 5

struct _gate_t {
    zsock_t *handler;           //  REP on GATE_ENDPOINT
    zhashx_t *tokens;           //  session token -> key (owned strings)
    zhashx_t *keys;             //  key -> number of sessions holding it
    bool verbose;
    uint64_t refused;
    int64_t log_window;
    int logged;
};

void
gate_caller_read (gate_caller_t *caller, zmq_msg_t *frame)
{
    const char *key = zmq_msg_gets (frame, "User-Id");
    const char *address = zmq_msg_gets (frame, "Peer-Address");
    //  Only a ZAP user id that is a key counts (never any other text)
    snprintf (caller->key, sizeof caller->key, "%s",
              key && !fsh_curve_key_check (key)? key: "");
    snprintf (caller->address, sizeof caller->address, "%s", address? address: "");
    //  ZMQ_SRCFD is deprecated but kept by libzmq 4.3 (the "__fd" property)
    caller->fd = zmq_msg_get (frame, ZMQ_SRCFD);
}

static void
s_read_caller (zmq_msg_t *frame, void *arg)
{
    gate_caller_read ((gate_caller_t *) arg, frame);
}

Fshare__Message *
gate_recv (zsock_t *router, zmq_msg_t *data, int *frames, gate_caller_t *caller,
           bool *tainted)
{
    caller->key [0] = caller->address [0] = 0;
    caller->fd = -1;
    return fsh_chunk_recv_any (router, 0, data, frames, s_read_caller, caller, tainted);
}

static void
s_free_string (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

gate_t *
gate_new (bool verbose, char **error)
{
    gate_t *self = (gate_t *) zmalloc (sizeof (gate_t));
    self->handler = zsock_new (ZMQ_REP);
    if (!self->handler || zsock_bind (self->handler, GATE_ENDPOINT) == -1) {
        *error = zsys_sprintf ("cannot bind the ZAP handler %s: %s (is another CURVE "
                               "broker running in this process?)", GATE_ENDPOINT,
                               zmq_strerror (zmq_errno ()));
        gate_destroy (&self);
        return NULL;
    }
    zsock_set_linger (self->handler, 0);
    self->tokens = zhashx_new ();
    zhashx_set_destructor (self->tokens, s_free_string);
    self->keys = zhashx_new ();
    self->verbose = verbose;
    return self;
}

void
gate_destroy (gate_t **self_p)
{
    gate_t *self = *self_p;
    if (!self)
        return;
    //  Closing a socket drops its inproc endpoint later, in libzmq's reaper
    //  thread; unbinding drops it now, so a broker started right after this
    //  one can take over the handler.
    if (self->handler)
        zsock_unbind (self->handler, GATE_ENDPOINT);
    zsock_destroy (&self->handler);
    zhashx_destroy (&self->tokens);
    zhashx_destroy (&self->keys);
    free (self);
    *self_p = NULL;
}

zsock_t *
gate_socket (gate_t *self)
{
    return self->handler;
}

static size_t
s_key_count (gate_t *self, const char *key)
{
    return (size_t) (uintptr_t) zhashx_lookup (self->keys, key);
}

void
gate_admit (gate_t *self, const char *token, const char *key)
{
    if (!key || !*key || zhashx_lookup (self->tokens, token))
        return;
    zhashx_insert (self->tokens, token, strdup (key));
    size_t count = s_key_count (self, key) + 1;
    zhashx_update (self->keys, key, (void *) (uintptr_t) count);
}

void
gate_forget (gate_t *self, const char *token)
{
    const char *key = (const char *) zhashx_lookup (self->tokens, token);
    if (!key)
        return;
    size_t count = s_key_count (self, key);
    if (count > 1)
        zhashx_update (self->keys, key, (void *) (uintptr_t) (count - 1));
    else
        zhashx_delete (self->keys, key);
    zhashx_delete (self->tokens, token);
}

bool
gate_admits (gate_t *self, const char *key)
{
    return key && s_key_count (self, key) > 0;
}

uint64_t
gate_refused (gate_t *self)
{
    return self->refused;
}

static void
s_log_refusal (gate_t *self, const char *domain, const char *address, const char *why)
{
    self->refused++;
    int64_t now = zclock_mono ();
    if (now - self->log_window >= 1000) {
        self->log_window = now;
        self->logged = 0;
    }
    if (++self->logged <= GATE_LOGS_PER_SEC)
        zsys_info ("gate: refused a %s connection from %s: %s", domain,
                   *address? address: "(local)", why);
}

//  The frames of one ZAP request, pointing into the message.
typedef struct {
    zframe_t *version, *request_id, *domain, *address, *routing_id, *mechanism, *credentials;
} zap_request_t;

static bool
s_parse (zmsg_t *msg, zap_request_t *request)
{
    request->version = zmsg_first (msg);
    request->request_id = zmsg_next (msg);
    request->domain = zmsg_next (msg);
    request->address = zmsg_next (msg);
    request->routing_id = zmsg_next (msg);
    request->mechanism = zmsg_next (msg);
    request->credentials = zmsg_next (msg);
    return request->mechanism && zframe_streq (request->version, "1.0");
}

//  The verdict on one handshake: NULL to admit, else why not. user gets
//  the client's key as Z85 text when there is one.
static const char *
s_judge (gate_t *self, zap_request_t *request, char *user)
{
    if (!zframe_streq (request->mechanism, "CURVE"))
        return "not a CURVE client";
    if (!request->credentials || zframe_size (request->credentials) != 32)
        return "no client key";
    zmq_z85_encode (user, zframe_data (request->credentials), 32);
    if (zframe_streq (request->domain, FSH_ZAP_REQUESTS))
        return NULL;
    if (zframe_streq (request->domain, FSH_ZAP_EVENTS))
        return gate_admits (self, user)? NULL: "not logged in";
    return "unknown domain";
}

static void
s_reply (gate_t *self, zframe_t *request_id, const char *code, const char *text,
         const char *user)
{
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    if (request_id)
        zmsg_addmem (reply, zframe_data (request_id), zframe_size (request_id));
    else
        zmsg_addstr (reply, "");
    zmsg_addstr (reply, code);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, user);
    zmsg_addstr (reply, "");
    zmsg_send (&reply, self->handler);
}

void
gate_handle (gate_t *self)
{
    zmsg_t *msg = zmsg_recv (self->handler);
    if (!msg)
        return;
    zap_request_t request;
    //  Only libzmq writes here (inproc), but a REP must always answer
    if (!s_parse (msg, &request)) {
        zsys_error ("gate: malformed ZAP request (%zu frames)", zmsg_size (msg));
        s_reply (self, request.request_id, "500", "malformed request", "");
        zmsg_destroy (&msg);
        return;
    }
    char user [FSH_CURVE_KEY_LEN + 1] = "";
    const char *why = s_judge (self, &request, user);
    if (why) {
        char *domain = zframe_strdup (request.domain);
        char *address = zframe_strdup (request.address);
        s_log_refusal (self, domain, address, why);
        zstr_free (&domain);
        zstr_free (&address);
        s_reply (self, request.request_id, "400", why, "");
    }
    else {
        if (self->verbose)
            zsys_debug ("gate: admitted %s to %.*s", user, (int) zframe_size (request.domain),
                        (char *) zframe_data (request.domain));
        s_reply (self, request.request_id, "200", "OK", user);
    }
    zmsg_destroy (&msg);
}
