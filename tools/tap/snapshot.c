/*  snapshot.c - fshare-tap --snapshot: the whole state, printed as joins.
    See tap.h.

    The Clone pattern: the tap is subscribed first, then asks for a
    snapshot over the request socket; the snapshot's pages become one join
    per user (and a leave for each user shown before who is gone); the
    events that arrived meanwhile are printed after it, those not newer
    than it dropped by the position check.
*/
#include "tap.h"

typedef struct {
    zlistx_t *pages;            //  Fshare__Message (owned)
    zhashx_t *joins;            //  user -> Fshare__Event (owned; files point into pages)
    char *broker_id;
    uint64_t seq;
    bool complete;
    bool abandoned;             //  our session was gone: log in, then retry
    bool busy;                  //  the last request was refused busy
} snapshot_t;

static void
s_message_free (void **item_p)
{
    fsh_msg_destroy ((Fshare__Message **) item_p);
}

static void
s_join_free (void **item_p)
{
    Fshare__Event *join = (Fshare__Event *) *item_p;
    if (join) {
        free (join->files);
        free (join->user);
        free (join);
        *item_p = NULL;
    }
}

static void
s_event_free (void **item_p)
{
    fsh_event_destroy ((Fshare__Event **) item_p);
}

static snapshot_t *
snapshot_new (void)
{
    snapshot_t *self = (snapshot_t *) zmalloc (sizeof (snapshot_t));
    self->pages = zlistx_new ();
    zlistx_set_destructor (self->pages, s_message_free);
    self->joins = zhashx_new ();
    zhashx_set_destructor (self->joins, s_join_free);
    return self;
}

static void
snapshot_destroy (snapshot_t **self_p)
{
    if (*self_p) {
        snapshot_t *self = *self_p;
        zhashx_destroy (&self->joins);
        zlistx_destroy (&self->pages);
        zstr_free (&self->broker_id);
        free (self);
        *self_p = NULL;
    }
}

static Fshare__Event *
s_snapshot_join (snapshot_t *self, const Fshare__UserFiles *user)
{
    Fshare__Event *join = (Fshare__Event *) zhashx_lookup (self->joins, user->user);
    if (!join) {
        join = (Fshare__Event *) zmalloc (sizeof (Fshare__Event));
        fshare__event__init (join);
        join->type = FSHARE__EVENT_TYPE__EVENT_JOIN;
        join->user = strdup (user->user);
        join->since = user->since;
        zhashx_insert (self->joins, user->user, join);
    }
    return join;
}

//  Takes one page (owned from now on). Returns NULL or what is wrong with it.
static const char *
snapshot_add (snapshot_t *self, Fshare__Message *msg)
{
    zlistx_add_end (self->pages, msg);
    Fshare__SnapshotPage *page = msg->snapshot_page;
    if (!fsh_text_valid (page->broker, 64))
        return "bad broker id";
    if (!self->broker_id)
        self->broker_id = strdup (page->broker);
    else
    if (!streq (self->broker_id, page->broker) || page->seq != self->seq)
        return "pages of different states";
    self->seq = page->seq;
    for (size_t i = 0; i < page->n_users; i++) {
        const Fshare__UserFiles *user = page->users [i];
        const char *error = fsh_user_check (user->user);
        if (error)
            return error;
        Fshare__Event *join = s_snapshot_join (self, user);
        join->files = (Fshare__FileInfo **) realloc (join->files,
            (join->n_files + user->n_files + 1) * sizeof (Fshare__FileInfo *));
        for (size_t f = 0; f < user->n_files; f++) {
            if ((error = fsh_listed_check (user->files [f])))
                return error;
            join->files [join->n_files++] = user->files [f];
        }
    }
    self->complete = !page->more;
    return NULL;
}

static int
s_compare_users (const void *a, const void *b)
{
    return strcmp (((const Fshare__Event *) a)->user, ((const Fshare__Event *) b)->user);
}

//  Leaves for the users we had shown that the snapshot does not have.
static tap_result_t
s_print_leaves (tap_t *self, snapshot_t *snapshot, int64_t now)
{
    zlistx_t *shown = zhashx_keys (self->users);
    tap_result_t result = TAP_GO_ON;
    for (const char *user = (const char *) zlistx_first (shown); user && result == TAP_GO_ON;
         user = (const char *) zlistx_next (shown)) {
        if (zhashx_lookup (snapshot->joins, user))
            continue;
        Fshare__Event leave = FSHARE__EVENT__INIT;
        leave.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
        leave.broker = snapshot->broker_id;
        leave.seq = snapshot->seq;
        leave.time_ms = now;
        leave.user = (char *) user;
        result = tap_print (self, &leave);
    }
    zlistx_destroy (&shown);
    return result;
}

//  Prints the snapshot as joins (by user name), and leaves for the users we
//  had shown that are gone; the sequence then resumes from the snapshot.
static tap_result_t
s_print_snapshot (tap_t *self, snapshot_t *snapshot)
{
    int64_t now = zclock_time ();
    zlistx_t *joins = zlistx_new ();
    zlistx_set_comparator (joins, s_compare_users);
    for (Fshare__Event *join = (Fshare__Event *) zhashx_first (snapshot->joins); join;
         join = (Fshare__Event *) zhashx_next (snapshot->joins))
        zlistx_add_end (joins, join);
    zlistx_sort (joins);
    tap_result_t result = s_print_leaves (self, snapshot, now);
    for (Fshare__Event *join = (Fshare__Event *) zlistx_first (joins);
         join && result == TAP_GO_ON; join = (Fshare__Event *) zlistx_next (joins)) {
        join->broker = snapshot->broker_id;
        join->seq = snapshot->seq;
        join->time_ms = now;
        result = tap_print (self, join);
    }
    zlistx_destroy (&joins);
    fsh_sequence_set (self->position, snapshot->broker_id, snapshot->seq);
    return result;
}

//  Reads one reply of the broker into the snapshot; TAP_FAILED on a refusal.
static tap_result_t
s_snapshot_reply (tap_t *self, snapshot_t *snapshot, zsock_t *dealer)
{
    Fshare__Message *msg = fsh_msg_recv (dealer);
    if (!msg || msg->id != self->request_id) {
        fsh_msg_destroy (&msg);     //  malformed, or a late reply to an old request
        return TAP_GO_ON;
    }
    if (msg->status != FSHARE__STATUS__STATUS_OK && self->observer
    &&  fsh_msg_error_code (msg, FSH_ERR_INTERNAL) == FSH_ERR_UNKNOWN_SESSION) {
        //  The broker restarted and forgot us: a new session, then a snapshot
        observer_lost (self->observer);
        self->resync = true;
        snapshot->abandoned = true;
        fsh_msg_destroy (&msg);
        return TAP_GO_ON;
    }
    //  Too many snapshots in flight (others' that nobody reads, perhaps):
    //  nothing about us, so ask again a moment later
    if (msg->status != FSHARE__STATUS__STATUS_OK
    &&  fsh_msg_error_code (msg, FSH_ERR_INTERNAL) == FSH_ERR_BUSY) {
        snapshot->busy = true;
        fsh_msg_destroy (&msg);
        return TAP_GO_ON;
    }
    if (msg->status != FSHARE__STATUS__STATUS_OK) {
        fprintf (stderr, "fshare-tap: snapshot refused by the broker: %s\n",
                 fsh_text_valid (msg->error, 256)? msg->error: "(unreadable reason)");
        fsh_msg_destroy (&msg);
        return TAP_FAILED;
    }
    if (msg->body_case != FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE) {
        fprintf (stderr, "fshare-tap: unexpected %s reply to a snapshot\n", fsh_msg_kind (msg));
        fsh_msg_destroy (&msg);
        return TAP_FAILED;
    }
    const char *error = snapshot_add (snapshot, msg);
    if (error) {
        fprintf (stderr, "fshare-tap: bad snapshot from the broker: %s\n", error);
        return TAP_FAILED;
    }
    return TAP_GO_ON;
}

//  A Snapshot request on dealer, under a new id.
static void
s_send_request (tap_t *self, zsock_t *dealer)
{
    const char *token = self->observer? observer_token (self->observer): NULL;
    Fshare__Snapshot body = FSHARE__SNAPSHOT__INIT;
    Fshare__Message request = FSHARE__MESSAGE__INIT;
    self->request_id++;
    fsh_msg_set_body (&request, self->request_id, FSHARE__MESSAGE__BODY_SNAPSHOT, &body);
    request.session = (char *) (token? token: "");
    fsh_msg_send (&request, dealer);
}

//  A DEALER to the broker with a Snapshot request sent on it, or NULL.
static zsock_t *
s_request_snapshot (tap_t *self)
{
    zsock_t *dealer = fsh_socket_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    fsh_socket_limits (dealer, 0);
    if (self->observer)
        fsh_curve_client (dealer, observer_cert (self->observer), self->options->server_key);
    if (zsock_connect (dealer, "%s", self->options->broker)) {
        fprintf (stderr, "fshare-tap: cannot connect to %s\n", self->options->broker);
        zsock_destroy (&dealer);
        return NULL;
    }
    s_send_request (self, dealer);
    return dealer;
}

//  Retries of a snapshot refused busy, as of a busy login (tap.h)
typedef struct {
    fsh_backoff_t backoff;
    int64_t retry_at;           //  when to ask again; 0: nothing to ask
} busy_t;

//  A busy answer: when to ask again, and the limit moved past it; false
//  once the broker has been busy for LOGIN_BUSY_TOTAL_MS.
static bool
s_busy_again (tap_t *self, busy_t *busy, int64_t *limit)
{
    int64_t now = zclock_mono ();
    int delay = fsh_backoff_next (&busy->backoff, now);
    if (delay == -1) {
        fprintf (stderr, "fshare-tap: busy: %s answered every snapshot request \"busy\" "
                 "for %d s: giving up\n", self->options->broker, LOGIN_BUSY_TOTAL_MS / 1000);
        return false;
    }
    if (self->options->verbose)
        fprintf (stderr, "fshare-tap: snapshot refused busy: asking again in %d ms\n",
                 delay);
    busy->retry_at = now + delay;
    *limit = busy->retry_at + SNAPSHOT_TIMEOUT_MS;
    return true;
}

//  The next wait: up to the retry when one is due, else up to limit.
static int
s_wait_ms (tap_t *self, busy_t *busy, int64_t limit)
{
    int wait = tap_wait_ms (self, limit);
    if (!busy->retry_at)
        return wait;
    int64_t left = busy->retry_at - zclock_mono ();
    int until_retry = left > 0? (int) left: 0;
    return wait < 0 || until_retry < wait? until_retry: wait;
}

//  Collects the snapshot's pages; the live events meanwhile go to buffer.
static tap_result_t
s_collect (tap_t *self, zsock_t *dealer, snapshot_t *snapshot, zlistx_t *buffer)
{
    int64_t limit = zclock_mono () + SNAPSHOT_TIMEOUT_MS;
    busy_t busy = { .retry_at = 0 };
    fsh_backoff_init (&busy.backoff, LOGIN_BUSY_FIRST_MS, LOGIN_BUSY_MAX_DELAY_MS,
                      LOGIN_BUSY_TOTAL_MS);
    tap_result_t result = TAP_GO_ON;
    while (result == TAP_GO_ON && !snapshot->complete && !snapshot->abandoned) {
        if (busy.retry_at && zclock_mono () >= busy.retry_at) {
            busy.retry_at = 0;
            s_send_request (self, dealer);
        }
        bool stopped;
        zsock_t *which = tap_wait (self->signals, dealer, self->sub,
                                   s_wait_ms (self, &busy, limit), &stopped);
        if (which == dealer) {
            result = s_snapshot_reply (self, snapshot, dealer);
            if (snapshot->busy && !s_busy_again (self, &busy, &limit))
                result = TAP_FAILED;
            snapshot->busy = false;
        }
        else
        if (which == self->sub) {
            Fshare__Event *event = fsh_event_recv (self->sub);
            if (event)
                zlistx_add_end (buffer, event);
            else
                tap_warn_malformed (self);
        }
        else
        if (stopped)
            result = TAP_DONE;
        else
        if (self->deadline && zclock_mono () >= self->deadline)
            result = TAP_TIMEOUT;
        else
        if (zclock_mono () >= limit) {
            fprintf (stderr, "fshare-tap: broker unreachable: no snapshot from %s within %d s\n",
                     self->options->broker, SNAPSHOT_TIMEOUT_MS / 1000);
            result = TAP_FAILED;
        }
    }
    return result;
}

tap_result_t
tap_sync (tap_t *self)
{
    self->resync = false;
    zsock_t *dealer = s_request_snapshot (self);
    if (!dealer)
        return TAP_FAILED;
    zlistx_t *buffer = zlistx_new ();
    zlistx_set_destructor (buffer, s_event_free);
    snapshot_t *snapshot = snapshot_new ();
    tap_result_t result = s_collect (self, dealer, snapshot, buffer);
    zsock_destroy (&dealer);
    if (result == TAP_GO_ON && !snapshot->abandoned) {
        if (self->options->verbose)
            fprintf (stderr, "fshare-tap: snapshot of %s at #%" PRIu64 ": %zu users\n",
                     snapshot->broker_id, snapshot->seq, zhashx_size (snapshot->joins));
        result = s_print_snapshot (self, snapshot);
        self->synced = true;
        //  Asked for by an event of another instance than the snapshot's:
        //  remembered, a second such event is two brokers (stream.c)
        zstr_free (&self->stranger);
        if (self->trigger && !streq (self->trigger, snapshot->broker_id)) {
            self->stranger = self->trigger;
            self->trigger = NULL;
        }
        zstr_free (&self->trigger);
        for (Fshare__Event *event = (Fshare__Event *) zlistx_first (buffer);
             event && result == TAP_GO_ON && !self->resync;
             event = (Fshare__Event *) zlistx_next (buffer))
            result = tap_handle (self, event);
    }
    zlistx_destroy (&buffer);
    snapshot_destroy (&snapshot);
    return result;
}
