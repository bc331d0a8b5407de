/*  outbox.h - what the agent still has to tell the broker, sent as fast as
    the broker takes it (back-pressure, never session loss: SPEC 4.2).

    The session's Publish pages and host-directory changes wait here, in
    order; the link sends from the head while the window is open. The
    window: at most OUTBOX_WINDOW messages, and OUTBOX_WINDOW_BYTES, sent
    and not yet acknowledged. The acknowledgement is the Pong to a Ping
    sent behind them: the broker handles one DEALER's requests in order, so
    a pong proves that every request before its ping was handled. The
    window keeps the DEALER's queue far below its high-water mark, so a
    burst of 100,000 changes never makes a send fail, and the downloads
    that share the DEALER keep moving.

    A change for a path that is still queued is merged into that entry
    (added then changed: added; added then removed: nothing; removed then
    added: changed; changed then removed: removed), unless a rename has
    been queued since, which keeps the order of everything around it. The
    queue is thus bounded by the number of paths however long the burst;
    the host directory's own table stays the truth for the next login.
*/
#ifndef OUTBOX_H_INCLUDED
#define OUTBOX_H_INCLUDED

#include "hostdir.h"

#define OUTBOX_WINDOW        1000                //  messages in flight
#define OUTBOX_WINDOW_BYTES  (8 * 1024 * 1024)   //  bytes in flight

typedef struct _outbox_t outbox_t;

outbox_t *outbox_new (void);
void outbox_destroy (outbox_t **self_p);

//  Queue a packed Message (a Publish page), or a change; both are taken.
void outbox_add_frame (outbox_t *self, zframe_t **frame_p);
void outbox_add_change (outbox_t *self, hostdir_change_t **change_p);

//  The session ended: forget the queue and the window.
void outbox_clear (outbox_t *self);
size_t outbox_size (outbox_t *self);

//  The head of the queue: a frame or a change (the other NULL); false
//  when the queue is empty. The items stay the outbox's.
bool outbox_head (outbox_t *self, zframe_t **frame, hostdir_change_t **change);

//  The head was sent, `bytes` long: drop it and count it in the window.
void outbox_pop (outbox_t *self, size_t bytes);

//  Whether more may be sent now.
bool outbox_window_open (outbox_t *self);

//  Whether a Ping should follow what was sent since the last one.
bool outbox_ack_due (outbox_t *self);

//  A Ping with this id was sent after everything counted so far / the
//  Pong to `id` arrived (every ping up to it is answered).
void outbox_ping (outbox_t *self, uint64_t id);
void outbox_pong (outbox_t *self, uint64_t id);

//  Messages sent and not yet acknowledged.
size_t outbox_unacked (outbox_t *self);

#endif
