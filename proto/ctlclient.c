/*  ctlclient.c - a client of an agent's control socket. See ctlclient.h.

    Requests use a fresh DEALER each: a reply that comes after its deadline
    then dies with the socket instead of being taken for the answer to the
    next request. Finding "the only running agent" probes every *.ctl
    socket of the control directory at once, so that many stale sockets
    cost one probe deadline, not one each.
*/
#include "ctlclient.h"
#include "cli.h"
#include "monitor.h"
#include "socknew.h"
#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>

struct _fsh_ctlclient_t {
    char *endpoint;             //  the agent's control endpoint; NULL until known
    char *user;                 //  that agent's user, when known
};

struct _fsh_ctlstream_t {
    zsock_t *dealer;
    monitor_t *monitor;         //  says when the agent's connection goes away
};


//  --------------------------------------------------------------------------
//  Building blocks

fsh_err_t
fsh_ctl_result_code (fsh_ctl_result_t result)
{
    switch (result) {
        case FSH_CTL_OK:          return FSH_ERR_NONE;
        case FSH_CTL_SEVERAL:     return FSH_ERR_BAD_REQUEST;
        case FSH_CTL_MALFORMED:   return FSH_ERR_PROTOCOL_ERROR;
        case FSH_CTL_TOO_LARGE:   return FSH_ERR_TOO_LARGE;
        case FSH_CTL_INTERRUPTED: return FSH_ERR_CANCELLED;
        case FSH_CTL_NO_AGENT:
        case FSH_CTL_TIMEOUT:
        case FSH_CTL_GONE:        return FSH_ERR_NO_AGENT;
        case FSH_CTL_NO_FDS:      return FSH_ERR_BUSY;
    }
    return FSH_ERR_INTERNAL;
}

fsh_err_t
fsh_ctl_reply_code (const Fshare__CtlReply *reply)
{
    if (reply->status == FSHARE__STATUS__STATUS_OK)
        return FSH_ERR_NONE;
    return fsh_err_received (reply->code, FSH_ERR_INTERNAL);
}

void
fsh_ctl_reply_free (Fshare__CtlReply **reply_p)
{
    if (*reply_p) {
        fshare__ctl_reply__free_unpacked (*reply_p, NULL);
        *reply_p = NULL;
    }
}

static void
s_reply_destructor (void **item_p)
{
    fsh_ctl_reply_free ((Fshare__CtlReply **) item_p);
}

zlistx_t *
fsh_ctl_replies_new (void)
{
    zlistx_t *replies = zlistx_new ();
    if (replies)
        zlistx_set_destructor (replies, s_reply_destructor);
    return replies;
}

uint64_t
fsh_ctl_replies_max (void)
{
    const char *text = getenv ("FSHARE_CTL_MAX_BYTES");
    long value = text? fsh_number (text, 4096, 1L << 40): -1;
    return value > 0? (uint64_t) value: FSH_CTL_REPLIES_MAX_BYTES;
}

uint64_t
fsh_ctl_reply_cost (const Fshare__CtlReply *reply)
{
    uint64_t entries = 1 + reply->n_files + reply->n_peers;
    return protobuf_c_message_get_packed_size (&reply->base) + entries * FSH_CTL_REPLY_COST;
}

//  A plain stream socket connected to an ipc endpoint's path: its
//  descriptor, or -1 with errno (EINVAL when the endpoint is not ipc).
//  `nonblock`: EAGAIN instead of waiting when the listener's backlog is
//  full (a stopped agent, probed again and again).
static int
s_ipc_connect (const char *endpoint, bool nonblock)
{
    if (strncmp (endpoint, "ipc://", 6) != 0) {
        errno = EINVAL;
        return -1;
    }
    const char *path = endpoint + 6;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof address.sun_path) {
        errno = EINVAL;
        return -1;
    }
    strcpy (address.sun_path, path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock? SOCK_NONBLOCK: 0), 0);
    if (fd == -1)
        return -1;
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == -1) {
        int error = errno;
        close (fd);
        errno = error;
        return -1;
    }
    return fd;
}

bool
fsh_ctl_endpoint_dead (const char *endpoint)
{
    if (!endpoint)
        return true;
    int fd = s_ipc_connect (endpoint, true);
    if (fd != -1) {
        close (fd);
        return false;
    }
    //  Only a full backlog (a stopped agent) or our own shortage leaves
    //  room for an agent there: a path through a file (ENOTDIR), a file
    //  that is no socket, one we may not reach, is no agent, said at once
    //  rather than after a request's deadline
    return errno != EAGAIN && errno != EINTR && errno != EMFILE && errno != ENFILE
        && errno != ENOBUFS && errno != ENOMEM;
}

pid_t
fsh_ctl_endpoint_pid (const char *endpoint)
{
    int fd = endpoint? s_ipc_connect (endpoint, false): -1;
    if (fd == -1)
        return 0;
    struct ucred credentials = { 0 };
    socklen_t length = sizeof credentials;
    if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == -1)
        credentials.pid = 0;
    close (fd);
    return credentials.pid > 0? credentials.pid: 0;
}

//  One CtlReply in one frame, or NULL.
static Fshare__CtlReply *
s_reply_recv (zsock_t *dealer)
{
    return (Fshare__CtlReply *) fsh_recv_unpack (dealer, &fshare__ctl_reply__descriptor, NULL);
}

static zsock_t *
s_dealer_new (const char *endpoint)
{
    zsock_t *dealer = fsh_socket_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    fsh_socket_limits (dealer, 0);
    //  A request's replies are read one by one and counted against the
    //  bound: libzmq must not queue thousands of them ahead of that count
    zsock_set_rcvhwm (dealer, FSH_CTL_RCVHWM);
    zsock_set_sndtimeo (dealer, FSH_CTL_REQUEST_TIMEOUT_MS);
    if (zsock_connect (dealer, "%s", endpoint)) {
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
}

static int
s_request_send (zsock_t *dealer, const char *command)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = (char *) command;
    return fsh_pack_send (&request.base, dealer, NULL);
}

//  Each reply within reply_ms, all of them within total_ms.
static fsh_ctl_result_t
s_exchange (const char *endpoint, const Fshare__CtlRequest *request, int reply_ms,
            int total_ms, zlistx_t *replies)
{
    int64_t deadline = zclock_mono () + total_ms;
    zsock_t *dealer = s_dealer_new (endpoint);
    //  Our own shortage, not the agent's silence: said as such
    if (!dealer)
        return errno == EMFILE? FSH_CTL_NO_FDS: FSH_CTL_TIMEOUT;
    if (fsh_pack_send (&request->base, dealer, NULL)) {
        zsock_destroy (&dealer);
        return FSH_CTL_TIMEOUT;
    }
    zpoller_t *poller = zpoller_new (dealer, NULL);
    fsh_ctl_result_t result = FSH_CTL_OK;
    uint64_t max = fsh_ctl_replies_max (), kept = 0;
    bool more = true;
    while (more && result == FSH_CTL_OK) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0) {
            result = FSH_CTL_TIMEOUT;
            break;
        }
        if (!zpoller_wait (poller, left < reply_ms? (int) left: reply_ms)) {
            result = zpoller_terminated (poller)? FSH_CTL_INTERRUPTED: FSH_CTL_TIMEOUT;
            break;
        }
        Fshare__CtlReply *reply = s_reply_recv (dealer);
        if (!reply) {
            result = zsys_interrupted? FSH_CTL_INTERRUPTED: FSH_CTL_MALFORMED;
            break;
        }
        //  Bounded: whatever else the agent streams dies with the socket
        kept += fsh_ctl_reply_cost (reply);
        if (kept > max) {
            fsh_ctl_reply_free (&reply);
            result = FSH_CTL_TOO_LARGE;
            break;
        }
        zlistx_add_end (replies, reply);
        more = reply->more && reply->status == FSHARE__STATUS__STATUS_OK;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    return result;
}

fsh_ctl_result_t
fsh_ctl_exchange (const char *endpoint, const Fshare__CtlRequest *request, int timeout_ms,
                  zlistx_t *replies)
{
    return s_exchange (endpoint, request, timeout_ms, FSH_CTL_ANSWER_TIMEOUT_MS, replies);
}

Fshare__CtlReply *
fsh_ctl_probe_why (const char *endpoint, int timeout_ms, fsh_ctl_result_t *result)
{
    *result = FSH_CTL_NO_AGENT;
    if (fsh_ctl_endpoint_dead (endpoint))
        return NULL;
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    zlistx_t *replies = fsh_ctl_replies_new ();
    Fshare__CtlReply *status = NULL;
    //  A status is one reply: the probe's deadline holds for all of it
    *result = s_exchange (endpoint, &request, timeout_ms, timeout_ms, replies);
    if (*result == FSH_CTL_OK) {
        Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
        if (last->agent)
            status = (Fshare__CtlReply *) zlistx_detach_cur (replies);
        else
            *result = FSH_CTL_MALFORMED;
    }
    zlistx_destroy (&replies);
    return status;
}

Fshare__CtlReply *
fsh_ctl_probe (const char *endpoint, int timeout_ms)
{
    fsh_ctl_result_t result;
    return fsh_ctl_probe_why (endpoint, timeout_ms, &result);
}

bool
fsh_ctl_alive (const char *endpoint, int timeout_ms)
{
    Fshare__CtlReply *status = fsh_ctl_probe (endpoint, timeout_ms);
    bool alive = status != NULL;
    fsh_ctl_reply_free (&status);
    return alive;
}


//  --------------------------------------------------------------------------
//  Finding the running agents

typedef struct {
    char *user;
    zsock_t *dealer;
} probe_t;

static void
s_probe_free (void **item_p)
{
    probe_t *probe = (probe_t *) *item_p;
    if (probe) {
        zsock_destroy (&probe->dealer);
        zstr_free (&probe->user);
        free (probe);
        *item_p = NULL;
    }
}

//  A status probe sent to `user`'s control socket, or NULL when nobody
//  listens there (or, *no_fds set, when we had no descriptor to ask).
static probe_t *
s_probe_start (const char *user, bool *no_fds)
{
    if (fsh_user_check (user))
        return NULL;
    char *endpoint = fsh_control_endpoint (user);
    zsock_t *dealer = NULL;
    errno = 0;
    if (!fsh_ctl_endpoint_dead (endpoint))
        dealer = s_dealer_new (endpoint);
    if (!dealer && errno == EMFILE)
        *no_fds = true;
    zstr_free (&endpoint);
    if (!dealer || s_request_send (dealer, "status")) {
        zsock_destroy (&dealer);
        return NULL;
    }
    probe_t *probe = (probe_t *) zmalloc (sizeof (probe_t));
    probe->user = strdup (user);
    probe->dealer = dealer;
    return probe;
}

//  Probes for the *.ctl names of the control directory; *no_fds set when
//  some could not be made for want of descriptors.
static zlistx_t *
s_probes_start (zpoller_t *poller, bool *no_fds)
{
    zlistx_t *probes = zlistx_new ();
    zlistx_set_destructor (probes, s_probe_free);
    char *dir = fsh_control_dir ();
    DIR *handle = opendir (dir);
    if (!handle && (errno == EMFILE || errno == ENFILE))
        *no_fds = true;
    zstr_free (&dir);
    if (!handle)
        return probes;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        size_t len = strlen (entry->d_name);
        if (len <= 4 || !streq (entry->d_name + len - 4, ".ctl"))
            continue;
        char *user = strndup (entry->d_name, len - 4);
        probe_t *probe = user? s_probe_start (user, no_fds): NULL;
        if (probe) {
            zlistx_add_end (probes, probe);
            zpoller_add (poller, probe->dealer);
        }
        zstr_free (&user);
    }
    closedir (handle);
    return probes;
}

static zlistx_t *
s_running_agents (bool *no_fds)
{
    zlistx_t *alive = zlistx_new ();
    zlistx_set_destructor (alive, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (alive, (zlistx_duplicator_fn *) strdup);
    zlistx_set_comparator (alive, (zlistx_comparator_fn *) strcmp);
    zpoller_t *poller = zpoller_new (NULL);
    zlistx_t *probes = s_probes_start (poller, no_fds);

    int64_t deadline = zclock_mono () + FSH_CTL_PROBE_TIMEOUT_MS;
    size_t answered = 0;
    while (answered < zlistx_size (probes) && zclock_mono () < deadline) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, (int) (deadline - zclock_mono ()));
        if (!which)
            break;
        Fshare__CtlReply *reply = s_reply_recv (which);
        zpoller_remove (poller, which);
        answered++;
        //  Only an agent's status makes one: not "more follow" for ever
        bool status = reply && reply->agent && !reply->more
                   && reply->status == FSHARE__STATUS__STATUS_OK;
        for (probe_t *probe = (probe_t *) zlistx_first (probes); probe && status;
             probe = (probe_t *) zlistx_next (probes))
            if (probe->dealer == which)
                zlistx_add_end (alive, probe->user);
        fsh_ctl_reply_free (&reply);
    }
    zpoller_destroy (&poller);
    zlistx_destroy (&probes);
    zlistx_sort (alive);
    return alive;
}

zlistx_t *
fsh_ctl_running_agents (void)
{
    bool no_fds = false;
    return s_running_agents (&no_fds);
}


//  --------------------------------------------------------------------------
//  The client

fsh_ctlclient_t *
fsh_ctlclient_new (void)
{
    return (fsh_ctlclient_t *) zmalloc (sizeof (fsh_ctlclient_t));
}

void
fsh_ctlclient_destroy (fsh_ctlclient_t **self_p)
{
    if (*self_p) {
        fsh_ctlclient_t *self = *self_p;
        zstr_free (&self->endpoint);
        zstr_free (&self->user);
        free (self);
        *self_p = NULL;
    }
}

void
fsh_ctlclient_set_agent (fsh_ctlclient_t *self, const char *user, const char *endpoint)
{
    char *control = endpoint? strdup (endpoint): user? fsh_control_endpoint (user): NULL;
    char *name = user? strdup (user): NULL;
    zstr_free (&self->endpoint);
    zstr_free (&self->user);
    self->endpoint = control;
    self->user = name;
}

const char *
fsh_ctlclient_endpoint (fsh_ctlclient_t *self)
{
    return self->endpoint;
}

const char *
fsh_ctlclient_user (fsh_ctlclient_t *self)
{
    return self->user;
}

fsh_ctl_result_t
fsh_ctlclient_find (fsh_ctlclient_t *self, zlistx_t **running_p)
{
    if (self->endpoint)
        return FSH_CTL_OK;
    bool no_fds = false;
    zlistx_t *running = s_running_agents (&no_fds);
    fsh_ctl_result_t result = FSH_CTL_OK;
    //  Not knowing them all, we cannot say "the only one" nor "none"
    if (no_fds)
        result = FSH_CTL_NO_FDS;
    else
    if (zlistx_size (running) == 1)
        fsh_ctlclient_set_agent (self, (const char *) zlistx_first (running), NULL);
    else
        result = zlistx_size (running) == 0? FSH_CTL_NO_AGENT: FSH_CTL_SEVERAL;
    if (running_p)
        *running_p = running;
    else
        zlistx_destroy (&running);
    return result;
}

bool
fsh_ctlclient_dead (fsh_ctlclient_t *self)
{
    return fsh_ctl_endpoint_dead (self->endpoint);
}

fsh_ctl_result_t
fsh_ctlclient_call (fsh_ctlclient_t *self, const Fshare__CtlRequest *request,
                    int timeout_ms, zlistx_t *replies)
{
    fsh_ctl_result_t result = fsh_ctlclient_find (self, NULL);
    if (result != FSH_CTL_OK)
        return result;
    if (fsh_ctl_endpoint_dead (self->endpoint))
        return FSH_CTL_NO_AGENT;
    return fsh_ctl_exchange (self->endpoint, request, timeout_ms, replies);
}


//  --------------------------------------------------------------------------
//  Streams

fsh_ctlstream_t *
fsh_ctlstream_new (const char *endpoint, const Fshare__CtlRequest *request)
{
    zsock_t *dealer = fsh_socket_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    fsh_socket_limits (dealer, 0);
    zsock_set_sndtimeo (dealer, FSH_CTL_REQUEST_TIMEOUT_MS);
    //  The monitor listens before the connection exists, so that it cannot
    //  miss the disconnection of an agent that dies at once.
    //  Unique in the process even when a dealer of a stream just closed
    //  had the same address: libzmq releases an inproc name later, in its
    //  reaper thread
    char *name = zsys_sprintf ("ctl-%p-%" PRIx64 "-%lx", (void *) dealer,
                               (uint64_t) zclock_usecs (), (unsigned long) random ());
    monitor_t *monitor = name? monitor_new (dealer, name): NULL;
    int error = errno;
    zstr_free (&name);
    if (!monitor) {
        zsock_destroy (&dealer);
        errno = error;          //  EMFILE: the caller may wait for descriptors
        return NULL;
    }
    fsh_ctlstream_t *self = (fsh_ctlstream_t *) zmalloc (sizeof (fsh_ctlstream_t));
    self->dealer = dealer;
    self->monitor = monitor;
    if (zsock_connect (dealer, "%s", endpoint) || fsh_pack_send (&request->base, dealer, NULL))
        fsh_ctlstream_destroy (&self);
    return self;
}

void
fsh_ctlstream_destroy (fsh_ctlstream_t **self_p)
{
    if (*self_p) {
        fsh_ctlstream_t *self = *self_p;
        monitor_destroy (&self->monitor);
        zsock_destroy (&self->dealer);
        free (self);
        *self_p = NULL;
    }
}

int
fsh_ctlstream_send (fsh_ctlstream_t *self, const char *command)
{
    return s_request_send (self->dealer, command);
}

void *
fsh_ctlstream_socket (fsh_ctlstream_t *self)
{
    return self->dealer;
}

void *
fsh_ctlstream_monitor (fsh_ctlstream_t *self)
{
    return monitor_socket (self->monitor);
}

fsh_ctl_result_t
fsh_ctlstream_read (fsh_ctlstream_t *self, void *which, Fshare__CtlReply **reply_p)
{
    *reply_p = NULL;
    if (which == monitor_socket (self->monitor)) {
        int event, value;
        monitor_read (self->monitor, &event, &value);
        return FSH_CTL_GONE;
    }
    *reply_p = s_reply_recv (self->dealer);
    if (*reply_p)
        return FSH_CTL_OK;
    return zsys_interrupted? FSH_CTL_INTERRUPTED: FSH_CTL_MALFORMED;
}

fsh_ctl_result_t
fsh_ctlstream_recv (fsh_ctlstream_t *self, int timeout_ms, Fshare__CtlReply **reply_p)
{
    *reply_p = NULL;
    int64_t deadline = timeout_ms < 0? -1: zclock_mono () + timeout_ms;
    zpoller_t *poller = zpoller_new (self->dealer, monitor_socket (self->monitor), NULL);
    void *which = NULL;
    bool terminated = false;
    //  In slices, so that a signal that came just before the poll is seen
    while (!which && !terminated && !zsys_interrupted) {
        int64_t left = deadline < 0? -1: deadline - zclock_mono ();
        if (deadline >= 0 && left <= 0)
            break;
        which = zpoller_wait (poller, fsh_signal_slice (left));
        terminated = zpoller_terminated (poller);
    }
    zpoller_destroy (&poller);
    if (!which)
        return terminated || zsys_interrupted? FSH_CTL_INTERRUPTED: FSH_CTL_TIMEOUT;
    return fsh_ctlstream_read (self, which, reply_p);
}

void *
fsh_ctlstream_ready (fsh_ctlstream_t *self)
{
    if (zsock_events (monitor_socket (self->monitor)) & ZMQ_POLLIN)
        return monitor_socket (self->monitor);
    if (zsock_events (self->dealer) & ZMQ_POLLIN)
        return self->dealer;
    return NULL;
}
