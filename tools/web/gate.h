/*  gate.h - fshare-web's door: connections wait here until their request
    head has arrived whole, and only then go to the HTTP server.

    libmicrohttpd gives each connection a thread and a slot among
    SERVER_CONNECTIONS from the moment it is accepted, and forgets a slow
    one only when it has been idle for its timeout: anyone on the machine
    (no token needed) could hold every slot with connections that never
    finish their first line, or that send a byte every few seconds, and
    the page would answer no one. The gate accepts instead, and looks at
    what each connection sent without taking it (MSG_PEEK, SO_RCVLOWAT so
    that poll wakes only for more): a connection hands over once its head
    is complete (a blank line) or has reached GATE_HEAD_MAX (the server
    then refuses it), and is closed, with 408, when GATE_HEAD_MS pass
    first, however it trickles. At most GATE_PENDING wait; one more
    closes the oldest waiting, so the gate's own fds stay bounded too.
    A request line of more than GATE_ARGS_MAX query arguments gets 400
    from the gate: libmicrohttpd keeps each in its connection's memory
    pool and, out of it, closes the connection without a word (the
    server takes WEB_FORM_FIELDS at most anyway).
    One thread; the server is told of each connection by `pass`.
*/
#ifndef GATE_H_INCLUDED
#define GATE_H_INCLUDED

#include <stdbool.h>
#include <sys/socket.h>

#define GATE_PENDING    256         //  connections waiting for their head
#define GATE_HEAD_MS    10000       //  time to send a whole request head
#define GATE_HEAD_MAX   16384       //  bytes looked at for its end
#define GATE_ARGS_MAX   64          //  '&' or ';' in the request line

typedef struct _gate_t gate_t;

//  Hands a connection (its fd and peer address) on; the callee owns fd.
typedef void (gate_pass_fn) (void *arg, int fd, const struct sockaddr *address,
                             socklen_t length);

//  Starts the gate's thread on the listening socket (the gate takes it).
//  NULL when the thread cannot start (the socket is closed).
gate_t *gate_new (int listen_fd, gate_pass_fn *pass, void *arg);
//  Stops the thread; waiting connections are closed.
void gate_destroy (gate_t **self_p);

#endif
