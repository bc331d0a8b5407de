/*  chunk.c - a Message followed by one raw data frame. See chunk.h. */
#include "fshare.h"
#include "chunk.h"
#include <malloc.h>

int
fsh_chunk_send (const Fshare__Message *msg, zsock_t *sock,
                const void *routing_id, size_t routing_id_size, zmq_msg_t *data)
{
    void *handle = zsock_resolve (sock);
    int rc = -1;
    if (routing_id
    &&  zmq_send (handle, routing_id, routing_id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
        goto done;
    //  Once the first frame is taken, the others are too: a multipart
    //  message is queued whole or not at all.
    size_t size = protobuf_c_message_get_packed_size (&msg->base);
    zmq_msg_t header;
    if (zmq_msg_init_size (&header, size))
        goto done;
    protobuf_c_message_pack (&msg->base, (uint8_t *) zmq_msg_data (&header));
    if (zmq_msg_send (&header, handle, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
        zmq_msg_close (&header);
        goto done;
    }
    if (zmq_msg_send (data, handle, ZMQ_DONTWAIT) == -1)
        goto done;
    zmq_msg_init (data);
    return 0;
done:;
    int saved = errno;
    zmq_msg_close (data);
    zmq_msg_init (data);
    errno = saved;
    return rc;
}

Fshare__Message *
fsh_chunk_recv (zsock_t *sock, int flags, zmq_msg_t *data, int *frames)
{
    return fsh_chunk_recv_with (sock, flags, data, frames, NULL, NULL);
}

Fshare__Message *
fsh_chunk_recv_with (zsock_t *sock, int flags, zmq_msg_t *data, int *frames,
                     fsh_frame_fn *look, void *arg)
{
    bool tainted;
    Fshare__Message *msg = fsh_chunk_recv_any (sock, flags, data, frames, look, arg, &tainted);
    if (*frames > 2 || tainted)
        fsh_msg_destroy (&msg);
    return msg;
}

Fshare__Message *
fsh_chunk_recv_any (zsock_t *sock, int flags, zmq_msg_t *data, int *frames,
                    fsh_frame_fn *look, void *arg, bool *tainted)
{
    void *handle = zsock_resolve (sock);
    bool nul = false;
    if (tainted)
        *tainted = false;
    zmq_msg_init (data);
    *frames = 0;
    zmq_msg_t header;
    zmq_msg_init (&header);
    if (zmq_msg_recv (&header, handle, flags) == -1) {
        zmq_msg_close (&header);
        return NULL;
    }
    if (look)
        look (&header, arg);
    *frames = 1;
    bool more = zmq_msg_more (&header);
    if (more) {
        //  The rest of a multipart message is already here
        zmq_msg_recv (data, handle, 0);
        *frames = 2;
        more = zmq_msg_more (data);
    }
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init (&extra);
        zmq_msg_recv (&extra, handle, 0);
        more = zmq_msg_more (&extra);
        zmq_msg_close (&extra);
        (*frames)++;
    }
    Fshare__Message *msg = fsh_msg_decode_tainted ((const byte *) zmq_msg_data (&header),
                                                   zmq_msg_size (&header), &nul);
    zmq_msg_close (&header);
    if (nul && !tainted)
        fsh_msg_destroy (&msg);
    else
    if (nul)
        *tainted = msg != NULL;
    return msg;
}

void
fsh_chunk_malloc_policy (void)
{
    //  Every chunk is a fresh zmq message of up to 1 MiB, allocated by
    //  libzmq's I/O thread (or the agent's reader) and freed once sent on
    //  or written. Left to its defaults, malloc gives each one fresh pages
    //  (mmap above 128 KiB, or a heap trimmed back after every free), and
    //  the first touches of new pages then cost more than the relay or the
    //  hashing. Keep freed buffers for reuse.
    mallopt (M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt (M_TRIM_THRESHOLD, 32 * 1024 * 1024);
}
