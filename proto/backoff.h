/*  backoff.h - the wait before trying again, doubling, perhaps bounded.

    A broker that is down, or that answers "busy" (many logins or
    snapshots from everywhere at once), is asked again after a wait that
    starts at `first_ms` and doubles up to `max_ms` (SPEC 4.1), so a crowd
    of clients thins out instead of hammering it. A client that must end
    (the tap) also gives up once it has been turned away for `total_ms`.
    One home for that arithmetic: the agent's link and the tap use it.

    A backoff is a small value kept inside its owner (no allocation, so
    nothing to fail or free); the clock is passed in, so tests need no
    waiting.
*/
#ifndef FSH_BACKOFF_H_INCLUDED
#define FSH_BACKOFF_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int first_ms;               //  the first wait
    int max_ms;                 //  waits double up to this
    int64_t total_ms;           //  give up after trying this long; 0: never
    int64_t since;              //  the first refusal in a row; 0: none
    int delay_ms;               //  the next wait
} fsh_backoff_t;

//  A backoff with nothing refused yet.
void fsh_backoff_init (fsh_backoff_t *self, int first_ms, int max_ms, int64_t total_ms);

//  Another refusal at `now` (ms, monotonic): the wait before the next
//  try, and the one after doubles; -1 when that try would come more than
//  total_ms after the first refusal in a row: give up.
int fsh_backoff_next (fsh_backoff_t *self, int64_t now);

//  A success: the next refusal starts again at first_ms.
void fsh_backoff_reset (fsh_backoff_t *self);

//  Whether anything was refused since the last reset.
bool fsh_backoff_active (const fsh_backoff_t *self);

#endif
