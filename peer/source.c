/*  source.c - the owner's side of one download. See source.h. */
#include "source.h"
#include <fcntl.h>
#include <sys/stat.h>

struct _source_t {
    fsh_err_t code;             //  of the last error (source_code)
    int fd;
    struct stat opened;         //  what the file was when opened
    uint64_t size;
    int64_t mtime;
    uint64_t offset;
    uint64_t position;          //  next byte to send
    uint64_t hashed;            //  bytes of the resume prefix hashed
    digest_t *digest;
    uint8_t sha256 [DIGEST_SIZE];
    bool finished;
    bool known;                 //  sha256 known before reading: no hashing
};

//  Why an open failed, in the words the requester will read.
static char *
s_open_error (int error)
{
    switch (error) {
        case ELOOP:
            return strdup ("cannot read file: it is (or lies below) a symbolic link");
        case ENOENT:
        case ENOTDIR:
            return strdup ("cannot read file: it is no longer there");
        default:
            return zsys_sprintf ("cannot read file: %s", strerror (error));
    }
}

//  Open path below the directory `root` one component at a time, each
//  with O_NOFOLLOW, so no symbolic link anywhere on the way is followed.
//  The path has passed fsh_path_check: no "..", no empty component.
//  A link in place of a directory fails with ENOTDIR (O_DIRECTORY is
//  checked first), so a failed component that is a link reports ELOOP.
static int
s_open_beneath (const char *root, const char *path)
{
    int dir = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir == -1)
        return -1;
    char *copy = strdup (path);
    char *component = copy;
    int fd = -1;
    while (true) {
        char *slash = strchr (component, '/');
        if (slash)
            *slash = 0;
        //  O_NONBLOCK: a FIFO put in place of the file must not block us
        int flags = slash? O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                         : O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        fd = openat (dir, component, flags);
        int saved = errno;
        struct stat st;
        if (fd == -1 && fstatat (dir, component, &st, AT_SYMLINK_NOFOLLOW) == 0
        &&  S_ISLNK (st.st_mode))
            saved = ELOOP;
        close (dir);
        errno = saved;
        if (fd == -1 || !slash)
            break;
        dir = fd;
        component = slash + 1;
    }
    free (copy);
    return fd;
}

source_t *
source_new (const char *root, const char *path, uint64_t offset,
            uint64_t expect_size, int64_t expect_mtime, char **error)
{
    *error = NULL;
    const char *problem = fsh_path_check (path);
    if (problem || fsh_path_is_partial (path)) {
        *error = zsys_sprintf ("cannot read file: %s", problem? problem: "not a published file");
        return NULL;
    }
    int fd = s_open_beneath (root, path);
    if (fd == -1) {
        *error = s_open_error (errno);
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) == -1 || !S_ISREG (st.st_mode)) {
        *error = strdup ("cannot read file: not a regular file");
        close (fd);
        return NULL;
    }
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    source_t *self = (source_t *) zmalloc (sizeof (source_t));
    self->fd = fd;
    self->opened = st;
    self->size = (uint64_t) st.st_size;
    self->mtime = (int64_t) st.st_mtim.tv_sec;
    if (offset > 0 && offset <= self->size
    &&  expect_size == self->size && expect_mtime == self->mtime)
        self->offset = offset;
    self->position = self->offset;
    self->digest = digest_new ();
    return self;
}

void
source_destroy (source_t **self_p)
{
    if (*self_p) {
        source_t *self = *self_p;
        close (self->fd);
        digest_destroy (&self->digest);
        free (self);
        *self_p = NULL;
    }
}

uint64_t
source_size (source_t *self)
{
    return self->size;
}

int64_t
source_mtime (source_t *self)
{
    return self->mtime;
}

uint32_t
source_mode (source_t *self)
{
    return (uint32_t) (self->opened.st_mode & 0777);
}

uint64_t
source_offset (source_t *self)
{
    return self->offset;
}

uint64_t
source_position (source_t *self)
{
    return self->position;
}

const uint8_t *
source_digest (source_t *self)
{
    return self->finished || self->known? self->sha256: NULL;
}

void
source_key (source_t *self, file_key_t *key)
{
    file_key_of (&self->opened, key);
}

void
source_use_digest (source_t *self, const uint8_t sha256 [DIGEST_SIZE])
{
    assert (self->position == self->offset && self->hashed == 0);
    memcpy (self->sha256, sha256, DIGEST_SIZE);
    self->known = true;
    self->hashed = self->offset;    //  no prefix to hash either
}

bool
source_known (source_t *self)
{
    return self->known;
}

//  Read exactly `size` bytes at `offset`. A file that ends early has
//  shrunk under us.
static int
s_read_fully (source_t *self, void *buf, size_t size, uint64_t offset, char **error)
{
    size_t done = 0;
    while (done < size) {
        ssize_t got = pread (self->fd, (char *) buf + done, size - done, (off_t) (offset + done));
        if (got > 0)
            done += (size_t) got;
        else
        if (got == 0) {
            self->code = FSH_ERR_FILE_CHANGED;
            *error = strdup ("file changed during transfer");
            return -1;
        }
        else
        if (errno != EINTR) {
            self->code = FSH_ERR_UNREADABLE;
            *error = zsys_sprintf ("cannot read file: %s", strerror (errno));
            return -1;
        }
    }
    return 0;
}

//  Still the file we opened? The link count tells a deletion (or a
//  replacement by rename) apart from a rewrite. While we hash what we
//  read, the ctime too: a file rewritten in place with its mtime set back
//  (touch -r) keeps size and mtime, and the digest computed while reading
//  would then vouch for bytes of two versions (SPEC 4.5). Nobody can set
//  the ctime back; a rename, a chmod or a new hard link moves it as well
//  and then also ends the transfer. Served from a known digest, the
//  requester checks every byte against that version's digest: a mix fails
//  there, and a mere rename (sec_swap.sh) goes on.
static int
s_check_unchanged (source_t *self, char **error)
{
    struct stat st;
    if (fstat (self->fd, &st) == -1) {
        self->code = FSH_ERR_UNREADABLE;
        *error = zsys_sprintf ("cannot read file: %s", strerror (errno));
        return -1;
    }
    self->code = FSH_ERR_FILE_CHANGED;
    if (st.st_nlink == 0) {
        *error = strdup ("file deleted during transfer");
        return -1;
    }
    if (st.st_size != self->opened.st_size
    ||  st.st_mtim.tv_sec != self->opened.st_mtim.tv_sec
    ||  st.st_mtim.tv_nsec != self->opened.st_mtim.tv_nsec
    ||  (!self->known && (st.st_ctim.tv_sec != self->opened.st_ctim.tv_sec
                          || st.st_ctim.tv_nsec != self->opened.st_ctim.tv_nsec))) {
        *error = strdup ("file changed during transfer");
        return -1;
    }
    return 0;
}

int
source_prepare (source_t *self, void *buf, size_t buf_size, size_t budget, char **error)
{
    *error = NULL;
    while (self->hashed < self->offset && budget > 0) {
        uint64_t left = self->offset - self->hashed;
        size_t size = left < buf_size? (size_t) left: buf_size;
        if (s_read_fully (self, buf, size, self->hashed, error))
            return -1;
        digest_update (self->digest, buf, size);
        self->hashed += size;
        budget = budget > size? budget - size: 0;
    }
    if (self->hashed < self->offset)
        return 0;
    return s_check_unchanged (self, error) == 0? 1: -1;
}

ssize_t
source_read (source_t *self, void *buf, size_t max, bool *last, char **error)
{
    *error = NULL;
    *last = false;
    assert (self->hashed == self->offset && !self->finished);
    uint64_t left = self->size - self->position;
    size_t size = left < max? (size_t) left: max;
    if (size && s_read_fully (self, buf, size, self->position, error))
        return -1;
    if (!self->known)
        digest_update (self->digest, buf, size);
    self->position += size;
    if (s_check_unchanged (self, error))
        return -1;
    if (self->position == self->size) {
        if (!self->known)
            digest_final (self->digest, self->sha256);
        self->finished = true;
        *last = true;
    }
    return (ssize_t) size;
}

fsh_err_t
source_code (source_t *self)
{
    return self->code;
}
