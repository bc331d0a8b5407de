/*  throttle.h - slowing down password guessing (SPEC 6).

    Every failed login makes its user name and its connection wait before
    their next attempt is checked: `base` ms after the first failure,
    doubling with each further one up to `max` ms. A new connection does
    not help (the user name's delay stays), and after a quiet period
    (`max` ms x 4 without a failure) a record is forgotten, so an honest
    user is never locked out for good. A correct password clears its user
    name's and its connection's records.

    An attempt is SUSPECT when its user name or its connection has failed
    lately, else CLEAN. The peer address (TCP: the IP) is shared by every
    user of a machine or a NAT (on loopback, by every local user), so what
    one caller does there must not keep another out: the address has two
    records, one per lane. A suspect attempt also waits out the address's
    suspect delay, raised by suspect failures; a clean attempt waits only
    for the address's clean delay, raised only by clean failures (a fresh
    name guessed: spraying). So one name hammered from any number of
    connections slows that name, those connections and the address's
    suspect lane, never a clean login of another name.

    Besides the delays, the throttle caps the logins being checked at once
    (one per user name and per connection, THROTTLE_PARALLEL per address
    and lane), so that a burst of guesses sent without waiting for answers
    queues up instead of running in parallel. Time is passed in
    (zclock_mono ms) so tests can drive it.
*/
#ifndef THROTTLE_H_INCLUDED
#define THROTTLE_H_INCLUDED

#include "fshare.h"

#define THROTTLE_BASE_MS      250
#define THROTTLE_MAX_MS       30000
#define THROTTLE_PARALLEL     2         //  logins of one address and lane checked at once
#define THROTTLE_RECHECK_MS   20        //  retry interval while the cap holds
#define THROTTLE_RECORDS_MAX  100000    //  bound on remembered names and addresses

typedef struct _throttle_t throttle_t;

typedef enum { THROTTLE_CLEAN, THROTTLE_SUSPECT } throttle_lane_t;

//  Who tries: strings the caller owns (NULL reads as "").
typedef struct {
    const char *user;
    const char *address;        //  peer address (gate.h)
    const char *connection;     //  the connection (its routing id as hex)
} throttle_login_t;

//  base_ms, max_ms: 0 for the defaults above.
throttle_t *throttle_new (int base_ms, int max_ms);
void throttle_destroy (throttle_t **self_p);

//  The lane of an attempt now: SUSPECT when its user name or connection
//  has failed within the quiet period.
throttle_lane_t throttle_lane (throttle_t *self, const throttle_login_t *login, int64_t now);

//  Milliseconds until a login may be checked in `lane`; 0 now.
int64_t throttle_wait (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane,
                       int64_t now);

//  A login's check starts / ends in lane (pair them with the same lane,
//  whatever the outcome).
void throttle_begin (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane);
void throttle_end (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane);

//  A failed login checked in lane: returns the delay now imposed (ms) on
//  its name, its connection and its address's lane.
int64_t throttle_failed (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane,
                         int64_t now);

//  A correct password: forget the user name's and the connection's failures.
void throttle_succeeded (throttle_t *self, const throttle_login_t *login);

//  Forget records quiet for long enough. Returns how many remain.
size_t throttle_purge (throttle_t *self, int64_t now);

//  Failures on record (tests, logs): kind 'u' a user name, 'c' a
//  connection, 'a' an address's suspect lane, 'f' its clean lane.
unsigned throttle_failures (throttle_t *self, char kind, const char *name);

#endif
