/*  subscriptions.c - who may subscribe to what on the event socket.
    See subscriptions.h.
*/
#include "subscriptions.h"
#include <string.h>

static const char *s_topics [] = { "presence", "files", "stats" };

void
subscriptions_setup (zsock_t *pub)
{
    assert (zsock_type (pub) == ZMQ_XPUB);
    zsock_set_xpub_manual (pub, 1);
    zsock_set_maxmsgsize (pub, SUBSCRIPTIONS_MAX_MESSAGE);
}

bool
subscriptions_allowed (const void *topic, size_t size)
{
    for (size_t index = 0; index < sizeof s_topics / sizeof s_topics [0]; index++)
        if (size <= strlen (s_topics [index]) && memcmp (topic, s_topics [index], size) == 0)
            return true;
    return false;
}

//  One frame: apply it when allowed. libzmq applies a (un)subscribe to
//  the connection the last frame read came from, so this runs before the
//  next read.
static bool
s_take_one (zsock_t *pub, zmq_msg_t *msg)
{
    size_t size = zmq_msg_size (msg);
    const char *data = (const char *) zmq_msg_data (msg);
    if (zmq_msg_more (msg) || size < 1 || (data [0] != 0 && data [0] != 1)
    ||  !subscriptions_allowed (data + 1, size - 1))
        return false;
    //  (CZMQ's setters are for SUB sockets only)
    int option = data [0] == 1? ZMQ_SUBSCRIBE: ZMQ_UNSUBSCRIBE;
    return zmq_setsockopt (zsock_resolve (pub), option, data + 1, size - 1) == 0;
}

void
subscriptions_take (zsock_t *pub, fsh_ratelog_t *ratelog, size_t *accepted, size_t *refused)
{
    for (int count = 0; count < SUBSCRIPTIONS_BATCH; count++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, zsock_resolve (pub), ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (&msg);
            break;
        }
        bool taken = zmq_msg_size (&msg) <= SUBSCRIPTIONS_MAX_MESSAGE && s_take_one (pub, &msg);
        if (!taken && ratelog)
            fsh_ratelog_warning (ratelog, "events",
                                 "dropped a subscription to a topic fshare does not publish "
                                 "(%zu bytes)", zmq_msg_size (&msg));
        zmq_msg_close (&msg);
        if (taken && accepted)
            (*accepted)++;
        if (!taken && refused)
            (*refused)++;
    }
}
