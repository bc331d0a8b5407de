/*  lobby.h - logins waiting for their turn, refusals waiting to go out.

    The login throttle (throttle.h) says how long an attempt must wait;
    the lobby does the waiting on the broker's zloop, never blocking it:
    a held login is handed back to the broker when its time comes (the
    broker then asks the throttle again), a refusal is sent when its delay
    is over. Held logins are bounded per peer address and lane (throttle.h)
    and in all, so a flood of them costs a bounded amount of memory; and
    since a suspect login (its name or connection failed lately) counts
    only against its address's suspect lane, and suspect logins may take
    only LOBBY_SUSPECT_MAX of the lobby, a flood of failing logins leaves
    room for clean ones, even from the same address.

    Refusals waiting to go out count against neither: each follows a
    password check, so the hasher's rate times the longest delay bounds
    them.
*/
#ifndef LOBBY_H_INCLUDED
#define LOBBY_H_INCLUDED

#include "fshare.h"
#include "gate.h"
#include "throttle.h"
#include "outflow.h"

//  Generous per address and lane: a broker restart makes every agent
//  behind one NAT log in again at once. Beyond it a login is answered
//  FSH_ERR_BUSY.
#define LOBBY_HELD_PER_ADDRESS  64
#define LOBBY_HELD_MAX          1024    //  held logins in all
#define LOBBY_SUSPECT_MAX       768     //  of which suspect ones

typedef struct _lobby_t lobby_t;

//  Called with a held login when its wait is over. msg and routing_id are
//  the lobby's: valid during the call only.
typedef void (lobby_fn) (void *arg, zframe_t *routing_id, Fshare__Message *msg,
                         const gate_caller_t *caller);

lobby_t *lobby_new (zloop_t *loop, outflow_t *outflow, lobby_fn *release, void *arg);
//  After the loop has been destroyed, or at least stopped for good: timers
//  still armed point at the lobby's items.
void lobby_destroy (lobby_t **self_p);

//  Logins held per address and lane at most (at least 1);
//  LOBBY_HELD_PER_ADDRESS until set.
void lobby_set_per_address (lobby_t *self, int held);

//  Hold a Login msg (a copy of its id and login fields only, wiped when
//  freed) for delay_ms, in the throttle's lane for it. -1 when the
//  caller's address has that lane full, or the lobby has (or msg is not a
//  Login): the caller refuses the login.
int lobby_hold (lobby_t *self, zframe_t *routing_id, const Fshare__Message *msg,
                const gate_caller_t *caller, throttle_lane_t lane, int64_t delay_ms);

//  Send status=ERROR with `error` (static text) to routing_id after delay_ms.
void lobby_refuse_later (lobby_t *self, zframe_t *routing_id, uint64_t request_id,
                         fsh_err_t code, const char *error, int64_t delay_ms);

//  Items waiting (held logins and pending refusals).
size_t lobby_size (lobby_t *self);

//  Logins held in lane.
size_t lobby_held (lobby_t *self, throttle_lane_t lane);

#endif
