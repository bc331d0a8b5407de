/*  probe.c - how promptly the broker's request loop answers while a bench
    loads it. See probe.h.

    A thread of its own sends a Ping without a session every PROBE_EVERY_MS
    on a DEALER of its own; the broker answers unknown_session at once (no
    password, no state), so the round trip is the time a request waits in
    the broker's queue. Being apart from the simulated peers' loop, the
    probe tells the broker's lag from the bench's own.
*/
#include "probe.h"

#define PROBE_EVERY_MS  50
#define PROBE_MAX       100000

typedef struct {
    char *endpoint;
    int64_t *rtts;              //  usecs
    size_t count;
} probe_state_t;

struct _probe_t {
    zactor_t *actor;
    probe_state_t state;
};

static void
s_probe_actor (zsock_t *pipe, void *arg)
{
    probe_state_t *state = (probe_state_t *) arg;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    fsh_socket_limits (dealer, 0);
    zsock_connect (dealer, "%s", state->endpoint);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, dealer, NULL);
    bool waiting = false;
    int64_t sent = 0, next = zclock_usecs ();
    while (true) {
        int64_t now = zclock_usecs ();
        if (!waiting && now >= next) {
            Fshare__Ping ping = FSHARE__PING__INIT;
            Fshare__Message msg = FSHARE__MESSAGE__INIT;
            fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_PING, &ping);
            msg.session = "";
            sent = zclock_usecs ();
            waiting = fsh_msg_send (&msg, dealer) == 0;
            next = sent + PROBE_EVERY_MS * 1000;
        }
        void *which = zpoller_wait (poller, PROBE_EVERY_MS);
        if (which == pipe || zpoller_terminated (poller))
            break;
        if (which == dealer) {
            Fshare__Message *reply = fsh_msg_recv (dealer);
            if (reply && waiting && state->count < PROBE_MAX)
                state->rtts [state->count++] = zclock_usecs () - sent;
            waiting = false;
            fsh_msg_destroy (&reply);
        }
    }
    //  A ping still unanswered at the end counts as its wait so far
    if (waiting && state->count < PROBE_MAX)
        state->rtts [state->count++] = zclock_usecs () - sent;
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
}

probe_t *
probe_new (const char *endpoint)
{
    probe_t *self = (probe_t *) zmalloc (sizeof (probe_t));
    self->state.endpoint = strdup (endpoint);
    self->state.rtts = (int64_t *) zmalloc (sizeof (int64_t) * PROBE_MAX);
    self->actor = zactor_new (s_probe_actor, &self->state);
    return self;
}

void
probe_stop (probe_t *self, probe_result_t *result)
{
    zactor_destroy (&self->actor);
    probe_state_t *state = &self->state;
    qsort (state->rtts, state->count, sizeof (int64_t), bench_compare);
    result->samples = state->count;
    result->p50_ms = bench_percentile (state->rtts, state->count, 0.50);
    result->p99_ms = bench_percentile (state->rtts, state->count, 0.99);
    result->max_ms = state->count? (double) state->rtts [state->count - 1] / 1000.0: 0;
}

void
probe_destroy (probe_t **self_p)
{
    probe_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    free (self->state.endpoint);
    free (self->state.rtts);
    free (self);
    *self_p = NULL;
}
