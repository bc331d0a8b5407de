/*  inflight.h - what libzmq still holds of what the broker sent one
    connection.

    A ROUTER queues for each peer up to its high-water mark and never says
    how much it holds. A message sent through an account carries a free
    callback: libzmq calls it once the message is written to the
    connection (or dropped with it), in its I/O thread. So the account
    counts the messages still inside the broker and knows when one last
    left. The accounts of one pool add their bytes up, for a budget over
    every connection together. An account is shared with the I/O thread:
    it lives until its holder lets go and its last message is freed.
    A ROUTER cannot drop one peer's queue, but libzmq ends a connection
    whose socket is shut down, and frees what it queued (inflight_shutdown).
    Used by snapflow.h (snapshot pages) and outflow.h (replies).
*/
#ifndef INFLIGHT_H_INCLUDED
#define INFLIGHT_H_INCLUDED

#include "fshare.h"

typedef struct _inflight_pool_t inflight_pool_t;
typedef struct _inflight_t inflight_t;

inflight_pool_t *inflight_pool_new (void);
//  Lets go of the pool: it goes with its last account.
void inflight_pool_destroy (inflight_pool_t **self_p);
//  Bytes in flight, every account of the pool together.
size_t inflight_pool_bytes (inflight_pool_t *self);

//  An account for the connection routing_id (copied), in pool.
inflight_t *inflight_new (inflight_pool_t *pool, zframe_t *routing_id);
//  Lets go of the account: it goes once libzmq freed its last message.
void inflight_destroy (inflight_t **self_p);

//  Send msg to the account's connection on router (ZMQ_DONTWAIT),
//  counted as its packed size plus `overhead` bytes (what libzmq's queue
//  costs beyond the bytes). 0, or -1 with errno (nothing counted then).
int inflight_send (inflight_t *self, const Fshare__Message *msg, size_t overhead,
                   zsock_t *router);

//  Messages libzmq has not freed yet.
size_t inflight_messages (inflight_t *self);
//  When a message last left (zclock_mono), or when inflight_touch said.
int64_t inflight_moved (inflight_t *self);
void inflight_touch (inflight_t *self, int64_t now);

zframe_t *inflight_routing_id (inflight_t *self);
//  The connection's socket, for inflight_shutdown; -1: unknown.
void inflight_set_fd (inflight_t *self, int fd);
int inflight_fd (inflight_t *self);
//  Shut the connection's socket down (libzmq ends it and frees its
//  queue). True when it was done; the fd is forgotten either way.
bool inflight_shutdown (inflight_t *self);

#endif
