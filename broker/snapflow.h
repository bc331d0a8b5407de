/*  snapflow.h - snapshots a connection has not taken yet.

    A snapshot is the whole state in pages of up to FSH_PAGE_BYTES. A
    client that asks again and again and never reads would have libzmq
    queue snapshot after snapshot for it, up to the ROUTER's high-water
    mark (FSH_SNDHWM pages: 640 MiB for one connection). So the pages are
    sent with a free callback: libzmq frees a message once it is written
    to the connection (or dropped with it), and each connection's account
    counts its pages still inside the broker. A connection gets its next
    snapshot only when its previous one is out; a request meanwhile waits
    (one per connection, the newest) and is answered once it is.
*/
#ifndef SNAPFLOW_H_INCLUDED
#define SNAPFLOW_H_INCLUDED

#include "fshare.h"

typedef struct _snapflow_t snapflow_t;
typedef struct _snapflow_account_t snapflow_account_t;

//  Answer a waiting request now (snapflow_release).
typedef void (snapflow_fn) (void *arg, zframe_t *routing_id, uint64_t request_id);

snapflow_t *snapflow_new (void);
void snapflow_destroy (snapflow_t **self_p);

//  The account to count a snapshot for routing_id on, or NULL when that
//  connection still holds part of its previous one: then the request
//  waits, and *replaced says whether it took the place of one that was
//  waiting already (a client asking again without reading).
snapflow_account_t *snapflow_admit (snapflow_t *self, zframe_t *routing_id,
                                    uint64_t request_id, bool *replaced);

//  Send msg to routing_id on router (ZMQ_DONTWAIT), counted on account.
int snapflow_send (snapflow_account_t *account, const Fshare__Message *msg, zsock_t *router,
                   zframe_t *routing_id);

//  Answer (fn) each waiting request whose connection is clear now, and
//  forget the accounts with nothing queued and nothing waiting.
void snapflow_release (snapflow_t *self, snapflow_fn *fn, void *arg);

//  Requests waiting.
size_t snapflow_waiting (snapflow_t *self);

#endif
