/*  logescape.c - log lines made safe to read on a terminal. See
    logescape.h.

    CZMQ 4.2.1 (zsys.c, s_log) writes each line as one fprintf of "%s\n"
    and an fflush. The stream is unbuffered so that the fprintf reaches
    the write function as one piece under the stream's lock: with a
    buffer, another thread's line could join the buffer before the fflush
    and its newline would no longer end the write. A character cut short
    at the end of a write (a long line glibc writes in parts) is kept for
    the next write instead of being escaped as invalid.
*/
#include "fshare.h"
#include "escape.h"
#include "logescape.h"

//  Input taken per round: a log line is at most 1 KiB (zsys's limit),
//  so one round is one write to the sink
#define S_ROUND 4096

typedef struct {
    FILE *sink;
    unsigned char carry [4];            //  a character cut short
    size_t carried;
} s_logescape_t;

//  Escapes and writes `size` bytes (the carry first), ending the line with
//  a raw newline when `newline`.
static void
s_emit (s_logescape_t *self, const char *data, size_t size, bool newline)
{
    char in [S_ROUND + sizeof self->carry];
    char out [4 * sizeof in + 1];
    do {
        size_t take = size < S_ROUND? size: S_ROUND;
        memcpy (in, self->carry, self->carried);
        memcpy (in + self->carried, data, take);
        size_t length = self->carried + take;
        data += take;
        size -= take;
        //  A line's end ends any character cut short: escaped as invalid
        bool last = size == 0 && newline;
        size_t written = 0;
        size_t done = fsh_text_escape_part (in, length, last, out, &written);
        self->carried = length - done;
        memcpy (self->carry, in + done, self->carried);
        if (size == 0 && newline)
            out [written++] = '\n';
        if (written)
            fwrite (out, 1, written, self->sink);
    } while (size);
    fflush (self->sink);
}

static ssize_t
s_write (void *cookie, const char *data, size_t size)
{
    bool newline = size > 0 && data [size - 1] == '\n';
    s_emit ((s_logescape_t *) cookie, data, newline? size - 1: size, newline);
    //  All taken even when the sink fails: a full disk must not leave
    //  lines queued in this stream, or make CZMQ's writes fail forever
    return (ssize_t) size;
}

static int
s_close (void *cookie)
{
    s_logescape_t *self = (s_logescape_t *) cookie;
    if (self->carried)
        s_emit (self, "", 0, true);
    free (self);
    return 0;
}

static FILE *
s_open (FILE *sink, s_logescape_t **cookie)
{
    assert (sink);
    s_logescape_t *self = (s_logescape_t *) calloc (1, sizeof (s_logescape_t));
    *cookie = self;
    if (!self)
        return NULL;
    self->sink = sink;
    cookie_io_functions_t io = { .write = s_write, .close = s_close };
    FILE *stream = fopencookie (self, "w", io);
    if (!stream) {
        free (self);
        return NULL;
    }
    setvbuf (stream, NULL, _IONBF, 0);
    return stream;
}

FILE *
fsh_logescape_open (FILE *sink)
{
    s_logescape_t *cookie;
    return s_open (sink, &cookie);
}

//  The stream installed last, and its cookie. The one piece of state in
//  this file, as zsys's own log stream is process-wide: zsys writes to
//  the stream from any thread until the process ends, so it is never
//  closed, and the leak checker (which does not reach the cookie through
//  glibc's list of open streams) must find both from a root.
static struct {
    FILE *stream;
    void *cookie;
} s_installed;

void
fsh_logescape_install (FILE *sink)
{
    zsys_set_logsystem (false);
    s_logescape_t *cookie = NULL;
    FILE *stream = sink? s_open (sink, &cookie): NULL;
    //  Out of memory: no log rather than a raw one
    zsys_set_logstream (stream);
    //  Replaced (tests install twice): nothing logs to the old one now
    if (s_installed.stream)
        fclose (s_installed.stream);
    s_installed.stream = stream;
    s_installed.cookie = stream? cookie: NULL;
}
