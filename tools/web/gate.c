/*  gate.c - connections wait for their whole request head. See gate.h. */
#include "gate.h"
#include "fshare.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

typedef struct {
    int fd;
    int64_t deadline;           //  zclock_mono () when it is closed
    struct sockaddr_storage address;
    socklen_t length;
} waiting_t;

struct _gate_t {
    int listen_fd;
    int stop_fd;                //  eventfd: the thread ends
    gate_pass_fn *pass;
    void *arg;
    pthread_t thread;
    waiting_t waiting [GATE_PENDING];
    size_t count;
    int64_t accept_after;       //  accept failed for want of fds: wait
};

//  A best-effort answer for a client the gate will not hand over (too
//  slow, too many arguments): never waited for
static const char s_late [] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                              "Content-Length: 0\r\n\r\n";
static const char s_bad [] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Length: 17\r\n\r\nMalformed query.\n";

static void
s_drop_with (gate_t *self, size_t index, const char *answer)
{
    int fd = self->waiting [index].fd;
    if (answer && send (fd, answer, strlen (answer), MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
        //  What it sent is taken first: closed with bytes unread, the
        //  socket would reset the connection, and the answer be lost
        char buf [GATE_HEAD_MAX];
        for (int reads = 0; reads < 4 && recv (fd, buf, sizeof buf, MSG_DONTWAIT) > 0; reads++)
            ;
        shutdown (fd, SHUT_WR);
    }
    close (fd);
    self->waiting [index] = self->waiting [--self->count];
}

static void
s_drop (gate_t *self, size_t index, bool timed_out)
{
    s_drop_with (self, index, timed_out? s_late: NULL);
}

static size_t
s_oldest (gate_t *self)
{
    size_t oldest = 0;
    for (size_t i = 1; i < self->count; i++)
        if (self->waiting [i].deadline < self->waiting [oldest].deadline)
            oldest = i;
    return oldest;
}

static void
s_accept (gate_t *self)
{
    while (true) {
        struct sockaddr_storage address;
        socklen_t length = sizeof address;
        int fd = accept4 (self->listen_fd, (struct sockaddr *) &address, &length,
                          SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
                       || errno == ENOMEM)) {
            //  Out of fds: the oldest waiting makes room, else wait a while
            //  (the listening socket would wake poll again at once)
            if (self->count)
                s_drop (self, s_oldest (self), true);
            else
                self->accept_after = zclock_mono () + 100;
            return;
        }
        if (fd < 0)
            return;             //  EAGAIN: no more; ECONNABORTED and kin: gone
        if (self->count == GATE_PENDING)
            s_drop (self, s_oldest (self), true);
        waiting_t *entry = &self->waiting [self->count++];
        entry->fd = fd;
        entry->deadline = zclock_mono () + GATE_HEAD_MS;
        entry->address = address;
        entry->length = length;
    }
}

//  How many query arguments the request line (its first line) may hold:
//  its separators, counted as libmicrohttpd splits them.
static size_t
s_arguments (const char *head, size_t size)
{
    const char *end = memchr (head, '\n', size);
    size_t length = end? (size_t) (end - head): size;
    size_t count = 0;
    for (size_t i = 0; i < length; i++)
        count += head [i] == '&' || head [i] == ';';
    return count;
}

//  What the connection sent so far, looked at in place: 1 when its head
//  is complete (or as long as the gate looks), 2 when it is complete with
//  too many query arguments (refused), 0 to wait for more, -1
//  when it went away, or closed its end (`ended`) with the head unfinished:
//  it can send no more, and poll would wake for it again at once.
static int
s_head (waiting_t *entry, bool ended)
{
    char buf [GATE_HEAD_MAX];
    ssize_t size = recv (entry->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (size < 0)
        return errno == EAGAIN || errno == EINTR? 0: -1;
    if (size == 0)
        return -1;
    if ((size_t) size == sizeof buf || memmem (buf, (size_t) size, "\r\n\r\n", 4)
    ||  memmem (buf, (size_t) size, "\n\n", 2))
        return s_arguments (buf, (size_t) size) > GATE_ARGS_MAX? 2: 1;
    if (ended)
        return -1;
    //  poll wakes for this socket again only once more has come
    int more = (int) size + 1;
    setsockopt (entry->fd, SOL_SOCKET, SO_RCVLOWAT, &more, sizeof more);
    return 0;
}

static void
s_hand_over (gate_t *self, size_t index)
{
    waiting_t entry = self->waiting [index];
    self->waiting [index] = self->waiting [--self->count];
    int one = 1;
    setsockopt (entry.fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
    self->pass (self->arg, entry.fd, (struct sockaddr *) &entry.address, entry.length);
}

//  One round: wait for the first of a new connection, more of a head,
//  a deadline or the stop; false when stopped.
static bool
s_round (gate_t *self)
{
    struct pollfd items [GATE_PENDING + 2];
    int64_t now = zclock_mono ();
    int64_t wake = now + 1000;
    items [0] = (struct pollfd) { .fd = self->stop_fd, .events = POLLIN };
    items [1] = (struct pollfd) { .fd = now >= self->accept_after? self->listen_fd: -1,
                                  .events = POLLIN };
    if (now < self->accept_after && self->accept_after < wake)
        wake = self->accept_after;
    for (size_t i = 0; i < self->count; i++) {
        items [i + 2] = (struct pollfd) { .fd = self->waiting [i].fd,
                                          .events = POLLIN | POLLRDHUP };
        if (self->waiting [i].deadline < wake)
            wake = self->waiting [i].deadline;
    }
    size_t polled = self->count;
    int timeout = wake > now? (int) (wake - now): 0;
    if (poll (items, polled + 2, timeout) < 0 && errno != EINTR)
        return false;
    if (items [0].revents)
        return false;
    //  From the end: dropping or handing over moves the last entry into
    //  the place of the one taken, which has been seen already
    now = zclock_mono ();
    for (size_t i = polled; i-- > 0; ) {
        short revents = items [i + 2].revents;
        int state = revents? s_head (&self->waiting [i],
                                     revents & (POLLRDHUP | POLLHUP | POLLERR)): 0;
        if (state == 2)
            s_drop_with (self, i, s_bad);
        else
        if (state > 0)
            s_hand_over (self, i);
        else
        if (state < 0 || now >= self->waiting [i].deadline)
            s_drop (self, i, state == 0);
    }
    if (items [1].revents)
        s_accept (self);
    return true;
}

static void *
s_run (void *arg)
{
    gate_t *self = (gate_t *) arg;
    while (s_round (self))
        ;
    return NULL;
}

gate_t *
gate_new (int listen_fd, gate_pass_fn *pass, void *arg)
{
    gate_t *self = (gate_t *) zmalloc (sizeof (gate_t));
    self->listen_fd = listen_fd;
    self->pass = pass;
    self->arg = arg;
    self->stop_fd = eventfd (0, EFD_CLOEXEC);
    fcntl (listen_fd, F_SETFL, fcntl (listen_fd, F_GETFL) | O_NONBLOCK);
    if (self->stop_fd < 0 || pthread_create (&self->thread, NULL, s_run, self)) {
        if (self->stop_fd >= 0)
            close (self->stop_fd);
        close (listen_fd);
        free (self);
        return NULL;
    }
    return self;
}

void
gate_destroy (gate_t **self_p)
{
    if (*self_p) {
        gate_t *self = *self_p;
        uint64_t one = 1;
        ssize_t rc = write (self->stop_fd, &one, sizeof one);
        assert (rc == sizeof one);      //  a fresh eventfd takes one write
        (void) rc;
        pthread_join (self->thread, NULL);
        while (self->count)
            s_drop (self, 0, false);
        close (self->stop_fd);
        close (self->listen_fd);
        free (self);
        *self_p = NULL;
    }
}
