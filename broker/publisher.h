/*  publisher.h - what the broker tells: the event stream and snapshots.

    Every event is stamped with the broker's instance id and the next
    sequence number (SPEC 4.4) and sent on the PUB socket, whose
    high-water mark is set here so that a subscriber that never reads
    costs at most FSH_SUBSCRIBER_BYTES (events are at most
    FSH_EVENT_MAX_BYTES: join lists go in pages of FSH_EVENT_PAGE_BYTES,
    cut by proto/pager.h); beyond it libzmq drops that subscriber's
    events, it sees a gap and recovers by snapshot. A snapshot is the
    whole state at the current sequence number, in pages sent back to
    back on the ROUTER (the broker's loop does nothing else meanwhile, so
    the pages agree); a page holds as many users as its budget takes, so
    a crowd of small users costs a few messages, not one a user.
*/
#ifndef PUBLISHER_H_INCLUDED
#define PUBLISHER_H_INCLUDED

#include "fshare.h"
#include "session.h"
#include "snapflow.h"

typedef struct _publisher_t publisher_t;

//  Publishes on pub (not owned) as broker `id` (copied).
publisher_t *publisher_new (zsock_t *pub, const char *id);
void publisher_destroy (publisher_t **self_p);

//  The PUB high-water mark that keeps a subscriber within its bytes.
int publisher_hwm (void);

//  Last sequence number published.
uint64_t publisher_seq (publisher_t *self);

//  Stamp and publish one event.
void publisher_send (publisher_t *self, Fshare__Event *event);

//  A file event of `session` for `path` as its table now has it (removed:
//  the path alone); `from` for a rename.
void publisher_file (publisher_t *self, Fshare__EventType type, session_t *session,
                     const char *path, const char *from);

//  The join of `session` with its whole list, in pages (at least one).
void publisher_join (publisher_t *self, session_t *session);
void publisher_leave (publisher_t *self, session_t *session);

//  Reply to a Snapshot request: every online session of `online` (a list
//  of session_t), with the relay's counters, to routing_id on router, the
//  pages counted on `account` (snapflow.h).
void publisher_snapshot (publisher_t *self, zsock_t *router, zframe_t *routing_id,
                         snapflow_account_t *account,
                         uint64_t request_id, zlistx_t *online, uint64_t transfers,
                         uint64_t bytes_relayed);

#endif
