/*  loginclient.h - a client's session with the broker: login, heartbeat,
    logout (SPEC 4.1). One home for what the agent, fshare-tap --user and
    the bench's simulated peers all speak.

    The exchange, on a DEALER to the broker's ROUTER:
      Login{user, password, version, observer, instance}
        -> LoginOk{session, broker, seq, events, heartbeat_ms, ...}
           or an error reply with a code (invalid_credentials, busy, ...)
      Ping every heartbeat -> Pong{broker, seq}; any message from the broker
           is a sign of life, FSH_DEFAULT_LIVENESS silent heartbeats mean
           the broker is gone
      any request -> error unknown_session: the broker forgot us (it
           restarted, or expired us): log in again at once
      Logout -> LogoutOk

    Contract:
    - The client owns the DEALER and the session token. Every login attempt
      (fsh_loginclient_connect) uses a fresh DEALER, so nothing queued for
      a lost broker reaches a new one. The caller may read the DEALER in its
      own loop (fsh_loginclient_dealer), and send its own requests on it
      with fsh_loginclient_send (the token is filled in).
    - Nothing blocks: the DEALER's send timeout is 0. A send that returns
      -1 with errno EAGAIN means "the broker is not taking more now", not
      "the session is lost": the caller queues and tries again.
    - Nothing is decided here: fsh_loginclient_on_message says what a
      message meant for the session; the caller decides what to do.
    - Replies are matched by request id: an answer to an earlier login or
      logout is FSH_LOGIN_STALE, never taken for the current one.
    - Programs without an event loop (fshare-tap) use the two blocking
      helpers at the end, which never wait longer than they are told.
*/
#ifndef FSH_LOGINCLIENT_H_INCLUDED
#define FSH_LOGINCLIENT_H_INCLUDED

#include "fshare.h"

#define FSH_INSTANCE_BYTES  16         //  an agent's instance id (SPEC 4.1)

typedef struct {
    const char *user;
    const char *password;
    const char *broker;             //  request endpoint
    const char *server_key;         //  broker's CURVE key (Z85); NULL: no CURVE
    zcert_t *cert;                  //  our key pair under CURVE (not owned)
    bool observer;                  //  a tap's session: no files, no join
    const byte *instance;           //  instance id, or NULL (none)
    size_t instance_size;
} fsh_loginclient_config_t;

//  What a message from the broker meant for the session.
typedef enum {
    FSH_LOGIN_OTHER,        //  not about the session: the caller's to handle
    FSH_LOGIN_STALE,        //  an answer to an earlier login/logout: ignore
    FSH_LOGIN_OK,           //  our login accepted: token and LoginOk values set
    FSH_LOGIN_REFUSED,      //  our login refused: see fsh_loginclient_code/_error
    FSH_LOGIN_MALFORMED,    //  a LoginOk that fails the checks (token unset)
    FSH_LOGIN_PONG,         //  a Pong (msg->pong is valid)
    FSH_LOGIN_UNKNOWN,      //  error unknown_session to a request of ours
                            //  that carried the session's token
    FSH_LOGIN_LOGGED_OUT,   //  LogoutOk, or any error reply to our Logout
    FSH_LOGIN_SILENT        //  fsh_loginclient_wait: no answer in time
} fsh_login_event_t;

typedef struct _fsh_loginclient_t fsh_loginclient_t;

//  The strings and the instance are copied; the cert is only referenced.
fsh_loginclient_t *fsh_loginclient_new (const fsh_loginclient_config_t *config);
void fsh_loginclient_destroy (fsh_loginclient_t **self_p);

//  A fresh DEALER (the old one is closed, the token forgotten), connected
//  to the broker, and a Login sent on it. 0, or -1 with *error set
//  (static text) when no socket could be made or the endpoint is refused.
int fsh_loginclient_connect (fsh_loginclient_t *self, const char **error);

//  Close the DEALER and forget the token (the broker lost, or giving up).
void fsh_loginclient_drop (fsh_loginclient_t *self);

//  The DEALER (NULL between attempts) and the session token (NULL until a
//  LoginOk, and after drop, connect or FSH_LOGIN_UNKNOWN).
zsock_t *fsh_loginclient_dealer (fsh_loginclient_t *self);
const char *fsh_loginclient_token (fsh_loginclient_t *self);

//  A new request id (every request of the session draws from one counter).
uint64_t fsh_loginclient_new_id (fsh_loginclient_t *self);

//  Send a request of the caller's, token filled in; never blocks. 0, or
//  -1 with errno (EAGAIN: the broker is not taking more now).
int fsh_loginclient_send (fsh_loginclient_t *self, Fshare__Message *msg);

//  Send a Ping / a Logout. The request id, or 0 when it could not be sent
//  (errno as for fsh_loginclient_send).
uint64_t fsh_loginclient_ping (fsh_loginclient_t *self);
uint64_t fsh_loginclient_logout (fsh_loginclient_t *self);

//  Classify one message from the broker (it also counts as a sign of life).
fsh_login_event_t fsh_loginclient_on_message (fsh_loginclient_t *self,
                                              const Fshare__Message *msg);

//  A sign of life the caller saw itself (a frame it decoded on its own).
void fsh_loginclient_heard (fsh_loginclient_t *self);

//  Whether `id` is that of our Login in flight.
bool fsh_loginclient_awaits (fsh_loginclient_t *self, uint64_t id);

//  Milliseconds since the broker last said anything (since the connect
//  while it has said nothing yet); whether it ever answered this DEALER.
int64_t fsh_loginclient_silence (fsh_loginclient_t *self);
bool fsh_loginclient_answered (fsh_loginclient_t *self);

//  True when the silence exceeds FSH_DEFAULT_LIVENESS heartbeats.
bool fsh_loginclient_expired (fsh_loginclient_t *self);

//  The refusal of the last login: its code and its text for people
//  (the broker's, when readable; else the code's own text).
fsh_err_t fsh_loginclient_code (fsh_loginclient_t *self);
const char *fsh_loginclient_error (fsh_loginclient_t *self);

//  The last LoginOk's values, checked. heartbeat_ms is
//  FSH_DEFAULT_HEARTBEAT_MS until a LoginOk names a sane one (50..60000);
//  max_message is 0 when the broker named none.
const char *fsh_loginclient_broker_id (fsh_loginclient_t *self);
const char *fsh_loginclient_events (fsh_loginclient_t *self);
uint32_t fsh_loginclient_heartbeat_ms (fsh_loginclient_t *self);
uint32_t fsh_loginclient_max_message (fsh_loginclient_t *self);
//  The broker's stall timeout (LoginOk.stall_timeout_ms), 0 when it named none.
uint32_t fsh_loginclient_stall_timeout_ms (fsh_loginclient_t *self);
uint64_t fsh_loginclient_seq (fsh_loginclient_t *self);

//  --------------------------------------------------------------------------
//  Blocking helpers for programs without an event loop. Messages that are
//  not about the session are dropped.

//  Connect (a fresh DEALER and Login) and wait up to timeout_ms for the
//  answer: FSH_LOGIN_OK, _REFUSED, _MALFORMED or _SILENT (also on a
//  signal, or when the socket could not be made).
fsh_login_event_t fsh_loginclient_wait (fsh_loginclient_t *self, int timeout_ms);

//  Read what the broker sent, ping when due. False when the session is
//  lost (unknown_session, or silence): the caller logs in again.
bool fsh_loginclient_keepalive (fsh_loginclient_t *self);

//  When the next ping is due (zclock_mono ()), for the caller's poll.
int64_t fsh_loginclient_next_ping (fsh_loginclient_t *self);

#endif
