/*  zmtp_sub.h - a bare ZMTP 3.0 subscriber for fshare-bench's simulated peers.

    fshare-bench events simulates many peers in one process. With a libzmq
    SUB socket each, the bench itself costs more CPU per delivered event
    than the broker (libzmq's I/O thread reads each connection, then wakes
    the application thread through one mailbox per socket), and on a small
    machine that cost is timed as if it were fshare's. A real peer pays it
    on its own machine, in parallel with every other peer. This subscriber
    speaks the ZMTP 3.0 wire protocol directly (NULL mechanism only: the
    bench runs without CURVE on loopback) over a plain non-blocking
    socket, so a delivery costs the bench one read.

    Only for the bench: no reconnection, no heartbeats, no CURVE.
*/
#ifndef ZMTP_SUB_H_INCLUDED
#define ZMTP_SUB_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct _zmtp_sub_t zmtp_sub_t;

//  Connect to a PUB at "tcp://HOST:PORT" or "ipc://PATH", do the ZMTP
//  handshake as a SUB and subscribe to everything. NULL (with *error set
//  to a static text) when anything fails within timeout_ms.
zmtp_sub_t *zmtp_sub_new (const char *endpoint, int timeout_ms, const char **error);
void zmtp_sub_destroy (zmtp_sub_t **self_p);

//  The socket, to wait on for input (non-blocking, level-triggered).
int zmtp_sub_fd (zmtp_sub_t *self);

//  Called for each whole message: its first frame (the topic) and its
//  last frame (the body; the same as the first for a one-frame message).
typedef void (zmtp_msg_fn) (void *arg, const uint8_t *topic, size_t topic_size,
                            const uint8_t *body, size_t body_size);

//  Read what has arrived, without waiting, and hand over every whole
//  message. Returns how many were handed over, or -1 when the connection
//  is closed or speaks something else.
int zmtp_sub_read (zmtp_sub_t *self, zmtp_msg_fn *fn, void *arg);

#endif
