/*  monitor.h - a socket's own account of connections that end.

    libzmq drops a connection by itself when a peer sends a frame above
    ZMQ_MAXMSGSIZE or breaks ZMTP, or when the peer goes away, and says
    nothing on the socket. The socket monitor (zmq_socket_monitor) reports
    each such end with the connection's descriptor: the broker matches it
    against the descriptor its sessions' messages came on (ZMQ_SRCFD,
    gate.h); a control client learns that the agent it follows is gone.

    No thread of its own (CZMQ's zmonitor actor runs one, which asserts
    when a signal interrupts it): the events arrive on an inproc PAIR that
    the owner polls with its other sockets.
*/
#ifndef MONITOR_H_INCLUDED
#define MONITOR_H_INCLUDED

#include "fshare.h"

typedef struct _monitor_t monitor_t;

//  Monitor `sock` (disconnections and failed handshakes); `name` makes the
//  inproc endpoint unique in the process. NULL when libzmq refuses.
monitor_t *monitor_new (zsock_t *sock, const char *name);
void monitor_destroy (monitor_t **self_p);

//  The socket to poll.
zsock_t *monitor_socket (monitor_t *self);

//  One event, after monitor_socket is readable: 0 and *event
//  (ZMQ_EVENT_*), *value (the descriptor for a disconnection, the ZMTP
//  error for a failed handshake); -1 when nothing sensible was read.
int monitor_read (monitor_t *self, int *event, int *value);

#endif
