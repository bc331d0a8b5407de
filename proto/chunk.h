/*  chunk.h - a Message followed by one raw data frame.

    Download chunks travel as two frames: a small protobuf header and the
    bytes themselves, so that nobody on the way has to decode or copy the
    data (the broker moves the zmq_msg_t from one socket to the other).
    Every other Message is a single frame (wire.h).
*/
#ifndef FSH_CHUNK_H_INCLUDED
#define FSH_CHUNK_H_INCLUDED

//  Send msg, then the data frame, never blocking. `routing_id` (may be NULL)
//  addresses a ROUTER peer. The data is moved: on return *data is empty,
//  whether the send worked or not. Returns 0, or -1 with errno.
int fsh_chunk_send (const Fshare__Message *msg, zsock_t *sock,
                    const void *routing_id, size_t routing_id_size, zmq_msg_t *data);

//  Receive one Message and, when a second frame follows, that frame into
//  *data (initialised here either way; the caller closes it). Messages of
//  more than two frames, and malformed ones, give NULL (logged by the
//  caller). `frames` gets how many frames arrived (0 when interrupted or
//  nothing was waiting with ZMQ_DONTWAIT).
Fshare__Message *fsh_chunk_recv (zsock_t *sock, int flags, zmq_msg_t *data, int *frames);

//  As fsh_chunk_recv, and `look` sees the first frame before it is closed
//  (to read its metadata properties: zmq_msg_gets).
typedef void (fsh_frame_fn) (zmq_msg_t *frame, void *arg);
Fshare__Message *fsh_chunk_recv_with (zsock_t *sock, int flags, zmq_msg_t *data, int *frames,
                                      fsh_frame_fn *look, void *arg);

//  As fsh_chunk_recv_with, but the first frame is decoded whatever the
//  frame count: a message of more than two frames is malformed, yet its id
//  and body still say which request or transfer it breaks, which the
//  caller then ends (rather than leave it to stall). Likewise a message
//  with a NUL in a string comes back with *tainted set (fsh_msg_decode_
//  tainted), for the caller to refuse as malformed; `tainted` NULL drops
//  it instead.
Fshare__Message *fsh_chunk_recv_any (zsock_t *sock, int flags, zmq_msg_t *data, int *frames,
                                     fsh_frame_fn *look, void *arg, bool *tainted);

//  Process-wide malloc thresholds for a process that moves chunks (the
//  broker, an agent): freed chunk buffers are kept for the next ones.
//  Call early: it holds for what is allocated after it.
void fsh_chunk_malloc_policy (void);

#endif
