/*  strangers.h - events of another broker instance than our session's.

    An agent's view follows the events of the broker that logged it in
    (SPEC 4.4). An event of another instance means either that our broker
    restarted (the resync it causes fetches a snapshot, which shows the new
    instance, and the agent logs in again), or that --events names another
    broker than --broker: then every one of its events would make the view
    fetch our broker's snapshot again, for ever; and since our broker's
    own events never arrive, every pong saying that it is ahead would do
    the same. The first event of a stranger is let through (a restart is
    found that way); when the same stranger speaks again after that, it
    is another broker: said once (the log, and status through
    strangers_problem), its events dropped from then on, and the pongs'
    resyncs allowed only now and then (after 8 s, doubling up to a
    minute), so that the view still follows our broker's snapshots.

    Times are passed in (zclock_mono ms), so the logic is testable without
    sleeping.
*/
#ifndef STRANGERS_H_INCLUDED
#define STRANGERS_H_INCLUDED

#include "fshare.h"

#define STRANGERS_FIRST_MS  8000
#define STRANGERS_MAX_MS    60000

typedef struct _strangers_t strangers_t;

strangers_t *strangers_new (const char *user);
void strangers_destroy (strangers_t **self_p);

//  Whether an event of broker `theirs`, heard on `endpoint`, goes to the
//  view, our session being with `ours` (NULL or empty: no session yet,
//  everything passes).
bool strangers_pass (strangers_t *self, const char *theirs, const char *ours,
                     const char *endpoint, int64_t now);

//  Whether a pong's "the broker is ahead" may check the view now: always,
//  unless the events come from another broker (strangers_problem); then
//  after STRANGERS_FIRST_MS, and each time twice as long up to
//  STRANGERS_MAX_MS.
bool strangers_resync_allowed (strangers_t *self, const char *ours, int64_t now);

//  Why the events are not our broker's, for status; NULL when they are
//  (or no second event of a stranger has come).
const char *strangers_problem (strangers_t *self, const char *ours);

//  Events dropped so far.
uint64_t strangers_dropped (strangers_t *self);

#endif
