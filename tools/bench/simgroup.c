/*  simgroup.c - many simulated peers driven by one loop. See simgroup.h. */
#include "simgroup.h"
#include <sys/epoll.h>

#define EPOLL_BATCH     256

typedef struct {
    simpeer_t *peer;
    int dealer_fd;              //  registered in the epoll set, or -1
    int sub_fd;
} member_t;

struct _simgroup_t {
    member_t *members;
    int count;
    int capacity;
    int epoll;
    char *failure;
};

simgroup_t *
simgroup_new (void)
{
    simgroup_t *self = (simgroup_t *) zmalloc (sizeof (simgroup_t));
    self->epoll = epoll_create1 (EPOLL_CLOEXEC);
    return self;
}

void
simgroup_destroy (simgroup_t **self_p)
{
    simgroup_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->count; i++)
        simpeer_destroy (&self->members [i].peer);
    free (self->members);
    if (self->epoll >= 0)
        close (self->epoll);
    free (self->failure);
    free (self);
    *self_p = NULL;
}

int
simgroup_add (simgroup_t *self, simpeer_t *peer)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 64;
        self->members = (member_t *) realloc (self->members,
                                              sizeof (member_t) * (size_t) self->capacity);
    }
    self->members [self->count] = (member_t) { .peer = peer, .dealer_fd = -1, .sub_fd = -1 };
    return self->count++;
}

simpeer_t *
simgroup_peer (simgroup_t *self, int index)
{
    return index >= 0 && index < self->count? self->members [index].peer: NULL;
}

int
simgroup_size (simgroup_t *self)
{
    return self->count;
}

const char *
simgroup_failure (simgroup_t *self)
{
    return self->failure? self->failure: "";
}

static int
s_fail (simgroup_t *self, const char *text)
{
    if (!self->failure)
        self->failure = strdup (text? text: "a simulated peer failed");
    return -1;
}

//  The epoll set follows the peers' descriptors: a busy login makes a
//  new DEALER. data: index * 2, + 1 for the DEALER.
static void
s_track (simgroup_t *self, int index)
{
    member_t *member = &self->members [index];
    int fds [2] = { simpeer_sub_fd (member->peer), simpeer_dealer_fd (member->peer) };
    int *known [2] = { &member->sub_fd, &member->dealer_fd };
    for (int k = 0; k < 2; k++) {
        if (fds [k] == *known [k])
            continue;
        if (*known [k] >= 0)
            epoll_ctl (self->epoll, EPOLL_CTL_DEL, *known [k], NULL);
        struct epoll_event interest = { .events = EPOLLIN,
                                        .data.u32 = (uint32_t) (index * 2 + k) };
        if (fds [k] >= 0)
            epoll_ctl (self->epoll, EPOLL_CTL_ADD, fds [k], &interest);
        *known [k] = fds [k];
    }
}

//  Everything about one peer: its DEALER, its subscriber, its timers.
static int
s_sweep_one (simgroup_t *self, int index, simpeer_fn *fn, void *arg)
{
    simpeer_t *peer = self->members [index].peer;
    //  The DEALER first: a pong waiting there is not the broker's silence
    int rc = simpeer_on_dealer (peer);
    if (rc == 0)
        rc = simpeer_tick (peer);
    //  A bare ZMTP subscriber is a plain socket: epoll misses nothing
    if (rc == 0 && simpeer_edge_triggered (peer))
        rc = simpeer_on_events (peer, fn, arg);
    s_track (self, index);
    return rc? s_fail (self, simpeer_failure (peer)): 0;
}

int
simgroup_login (simgroup_t *self)
{
    for (int i = 0; i < self->count; i++) {
        if (simpeer_login (self->members [i].peer))
            return s_fail (self, simpeer_failure (self->members [i].peer));
        s_track (self, i);
    }
    return 0;
}

static bool
s_all_heard (void *arg)
{
    simgroup_t *self = (simgroup_t *) arg;
    for (int i = 0; i < self->count; i++)
        if (!simpeer_heard (self->members [i].peer))
            return false;
    return true;
}

int
simgroup_subscribe (simgroup_t *self, int timeout_ms)
{
    for (int i = 0; i < self->count; i++) {
        if (simpeer_subscribe (self->members [i].peer))
            return s_fail (self, simpeer_failure (self->members [i].peer));
        s_track (self, i);
    }
    return simgroup_run (self, timeout_ms, s_all_heard, NULL, self);
}

int
simgroup_run (simgroup_t *self, int timeout_ms, simgroup_done_fn *done,
              simpeer_fn *fn, void *arg)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int64_t next_sweep = 0;
    struct epoll_event ready [EPOLL_BATCH];
    while (!self->failure) {
        if (done (arg))
            return 0;
        int64_t now = zclock_mono ();
        if (now > deadline) {
            char *text = zsys_sprintf ("not done within %d ms", timeout_ms);
            s_fail (self, text);
            zstr_free (&text);
            break;
        }
        if (now >= next_sweep) {
            for (int i = 0; i < self->count && !self->failure; i++)
                s_sweep_one (self, i, fn, arg);
            next_sweep = now + SIMGROUP_SWEEP_MS;
            continue;
        }
        int count = epoll_wait (self->epoll, ready, EPOLL_BATCH, 10);
        //  DEALERs first (replies, pongs: little to read), then the
        //  subscribers, which may hold megabytes of joins
        for (int pass = 1; pass >= 0; pass--)
            for (int e = 0; e < count && !self->failure; e++) {
                if ((int) (ready [e].data.u32 % 2) != pass)
                    continue;
                int index = (int) (ready [e].data.u32 / 2);
                simpeer_t *peer = self->members [index].peer;
                int rc = pass? simpeer_on_dealer (peer): simpeer_on_events (peer, fn, arg);
                if (rc)
                    s_fail (self, simpeer_failure (peer));
                s_track (self, index);
            }
    }
    return -1;
}
