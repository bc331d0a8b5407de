/*  stream.c - fshare-tap's event stream. See tap.h.

    Subscribes to the broker's PUB socket and prints every event as it
    arrives, for people or as one JSON object per line. It keeps its
    position in the stream (proto/sequence.h): with --snapshot a gap or a
    broker restart is repaired by fetching the whole state (snapshot.c);
    without, it is reported on stderr. A tap that filters by topic sees
    gaps by design and reports only restarts.
*/
#include "tap.h"

zsock_t *
tap_wait (int signals, zsock_t *a, zsock_t *b, int timeout, bool *stopped)
{
    //  The signal comes through a signalfd polled with the sockets, so one
    //  that arrives just before the wait is not lost (a flag checked
    //  before an endless poll would be).
    zmq_pollitem_t items [] = {
        { NULL, signals, ZMQ_POLLIN, 0 },
        { a? zsock_resolve (a): NULL, 0, ZMQ_POLLIN, 0 },
        { b? zsock_resolve (b): NULL, 0, ZMQ_POLLIN, 0 }
    };
    int count = b? 3: a? 2: 1;
    *stopped = false;
    if (zmq_poll (items, count, timeout) == -1) {
        *stopped = zmq_errno () != EINTR;
        return NULL;
    }
    if (items [0].revents & ZMQ_POLLIN) {
        *stopped = fsh_signals_read (signals) != 0;
        if (*stopped)
            return NULL;
    }
    if (count > 1 && (items [1].revents & ZMQ_POLLIN))
        return a;
    if (count > 2 && (items [2].revents & ZMQ_POLLIN))
        return b;
    return NULL;
}

tap_t *
tap_new (const tap_options_t *options, int signals)
{
    tap_t *self = (tap_t *) zmalloc (sizeof (tap_t));
    self->options = options;
    self->signals = signals;
    self->users = zhashx_new ();
    self->position = fsh_sequence_new ();
    //  Request ids only need to differ from those of an earlier run.
    self->request_id = (uint64_t) zclock_time () << 16;
    if (options->timeout_ms)
        self->deadline = zclock_mono () + options->timeout_ms;
    return self;
}

void
tap_destroy (tap_t **self_p)
{
    if (*self_p) {
        tap_t *self = *self_p;
        zsock_destroy (&self->sub);
        observer_destroy (&self->observer);
        zhashx_destroy (&self->users);
        fsh_sequence_destroy (&self->position);
        zstr_free (&self->trigger);
        zstr_free (&self->stranger);
        free (self);
        *self_p = NULL;
    }
}

int
tap_subscribe (tap_t *self)
{
    zsock_destroy (&self->sub);
    self->sub = fsh_socket_new (ZMQ_SUB);
    if (!self->sub)
        return -1;
    fsh_socket_limits (self->sub, 0);
    if (self->observer)
        fsh_curve_client (self->sub, observer_cert (self->observer), self->options->server_key);
    if (self->options->n_topics == 0)
        zsock_set_subscribe (self->sub, "");
    for (size_t i = 0; i < self->options->n_topics; i++)
        zsock_set_subscribe (self->sub, self->options->topics [i]);
    return zsock_connect (self->sub, "%s", self->options->events);
}

int
tap_wait_ms (tap_t *self, int64_t limit)
{
    int64_t until = self->deadline;
    if (limit && (!until || limit < until))
        until = limit;
    if (!until)
        return -1;
    int64_t left = until - zclock_mono ();
    return left > 0? (int) left: 0;
}

void
tap_warn_malformed (tap_t *self)
{
    self->malformed++;
    int64_t now = zclock_mono ();
    if (now - self->last_warning < WARNING_INTERVAL_MS)
        return;
    fprintf (stderr, "fshare-tap: skipped %zu malformed event%s\n", self->malformed,
             self->malformed == 1? "": "s");
    self->last_warning = now;
    self->malformed = 0;
}

tap_result_t
tap_print (tap_t *self, const Fshare__Event *event)
{
    fsh_event_write (event, self->options->json, stdout);
    //  Nobody reads what cannot be written: stop, and the exit says why
    if (fsh_output_flush ())
        return TAP_FAILED;
    if (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN)
        zhashx_update (self->users, event->user, (void *) 1);
    else
    if (event->type == FSHARE__EVENT_TYPE__EVENT_LEAVE)
        zhashx_delete (self->users, event->user);
    self->printed++;
    return self->options->count && self->printed >= self->options->count? TAP_DONE: TAP_GO_ON;
}

tap_result_t
tap_handle (tap_t *self, const Fshare__Event *event)
{
    const tap_options_t *options = self->options;
    bool everything = options->n_topics == 0;
    fsh_seq_verdict_t verdict = fsh_sequence_check (self->position, event->broker, event->seq,
                                                    everything);
    if (verdict == FSH_SEQ_STALE)
        return TAP_GO_ON;           //  already covered by a snapshot
    if (verdict == FSH_SEQ_RESTART || verdict == FSH_SEQ_GAP) {
        //  The snapshot we fetch now covers this event, unless the last
        //  one came from another broker than this event's: then --events
        //  and --broker name two brokers, and fetching again would print
        //  the other one's state for ever, every time this one publishes
        if (options->snapshot) {
            if (self->stranger && streq (self->stranger, event->broker)) {
                fprintf (stderr, "fshare-tap: --events %s and --broker %s are not the same broker "
                         "(events of %s, snapshots of %s)\n", options->events, options->broker,
                         event->broker, fsh_sequence_broker (self->position));
                return TAP_FAILED;
            }
            zstr_free (&self->trigger);
            self->trigger = strdup (event->broker);
            self->resync = true;
            return TAP_GO_ON;
        }
        if (verdict == FSH_SEQ_RESTART)
            fprintf (stderr, "fshare-tap: broker restarted\n");
        else
            fprintf (stderr, "fshare-tap: missed %" PRIu64 " events\n",
                     fsh_sequence_missed (self->position, event->seq));
    }
    fsh_sequence_set (self->position, event->broker, event->seq);
    return tap_print (self, event);
}

//  --user: keep the session, or get a new one, and then subscribe afresh
//  (a CURVE broker refuses a subscriber it does not know, and libzmq does
//  not retry a refused handshake).
static tap_result_t
s_keep_session (tap_t *self)
{
    bool renewed;
    tap_result_t result = observer_keep (self->observer, self->deadline, &renewed);
    if (result != TAP_GO_ON || !renewed)
        return result;
    if (tap_subscribe (self)) {
        fprintf (stderr, "fshare-tap: cannot connect to %s\n", self->options->events);
        return TAP_FAILED;
    }
    if (self->options->snapshot)
        self->resync = true;
    return TAP_GO_ON;
}

//  One wait for an event (or the session's next need, the deadline, a
//  signal), and what came of it.
static tap_result_t
s_next_event (tap_t *self)
{
    int64_t limit = self->observer? observer_next (self->observer): 0;
    bool stopped;
    if (tap_wait (self->signals, self->sub, NULL, tap_wait_ms (self, limit), &stopped)) {
        tap_result_t result = TAP_GO_ON;
        Fshare__Event *event = fsh_event_recv (self->sub);
        if (event)
            result = tap_handle (self, event);
        else
            tap_warn_malformed (self);
        fsh_event_destroy (&event);
        return result;
    }
    if (stopped)
        return TAP_DONE;
    if (self->deadline && zclock_mono () >= self->deadline)
        return TAP_TIMEOUT;
    return TAP_GO_ON;
}

tap_result_t
tap_run (tap_t *self)
{
    tap_result_t result = TAP_GO_ON;
    if (self->options->snapshot)
        result = tap_sync (self);
    while (result == TAP_GO_ON) {
        if (self->observer && (result = s_keep_session (self)) != TAP_GO_ON)
            break;
        if (self->resync && (!self->observer || observer_token (self->observer))) {
            if (self->options->verbose)
                fprintf (stderr, "fshare-tap: out of sequence, fetching a snapshot\n");
            result = tap_sync (self);
        }
        else
            result = s_next_event (self);
    }
    return result;
}
