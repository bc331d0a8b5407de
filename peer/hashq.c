/*  hashq.c - the agent's background hasher. See hashq.h.

    The caller keeps the queue (a list in request order and a set of the
    paths in it) and hands the thread at most IN_FLIGHT paths at a time
    over the actor's pipe, so the pipe's high-water mark is never reached
    and a burst of 100,000 requests costs memory on one side only. The
    thread owns the database.
*/
#include "fshare.h"
#include "hashq.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdatomic.h>

#define IN_FLIGHT   16
#define READ_BYTES  (1024 * 1024)
#define TRIES       3           //  reads of a file that changes under us

//  What the caller and the thread share: where to hash, and "stop now"
//  (a $TERM waits in the pipe behind the requests in flight, and a large
//  file must not hold an agent that is stopping).
typedef struct {
    char *root;
    char *db_path;
    atomic_bool stop;
} shared_t;

struct _hashq_t {
    zactor_t *actor;
    shared_t *shared;
    zlistx_t *queue;            //  paths waiting, oldest first
    zhashx_t *queued;           //  the same paths, for "already asked"
    zhashx_t *fresh;            //  paths to read whatever the database says
    size_t in_flight;
    uint64_t bytes_read;
};

//  --------------------------------------------------------------------------
//  The thread

typedef struct {
    digestdb_t *db;
    void *buffer;
    shared_t *shared;
} worker_t;

static void
s_idle_io_priority (void)
{
    //  ioprio_set(IOPRIO_WHO_PROCESS, this thread, IDLE class): glibc has
    //  no wrapper. Failing is harmless: we only hash a little sooner.
    const int who_process = 1, class_idle = 3, class_shift = 13;
    syscall (SYS_ioprio_set, who_process, 0, class_idle << class_shift);
}

//  Open a path beneath the root without following any symlink. The root
//  is opened afresh each time, as the watcher and the uploads do: a
//  descriptor kept from the start would go on reading a host directory
//  moved away or deleted, and vouch for its files under the paths of the
//  directory that took its place.
static int
s_open_beneath (worker_t *self, const char *path)
{
    int root_fd = open (self->shared->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd == -1)
        return -1;
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
    long fd = syscall (SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd == -1 && errno == ENOSYS)
        fd = openat (root_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    int error = errno;
    close (root_fd);
    errno = error;
    return (int) fd;
}

//  Read the whole file into the digest. -1 on a read error.
static int
s_read_all (worker_t *self, int fd, digest_t *digest, uint64_t *bytes)
{
    off_t offset = 0;
    while (true) {
        if (atomic_load (&self->shared->stop))
            return -1;
        ssize_t got = pread (fd, self->buffer, READ_BYTES, offset);
        if (got == 0)
            return 0;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        digest_update (digest, self->buffer, (size_t) got);
        offset += got;
        *bytes += (uint64_t) got;
    }
}

static void
s_hash (worker_t *self, hashq_result_t *result, bool fresh)
{
    result->status = HASHQ_FAILED;
    int fd = s_open_beneath (self, result->path);
    struct stat before, after;
    if (fd == -1 || fstat (fd, &before) == -1 || !S_ISREG (before.st_mode)) {
        if (fd != -1)
            close (fd);
        return;
    }
    file_key_of (&before, &result->key);
    result->mode = before.st_mode & 07777;
    if (!fresh && digestdb_lookup (self->db, &result->key, result->sha256)) {
        result->status = HASHQ_DIGEST;
        close (fd);
        return;
    }
    posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    digest_t *digest = digest_new ();
    for (int attempt = 0; attempt < TRIES; attempt++) {
        digest_reset (digest);
        if (s_read_all (self, fd, digest, &result->bytes_read) == -1
        ||  fstat (fd, &after) == -1)
            break;
        file_key_t now;
        file_key_of (&after, &now);
        if (memcmp (&now, &result->key, sizeof now) == 0) {
            digest_final (digest, result->sha256);
            digestdb_store (self->db, &result->key, result->sha256);
            result->status = HASHQ_DIGEST;
            break;
        }
        result->key = now;          //  changed while read: once more
        result->status = HASHQ_CHANGING;
    }
    digest_destroy (&digest);
    close (fd);
}

static void
s_send_result (zsock_t *pipe, hashq_result_t *result)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, result->path);
    zmsg_addmem (msg, &result->status, sizeof result->status);
    zmsg_addmem (msg, &result->key, sizeof result->key);
    zmsg_addmem (msg, result->sha256, DIGEST_SIZE);
    zmsg_addmem (msg, &result->bytes_read, sizeof result->bytes_read);
    zmsg_addmem (msg, &result->mode, sizeof result->mode);
    zmsg_send (&msg, pipe);
}

static void
s_worker (zsock_t *pipe, void *args)
{
    worker_t self = { .shared = (shared_t *) args };
    self.db = digestdb_open (self.shared->db_path);
    self.buffer = malloc (READ_BYTES);
    s_idle_io_priority ();
    zsock_signal (pipe, !self.db? 1: 0);
    while (self.db) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        char *command = zmsg_popstr (msg);
        if (command && (streq (command, "HASH") || streq (command, "REHASH"))) {
            hashq_result_t result = { .path = zmsg_popstr (msg) };
            if (result.path) {
                s_hash (&self, &result, streq (command, "REHASH"));
                //  One commit per burst, not per file: commit when no
                //  request waits (a batch lost to a crash is only hashed
                //  again; the database flushes at every BATCH rows too)
                if (!(zsock_events (pipe) & ZMQ_POLLIN))
                    digestdb_flush (self.db);
                s_send_result (pipe, &result);
            }
            zstr_free (&result.path);
        }
        bool term = command && streq (command, "$TERM");
        zstr_free (&command);
        zmsg_destroy (&msg);
        if (term)
            break;
    }
    free (self.buffer);
    digestdb_destroy (&self.db);
    digest_thread_end ();
}

//  --------------------------------------------------------------------------
//  The caller's side

hashq_t *
hashq_new (const char *root, const char *db_path)
{
    //  The thread reports nothing back from its start: check the root here
    int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return NULL;
    close (fd);
    shared_t *shared = (shared_t *) zmalloc (sizeof (shared_t));
    shared->root = strdup (root);
    shared->db_path = db_path? strdup (db_path): NULL;
    atomic_init (&shared->stop, false);
    zactor_t *actor = zactor_new (s_worker, shared);
    if (!actor) {
        free (shared->root);
        free (shared->db_path);
        free (shared);
        return NULL;
    }
    hashq_t *self = (hashq_t *) zmalloc (sizeof (hashq_t));
    self->actor = actor;
    self->shared = shared;
    self->queue = zlistx_new ();
    zlistx_set_destructor (self->queue, (zlistx_destructor_fn *) zstr_free);
    self->queued = zhashx_new ();
    self->fresh = zhashx_new ();
    return self;
}

void
hashq_destroy (hashq_t **self_p)
{
    hashq_t *self = *self_p;
    if (!self)
        return;
    atomic_store (&self->shared->stop, true);
    zactor_destroy (&self->actor);
    free (self->shared->root);
    free (self->shared->db_path);
    free (self->shared);
    zlistx_destroy (&self->queue);
    zhashx_destroy (&self->queued);
    zhashx_destroy (&self->fresh);
    free (self);
    *self_p = NULL;
}

zsock_t *
hashq_sock (hashq_t *self)
{
    return zactor_sock (self->actor);
}

static void
s_feed (hashq_t *self)
{
    while (self->in_flight < IN_FLIGHT && zlistx_size (self->queue)) {
        char *path = (char *) zlistx_detach (self->queue, NULL);
        zhashx_delete (self->queued, path);
        bool fresh = zhashx_lookup (self->fresh, path) != NULL;
        zhashx_delete (self->fresh, path);
        zstr_sendx (self->actor, fresh? "REHASH": "HASH", path, NULL);
        zstr_free (&path);
        self->in_flight++;
    }
}

void
hashq_request (hashq_t *self, const char *path)
{
    if (zhashx_lookup (self->queued, path))
        return;
    char *copy = strdup (path);
    zlistx_add_end (self->queue, copy);
    zhashx_insert (self->queued, copy, (void *) 1);
    s_feed (self);
}

void
hashq_rehash (hashq_t *self, const char *path)
{
    zhashx_update (self->fresh, path, (void *) 1);
    hashq_request (self, path);
}

hashq_result_t *
hashq_recv (hashq_t *self)
{
    zsock_t *sock = zactor_sock (self->actor);
    if (!(zsock_events (sock) & ZMQ_POLLIN))
        return NULL;
    zmsg_t *msg = zmsg_recv (sock);
    if (!msg || zmsg_size (msg) != 6) {
        zmsg_destroy (&msg);
        return NULL;
    }
    hashq_result_t *result = (hashq_result_t *) zmalloc (sizeof (hashq_result_t));
    result->path = zmsg_popstr (msg);
    zframe_t *frames [5];
    for (int i = 0; i < 5; i++)
        frames [i] = zmsg_pop (msg);
    memcpy (&result->status, zframe_data (frames [0]), sizeof result->status);
    memcpy (&result->key, zframe_data (frames [1]), sizeof result->key);
    memcpy (result->sha256, zframe_data (frames [2]), DIGEST_SIZE);
    memcpy (&result->bytes_read, zframe_data (frames [3]), sizeof result->bytes_read);
    memcpy (&result->mode, zframe_data (frames [4]), sizeof result->mode);
    for (int i = 0; i < 5; i++)
        zframe_destroy (&frames [i]);
    zmsg_destroy (&msg);
    self->in_flight--;
    self->bytes_read += result->bytes_read;
    s_feed (self);
    return result;
}

void
hashq_result_destroy (hashq_result_t **result_p)
{
    hashq_result_t *result = *result_p;
    if (!result)
        return;
    zstr_free (&result->path);
    free (result);
    *result_p = NULL;
}

size_t
hashq_pending (hashq_t *self)
{
    return zlistx_size (self->queue) + self->in_flight;
}

uint64_t
hashq_bytes_read (hashq_t *self)
{
    return self->bytes_read;
}
