/*  snapflow.h - snapshots connections have not taken yet.

    A snapshot is the whole state in pages of up to FSH_PAGE_BYTES. A
    client that asks again and again and never reads would have libzmq
    queue snapshot after snapshot for it, up to the ROUTER's high-water
    mark (FSH_SNDHWM pages: 640 MiB for one connection). So the pages are
    sent with a free callback: libzmq frees a message once it is written
    to the connection (or dropped with it), and each connection's account
    counts its pages still inside the broker. A connection gets its next
    snapshot only when its previous one is out; a request meanwhile waits
    (one per connection, the newest) and is answered once it is.

    That bounds one connection, not a crowd of them: a snapshot needs no
    session without CURVE, so each of N connections that asks once and
    never reads held a whole snapshot (N = 300 with 20,000 long paths:
    905 MB). So the pages of every connection together are counted too:
    once `budget` bytes are in flight, a new snapshot is refused `busy`
    (the client asks again a moment later), and a snapshot whose pages
    have not moved for `stall_ms` is dropped with its connection, so
    connections that never read cannot hold the budget from a client that
    does. In flight at most: the budget plus the one snapshot that crossed
    it.
*/
#ifndef SNAPFLOW_H_INCLUDED
#define SNAPFLOW_H_INCLUDED

#include "fshare.h"

//  Snapshot pages in flight across every connection, beyond which new
//  snapshots are refused busy: sixteen snapshots of 20,000 200-byte paths
#define SNAPFLOW_BUDGET_BYTES   (64 * 1024 * 1024)

typedef struct _snapflow_t snapflow_t;
typedef struct _snapflow_account_t snapflow_account_t;

//  What became of a request (snapflow_admit)
typedef enum {
    SNAPFLOW_SEND,          //  send it now, on the account returned
    SNAPFLOW_WAITS,         //  its connection still holds its previous one
    SNAPFLOW_REPLACED,      //  ...and it took the place of one that waited
    SNAPFLOW_BUSY           //  the budget is spent: answer busy
} snapflow_verdict_t;

//  Answer a waiting request now (snapflow_release).
typedef void (snapflow_fn) (void *arg, zframe_t *routing_id, uint64_t request_id);

//  `budget` bytes of pages in flight in all; a snapshot whose pages have
//  not moved for `stall_ms` is dropped (snapflow_expire).
snapflow_t *snapflow_new (size_t budget, int64_t stall_ms);
void snapflow_destroy (snapflow_t **self_p);

//  The account to count a snapshot for routing_id on (SNAPFLOW_SEND), or
//  NULL with why not in *verdict. `fd` is the connection's socket (-1:
//  unknown), which snapflow_expire shuts down if the snapshot stalls.
snapflow_account_t *snapflow_admit (snapflow_t *self, zframe_t *routing_id, int fd,
                                    uint64_t request_id, snapflow_verdict_t *verdict);

//  Send msg to the account's connection on router (ZMQ_DONTWAIT), counted
//  on account.
int snapflow_send (snapflow_account_t *account, const Fshare__Message *msg, zsock_t *router);

//  Answer (fn) each waiting request whose connection is clear now, and
//  forget the accounts with nothing queued and nothing waiting.
void snapflow_release (snapflow_t *self, snapflow_fn *fn, void *arg);

//  Shut down the connection of each snapshot whose pages have not moved
//  since `now - stall_ms` (libzmq then frees them). Returns how many.
size_t snapflow_expire (snapflow_t *self, int64_t now);

//  The connection on socket fd ended (the ROUTER's monitor): its number
//  may be reused, so it is never shut down for a snapshot of its own.
void snapflow_disconnected (snapflow_t *self, int fd);

//  Requests waiting.
size_t snapflow_waiting (snapflow_t *self);

//  Bytes of pages in flight, every connection together.
size_t snapflow_bytes (snapflow_t *self);

#endif
