/*  relay.h - the broker's downloads: transfer table and credit accounting.

    A transfer joins a requester's session and an owner's session (SPEC 4.3,
    flow in proto/fshare.proto, "Downloads"). The relay asks the owner to
    serve, forwards the owner's answer, the requester's credit and the
    owner's chunks, and ends the transfer on both sides at once when either
    side cancels, breaks the protocol or goes away. It never holds data:
    a chunk's data frame is moved from the owner's socket to the
    requester's; credit bounds what is in flight per transfer, so no queue
    anywhere holds more than one window of a transfer.

    The broker resolves the sender's session and calls relay_handle for
    every transfer message; relay_session_gone must be called before a
    session is destroyed.
*/
#ifndef RELAY_H_INCLUDED
#define RELAY_H_INCLUDED

#include "fshare.h"
#include "session.h"
#include "ratelog.h"

//  Most credit a requester may hold unspent on one transfer; default
//  limits on a session's concurrent transfers (fshare-broker
//  --max-transfers, --max-serving).
#define RELAY_MAX_WINDOW        (16 * 1024 * 1024)
#define RELAY_MAX_PER_REQUESTER 32
#define RELAY_MAX_PER_OWNER     64
#define RELAY_STALL_TIMEOUT_MS  30000
#define RELAY_CHECK_BYTES_PER_MS 1024   //  slowest a partial file is read back
#define RELAY_PROGRESS_BYTES    FSH_PROGRESS_BYTES

typedef struct _relay_t relay_t;

//  Sends on the broker's ROUTER (ZMQ_DONTWAIT, mandatory routing); warns
//  of bad input through the broker's ratelog.
relay_t *relay_new (zsock_t *router, fsh_ratelog_t *ratelog, bool verbose);
void relay_destroy (relay_t **self_p);

//  Transfers in flight one session may have as requester and as owner
//  (each at least 1; the defaults above until set).
void relay_set_limits (relay_t *self, int per_requester, int per_owner);

//  A transfer that makes no progress for stall_ms (default
//  RELAY_STALL_TIMEOUT_MS) while one side owes the other a step ends on
//  both sides, FSH_ERR_STALLED ("owner stalled" / "requester stalled").
//  A requester still checking its partial file says so (Credit.checking),
//  which counts as progress while it owes credit: on a resumed transfer
//  only, and no longer than stall_ms plus the time to read the partial
//  file at RELAY_CHECK_BYTES_PER_MS.
void relay_set_stall_timeout (relay_t *self, int stall_ms);

//  End the transfers stalled at `now` (zclock_mono); the broker calls it
//  from a timer.
void relay_check_stalls (relay_t *self, int64_t now);

//  Start a transfer for a Get the broker has checked (owner online, file
//  published): asks the owner to serve it. Returns FSH_ERR_NONE, or the
//  code to answer the Get with (*error: a text for it, or NULL for the
//  code's own). An owner's --max-serving slots are shared fairly: when
//  they are all taken, a requester below its share (slots / requesters
//  asking that owner) takes one from the requester holding most, whose
//  newest idle transfer ends FSH_ERR_OWNER_BUSY. A Get whose id is that of
//  a transfer the requester still has is refused FSH_ERR_BAD_REQUEST.
fsh_err_t relay_start (relay_t *self, session_t *requester, session_t *owner,
                       uint64_t request_id, const Fshare__Get *get, const char **error);

//  True for the message kinds relay_handle takes (Opened, Credit, Chunk,
//  Done, Cancel).
bool relay_accepts (const Fshare__Message *msg);

//  A transfer message from `sender`; `data` is a Chunk's data frame (moved
//  on, or closed here), NULL for the others.
void relay_handle (relay_t *self, session_t *sender, Fshare__Message *msg, zmq_msg_t *data);

//  The same kinds, of the wrong shape (too many frames, a data frame on
//  anything but a Chunk): the transfer it names, if the sender's, ends
//  protocol_error on both sides at once rather than stall.
void relay_malformed (relay_t *self, session_t *sender, Fshare__Message *msg);

//  `session` ends: cancel each of its transfers, telling the other side
//  "<role> <user> <why>" (e.g. "owner alice logged out").
void relay_session_gone (relay_t *self, session_t *session, const char *why);

//  Transfers in progress, bytes relayed since start.
size_t relay_active (relay_t *self);
uint64_t relay_bytes (relay_t *self);

#endif
