/*  monitor.h - the ROUTER's own account of connections that end.

    libzmq drops a connection by itself when a peer sends a frame above
    ZMQ_MAXMSGSIZE or breaks ZMTP, and says nothing on the socket: the
    DEALER reconnects with a new routing id and whatever was in flight is
    lost. The socket monitor (zmq_socket_monitor) reports each such end
    with the connection's descriptor, which the broker matches against the
    descriptor its sessions' messages came on (ZMQ_SRCFD, gate.h).
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
