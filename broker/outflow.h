/*  outflow.h - replies connections have not taken yet.

    Every request gets its answer, but a client that sends and never reads
    would have libzmq queue answer after answer for it, up to the ROUTER's
    high-water mark (FSH_SNDHWM, about 0.7 MB of small replies), and
    connections need no login: 1,000 that each sent 11,000 Pings with a
    made-up session and read nothing took the broker to 730 MB. So replies
    are counted per connection (inflight.h). A connection holding
    OUTFLOW_BACKLOG replies reads none: what it is sent more is dropped,
    and once none of its replies has moved for `stall_ms` its connection
    is shut down. And the replies of every connection together are held
    to `budget` bytes: beyond it, a connection holding OUTFLOW_SHARE of
    them is answered no more until they go, so deaf connections cannot
    spend the budget of those that read. Accounts of connections with
    nothing in flight are forgotten (outflow_expire). Snapshot pages are
    snapflow.h's; chunks are held by the requester's credit (relay.h).
*/
#ifndef OUTFLOW_H_INCLUDED
#define OUTFLOW_H_INCLUDED

#include "fshare.h"
#include "ratelog.h"

//  Replies one connection may hold: an honest agent has at most its
//  change window (1,000) unacknowledged, and reads them as they come
#define OUTFLOW_BACKLOG         4096
//  ...and once the budget is spent
#define OUTFLOW_SHARE           64
//  Bytes of replies in flight, every connection together
#define OUTFLOW_BUDGET_BYTES    (16 * 1024 * 1024)
//  What libzmq's queue costs a reply beyond its bytes (two message
//  slots, the routing id's and the reply's, and the allocation's header)
#define OUTFLOW_OVERHEAD        160

typedef struct _outflow_t outflow_t;

typedef enum {
    OUTFLOW_SENT,           //  on its way
    OUTFLOW_DEAF,           //  dropped: the connection reads none of its replies
    OUTFLOW_DEAF_NOW,       //  ...and this is the first one dropped since it read
    OUTFLOW_FAILED          //  libzmq refused it (errno)
} outflow_verdict_t;

//  Replies go out on router. A connection found deaf is warned of through
//  a ratelog of its own: the flood of requests that made it deaf must not
//  hide it from the log.
outflow_t *outflow_new (zsock_t *router, size_t budget, int64_t stall_ms);
void outflow_destroy (outflow_t **self_p);

//  Send msg to routing_id (ZMQ_DONTWAIT), counted on its connection's
//  account; `fd` is the connection's socket when known (-1: not known),
//  for outflow_expire to shut down.
outflow_verdict_t outflow_send (outflow_t *self, zframe_t *routing_id, int fd,
                                const Fshare__Message *msg);

//  Shut down each connection whose replies are dropped and none has moved
//  since `now - stall_ms` (logged), and forget accounts with nothing in
//  flight. Returns how many connections were shut down.
size_t outflow_expire (outflow_t *self, int64_t now);

//  The connection on socket fd ended (the ROUTER's monitor): its number
//  may be reused, so it is never shut down for replies of its own.
void outflow_disconnected (outflow_t *self, int fd);

//  Bytes of replies in flight, every connection together (overheads in).
size_t outflow_bytes (outflow_t *self);
//  Connections with an account (something in flight since the last expire).
size_t outflow_size (outflow_t *self);

#endif
