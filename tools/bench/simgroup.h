/*  simgroup.h - many simulated peers (simpeer.h) driven by one loop.

    One epoll set holds every peer's subscriber and DEALER, so a wake-up
    costs only the peers with news; every SIMGROUP_SWEEP_MS every peer is
    looked at anyway (heartbeats, busy retries, and the edge-like ZMQ_FD of
    a libzmq socket that may have let a message in unnoticed).
*/
#ifndef SIMGROUP_H_INCLUDED
#define SIMGROUP_H_INCLUDED

#include "simpeer.h"

#define SIMGROUP_SWEEP_MS   100

typedef struct _simgroup_t simgroup_t;

//  True when what the caller waits for has happened.
typedef bool (simgroup_done_fn) (void *arg);

simgroup_t *simgroup_new (void);
//  Destroys the peers too.
void simgroup_destroy (simgroup_t **self_p);

//  Takes the peer; returns its index (what simpeer_fn is told).
int simgroup_add (simgroup_t *self, simpeer_t *peer);
simpeer_t *simgroup_peer (simgroup_t *self, int index);
int simgroup_size (simgroup_t *self);

//  Connect every subscriber and wait until each has heard an event (so
//  that its subscription is active at the broker), at most timeout_ms.
//  0, or -1 with the failure set.
int simgroup_subscribe (simgroup_t *self, int timeout_ms);

//  Send every peer's Login. 0, or -1 with the failure set.
int simgroup_login (simgroup_t *self);

//  Run until done (arg) or for timeout_ms, telling fn of every event. 0
//  when done, -1 when a peer failed or time ran out (failure set).
int simgroup_run (simgroup_t *self, int timeout_ms, simgroup_done_fn *done,
                  simpeer_fn *fn, void *arg);

//  Why the group failed (the first peer's reason, or the deadline).
const char *simgroup_failure (simgroup_t *self);

#endif
