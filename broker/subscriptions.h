/*  subscriptions.h - who may subscribe to what on the event socket.

    The broker publishes on an XPUB socket in manual mode: libzmq hands
    each subscription to us instead of storing it, and stores only those
    we accept. A plain PUB keeps every prefix any subscriber sends, in a
    trie that grows with what a client says (ten subscriptions of 1 MB of
    random bytes cost the broker some 300 MB, for as long as the
    connection lasted). Accepted: a prefix of a topic fshare publishes
    ("presence", "files", "stats"), the empty one (everything) included;
    any other subscription is dropped (logged, a bounded number a
    second), and a frame of more than 4 KiB ends the connection
    (SUBSCRIPTIONS_MAX_MESSAGE, libzmq's ZMQ_MAXMSGSIZE).
*/
#ifndef SUBSCRIPTIONS_H_INCLUDED
#define SUBSCRIPTIONS_H_INCLUDED

#include "fshare.h"
#include "ratelog.h"

//  A (un)subscription frame: one byte, then the topic; or, from a ZMTP
//  3.1 peer, a SUBSCRIBE command (ten bytes, then the topic). The limit
//  holds for the handshake too, and CURVE's INITIATE (vouch, metadata) is
//  some hundreds of bytes: room for it. A junk topic within it is
//  refused, not kept.
#define SUBSCRIPTIONS_MAX_MESSAGE   4096
//  Frames taken per call: the loop's other readers get their turn
#define SUBSCRIPTIONS_BATCH         256

//  Make pub (an XPUB, not yet bound) take subscriptions by hand.
void subscriptions_setup (zsock_t *pub);

//  Take the subscriptions waiting on pub (at most SUBSCRIPTIONS_BATCH).
//  Adds the frames accepted and refused to the counts (either may be NULL).
void subscriptions_take (zsock_t *pub, fsh_ratelog_t *ratelog,
                         size_t *accepted, size_t *refused);

//  Whether `topic` (size bytes, not NUL-terminated) may be subscribed to.
bool subscriptions_allowed (const void *topic, size_t size);

#endif
