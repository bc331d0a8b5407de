/*  login.c - the broker's login pipeline. See login.h.

    A login is a ticket in `pending` while the hasher works on it; the
    throttle knows it is being checked (throttle_begin/end), which also
    keeps two logins of one name from being checked at once: the second
    waits in the lobby, so two first logins cannot both register a name.
*/
#include "login.h"
#include "hasher.h"
#include "throttle.h"
#include "lobby.h"

#define PASSWORD_MAX        1024
#define HASHER_WORKERS      2
#define PURGE_MS            60000
#define ACCOUNTS_CHECK_MS   1000

//  A login waiting for the hasher.
typedef struct {
    char *user;
    zframe_t *routing_id;
    uint64_t request_id;
    bool registering;           //  hashing a new account's password
    bool known;                 //  false: verifying against the dummy hash
    bool observer;              //  Login.observer: a tap, not an agent
    byte instance [LOGIN_INSTANCE_MAX];
    size_t instance_size;
    gate_caller_t caller;       //  CURVE key and address it came from
    char *connection;           //  its routing id as hex (the throttle's)
    throttle_lane_t lane;       //  the throttle's lane it is checked in
} pending_t;

struct _login_t {
    login_config_t config;
    outflow_t *outflow;         //  replies (outflow.h)
    zloop_t *loop;
    accounts_t *accounts;
    hasher_t *hasher;
    throttle_t *throttle;       //  failed-login delays
    lobby_t *lobby;             //  logins and refusals waiting for their time
    zhashx_t *pending;          //  ticket -> pending_t (owned)
    uint64_t next_ticket;
    char *dummy_hash;           //  verified for unknown users: same cost, same text
    fsh_ratelog_t *ratelog;     //  the broker's
    login_accept_fn *accept;
    void *arg;
};

static void
s_complain (login_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fsh_ratelog_vwarning (self->ratelog, "broker", format, args);
    va_end (args);
}

static void
s_refuse (login_t *self, zframe_t *routing_id, uint64_t request_id, fsh_err_t code,
          const char *text)
{
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_error (&reply, request_id, code, text);
    outflow_send (self->outflow, routing_id, -1, &reply);
}

static void
s_pending_destroy (void **item_p)
{
    pending_t *pending = (pending_t *) *item_p;
    if (pending) {
        free (pending->user);
        free (pending->connection);
        zframe_destroy (&pending->routing_id);
        free (pending);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  A login arrives (or comes back from the lobby)

//  Refuses a malformed login; false when it is well formed.
static bool
s_malformed (login_t *self, zframe_t *routing_id, const Fshare__Message *msg)
{
    Fshare__Login *login = msg->login;
    if (login->version != FSH_PROTOCOL_VERSION) {
        s_refuse (self, routing_id, msg->id, FSH_ERR_UNSUPPORTED_VERSION, NULL);
        return true;
    }
    const char *reason = fsh_user_check (login->user);
    size_t password_len = strlen (login->password);
    if (!reason && (password_len == 0 || password_len > PASSWORD_MAX))
        reason = "bad password length";
    if (!reason && login->instance.len > LOGIN_INSTANCE_MAX)
        reason = "instance id too long";
    if (!reason)
        return false;
    s_complain (self, "login refused: %s", reason);
    s_refuse (self, routing_id, msg->id, FSH_ERR_INVALID_CREDENTIALS, NULL);
    return true;
}

//  Guessing is slowed (throttle.h): a login that must wait is held in the
//  lobby and comes back, or refused busy when its lane is full. Nothing
//  about the account is said before the password is checked. False when
//  the login may be checked now, in *lane.
static bool
s_throttled (login_t *self, zframe_t *routing_id, const Fshare__Message *msg,
             const gate_caller_t *caller, const throttle_login_t *who, throttle_lane_t *lane)
{
    int64_t now = zclock_mono ();
    *lane = throttle_lane (self->throttle, who, now);
    int64_t wait = throttle_wait (self->throttle, who, *lane, now);
    if (wait <= 0)
        return false;
    if (lobby_hold (self->lobby, routing_id, msg, caller, *lane, wait) == 0)
        return true;
    s_complain (self, "login of %s refused: too many logins waiting from %s (%s ones)",
                who->user, *caller->address? caller->address: "(local)",
                *lane == THROTTLE_SUSPECT? "suspect": "clean");
    s_refuse (self, routing_id, msg->id, FSH_ERR_BUSY, NULL);
    return true;
}

void
login_handle (login_t *self, zframe_t *routing_id, const Fshare__Message *msg,
              const gate_caller_t *caller)
{
    if (s_malformed (self, routing_id, msg))
        return;
    Fshare__Login *login = msg->login;
    char *connection = zframe_strhex (routing_id);
    throttle_login_t who = { login->user, caller->address, connection };
    throttle_lane_t lane;
    if (s_throttled (self, routing_id, msg, caller, &who, &lane)) {
        free (connection);
        return;
    }
    accounts_refresh (self->accounts);
    const char *hash = accounts_lookup (self->accounts, login->user);
    pending_t *pending = (pending_t *) zmalloc (sizeof (pending_t));
    pending->user = strdup (login->user);
    pending->connection = connection;
    pending->lane = lane;
    pending->routing_id = zframe_dup (routing_id);
    pending->request_id = msg->id;
    pending->known = hash != NULL;
    //  A tap never creates an account
    pending->registering = !hash && self->config.registration && !login->observer;
    pending->observer = login->observer;
    pending->instance_size = login->instance.len;
    if (login->instance.len)
        memcpy (pending->instance, login->instance.data, login->instance.len);
    pending->caller = *caller;
    throttle_begin (self->throttle, &who, lane);
    uint64_t ticket = ++self->next_ticket;
    char key [24];
    snprintf (key, sizeof key, "%" PRIu64, ticket);
    zhashx_insert (self->pending, key, pending);
    //  A clean login has a hasher lane of its own: logins that failed
    //  lately, however many, cannot take every turn
    int hasher_lane = lane == THROTTLE_SUSPECT? 1: 0;
    if (pending->registering)
        hasher_hash_in (self->hasher, hasher_lane, ticket, login->password);
    else
        //  Unknown users cost the same verification as known ones, so the
        //  reply time does not tell which user names exist.
        hasher_verify_in (self->hasher, hasher_lane, ticket, hash? hash: self->dummy_hash,
                          login->password);
}

//  --------------------------------------------------------------------------
//  The hasher's verdict

//  The checks and the write of a registration, the file locked and read
//  afresh. False when it must not or cannot be.
static bool
s_register_locked (login_t *self, pending_t *pending, const char *hash)
{
    char *error = NULL;
    if (accounts_load (self->accounts, &error) != 0) {
        //  A file broken meanwhile: writing our table over it would throw
        //  away whatever its owner is editing
        zsys_error ("broker: %s not registered: %s", pending->user, error);
        zstr_free (&error);
        return false;
    }
    //  Never overwrite an account an administrator just added under the
    //  same name.
    if (accounts_lookup (self->accounts, pending->user)) {
        zsys_warning ("broker: %s was added to the account file meanwhile; "
                      "not registering", pending->user);
        return false;
    }
    if (accounts_size (self->accounts) >= LOGIN_REGISTER_MAX) {
        s_complain (self, "%s not registered: the account file holds %zu accounts, and "
                    "first logins register at most %d", pending->user,
                    accounts_size (self->accounts), LOGIN_REGISTER_MAX);
        return false;
    }
    if (accounts_set (self->accounts, pending->user, hash) == 0
    &&  accounts_save (self->accounts) == 0) {
        zsys_warning ("broker: REGISTERED NEW ACCOUNT '%s' (first login; registration is on)",
                      pending->user);
        return true;
    }
    zsys_error ("broker: cannot save account %s to %s: %s", pending->user,
                accounts_path (self->accounts), strerror (errno));
    return false;
}

//  Save a registration; false when it must not or cannot be. Under the
//  file's lock, as fshare-passwd writes it: the file may have changed
//  while hashing, or be changing now, and a save from a table read
//  before would drop the other writer's accounts.
static bool
s_register (login_t *self, pending_t *pending, const char *hash)
{
    char *error = NULL;
    if (accounts_lock (self->accounts, ACCOUNTS_LOCK_WAIT_BROKER_MS, &error) != 0) {
        zsys_error ("broker: %s not registered: %s", pending->user, error);
        zstr_free (&error);
        return false;
    }
    bool registered = s_register_locked (self, pending, hash);
    accounts_unlock (self->accounts);
    return registered;
}

//  The throttle's view of a pending login
static throttle_login_t
s_who (pending_t *pending)
{
    throttle_login_t who = { pending->user, pending->caller.address, pending->connection };
    return who;
}

static void
s_granted (login_t *self, pending_t *pending)
{
    throttle_login_t who = s_who (pending);
    throttle_succeeded (self->throttle, &who);
    login_grant_t grant = {
        .user = pending->user, .routing_id = pending->routing_id,
        .request_id = pending->request_id, .observer = pending->observer,
        .instance = pending->instance, .instance_size = pending->instance_size,
        .caller = &pending->caller
    };
    const char *text = NULL;
    fsh_err_t code = self->accept (self->arg, &grant, &text);
    if (code != FSH_ERR_NONE)
        s_refuse (self, pending->routing_id, pending->request_id, code, text);
}

static void
s_failed (login_t *self, pending_t *pending)
{
    //  The refusal, like the next attempt, waits out the delay
    throttle_login_t who = s_who (pending);
    int64_t delay = throttle_failed (self->throttle, &who, pending->lane, zclock_mono ());
    s_complain (self, "login of %s from %s refused: invalid user or password "
                "(%u failures; answered after %" PRId64 " ms)", pending->user,
                *pending->caller.address? pending->caller.address: "(local)",
                throttle_failures (self->throttle, 'u', pending->user), delay);
    lobby_refuse_later (self->lobby, pending->routing_id, pending->request_id,
                        FSH_ERR_INVALID_CREDENTIALS, NULL, delay);
}

static int
s_handle_hasher (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop; (void) reader;
    login_t *self = (login_t *) arg;
    uint64_t ticket;
    bool ok;
    char *hash = NULL;
    if (hasher_result (self->hasher, &ticket, &ok, &hash))
        return 0;
    char key [24];
    snprintf (key, sizeof key, "%" PRIu64, ticket);
    pending_t *pending = (pending_t *) zhashx_lookup (self->pending, key);
    if (pending) {
        throttle_login_t who = s_who (pending);
        throttle_end (self->throttle, &who, pending->lane);
        if (pending->registering)
            ok = ok && hash && s_register (self, pending, hash);
        else
        if (!pending->known)
            ok = false;
        if (ok)
            s_granted (self, pending);
        else
            s_failed (self, pending);
        zhashx_delete (self->pending, key);
    }
    zstr_free (&hash);
    return 0;
}

//  --------------------------------------------------------------------------
//  Timers and the lobby

//  A login held by the throttle whose wait is over: as if it came now.
static void
s_login_release (void *arg, zframe_t *routing_id, Fshare__Message *msg,
                 const gate_caller_t *caller)
{
    login_handle ((login_t *) arg, routing_id, msg, caller);
}

static int
s_purge_throttle (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    throttle_purge (((login_t *) arg)->throttle, zclock_mono ());
    return 0;
}

static int
s_check_accounts (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    login_t *self = (login_t *) arg;
    if (accounts_refresh (self->accounts) == 1)
        zsys_info ("broker: account file reloaded (%zu accounts)",
                   accounts_size (self->accounts));
    return 0;
}

void
login_reload (login_t *self)
{
    char *error = NULL;
    //  A vanished file is no reason to forget every account (anyone
    //  could then register the old names).
    if (!zsys_file_exists (accounts_path (self->accounts)))
        zsys_error ("broker: %s is missing; keeping the previous accounts",
                    accounts_path (self->accounts));
    else
    if (accounts_load (self->accounts, &error) == 0)
        zsys_info ("broker: account file reloaded (%zu accounts)",
                   accounts_size (self->accounts));
    else {
        zsys_error ("broker: %s; keeping the previous accounts", error);
        zstr_free (&error);
    }
}

size_t
login_accounts (login_t *self)
{
    return accounts_size (self->accounts);
}

const char *
login_accounts_path (login_t *self)
{
    return accounts_path (self->accounts);
}

//  --------------------------------------------------------------------------
//  Set-up and tear-down

login_t *
login_new (const login_config_t *config, zloop_t *loop, outflow_t *outflow,
           fsh_ratelog_t *ratelog, login_accept_fn *accept, void *arg, char **error)
{
    login_t *self = (login_t *) zmalloc (sizeof (login_t));
    self->config = *config;
    self->loop = loop;
    self->outflow = outflow;
    self->ratelog = ratelog;
    self->accept = accept;
    self->arg = arg;
    self->accounts = accounts_new (config->accounts);
    if (accounts_load (self->accounts, error)) {
        login_destroy (&self);
        return NULL;
    }
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, s_pending_destroy);
    self->hasher = hasher_new (HASHER_WORKERS, config->cost);
    self->dummy_hash = passhash_new ("fshare: no such user", config->cost);
    self->throttle = throttle_new (config->delay_ms, config->delay_max_ms);
    self->lobby = lobby_new (loop, outflow, s_login_release, self);
    if (config->queue > 0)
        lobby_set_per_address (self->lobby, config->queue);
    zloop_reader (loop, hasher_socket (self->hasher), s_handle_hasher, self);
    zloop_timer (loop, ACCOUNTS_CHECK_MS, 0, s_check_accounts, self);
    zloop_timer (loop, PURGE_MS, 0, s_purge_throttle, self);
    return self;
}

void
login_destroy (login_t **self_p)
{
    login_t *self = *self_p;
    if (!self)
        return;
    lobby_destroy (&self->lobby);
    throttle_destroy (&self->throttle);
    zhashx_destroy (&self->pending);
    hasher_destroy (&self->hasher);
    accounts_destroy (&self->accounts);
    zstr_free (&self->dummy_hash);
    free (self);
    *self_p = NULL;
}
