/*  already.c - "already there". See already.h. */
#include "already.h"
#include <dirent.h>
#include <fcntl.h>

//  Beyond this many entries the index starts afresh: it is a cache
#define ALREADY_MAX     100000

struct _already_t {
    zhashx_t *digests;          //  stat key -> uint8_t [32]
};

struct _already_search_t {
    already_t *index;
    char *dir;
    uint64_t size;
    uint8_t sha256 [DIGEST_SIZE];
    zlistx_t *candidates;       //  names (char *) still to look at
    char *found;
    int fd;                     //  the candidate being hashed, or -1
    char *name;                 //  its name
    struct stat st;             //  what it was when opened
    uint64_t hashed;
    digest_t *digest;
};

static char *
s_key (const struct stat *st)
{
    return zsys_sprintf ("%jx:%jx:%jx:%jd.%09ld:%jd.%09ld", (uintmax_t) st->st_dev,
                         (uintmax_t) st->st_ino, (uintmax_t) st->st_size,
                         (intmax_t) st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                         (intmax_t) st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

already_t *
already_new (void)
{
    already_t *self = (already_t *) zmalloc (sizeof (already_t));
    self->digests = zhashx_new ();
    zhashx_set_destructor (self->digests, (zhashx_destructor_fn *) zstr_free);
    return self;
}

void
already_destroy (already_t **self_p)
{
    if (*self_p) {
        already_t *self = *self_p;
        zhashx_destroy (&self->digests);
        free (self);
        *self_p = NULL;
    }
}

void
already_add (already_t *self, const struct stat *st, const uint8_t sha256 [DIGEST_SIZE])
{
    if (zhashx_size (self->digests) >= ALREADY_MAX)
        zhashx_purge (self->digests);
    char *key = s_key (st);
    uint8_t *copy = (uint8_t *) malloc (DIGEST_SIZE);
    memcpy (copy, sha256, DIGEST_SIZE);
    zhashx_update (self->digests, key, copy);
    zstr_free (&key);
}

bool
already_lookup (already_t *self, const struct stat *st, uint8_t out [DIGEST_SIZE])
{
    char *key = s_key (st);
    const uint8_t *known = (const uint8_t *) zhashx_lookup (self->digests, key);
    zstr_free (&key);
    if (known)
        memcpy (out, known, DIGEST_SIZE);
    return known != NULL;
}

size_t
already_size (already_t *self)
{
    return zhashx_size (self->digests);
}

//  --------------------------------------------------------------------------
//  Searching one directory

already_search_t *
already_search_new (already_t *index, const char *dir, uint64_t size,
                    const uint8_t sha256 [DIGEST_SIZE])
{
    already_search_t *self = (already_search_t *) zmalloc (sizeof (already_search_t));
    self->index = index;
    self->dir = strdup (dir);
    self->size = size;
    memcpy (self->sha256, sha256, DIGEST_SIZE);
    self->fd = -1;
    self->candidates = zlistx_new ();
    zlistx_set_destructor (self->candidates, (zlistx_destructor_fn *) zstr_free);
    self->digest = digest_new ();
    DIR *handle = opendir (dir);
    struct dirent *entry;
    while (handle && (entry = readdir (handle))) {
        //  Hidden names are partial files or not ours; the size is checked
        //  when the candidate is opened
        if (entry->d_name [0] == '.')
            continue;
        if (entry->d_type == DT_REG || entry->d_type == DT_UNKNOWN)
            zlistx_add_end (self->candidates, strdup (entry->d_name));
    }
    if (handle)
        closedir (handle);
    return self;
}

void
already_search_destroy (already_search_t **self_p)
{
    if (*self_p) {
        already_search_t *self = *self_p;
        if (self->fd != -1)
            close (self->fd);
        zlistx_destroy (&self->candidates);
        digest_destroy (&self->digest);
        free (self->name);
        free (self->found);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

static void
s_close_candidate (already_search_t *self)
{
    close (self->fd);
    self->fd = -1;
    zstr_free (&self->name);
}

static bool
s_matches (already_search_t *self, const uint8_t sha256 [DIGEST_SIZE])
{
    if (memcmp (sha256, self->sha256, DIGEST_SIZE) != 0)
        return false;
    self->found = zsys_sprintf ("%s/%s", self->dir, self->name);
    return true;
}

//  Take the next candidate of the right size: 1 when its digest is known
//  and matches, 0 when it is opened for hashing or did not fit, -1 when
//  no candidate is left.
static int
s_next_candidate (already_search_t *self)
{
    char *name = (char *) zlistx_detach (self->candidates, NULL);
    if (!name)
        return -1;
    char *path = zsys_sprintf ("%s/%s", self->dir, name);
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    zstr_free (&path);
    struct stat st;
    if (fd == -1 || fstat (fd, &st) == -1 || !S_ISREG (st.st_mode)
    ||  (uint64_t) st.st_size != self->size) {
        if (fd != -1)
            close (fd);
        zstr_free (&name);
        return 0;
    }
    self->fd = fd;
    self->name = name;
    self->st = st;
    uint8_t known [DIGEST_SIZE];
    if (already_lookup (self->index, &st, known)) {
        bool same = s_matches (self, known);
        s_close_candidate (self);
        return same? 1: 0;
    }
    self->hashed = 0;
    digest_reset (self->digest);
    return 0;
}

//  Hash more of the open candidate: 1 when it matched, 0 otherwise.
static int
s_hash_candidate (already_search_t *self, void *buf, size_t buf_size, size_t *budget)
{
    while (self->hashed < self->size && *budget > 0) {
        uint64_t left = self->size - self->hashed;
        size_t want = left < buf_size? (size_t) left: buf_size;
        ssize_t got = pread (self->fd, buf, want, (off_t) self->hashed);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            s_close_candidate (self);       //  unreadable or shrunk: not it
            return 0;
        }
        digest_update (self->digest, buf, (size_t) got);
        self->hashed += (uint64_t) got;
        *budget = *budget > (size_t) got? *budget - (size_t) got: 0;
    }
    if (self->hashed < self->size)
        return 0;
    uint8_t mine [DIGEST_SIZE];
    digest_final (self->digest, mine);
    //  Only a file that stayed as it was while we read it is remembered
    struct stat st;
    int rc = 0;
    if (fstat (self->fd, &st) == 0 && st.st_size == self->st.st_size
    &&  st.st_mtim.tv_sec == self->st.st_mtim.tv_sec
    &&  st.st_mtim.tv_nsec == self->st.st_mtim.tv_nsec) {
        already_add (self->index, &st, mine);
        rc = s_matches (self, mine)? 1: 0;
    }
    s_close_candidate (self);
    return rc;
}

int
already_search_step (already_search_t *self, void *buf, size_t buf_size, size_t budget)
{
    if (self->found)
        return 1;
    while (budget > 0) {
        if (self->fd == -1) {
            int rc = s_next_candidate (self);
            if (rc != 0)
                return rc;
            continue;
        }
        if (s_hash_candidate (self, buf, buf_size, &budget) == 1)
            return 1;
    }
    return 0;
}

const char *
already_search_found (already_search_t *self)
{
    return self->found;
}
