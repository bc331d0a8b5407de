/*  reserve.c - memory kept warm for a timed transfer's writer. See
    reserve.h.

    Holes are punched in the memfd from its start, so the pages go back to
    the kernel's free lists in the order the writer will want them, a lead
    ahead of it: freed moments before they are taken, they are never old
    enough to be reported to the host.
*/
#include "reserve.h"
#include <czmq.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define RESERVE_BLOCK   (1024 * 1024)
#define RESERVE_LEAD    (64 * 1024 * 1024)      //  freed ahead of the writer

struct _reserve_t {
    int fd;
    uint64_t size;
    uint64_t freed;             //  bytes from the start given back
    bool seen;                  //  the followed file has existed
    double fill_cost;           //  CPU s/GiB of writing it
};

static int
s_fill (int fd, uint64_t size)
{
    uint8_t *data = (uint8_t *) malloc (RESERVE_BLOCK);
    if (!data)
        return -1;
    memset (data, 0x5A, RESERVE_BLOCK);
    uint64_t done = 0;
    while (done < size) {
        size_t step = size - done < RESERVE_BLOCK? (size_t) (size - done): RESERVE_BLOCK;
        ssize_t put = pwrite (fd, data, step, (off_t) done);
        if (put <= 0)
            break;
        done += (uint64_t) put;
    }
    free (data);
    return done == size? 0: -1;
}

reserve_t *
reserve_new (uint64_t size)
{
    if (size == 0)
        return NULL;
    int fd = memfd_create ("fshare-bench-reserve", MFD_CLOEXEC);
    if (fd == -1)
        return NULL;
    //  In this thread's CPU time: the wall clock would count other programs
    struct timespec t0, t1;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t0);
    if (s_fill (fd, size)) {
        close (fd);
        return NULL;
    }
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t1);
    double usecs = (double) (t1.tv_sec - t0.tv_sec) * 1e6 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e3;
    reserve_t *self = (reserve_t *) zmalloc (sizeof (reserve_t));
    self->fd = fd;
    self->size = size;
    self->fill_cost = usecs / 1e6 / ((double) size / (1024.0 * 1024 * 1024));
    return self;
}

void
reserve_destroy (reserve_t **self_p)
{
    if (!*self_p)
        return;
    reserve_t *self = *self_p;
    close (self->fd);
    free (self);
    *self_p = NULL;
}

double
reserve_fill_cost (reserve_t *self)
{
    return self->fill_cost;
}

uint64_t
reserve_held (reserve_t *self)
{
    return self->size - self->freed;
}

//  Gives back the reserve's bytes up to `upto` (rounded up to a block).
static void
s_free_upto (reserve_t *self, uint64_t upto)
{
    upto = (upto + RESERVE_BLOCK - 1) / RESERVE_BLOCK * RESERVE_BLOCK;
    if (upto > self->size)
        upto = self->size;
    if (upto <= self->freed)
        return;
    if (fallocate (self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                   (off_t) self->freed, (off_t) (upto - self->freed)) == 0)
        self->freed = upto;
}

void
reserve_follow (reserve_t *self, const char *path)
{
    if (!self)
        return;
    struct stat info;
    if (stat (path, &info) == 0) {
        self->seen = true;
        s_free_upto (self, (uint64_t) info.st_blocks * 512 + RESERVE_LEAD);
    }
    else
    if (self->seen)             //  renamed into place: the writing is over
        s_free_upto (self, self->size);
}
