/*  socknew.c - a ZeroMQ socket made without CZMQ's abort. See socknew.h.

    The look is an eventfd each, what libzmq's mailbox takes: closing
    them is immediate, unlike a probe socket's zmq_close, whose
    descriptor (and slot among ZMQ_MAX_SOCKETS) libzmq's reaper thread
    releases later, so a probe socket would itself take the room.
*/
#include "socknew.h"
#include <sys/eventfd.h>
#include <sys/resource.h>

zsock_t *
fsh_socket_new (int type)
{
    int spare [FSH_SOCKET_SPARE_FDS];
    size_t held = 0;
    while (held < FSH_SOCKET_SPARE_FDS
    &&    (spare [held] = eventfd (0, EFD_CLOEXEC)) >= 0)
        held++;
    int error = errno;
    for (size_t i = 0; i < held; i++)
        close (spare [i]);
    if (held < FSH_SOCKET_SPARE_FDS) {
        errno = error == ENFILE || error == EMFILE? EMFILE: error;
        return NULL;
    }
    return zsock_new (type);
}

void
fsh_sockets_limit (void)
{
    struct rlimit limit;
    size_t wanted = 1024;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
    &&  limit.rlim_cur > wanted)
        wanted = (size_t) limit.rlim_cur;
    //  libzmq's own ceiling (ZMQ_SOCKET_LIMIT) is 65535 on Linux
    if (wanted > 65535)
        wanted = 65535;
    zsys_set_max_sockets (wanted);
}
