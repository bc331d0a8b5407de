/*  throttle.h - slowing down password guessing (SPEC 6).

    Every failed login makes its user name and its peer address wait
    before their next attempt is checked: `base` ms after the first
    failure, doubling with each further one up to `max` ms. A new
    connection does not help (the user name's delay stays), and after a
    quiet period (`max` ms x 4 without a failure) a record is forgotten, so
    an honest user is never locked out for good. A correct password clears
    its user name's record (the address keeps its own until it decays).

    Besides the delays, the throttle caps the logins being checked at once
    (one per user name, THROTTLE_PARALLEL per address), so that a burst of
    guesses sent without waiting for answers queues up instead of running
    in parallel. Time is passed in (zclock_mono ms) so tests can drive it.
*/
#ifndef THROTTLE_H_INCLUDED
#define THROTTLE_H_INCLUDED

#include "fshare.h"

#define THROTTLE_BASE_MS      250
#define THROTTLE_MAX_MS       30000
#define THROTTLE_PARALLEL     2         //  logins of one address checked at once
#define THROTTLE_RECHECK_MS   20        //  retry interval while the cap holds
#define THROTTLE_RECORDS_MAX  100000    //  bound on remembered names and addresses

typedef struct _throttle_t throttle_t;

//  base_ms, max_ms: 0 for the defaults above.
throttle_t *throttle_new (int base_ms, int max_ms);
void throttle_destroy (throttle_t **self_p);

//  Milliseconds until a login of user from address may be checked; 0 now.
int64_t throttle_wait (throttle_t *self, const char *user, const char *address, int64_t now);

//  A login's check starts / ends (pair them, whatever the outcome).
void throttle_begin (throttle_t *self, const char *user, const char *address);
void throttle_end (throttle_t *self, const char *user, const char *address);

//  A failed login: returns the delay now imposed on both (ms).
int64_t throttle_failed (throttle_t *self, const char *user, const char *address, int64_t now);

//  A correct password: forget the user name's failures.
void throttle_succeeded (throttle_t *self, const char *user);

//  Forget records quiet for long enough. Returns how many remain.
size_t throttle_purge (throttle_t *self, int64_t now);

//  Failures on record for a user name / an address (tests, logs).
unsigned throttle_failures (throttle_t *self, const char *user, const char *address);

#endif
