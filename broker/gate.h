/*  gate.h - who may connect to a CURVE broker (SPEC 6), as a ZAP handler.

    libzmq asks the ZAP handler of the process (a REP socket bound to
    inproc://zeromq.zap.01, one per ZeroMQ context) about every CURVE
    handshake. The gate answers from the broker's own loop, so what it knows
    is always in step with the sessions:
      domain "requests" (the ROUTER): any CURVE client may connect; the
          password is checked inside the encrypted channel. The user id
          handed back is the client's public key, which the broker reads on
          every request (gate_caller_read).
      domain "events" (the PUB): only the keys of logged-in sessions
          (gate_admit at login, gate_forget when the session ends).
    Without CURVE there is no gate: the broker does not create one. With or
    without it, gate_recv tells the broker who sent each request (key and
    peer address, for the login throttle).
*/
#ifndef GATE_H_INCLUDED
#define GATE_H_INCLUDED

#include "fshare.h"
#include "curve.h"

#define GATE_ENDPOINT "inproc://zeromq.zap.01"

//  The client behind a request, from the properties libzmq attaches to
//  each frame it receives: CURVE public key (Z85; empty without CURVE)
//  and peer address (the IP for TCP, ":uid:gid:pid" for ipc; may be empty),
//  and the connection's descriptor (-1 when unknown), which is what the
//  socket monitor names a dropped connection by.
typedef struct {
    char key [FSH_CURVE_KEY_LEN + 1];
    char address [96];
    int fd;
} gate_caller_t;

void gate_caller_read (gate_caller_t *caller, zmq_msg_t *frame);

//  The rest of a request on the broker's ROUTER after its routing-id
//  frame: fsh_chunk_recv (chunk.h), plus the caller read from the header
//  frame. (libzmq attaches no properties to a routing-id frame that a
//  poll has prefetched, so they must come from the body.)
//  *tainted as fsh_chunk_recv_any's: a NUL in a string, to be refused.
Fshare__Message *gate_recv (zsock_t *router, zmq_msg_t *data, int *frames,
                            gate_caller_t *caller, bool *tainted);

typedef struct _gate_t gate_t;

//  Bind the handler. NULL with *error (caller frees) when another handler
//  is already bound in this process (a second CURVE broker).
gate_t *gate_new (bool verbose, char **error);
void gate_destroy (gate_t **self_p);

//  The socket for the owner's loop; gate_handle answers one request.
zsock_t *gate_socket (gate_t *self);
void gate_handle (gate_t *self);

//  Session `token` logged in with client key `key` (Z85): that key may
//  subscribe to events from now on. An empty key (no CURVE) is ignored.
void gate_admit (gate_t *self, const char *token, const char *key);

//  Session `token` ended: its key may no longer subscribe, unless another
//  live session has the same key. Already-open connections stay (libzmq
//  cannot drop one connection of a socket).
void gate_forget (gate_t *self, const char *token);

//  Whether key may subscribe now.
bool gate_admits (gate_t *self, const char *key);

//  Handshakes refused so far (tests, stats).
uint64_t gate_refused (gate_t *self);

#endif
