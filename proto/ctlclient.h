/*  ctlclient.h - a client of an agent's control socket (SPEC 5).

    Every program that talks to a running agent (fshare-ctl, fshare-web,
    completion) finds the agent the same way and speaks the same exchange:
    a DEALER to the agent's ROUTER, one CtlRequest out, CtlReply pages back
    until one says more=false or is an error, each within a deadline.

    Which agent: the one named by --control (an endpoint), else the one of
    --user (its endpoint in the control directory), else "the only agent of
    this OS user that answers" (the *.ctl sockets of the control directory,
    probed all at once).

    A call returns an fsh_ctl_result_t and the caller decides what to say;
    nothing here prints. A stream (events, get) is a DEALER watched by a
    socket monitor, so that the agent going away ends it however long the
    agent may otherwise stay silent.
*/
#ifndef FSH_CTLCLIENT_H_INCLUDED
#define FSH_CTLCLIENT_H_INCLUDED

#include "fshare.h"

#define FSH_CTL_REQUEST_TIMEOUT_MS 5000    //  each reply of a request
#define FSH_CTL_PROBE_TIMEOUT_MS   300     //  is an agent alive?
//  The whole answer to a request (not a stream: events, get), however
//  often its replies come: an agent that keeps saying "more follow"
//  without ever ending (a broken one, or something posing as one) cannot
//  hold a client for ever. An honest agent answers in well under a second.
#define FSH_CTL_ANSWER_TIMEOUT_MS  60000
//  A get's stream may last for ever, but the agent speaks on it about
//  every 200 ms (progress, or a bare "still working"), stalled or not:
//  silence this long is an agent that is not running (stopped, hung),
//  which its connection going away does not show.
#define FSH_CTL_STREAM_SILENT_MS   30000

//  What one request may keep of its replies, at most, so that an agent
//  (a broken one, or something posing as one) that streams `more` replies
//  for ever cannot grow a client without bound. A reply costs its encoded
//  bytes plus FSH_CTL_REPLY_COST, and as much again for each of its files
//  and peers: about what it takes once decoded. The default keeps about
//  3 million files of `ls --all`; FSHARE_CTL_MAX_BYTES in the environment
//  sets another bound (bytes, at least 4096).
#define FSH_CTL_REPLIES_MAX_BYTES  (1ULL << 30)
#define FSH_CTL_REPLY_COST         256
//  Replies of a request that libzmq may hold before they are read and
//  counted (an agent's pages are 64 KiB: 4 MiB in flight, ample)
#define FSH_CTL_RCVHWM             64

typedef enum {
    FSH_CTL_OK,             //  replies received; the last may be an error reply
    FSH_CTL_NO_AGENT,       //  nobody listens on the endpoint (or none was found)
    FSH_CTL_SEVERAL,        //  several agents run: choose one
    FSH_CTL_TIMEOUT,        //  the agent did not answer within the deadline
    FSH_CTL_MALFORMED,      //  the agent sent something that is no CtlReply
    FSH_CTL_INTERRUPTED,    //  a signal ended the wait
    FSH_CTL_GONE,           //  stream: the agent's connection went away
    FSH_CTL_TOO_LARGE,      //  the replies went beyond fsh_ctl_replies_max
    FSH_CTL_NO_FDS          //  this process had no file descriptor for the socket
} fsh_ctl_result_t;

//  What FSH_CTL_NO_FDS means, for people (code busy): one text for every
//  client of the control socket.
#define FSH_CTL_NO_FDS_TEXT "no file descriptor left for a control socket (raise ulimit -n)"

//  The error code that says a result to scripts (SPEC 5.2): no_agent for
//  NO_AGENT, TIMEOUT and GONE, bad_request for SEVERAL (the request does
//  not say which agent), protocol_error for MALFORMED, cancelled for
//  INTERRUPTED, too_large for TOO_LARGE, busy for NO_FDS (the caller is
//  short of descriptors: nothing is said of the agent), none for OK.
fsh_err_t fsh_ctl_result_code (fsh_ctl_result_t result);

//  The code of an agent's error reply (internal when it carries none);
//  none for a reply that is no error.
fsh_err_t fsh_ctl_reply_code (const Fshare__CtlReply *reply);

typedef struct _fsh_ctlclient_t fsh_ctlclient_t;
typedef struct _fsh_ctlstream_t fsh_ctlstream_t;

//  --------------------------------------------------------------------------
//  The client: which agent, and one request to it

fsh_ctlclient_t *fsh_ctlclient_new (void);
void fsh_ctlclient_destroy (fsh_ctlclient_t **self_p);

//  Talk to this user's agent (endpoint from the control directory), or to
//  the agent on this endpoint (user may be NULL: unknown). Either string
//  NULL and the other NULL: forget the agent.
void fsh_ctlclient_set_agent (fsh_ctlclient_t *self, const char *user, const char *endpoint);

//  The agent's control endpoint and user; NULL until known.
const char *fsh_ctlclient_endpoint (fsh_ctlclient_t *self);
const char *fsh_ctlclient_user (fsh_ctlclient_t *self);

//  Makes sure an agent is chosen: keeps the one set, else takes the only
//  running agent. FSH_CTL_OK, FSH_CTL_NO_AGENT, FSH_CTL_SEVERAL or
//  FSH_CTL_NO_FDS (some control socket could not be asked); when
//  running_p is given it receives the running users (sorted; caller
//  destroys) whenever a search was made.
fsh_ctl_result_t fsh_ctlclient_find (fsh_ctlclient_t *self, zlistx_t **running_p);

//  Sends one request to the chosen agent and appends its replies
//  (Fshare__CtlReply, owned by the list; see fsh_ctl_replies_new) until the
//  last one. FSH_CTL_NO_AGENT at once when nobody listens on the endpoint;
//  FSH_CTL_TIMEOUT when a reply takes more than timeout_ms or the whole
//  answer more than FSH_CTL_ANSWER_TIMEOUT_MS;
//  FSH_CTL_TOO_LARGE as soon as the replies cost more than
//  fsh_ctl_replies_max (the rest are not read).
fsh_ctl_result_t fsh_ctlclient_call (fsh_ctlclient_t *self, const Fshare__CtlRequest *request,
                                     int timeout_ms, zlistx_t *replies);

//  True when nobody listens on the chosen endpoint (or none is chosen).
bool fsh_ctlclient_dead (fsh_ctlclient_t *self);

//  --------------------------------------------------------------------------
//  Building blocks, also for programs that manage several agents

//  A list that owns Fshare__CtlReply items.
zlistx_t *fsh_ctl_replies_new (void);
void fsh_ctl_reply_free (Fshare__CtlReply **reply_p);

//  The bound on one request's replies: FSHARE_CTL_MAX_BYTES, else
//  FSH_CTL_REPLIES_MAX_BYTES. And what one reply costs against it.
uint64_t fsh_ctl_replies_max (void);
uint64_t fsh_ctl_reply_cost (const Fshare__CtlReply *reply);

//  True when the endpoint is an ipc socket nobody listens on, or a path
//  no socket can be at (through a regular file, too long, not a socket):
//  answers at once instead of waiting out a request deadline, and never
//  waits itself (a listener whose backlog is full, a stopped agent, is
//  alive; so is any endpoint while we are short of descriptors).
bool fsh_ctl_endpoint_dead (const char *endpoint);

//  The process listening on an ipc endpoint, as this process's pid
//  namespace numbers it (the kernel's SO_PEERCRED), or 0 when that is not
//  known (not ipc, nobody listens, another namespace).
pid_t fsh_ctl_endpoint_pid (const char *endpoint);

//  One exchange with the agent on `endpoint` (see fsh_ctlclient_call):
//  each reply within timeout_ms, the whole answer within
//  FSH_CTL_ANSWER_TIMEOUT_MS, else FSH_CTL_TIMEOUT.
fsh_ctl_result_t fsh_ctl_exchange (const char *endpoint, const Fshare__CtlRequest *request,
                                   int timeout_ms, zlistx_t *replies);

//  The agent's status reply (agent set) within the deadline, or NULL.
Fshare__CtlReply *fsh_ctl_probe (const char *endpoint, int timeout_ms);
//  The same, saying why there is none: FSH_CTL_NO_FDS when this process
//  could not make the socket, else the exchange's result (NO_AGENT when
//  nobody listens; OK with a reply that is no status: MALFORMED).
Fshare__CtlReply *fsh_ctl_probe_why (const char *endpoint, int timeout_ms,
                                     fsh_ctl_result_t *result);
bool fsh_ctl_alive (const char *endpoint, int timeout_ms);

//  Users whose control socket in the control directory answers a status
//  probe within FSH_CTL_PROBE_TIMEOUT_MS, sorted. Caller destroys.
zlistx_t *fsh_ctl_running_agents (void);

//  --------------------------------------------------------------------------
//  Streams: a request whose replies come for as long as the agent likes

//  Connects to `endpoint` and sends `request`; NULL when the socket cannot
//  be made (errno EMFILE when the process is out of descriptors) or the
//  request not sent.
fsh_ctlstream_t *fsh_ctlstream_new (const char *endpoint, const Fshare__CtlRequest *request);
void fsh_ctlstream_destroy (fsh_ctlstream_t **self_p);

//  Sends a further request on the same connection (get's "cancel"). 0 or -1.
int fsh_ctlstream_send (fsh_ctlstream_t *self, const char *command);

//  Waits up to timeout_ms (-1: for ever) for the next reply. FSH_CTL_OK
//  with *reply_p set (caller frees), else TIMEOUT, GONE, MALFORMED or
//  INTERRUPTED.
fsh_ctl_result_t fsh_ctlstream_recv (fsh_ctlstream_t *self, int timeout_ms,
                                     Fshare__CtlReply **reply_p);

//  For a program's own poll loop: the two sockets to watch (zsock_t *)
//  and the read of whichever of them is ready (never blocks for long).
void *fsh_ctlstream_socket (fsh_ctlstream_t *self);
void *fsh_ctlstream_monitor (fsh_ctlstream_t *self);
fsh_ctl_result_t fsh_ctlstream_read (fsh_ctlstream_t *self, void *which,
                                     Fshare__CtlReply **reply_p);

//  The socket with something waiting (the monitor first), or NULL; does
//  not block.
void *fsh_ctlstream_ready (fsh_ctlstream_t *self);

#endif
