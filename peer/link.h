/*  link.h - the agent's link to the broker, as an explicit state machine.

    States (what the link is waiting for):
      DOWN        no DEALER; a login attempt is scheduled
      LOGGING_IN  Login sent; waiting for LoginOk (pinging: probes)
      PUBLISHING  a session; the file list's Publish pages go out through
                  the outbox (outbox.h); waiting for PublishOk
      LOADING     Snapshot asked; waiting for its pages (the view loads)
      ONLINE      published and synced; changes flow through the outbox
      RESYNCING   online, a fresh snapshot asked after a view gap
      STOPPING    Logout sent (or a login still in flight); waiting for
                  LogoutOk, at most LINK_LOGOUT_WAIT_MS
      ENDED       refused for good, or stopped: nothing more happens
    Every message from the broker is classified (link_classify) into one
    of the link_msg_t kinds and looked up in ONE table, state x kind ->
    handler. A kind that cannot arrive in a state has no handler: it is
    refused the same way everywhere (counted, and logged at a bounded
    rate), and changes nothing. Replies are matched by request id: an
    answer to a request the state no longer waits for is STALE.

    The link owns the DEALER (through fsh_loginclient_t), the heartbeat
    and retry timers, and the outbox. A broker that answers "unknown
    session" is reachable: the link logs in again at once. Silence for
    FSH_DEFAULT_LIVENESS heartbeats means the broker is gone: the DEALER
    is dropped and the login retried with backoff. A send that the DEALER
    refuses (EAGAIN) is tried again later, never taken for a lost session.

    The agent learns what happens through the handler's callbacks (every
    one may be NULL); messages that are not the link's (downloads) go to
    handler->message first.
*/
#ifndef LINK_H_INCLUDED
#define LINK_H_INCLUDED

#include "fshare.h"
#include "loginclient.h"
#include "fileset.h"
#include "hostdir.h"
#include "view.h"
#include "strangers.h"

#define LINK_BACKOFF_MIN_MS  250
#define LINK_BACKOFF_MAX_MS  4000
#define LINK_LOGOUT_WAIT_MS  2000
//  A login that the broker keeps answering probes for but never replies to
#define LINK_LOGIN_MAX_MS    60000

typedef enum {
    LINK_DOWN, LINK_LOGGING_IN, LINK_PUBLISHING, LINK_LOADING,
    LINK_ONLINE, LINK_RESYNCING, LINK_STOPPING, LINK_ENDED,
    LINK_STATES
} link_state_t;

typedef enum {
    LINK_MSG_LOGIN_OK,          //  LoginOk to our login
    LINK_MSG_LOGIN_REFUSED,     //  error reply to our login
    LINK_MSG_LOGIN_MALFORMED,   //  a LoginOk to our login that fails the checks
    LINK_MSG_PUBLISH_OK,        //  PublishOk to our pages
    LINK_MSG_SNAPSHOT_PAGE,     //  a page of the snapshot we asked for
    LINK_MSG_PONG,
    LINK_MSG_LOGGED_OUT,        //  LogoutOk, or an error reply to our Logout
    LINK_MSG_UNKNOWN_SESSION,   //  the broker does not know our session
    LINK_MSG_REFUSED,           //  error reply to our pages or snapshot request
    LINK_MSG_BUSY,              //  the same, with code busy: ask again later
    LINK_MSG_CHANGE_BUSY,       //  error reply busy to a change: too many at once
    LINK_MSG_ERROR,             //  any other error reply (an invalid change...)
    LINK_MSG_BAD_REPLY,         //  our login, pages or snapshot answered with
                                //  the wrong kind, or a malformed message
    LINK_MSG_STALE,             //  an answer to a request nobody waits for
    LINK_MSG_UNEXPECTED,        //  a body the link has no use for
    LINK_MSGS
} link_msg_t;

typedef struct _link_t link_t;

typedef struct {
    //  A session began (LoginOk): subscribe to its events. -1: cannot;
    //  the link drops it and tries again later.
    int (*session) (void *arg, link_t *link);
    //  The session ended (broker lost or restarted); why, for people.
    void (*lost) (void *arg, const char *why);
    //  Published and synced (also after every later login).
    void (*online) (void *arg);
    //  A pong, or any change of state: waiting commands may go on.
    void (*changed) (void *arg);
    //  The login was refused for good: the link ended.
    void (*failed) (void *arg, fsh_err_t code, const char *reason);
    //  Stopped; confirmed: the broker has no session of ours left.
    void (*stopped) (void *arg, bool confirmed);
    //  A message that is not the link's: true when it was handled
    //  (`data` is a chunk's data frame or NULL).
    bool (*message) (void *arg, Fshare__Message *msg, zmq_msg_t *data);
    //  A message of the wrong shape (frame count) that is not the link's:
    //  true when it ended the transfer it names.
    bool (*malformed) (void *arg, Fshare__Message *msg);
} link_handler_t;

typedef struct {
    const char *user;               //  for logs
    fsh_loginclient_config_t login;
    bool verbose;
} link_config_t;

//  `files` is what the pages publish (the host directory's table), `view`
//  what the snapshots load; both stay the caller's. `loop` NULL: no
//  timers and no reader (unit tests drive link_handle by hand).
link_t *link_new (zloop_t *loop, const link_config_t *config, fileset_t *files,
                  view_t *view, const link_handler_t *handler, void *arg);
void link_destroy (link_t **self_p);

//  The agent's watch on events of another broker (strangers.h), or NULL:
//  the pongs' "the broker is ahead" resyncs ask it first. Stays the
//  caller's.
void link_set_strangers (link_t *self, strangers_t *strangers);

//  The first login attempt.
void link_start (link_t *self);

//  A host-directory change: queued for the broker once this session's
//  pages are cut, else dropped (the next pages carry the truth). Taken.
void link_change (link_t *self, hostdir_change_t **change_p);

//  The view saw a gap: fetch a fresh snapshot (when online).
void link_resync (link_t *self, const char *why);

//  Log out (see STOPPING). -1 when the link ended at once (stopped was
//  called), else 0.
int link_stop (link_t *self);

//  Ask the broker for a sign of life now (a Ping); pongs are counted.
void link_confirm (link_t *self);

//  In the middle of long work in the agent's loop: a Ping if one is due,
//  so that the broker does not take our silence for a death. The pongs
//  are read when the loop turns again.
void link_keepalive (link_t *self);

//  One message from the broker (also a sign of life): classified and
//  dispatched through the table. -1 when the agent's loop must end.
int link_handle (link_t *self, Fshare__Message *msg, zmq_msg_t *data);

//  A message of the wrong shape (too many frames, a data frame where none
//  belongs): the transfer or the link's request it answers ends
//  protocol_error; anything else is logged and dropped.
int link_handle_malformed (link_t *self, Fshare__Message *msg, int frames);

//  Run the table's entry for `kind` in the current state, or refuse.
//  link_handle is link_classify then this; tests call it directly.
int link_dispatch (link_t *self, link_msg_t kind, Fshare__Message *msg);

//  What a message is, in this link's state of requests (the login client
//  takes note of logins, logouts and lost sessions on the way).
link_msg_t link_classify (link_t *self, const Fshare__Message *msg);

//  Whether the table has a handler for the kind in the state.
bool link_accepts (link_state_t state, link_msg_t kind);

//  State
link_state_t link_state (link_t *self);
//  The state as fshare-ctl status shows it: "connecting", "reconnecting",
//  "logging in", "online", "stopping".
const char *link_state_name (link_t *self);
const char *link_state_text (link_state_t state);
//  Not online after a failed try: why (for people), its code (busy or
//  broker_unreachable) and the ms until the next try; NULL when online or
//  before any try failed. The agent tries again for ever, backing off
//  from LINK_BACKOFF_MIN_MS to LINK_BACKOFF_MAX_MS (SPEC 4.1).
const char *link_retrying (link_t *self, fsh_err_t *code, int64_t *next_ms);
const char *link_msg_text (link_msg_t kind);
bool link_online (link_t *self);
//  The broker answered within the liveness window.
bool link_reachable (link_t *self);
//  A new login is under way with a broker that answers: a command that
//  needs the broker may wait for it.
bool link_relogging (link_t *self);
//  Counters: pongs received, sessions begun, messages refused by the table.
uint64_t link_pongs (link_t *self);
uint64_t link_sessions (link_t *self);
uint64_t link_refusals (link_t *self);
size_t link_queued (link_t *self);

//  The session (valid between session and lost)
fsh_loginclient_t *link_client (link_t *self);
zsock_t *link_dealer (link_t *self);
const char *link_token (link_t *self);
const char *link_broker_id (link_t *self);

//  Tests: put the link in a state, with its awaited request id.
void link_force_state (link_t *self, link_state_t state, uint64_t awaiting);

#endif
