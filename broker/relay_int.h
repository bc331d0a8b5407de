/*  relay_int.h - the inside of the relay (relay.h), shared by its two
    files: relay.c starts transfers and carries their messages; relay_ends.c
    ends them when no message of theirs does (a stall, a side gone) and
    sorts out messages for transfers that are not the sender's. Nobody
    else includes it.
*/
#ifndef RELAY_INT_H_INCLUDED
#define RELAY_INT_H_INCLUDED

#include "relay.h"
#include "receipt.h"

typedef enum {
    XFER_OPENING,               //  Serve sent, waiting for Opened
    XFER_RUNNING,               //  chunks flow against credit
    XFER_FINISHING              //  last chunk relayed, waiting for Done
} xfer_state_t;

typedef struct {
    uint64_t id;                //  the key
    session_t *requester;
    session_t *owner;
    uint64_t request_id;        //  the requester's Get
    char *path;
    xfer_state_t state;
    uint64_t size;              //  from Opened
    uint64_t start;             //  first byte served
    uint64_t relayed;           //  bytes relayed since start
    uint64_t granted;           //  credit given by the requester (forwarded)
    uint64_t read;              //  of relayed, what the requester showed it read
    int64_t started;            //  zclock_mono at Get
    int64_t progress;           //  zclock_mono of the last step forward
    uint64_t marked;            //  relayed at that step (RELAY_PROGRESS_BYTES)
    int64_t opened;             //  zclock_mono of the owner's Opened
} xfer_t;

struct _relay_t {
    zsock_t *router;
    zhashx_t *transfers;        //  &id -> xfer_t (owned)
    uint64_t next_id;
    uint64_t strays;            //  messages for transfers not the sender's
    uint64_t bytes;
    bool verbose;
    int max_per_requester;
    int max_per_owner;
    int64_t stall_ms;           //  a transfer without progress this long ends
    fsh_ratelog_t *ratelog;     //  the broker's
    receipt_t *receipts;        //  what chunks carry, credit returns
};

//  A warning through the broker's ratelog: bad input is logged, but a
//  flood of it does not flood the log.
void relay_complain (relay_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
//  Send on the ROUTER to a session; -1 (logged when verbose) if it cannot.
int relay_send_to (relay_t *self, session_t *session, Fshare__Message *msg);
//  End a transfer on both sides at once. `tell_owner`/`tell_requester`
//  are false for the side that asked for the end (or is gone).
void relay_cancel (relay_t *self, xfer_t *xfer, fsh_err_t code, const char *reason,
                   bool tell_owner, bool tell_requester);
//  A message for a transfer `id` that is not the sender's (xfer: the
//  transfer of that id, if any).
void relay_stray (relay_t *self, session_t *sender, Fshare__Message *msg, xfer_t *xfer,
                  uint64_t id);

#endif
