/*  zmtp_sub.c - a bare ZMTP 3.0 subscriber. See zmtp_sub.h.

    ZMTP 3.0 (rfc.zeromq.org/spec/23): a 64-byte greeting each way
    (signature, version, mechanism "NULL", as-server; libzmq closes the
    connection unless the signature's padding ends in 1), a READY command
    naming the socket type, then frames: a flags byte (MORE 1, LONG 2,
    COMMAND 4), a size of 1 or 8 bytes (network order), the body. A 3.0
    subscriber subscribes with a message whose first byte is 1 followed
    by the prefix: an empty prefix takes everything.
*/
#include "zmtp_sub.h"
#include "bench.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define GREETING_SIZE   64
#define FLAG_MORE       0x01
#define FLAG_LONG       0x02
#define FLAG_COMMAND    0x04
#define FRAME_MAX       (64 * 1024 * 1024)     //  far beyond any fshare event
#define READ_CHUNK      (64 * 1024)

struct _zmtp_sub_t {
    int fd;
    uint8_t *buffer;
    size_t used;                //  bytes in buffer
    size_t capacity;
};

//  Wait until fd is ready for `events` or the deadline passes.
static bool
s_wait (int fd, short events, int64_t deadline)
{
    struct pollfd item = { .fd = fd, .events = events };
    int64_t left = deadline - bench_usecs () / 1000;
    return left > 0 && poll (&item, 1, (int) left) == 1 && (item.revents & events);
}

//  A non-blocking socket connecting to the endpoint, or -1.
static int
s_connect (const char *endpoint, int64_t deadline, const char **error)
{
    struct sockaddr_storage address;
    socklen_t length = 0;
    memset (&address, 0, sizeof address);
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        struct sockaddr_un *unix_address = (struct sockaddr_un *) &address;
        if (strlen (endpoint + 6) >= sizeof unix_address->sun_path) {
            *error = "ipc path too long";
            return -1;
        }
        unix_address->sun_family = AF_UNIX;
        strcpy (unix_address->sun_path, endpoint + 6);
        length = sizeof (struct sockaddr_un);
    }
    else
    if (strncmp (endpoint, "tcp://", 6) == 0) {
        char host [256];
        const char *colon = strrchr (endpoint + 6, ':');
        size_t host_len = colon? (size_t) (colon - endpoint - 6): 0;
        if (!colon || host_len == 0 || host_len >= sizeof host) {
            *error = "not tcp://HOST:PORT";
            return -1;
        }
        memcpy (host, endpoint + 6, host_len);
        host [host_len] = 0;
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *found = NULL;
        if (getaddrinfo (host, colon + 1, &hints, &found) || !found) {
            *error = "cannot resolve the endpoint";
            return -1;
        }
        memcpy (&address, found->ai_addr, found->ai_addrlen);
        length = found->ai_addrlen;
        freeaddrinfo (found);
    }
    else {
        *error = "only tcp:// and ipc:// endpoints";
        return -1;
    }
    int fd = socket (address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        *error = "cannot create a socket";
        return -1;
    }
    if (connect (fd, (struct sockaddr *) &address, length) == 0)
        return fd;
    int result = 0;
    socklen_t result_len = sizeof result;
    if (errno != EINPROGRESS || !s_wait (fd, POLLOUT, deadline)
    ||  getsockopt (fd, SOL_SOCKET, SO_ERROR, &result, &result_len) || result) {
        close (fd);
        *error = "cannot connect";
        return -1;
    }
    return fd;
}

static bool
s_write_all (int fd, const uint8_t *data, size_t size, int64_t deadline)
{
    while (size > 0) {
        ssize_t wrote = write (fd, data, size);
        if (wrote > 0) {
            data += wrote;
            size -= (size_t) wrote;
        }
        else
        if (wrote == -1 && errno == EAGAIN) {
            if (!s_wait (fd, POLLOUT, deadline))
                return false;
        }
        else
        if (!(wrote == -1 && errno == EINTR))
            return false;
    }
    return true;
}

//  Make room for `more` bytes after what is buffered.
static bool
s_reserve (zmtp_sub_t *self, size_t more)
{
    if (self->used + more <= self->capacity)
        return true;
    size_t capacity = self->capacity? self->capacity: READ_CHUNK;
    while (capacity < self->used + more)
        capacity *= 2;
    uint8_t *buffer = (uint8_t *) realloc (self->buffer, capacity);
    if (!buffer)
        return false;
    self->buffer = buffer;
    self->capacity = capacity;
    return true;
}

//  Read once into the buffer: bytes read, 0 when nothing is there, -1
//  when the connection is closed or failed. *drained: fewer bytes came
//  than there was room for, so the socket has nothing more for now.
static ssize_t
s_fill (zmtp_sub_t *self, bool *drained)
{
    if (!s_reserve (self, READ_CHUNK))
        return -1;
    size_t room = self->capacity - self->used;
    ssize_t got = read (self->fd, self->buffer + self->used, room);
    *drained = got < (ssize_t) room;
    if (got > 0) {
        self->used += (size_t) got;
        return got;
    }
    if (got == -1 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

typedef struct {
    uint8_t flags;
    size_t header;              //  bytes of flags and size
    uint64_t size;              //  bytes of body
} frame_t;

//  The frame starting at offset: 1 when whole in the buffer, 0 when more
//  bytes are needed, -1 when malformed.
static int
s_frame (zmtp_sub_t *self, size_t offset, frame_t *frame)
{
    size_t have = self->used - offset;
    if (have < 2)
        return 0;
    const uint8_t *bytes = self->buffer + offset;
    frame->flags = bytes [0];
    if (frame->flags & ~(FLAG_MORE | FLAG_LONG | FLAG_COMMAND))
        return -1;
    if (frame->flags & FLAG_LONG) {
        if (have < 9)
            return 0;
        frame->size = 0;
        for (int i = 1; i <= 8; i++)
            frame->size = frame->size << 8 | bytes [i];
        frame->header = 9;
    }
    else {
        frame->size = bytes [1];
        frame->header = 2;
    }
    if (frame->size > FRAME_MAX)
        return -1;
    return have - frame->header >= frame->size? 1: 0;
}

//  The first 10 bytes of the publisher's greeting: its signature.
static const char *
s_read_signature (zmtp_sub_t *self, int64_t deadline)
{
    while (self->used < 10) {
        if (!s_wait (self->fd, POLLIN, deadline))
            return "no handshake from the publisher in time";
        bool drained;
        if (s_fill (self, &drained) < 0)
            return "the publisher closed the connection";
    }
    return NULL;
}

//  The broker's greeting and READY: a 3.x peer, mechanism NULL, a READY
//  command. Reads until they are whole; leaves what follows buffered.
static const char *
s_read_handshake (zmtp_sub_t *self, int64_t deadline)
{
    frame_t ready;
    while (true) {
        if (self->used >= GREETING_SIZE) {
            const uint8_t *greeting = self->buffer;
            if (greeting [0] != 0xFF || greeting [9] != 0x7F || greeting [10] < 3
            ||  memcmp (greeting + 12, "NULL", 5) != 0)
                return "the publisher does not speak ZMTP 3 with the NULL mechanism";
            int whole = s_frame (self, GREETING_SIZE, &ready);
            if (whole < 0 || (whole > 0 && !(ready.flags & FLAG_COMMAND)))
                return "the publisher sent no READY command";
            if (whole > 0)
                break;
        }
        if (!s_wait (self->fd, POLLIN, deadline))
            return "no handshake from the publisher in time";
        bool drained;
        if (s_fill (self, &drained) < 0)
            return "the publisher closed the connection";
    }
    const uint8_t *body = self->buffer + GREETING_SIZE + ready.header;
    if (ready.size < 6 || memcmp (body, "\x05READY", 6) != 0)
        return "the publisher's first command is not READY";
    size_t consumed = GREETING_SIZE + ready.header + (size_t) ready.size;
    memmove (self->buffer, self->buffer + consumed, self->used - consumed);
    self->used -= consumed;
    return NULL;
}

zmtp_sub_t *
zmtp_sub_new (const char *endpoint, int timeout_ms, const char **error)
{
    int64_t deadline = bench_usecs () / 1000 + timeout_ms;
    int fd = s_connect (endpoint, deadline, error);
    if (fd == -1)
        return NULL;
    zmtp_sub_t *self = (zmtp_sub_t *) calloc (1, sizeof (zmtp_sub_t));
    if (!self) {
        close (fd);
        *error = "out of memory";
        return NULL;
    }
    self->fd = fd;
    //  Our greeting (3.0, NULL, not as-server) and READY with Socket-Type
    //  SUB, then the 3.0 subscription to every topic. In three steps, as
    //  libzmq does: it drops a peer that sends it all at once.
    uint8_t hello [GREETING_SIZE + 2 + 25] = { 0 };
    hello [0] = 0xFF;
    hello [8] = 1;              //  the padding reads as length 1 to a ZMTP 1.0 peer
    hello [9] = 0x7F;
    hello [10] = 3;
    memcpy (hello + 12, "NULL", 4);
    uint8_t *command = hello + GREETING_SIZE;
    command [0] = FLAG_COMMAND;
    command [1] = 25;
    memcpy (command + 2, "\x05READY\x0BSocket-Type\x00\x00\x00\x03SUB", 25);
    const uint8_t subscribe [3] = { 0, 1, 1 };
    const char *problem = NULL;
    if (!s_write_all (fd, hello, 10, deadline))
        problem = "cannot send the handshake";
    if (!problem)
        problem = s_read_signature (self, deadline);
    if (!problem && !s_write_all (fd, hello + 10, sizeof hello - 10, deadline))
        problem = "cannot send the handshake";
    if (!problem)
        problem = s_read_handshake (self, deadline);
    if (!problem && !s_write_all (fd, subscribe, sizeof subscribe, deadline))
        problem = "cannot subscribe";
    if (problem) {
        *error = problem;
        zmtp_sub_destroy (&self);
    }
    return self;
}

void
zmtp_sub_destroy (zmtp_sub_t **self_p)
{
    zmtp_sub_t *self = *self_p;
    if (!self)
        return;
    close (self->fd);
    free (self->buffer);
    free (self);
    *self_p = NULL;
}

int
zmtp_sub_fd (zmtp_sub_t *self)
{
    return self->fd;
}

//  Hand over every whole message in the buffer; keep the rest.
static int
s_deliver (zmtp_sub_t *self, zmtp_msg_fn *fn, void *arg)
{
    int delivered = 0;
    size_t start = 0;           //  first byte of the message being parsed
    size_t cursor = 0;
    size_t first = 0, last = 0; //  offsets of its first and last frame bodies
    uint64_t first_size = 0, last_size = 0;
    bool in_message = false;
    frame_t frame;
    int whole;
    while ((whole = s_frame (self, cursor, &frame)) > 0) {
        size_t body = cursor + frame.header;
        cursor = body + (size_t) frame.size;
        if (frame.flags & FLAG_COMMAND) {
            if (!in_message)
                start = cursor;         //  a PING or the like: not ours to answer
            continue;
        }
        if (!in_message) {
            first = body;
            first_size = frame.size;
            in_message = true;
        }
        last = body;
        last_size = frame.size;
        if (!(frame.flags & FLAG_MORE)) {
            fn (arg, self->buffer + first, (size_t) first_size,
                self->buffer + last, (size_t) last_size);
            delivered++;
            in_message = false;
            start = cursor;
        }
    }
    if (whole < 0)
        return -1;
    memmove (self->buffer, self->buffer + start, self->used - start);
    self->used -= start;
    return delivered;
}

int
zmtp_sub_read (zmtp_sub_t *self, zmtp_msg_fn *fn, void *arg)
{
    int delivered = s_deliver (self, fn, arg);     //  left from the handshake
    if (delivered < 0)
        return -1;
    bool drained = false;
    while (!drained) {
        ssize_t got = s_fill (self, &drained);
        if (got < 0)
            return -1;
        int more = s_deliver (self, fn, arg);
        if (more < 0)
            return -1;
        delivered += more;
    }
    return delivered;
}
