/*  link.c - the agent's link to the broker: the state table. See link.h.

    The whole protocol side is s_table: for each state, the message kinds
    it may receive and what each one does. The DEALER, timers, pages and
    outbox that the handlers use are in linkio.c.
*/
#include "link_int.h"
#include "ratelog.h"

typedef int (handler_fn) (link_t *self, Fshare__Message *msg);

static const char *s_state_texts [LINK_STATES] = {
    "down", "logging in", "publishing", "loading", "online", "resyncing", "stopping", "ended"
};

static const char *s_msg_texts [LINK_MSGS] = {
    "login-ok", "login refusal", "malformed login-ok", "publish-ok", "snapshot-page",
    "pong", "logout-ok", "unknown session", "refusal", "busy refusal",
    "change refused busy", "error reply", "bad reply", "stale reply", "unexpected message"
};

const char *
link_state_text (link_state_t state)
{
    return state < LINK_STATES? s_state_texts [state]: "?";
}

const char *
link_msg_text (link_msg_t kind)
{
    return kind < LINK_MSGS? s_msg_texts [kind]: "?";
}

//  --------------------------------------------------------------------------
//  The handlers of s_table

static int
s_ignore (link_t *self, Fshare__Message *msg)
{
    (void) self; (void) msg;
    return 0;
}

static int
s_login_ok (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    self->login_replies++;
    self->sessions++;
    self->ever_session = true;
    fsh_backoff_reset (&self->backoff);
    self->retry_why [0] = 0;
    uint32_t heartbeat = fsh_loginclient_heartbeat_ms (self->client);
    if (heartbeat != self->heartbeat_ms)
        link_heartbeat_start (self, heartbeat);
    uint32_t max_message = fsh_loginclient_max_message (self->client);
    self->page_bytes = max_message > 4096 && max_message < FSH_PAGE_BYTES? max_message
                                                                          : FSH_PAGE_BYTES;
    zsys_info ("%s: logged in (broker %s)", self->user,
               fsh_loginclient_broker_id (self->client));
    //  Subscribe before the snapshot (Clone pattern): events in between
    //  are buffered by the view
    if (self->handler.session && self->handler.session (self->arg, self)) {
        link_reconnect_later (self, "cannot subscribe to events");
        return 0;
    }
    view_invalidate (self->view);
    outbox_clear (self->outbox);
    self->awaiting = fsh_loginclient_new_id (self->client);
    link_cut_pages (self);
    link_set_state (self, LINK_PUBLISHING);
    link_flush (self);
    return 0;
}

static int
s_login_malformed (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    link_reconnect_later (self, "malformed login reply");
    return 0;
}

static int
s_login_refused (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    fsh_err_t code = fsh_loginclient_code (self->client);
    const char *reason = fsh_loginclient_error (self->client);
    //  Not about us: many logins from our address are waiting their turn.
    //  Not an answer to our login either, so it leaves "first" alone.
    if (code == FSH_ERR_BUSY) {
        link_reconnect_later_code (self, code, reason);
        return 0;
    }
    bool first = self->login_replies++ == 0;
    //  A retried login can meet our own previous session, still alive on
    //  the broker until it expires: wait for that rather than give up.
    if (code == FSH_ERR_ALREADY_LOGGED_IN && !first) {
        link_reconnect_later (self, "the broker still has our previous session");
        return 0;
    }
    if (!first && code != FSH_ERR_INVALID_CREDENTIALS && code != FSH_ERR_UNSUPPORTED_VERSION) {
        link_reconnect_later (self, reason);
        return 0;
    }
    s_debug (self, "%s: login refused: %s", self->user, reason);
    link_timer_cancel (self, &self->retry_timer);
    link_set_state (self, LINK_ENDED);
    if (self->handler.failed)
        self->handler.failed (self->arg, code, reason);
    return -1;
}

static int
s_publish_ok (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    link_set_state (self, LINK_LOADING);
    link_snapshot_request (self);
    return 0;
}

static int
s_snapshot_page (link_t *self, Fshare__Message *msg)
{
    //  Our session lives in the broker instance that logged us in: a
    //  snapshot of another (a stale one, or a restarted broker that
    //  answers without a session) is not the state our session sees, and
    //  its events would be taken for stale. Log in to whoever is there.
    const char *ours = fsh_loginclient_broker_id (self->client);
    const char *theirs = msg->snapshot_page->broker;
    if (ours && *ours && theirs && strneq (ours, theirs)) {
        link_reconnect_later (self, "a snapshot from another broker instance than our session's");
        return 0;
    }
    int rc = view_snapshot_page (self->view, msg->snapshot_page);
    if (rc == -1) {
        link_resync (self, view_resync_reason (self->view));
        return 0;
    }
    if (rc == 0)
        return 0;
    bool first = self->state == LINK_LOADING;
    self->awaiting = 0;
    fsh_backoff_reset (&self->snapshot_backoff);
    link_set_state (self, LINK_ONLINE);
    if (first) {
        zsys_info ("%s: online: %zu users, %" PRIu64 " files (broker %s, seq %" PRIu64 ")",
                   self->user, view_user_count (self->view), view_file_count (self->view),
                   view_broker (self->view), view_seq (self->view));
        if (self->handler.online)
            self->handler.online (self->arg);
    }
    return 0;
}

//  A pong acknowledges what was sent before its ping.
static int
s_pong_ack (link_t *self, Fshare__Message *msg)
{
    self->pongs++;
    outbox_pong (self->outbox, msg->id);
    link_flush (self);
    if (self->handler.changed)
        self->handler.changed (self->arg);
    return 0;
}

static int
s_pong_online (link_t *self, Fshare__Message *msg)
{
    s_pong_ack (self, msg);
    //  Our broker's events may never come (--events names another): then
    //  the view is checked against the pongs only now and then
    if (self->state == LINK_ONLINE
    &&  (!self->strangers || strangers_resync_allowed (self->strangers, link_broker_id (self),
                                                       zclock_mono ()))
    &&  view_pong (self->view, msg->pong->broker, msg->pong->seq))
        link_resync (self, view_resync_reason (self->view));
    return 0;
}

static int
s_logged_out (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    zsys_info ("%s: logged out", self->user);
    return link_end (self, true);
}

static int
s_unknown_session (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    zsys_info ("%s: the broker does not know our session (restarted?): logging in again",
               self->user);
    link_reconnect (self, NULL, 0);
    return 0;
}

//  Stopping, and the broker has no session of ours: nothing to log out of.
static int
s_nothing_left (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    zsys_info ("%s: the broker has no session of ours left: stopped", self->user);
    return link_end (self, true);
}

//  Stopping while a login was in flight: it succeeded, so log out of it.
static int
s_stop_login_ok (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    if (!fsh_loginclient_logout (self->client))
        return link_end (self, false);
    return 0;
}

static int
s_on_snapshot_retry (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    link_t *self = (link_t *) arg;
    self->snapshot_timer = 0;
    if (self->state == LINK_LOADING || self->state == LINK_RESYNCING)
        link_snapshot_request (self);
    return 0;
}

//  Our snapshot request refused busy: the broker has too many snapshots
//  in flight (others', perhaps never read). Our session is fine, so the
//  same request goes again after a backoff; a new login would not help.
static int
s_snapshot_busy (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    int delay = fsh_backoff_next (&self->snapshot_backoff, zclock_mono ());
    fsh_ratelog_warning (self->ratelog, self->user,
                         "the broker is busy with snapshots: asking again in %d ms", delay);
    link_timer_cancel (self, &self->snapshot_timer);
    self->snapshot_timer = link_timer (self, delay, s_on_snapshot_retry);
    return 0;
}

static int
s_refused (link_t *self, Fshare__Message *msg)
{
    const char *error = fsh_text_valid (msg->error, 512) && *msg->error? msg->error
                      : fsh_err_text (fsh_msg_error_code (msg, FSH_ERR_INTERNAL));
    char *why = zsys_sprintf ("the broker refused our %s: %s",
                              self->state == LINK_PUBLISHING? "file list": "snapshot request",
                              error);
    link_reconnect_later (self, why);
    zstr_free (&why);
    return 0;
}

//  A change refused busy (--max-change-rate): the broker's copy of our list
//  now misses it, and no answer says which it was. A new session
//  publishes the whole list again, after the backoff, which also slows us.
static int
s_change_busy (link_t *self, Fshare__Message *msg)
{
    (void) msg;
    link_reconnect_later_code (self, FSH_ERR_BUSY,
                               "the broker refused our changes as too many at once: "
                               "publishing the list again");
    return 0;
}

static int
s_error (link_t *self, Fshare__Message *msg)
{
    fsh_ratelog_warning (self->ratelog, self->user,
                         "the broker answered request %" PRIu64 " with: %s", msg->id,
                         fsh_text_valid (msg->error, 512)? msg->error: "(unreadable)");
    return 0;
}

//  Our pages or snapshot request answered with something else: this
//  broker does not speak our protocol; a new session may go better.
static int
s_bad_reply (link_t *self, Fshare__Message *msg)
{
    char *why = zsys_sprintf ("protocol error: the broker answered our %s with a malformed %s",
                              self->state == LINK_PUBLISHING? "file list": "snapshot request",
                              fsh_msg_kind (msg));
    link_reconnect_later (self, why);
    zstr_free (&why);
    return 0;
}

//  What every state with a session takes alike: the broker forgot us,
//  an error reply, a stale answer.
#define IN_SESSION \
        [LINK_MSG_UNKNOWN_SESSION] = s_unknown_session, \
        [LINK_MSG_CHANGE_BUSY] = s_change_busy, \
        [LINK_MSG_ERROR] = s_error, \
        [LINK_MSG_STALE] = s_ignore

//  States x message kinds. A missing entry is a refusal (s_refuse).
static handler_fn *s_table [LINK_STATES][LINK_MSGS] = {
    [LINK_DOWN] = {
        [LINK_MSG_STALE] = s_ignore },
    [LINK_LOGGING_IN] = {
        [LINK_MSG_LOGIN_OK] = s_login_ok,
        [LINK_MSG_LOGIN_REFUSED] = s_login_refused,
        [LINK_MSG_LOGIN_MALFORMED] = s_login_malformed,
        [LINK_MSG_BAD_REPLY] = s_login_malformed,
        [LINK_MSG_PONG] = s_ignore,             //  probes: life, nothing more
        [LINK_MSG_CHANGE_BUSY] = s_ignore,      //  of the session before
        [LINK_MSG_ERROR] = s_ignore,
        [LINK_MSG_STALE] = s_ignore },
    [LINK_PUBLISHING] = {
        [LINK_MSG_PUBLISH_OK] = s_publish_ok,
        [LINK_MSG_BAD_REPLY] = s_bad_reply,
        [LINK_MSG_PONG] = s_pong_ack,
        [LINK_MSG_REFUSED] = s_refused,
        [LINK_MSG_BUSY] = s_refused,            //  our pages: a new session may go better
        IN_SESSION },
    [LINK_LOADING] = {
        [LINK_MSG_SNAPSHOT_PAGE] = s_snapshot_page,
        [LINK_MSG_BAD_REPLY] = s_bad_reply,
        [LINK_MSG_PONG] = s_pong_ack,
        [LINK_MSG_REFUSED] = s_refused,
        [LINK_MSG_BUSY] = s_snapshot_busy,
        IN_SESSION },
    [LINK_ONLINE] = {
        [LINK_MSG_PONG] = s_pong_online,
        IN_SESSION },
    [LINK_RESYNCING] = {
        [LINK_MSG_SNAPSHOT_PAGE] = s_snapshot_page,
        [LINK_MSG_BAD_REPLY] = s_bad_reply,
        [LINK_MSG_PONG] = s_pong_ack,
        [LINK_MSG_REFUSED] = s_refused,
        [LINK_MSG_BUSY] = s_snapshot_busy,
        IN_SESSION },
    [LINK_STOPPING] = {
        [LINK_MSG_LOGIN_OK] = s_stop_login_ok,
        [LINK_MSG_LOGIN_REFUSED] = s_nothing_left,
        [LINK_MSG_LOGIN_MALFORMED] = s_nothing_left,
        [LINK_MSG_PUBLISH_OK] = s_ignore,
        [LINK_MSG_SNAPSHOT_PAGE] = s_ignore,
        [LINK_MSG_PONG] = s_ignore,
        [LINK_MSG_LOGGED_OUT] = s_logged_out,
        [LINK_MSG_UNKNOWN_SESSION] = s_nothing_left,
        [LINK_MSG_REFUSED] = s_ignore,
        [LINK_MSG_BUSY] = s_ignore,
        [LINK_MSG_CHANGE_BUSY] = s_ignore,
        [LINK_MSG_ERROR] = s_ignore,
        [LINK_MSG_BAD_REPLY] = s_ignore,        //  the stop timer ends it
        [LINK_MSG_STALE] = s_ignore },
    [LINK_ENDED] = {
        [LINK_MSG_STALE] = s_ignore },
};

//  The one shape of every refusal: counted, logged at a bounded rate.
static int
s_refuse (link_t *self, link_msg_t kind, Fshare__Message *msg)
{
    self->refusals++;
    fsh_ratelog_warning (self->ratelog, self->user,
                         "refused %s #%" PRIu64 " (%s) from the broker while %s",
                         fsh_msg_kind (msg), msg->id, s_msg_texts [kind],
                         s_state_texts [self->state]);
    return 0;
}

bool
link_accepts (link_state_t state, link_msg_t kind)
{
    return state < LINK_STATES && kind < LINK_MSGS && s_table [state][kind] != NULL;
}

link_msg_t
link_classify (link_t *self, const Fshare__Message *msg)
{
    bool awaited = self->awaiting && msg->id == self->awaiting;
    switch (fsh_loginclient_on_message (self->client, msg)) {
        case FSH_LOGIN_OK:          return LINK_MSG_LOGIN_OK;
        case FSH_LOGIN_REFUSED:     return LINK_MSG_LOGIN_REFUSED;
        case FSH_LOGIN_MALFORMED:   return LINK_MSG_LOGIN_MALFORMED;
        case FSH_LOGIN_PONG:        return LINK_MSG_PONG;
        case FSH_LOGIN_UNKNOWN:     return LINK_MSG_UNKNOWN_SESSION;
        case FSH_LOGIN_LOGGED_OUT:  return LINK_MSG_LOGGED_OUT;
        case FSH_LOGIN_STALE:       return awaited? LINK_MSG_BAD_REPLY: LINK_MSG_STALE;
        default:                    break;
    }
    if (fsh_loginclient_awaits (self->client, msg->id))
        return LINK_MSG_BAD_REPLY;      //  our login, answered with another kind
    bool busy = fsh_msg_error_code (msg, FSH_ERR_INTERNAL) == FSH_ERR_BUSY;
    if (msg->status == FSHARE__STATUS__STATUS_ERROR && !awaited)
        return busy? LINK_MSG_CHANGE_BUSY: LINK_MSG_ERROR;
    if (msg->status == FSHARE__STATUS__STATUS_ERROR)
        return busy? LINK_MSG_BUSY: LINK_MSG_REFUSED;
    //  The one answer each state waits for; any other under its id is bad
    bool loading = self->state == LINK_LOADING || self->state == LINK_RESYNCING;
    if (msg->body_case == FSHARE__MESSAGE__BODY_PUBLISH_OK)
        return !awaited? LINK_MSG_STALE: loading? LINK_MSG_BAD_REPLY: LINK_MSG_PUBLISH_OK;
    if (msg->body_case == FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE && msg->snapshot_page)
        return !awaited? LINK_MSG_STALE
             : self->state == LINK_PUBLISHING? LINK_MSG_BAD_REPLY: LINK_MSG_SNAPSHOT_PAGE;
    return awaited? LINK_MSG_BAD_REPLY: LINK_MSG_UNEXPECTED;
}

int
link_dispatch (link_t *self, link_msg_t kind, Fshare__Message *msg)
{
    handler_fn *handler = link_accepts (self->state, kind)? s_table [self->state][kind]: NULL;
    if (!handler)
        return s_refuse (self, kind, msg);
    return handler (self, msg);
}

int
link_handle (link_t *self, Fshare__Message *msg, zmq_msg_t *data)
{
    self->heard_at = zclock_mono ();
    fsh_loginclient_heard (self->client);
    if (self->handler.message && self->handler.message (self->arg, msg, data))
        return 0;
    link_msg_t kind = link_classify (self, msg);
    //  Pongs are the heartbeat: not worth a line each
    if (kind != LINK_MSG_PONG)
        s_debug (self, "%s: <- %s #%" PRIu64 " (%s) while %s", self->user, fsh_msg_kind (msg),
                 msg->id, s_msg_texts [kind], s_state_texts [self->state]);
    return link_dispatch (self, kind, msg);
}

int
link_handle_malformed (link_t *self, Fshare__Message *msg, int frames)
{
    self->heard_at = zclock_mono ();
    fsh_loginclient_heard (self->client);
    fsh_ratelog_warning (self->ratelog, self->user,
                         "malformed %s #%" PRIu64 " from the broker (%d frames) while %s",
                         fsh_msg_kind (msg), msg->id, frames, s_state_texts [self->state]);
    if (self->handler.malformed && self->handler.malformed (self->arg, msg))
        return 0;
    bool awaited = (self->awaiting && msg->id == self->awaiting)
                || fsh_loginclient_awaits (self->client, msg->id);
    return awaited? link_dispatch (self, LINK_MSG_BAD_REPLY, msg): 0;
}

//  --------------------------------------------------------------------------
//  What the agent asks of the link

void
link_set_strangers (link_t *self, strangers_t *strangers)
{
    self->strangers = strangers;
}

void
link_resync (link_t *self, const char *why)
{
    if (self->state != LINK_ONLINE && self->state != LINK_LOADING
    &&  self->state != LINK_RESYNCING)
        return;
    self->resyncs++;
    zsys_info ("%s: view resync #%" PRIu64 " (%s)", self->user, self->resyncs, why);
    if (self->state == LINK_ONLINE)
        link_set_state (self, LINK_RESYNCING);
    link_snapshot_request (self);
}

static int
s_on_stop_timeout (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    link_t *self = (link_t *) arg;
    self->stop_timer = 0;
    zsys_warning ("%s: stopped without the broker confirming the logout", self->user);
    return link_end (self, false);
}

int
link_stop (link_t *self)
{
    if (self->state == LINK_STOPPING || self->state == LINK_ENDED)
        return 0;
    link_timer_cancel (self, &self->retry_timer);
    link_timer_cancel (self, &self->flush_timer);
    bool reachable = link_reachable (self);
    link_state_t was = self->state;
    //  Whatever was queued is moot: the broker drops our files at logout
    outbox_clear (self->outbox);
    if (was == LINK_DOWN || (was == LINK_LOGGING_IN && !reachable)) {
        //  A broker that just told us it forgot us has nothing of ours left
        if (!reachable)
            zsys_warning ("%s: stopped without the broker confirming the logout", self->user);
        return link_end (self, reachable);
    }
    link_set_state (self, LINK_STOPPING);
    //  A login in flight with a broker that answers: wait for its answer
    if (was != LINK_LOGGING_IN && !fsh_loginclient_logout (self->client)) {
        zsys_warning ("%s: cannot send the logout", self->user);
        return link_end (self, false);
    }
    self->stop_timer = link_timer (self, LINK_LOGOUT_WAIT_MS, s_on_stop_timeout);
    return 0;
}

link_state_t
link_state (link_t *self)
{
    return self->state;
}

const char *
link_state_name (link_t *self)
{
    switch (self->state) {
        case LINK_DOWN:
        case LINK_LOGGING_IN:   return self->ever_session? "reconnecting": "connecting";
        case LINK_PUBLISHING:
        case LINK_LOADING:      return "logging in";
        case LINK_ONLINE:
        case LINK_RESYNCING:    return "online";
        default:                return "stopping";
    }
}

const char *
link_retrying (link_t *self, fsh_err_t *code, int64_t *next_ms)
{
    if (!self->retry_why [0] || self->state == LINK_ONLINE || self->state == LINK_RESYNCING)
        return NULL;
    int64_t left = self->retry_at - zclock_mono ();
    *code = self->retry_code;
    *next_ms = left > 0? left: 0;
    return self->retry_why;
}

void
link_force_state (link_t *self, link_state_t state, uint64_t awaiting)
{
    self->state = state;
    self->awaiting = awaiting;
}
