/*  hashq.c - the agent's background hasher. See hashq.h.

    The caller keeps the queue (a list in request order and a set of the
    paths in it) and hands the thread at most IN_FLIGHT paths at a time
    over the actor's pipe, so the pipe's high-water mark is never reached
    and a burst of 100,000 requests costs memory on one side only. The
    thread owns the database.

    A large file must not hold the small ones behind it (a 4 GiB image
    takes seconds to read, and a small file's event waits for its
    digest): requests for files the caller takes for small go first on
    our side, up to SMALL_IN_FLIGHT more on the thread, and the thread,
    between two reads of a large file, takes every request waiting in
    the pipe, hashes the small ones there and then, and keeps the large
    ones for after. Results may therefore come in another order than
    the requests.
*/
#include "fshare.h"
#include "hashq.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdatomic.h>

#define IN_FLIGHT   16
#define SMALL_IN_FLIGHT 16      //  more, for small files only
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
    zlistx_t *small;            //  paths of small files waiting: before those
    zhashx_t *queued;           //  path -> its handle in queue
    zhashx_t *queued_small;     //  path -> its handle in small
    zhashx_t *fresh;            //  paths to read whatever the database says
    size_t in_flight;
    uint64_t bytes_read;
};

//  --------------------------------------------------------------------------
//  The thread

typedef struct {
    digestdb_t *db;
    void *buffer;
    void *zeros;                //  READ_BYTES of zeros, once a hole is met
    shared_t *shared;
    zsock_t *pipe;
    zlistx_t *later;            //  large files' requests taken from the pipe
                                //  while reading another: "HASH path", "REHASH path"
    bool reading_large;         //  so small files are served between reads
} worker_t;

static void s_serve_waiting (worker_t *self);

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

//  Where the data after `offset` starts: `offset` when it holds data (or
//  the file system cannot tell), else the end of the hole there (`size`,
//  the file's size when it was opened, when the hole runs to its end).
static off_t
s_next_data (int fd, off_t offset, off_t size)
{
    if (offset >= size)
        return offset;          //  grown since: read what is there
    off_t data = lseek (fd, offset, SEEK_DATA);
    if (data == -1)
        return errno == ENXIO? size: offset;
    return data < size? data: size;
}

//  Between two reads of a large file: the small files waiting, now.
static void
s_between_reads (worker_t *self, off_t offset)
{
    if (offset > HASHQ_SMALL && !self->reading_large
    &&  (zsock_events (self->pipe) & ZMQ_POLLIN)) {
        self->reading_large = true;
        s_serve_waiting (self);
        self->reading_large = false;
    }
}

//  Read the whole file (`size` bytes when opened) into the digest; its
//  holes (a sparse disk image) are hashed as the zeros they read as,
//  without reading them. -1 on a read error. A write into a hole while
//  we hash it moves the mtime: the caller's check of the key catches it.
static int
s_read_all (worker_t *self, int fd, off_t size, digest_t *digest, uint64_t *bytes)
{
    off_t offset = 0;
    while (true) {
        if (atomic_load (&self->shared->stop))
            return -1;
        off_t data = s_next_data (fd, offset, size);
        if (data > offset) {
            if (!self->zeros)
                self->zeros = calloc (1, READ_BYTES);
            if (!self->zeros)
                return -1;
            size_t hole = data - offset < READ_BYTES? (size_t) (data - offset): READ_BYTES;
            digest_update (digest, self->zeros, hole);
            offset += (off_t) hole;
            s_between_reads (self, offset);
            continue;
        }
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
        s_between_reads (self, offset);
    }
}

//  Hash the file of result->path; false, and nothing done, when
//  small_only and the file is larger than HASHQ_SMALL.
static bool
s_hash (worker_t *self, hashq_result_t *result, bool fresh, bool small_only)
{
    result->status = HASHQ_FAILED;
    int fd = s_open_beneath (self, result->path);
    struct stat before, after;
    if (fd == -1 || fstat (fd, &before) == -1 || !S_ISREG (before.st_mode)) {
        if (fd != -1)
            close (fd);
        return true;
    }
    if (small_only && before.st_size > HASHQ_SMALL) {
        close (fd);
        return false;
    }
    file_key_of (&before, &result->key);
    result->mode = before.st_mode & 07777;
    if (!fresh && digestdb_lookup (self->db, &result->key, result->sha256)) {
        result->status = HASHQ_DIGEST;
        close (fd);
        return true;
    }
    posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    digest_t *digest = digest_new ();
    for (int attempt = 0; attempt < TRIES; attempt++) {
        digest_reset (digest);
        if (s_read_all (self, fd, (off_t) result->key.size, digest, &result->bytes_read) == -1
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
    return true;
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

//  One request ("HASH"/"REHASH", path); false when it was kept for later
//  (small_only, and the file is large).
static bool
s_handle (worker_t *self, const char *command, const char *path, bool small_only)
{
    hashq_result_t result = { .path = (char *) path };
    if (!s_hash (self, &result, streq (command, "REHASH"), small_only))
        return false;
    //  One commit per burst, not per file: commit when no request waits
    //  (a batch lost to a crash is only hashed again; the database
    //  flushes at every BATCH rows too)
    if (!self->reading_large && !(zsock_events (self->pipe) & ZMQ_POLLIN))
        digestdb_flush (self->db);
    s_send_result (self->pipe, &result);
    return true;
}

//  While a large file is read: every request waiting in the pipe, the
//  small files hashed now, the large ones kept; $TERM stops the read.
static void
s_serve_waiting (worker_t *self)
{
    while (zsock_events (self->pipe) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->pipe);
        if (!msg)
            return;
        char *command = zmsg_popstr (msg);
        char *path = zmsg_popstr (msg);
        zmsg_destroy (&msg);
        if (command && streq (command, "$TERM")) {
            atomic_store (&self->shared->stop, true);
            zlistx_add_end (self->later, command);      //  ends the loop after
            command = NULL;
        }
        else
        if (command && path && !s_handle (self, command, path, true)) {
            zlistx_add_end (self->later, zsys_sprintf ("%s %s", command, path));
        }
        zstr_free (&command);
        zstr_free (&path);
    }
}

//  The next request: one kept for later first, else from the pipe.
//  False on $TERM or when the pipe is gone.
static bool
s_next (worker_t *self, char **command, char **path)
{
    char *kept = (char *) zlistx_detach (self->later, NULL);
    if (kept) {
        char *space = strchr (kept, ' ');
        if (!space) {                   //  $TERM
            zstr_free (&kept);
            return false;
        }
        *space = 0;
        *command = kept;
        *path = strdup (space + 1);
        return true;
    }
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg)
        return false;
    *command = zmsg_popstr (msg);
    *path = zmsg_popstr (msg);
    zmsg_destroy (&msg);
    if (*command && streq (*command, "$TERM")) {
        zstr_free (command);
        zstr_free (path);
        return false;
    }
    return true;
}

static void
s_worker (zsock_t *pipe, void *args)
{
    worker_t self = { .shared = (shared_t *) args, .pipe = pipe };
    self.db = digestdb_open (self.shared->db_path);
    self.buffer = malloc (READ_BYTES);
    self.later = zlistx_new ();
    zlistx_set_destructor (self.later, (zlistx_destructor_fn *) zstr_free);
    s_idle_io_priority ();
    zsock_signal (pipe, !self.db? 1: 0);
    char *command = NULL, *path = NULL;
    while (self.db && s_next (&self, &command, &path)) {
        if (command && path && (streq (command, "HASH") || streq (command, "REHASH")))
            s_handle (&self, command, path, false);
        zstr_free (&command);
        zstr_free (&path);
    }
    zlistx_destroy (&self.later);
    free (self.buffer);
    free (self.zeros);
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
    self->small = zlistx_new ();
    zlistx_set_destructor (self->small, (zlistx_destructor_fn *) zstr_free);
    self->queued = zhashx_new ();
    self->queued_small = zhashx_new ();
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
    zlistx_destroy (&self->small);
    zhashx_destroy (&self->queued);
    zhashx_destroy (&self->queued_small);
    zhashx_destroy (&self->fresh);
    free (self);
    *self_p = NULL;
}

zsock_t *
hashq_sock (hashq_t *self)
{
    return zactor_sock (self->actor);
}

//  Hand the thread what it may take: small files first, beyond the cap
static void
s_feed (hashq_t *self)
{
    while (true) {
        zlistx_t *from = zlistx_size (self->small) && self->in_flight < IN_FLIGHT + SMALL_IN_FLIGHT
                       ? self->small
                       : zlistx_size (self->queue) && self->in_flight < IN_FLIGHT? self->queue: NULL;
        if (!from)
            return;
        char *path = (char *) zlistx_detach (from, NULL);
        zhashx_delete (from == self->small? self->queued_small: self->queued, path);
        bool fresh = zhashx_lookup (self->fresh, path) != NULL;
        zhashx_delete (self->fresh, path);
        zstr_sendx (self->actor, fresh? "REHASH": "HASH", path, NULL);
        zstr_free (&path);
        self->in_flight++;
    }
}

static void
s_enqueue (hashq_t *self, const char *path, bool small)
{
    if (zhashx_lookup (self->queued_small, path))
        return;
    void *handle = zhashx_lookup (self->queued, path);
    if (handle && !small)
        return;
    if (handle) {                       //  now small: moves up
        zhashx_delete (self->queued, path);
        zlistx_delete (self->queue, handle);
    }
    char *copy = strdup (path);
    zlistx_t *list = small? self->small: self->queue;
    zhashx_insert (small? self->queued_small: self->queued, copy,
                   zlistx_add_end (list, copy));
    s_feed (self);
}

void
hashq_request (hashq_t *self, const char *path)
{
    s_enqueue (self, path, false);
}

void
hashq_request_small (hashq_t *self, const char *path)
{
    s_enqueue (self, path, true);
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
    return zlistx_size (self->queue) + zlistx_size (self->small) + self->in_flight;
}

uint64_t
hashq_bytes_read (hashq_t *self)
{
    return self->bytes_read;
}
