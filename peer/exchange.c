/*  exchange.c - two names swapped in one call. See exchange.h.

    Only what is known at both names is compared: a move onto a name that
    was not published, or from a name that no longer exists on disk, is
    an ordinary move (the common case costs two fstatat calls).
*/
#include "exchange.h"
#include <fcntl.h>
#include <sys/stat.h>

typedef struct {
    uint64_t dev, ino;
} s_id_t;

//  What we know to be at path: a watched directory, or a published file.
static bool
s_known (published_t *published, watches_t *watches, const char *path, bool is_dir,
         s_id_t *id)
{
    if (is_dir)
        return watches_inode (watches, path, &id->dev, &id->ino);
    const fileset_file_t *file = fileset_lookup (published_files (published), path);
    if (!file || !file->ino)
        return false;
    id->dev = file->dev;
    id->ino = file->ino;
    return true;
}

//  What is at path on disk now, of the same kind.
static bool
s_on_disk (int rootfd, const char *path, bool is_dir, struct stat *st, s_id_t *id)
{
    if (rootfd < 0 || fstatat (rootfd, path, st, AT_SYMLINK_NOFOLLOW))
        return false;
    if (is_dir? !S_ISDIR (st->st_mode): !S_ISREG (st->st_mode))
        return false;
    id->dev = (uint64_t) st->st_dev;
    id->ino = (uint64_t) st->st_ino;
    return true;
}

static bool
s_same (const s_id_t *x, const s_id_t *y)
{
    return x->dev == y->dev && x->ino == y->ino;
}

exchange_t
exchange_apply (int rootfd, published_t *published, watches_t *watches,
                const char *from, const char *to, bool is_dir, zlistx_t *changes)
{
    assert (published);
    assert (watches);
    s_id_t known_from, known_to, disk_from, disk_to;
    struct stat st_from, st_to;
    if (!s_known (published, watches, from, is_dir, &known_from)
    ||  !s_known (published, watches, to, is_dir, &known_to)
    ||  !s_on_disk (rootfd, from, is_dir, &st_from, &disk_from)
    ||  !s_on_disk (rootfd, to, is_dir, &st_to, &disk_to))
        return EXCHANGE_NONE;
    if (s_same (&known_from, &disk_from) && s_same (&known_to, &disk_to))
        return EXCHANGE_ECHO;
    if (!s_same (&known_from, &disk_to) || !s_same (&known_to, &disk_from))
        return EXCHANGE_NONE;
    if (is_dir) {
        published_exchange_dir (published, from, to, changes);
        watches_exchange (watches, from, to);
    }
    else
        published_exchange (published, from, to, &st_from, &st_to, changes);
    return EXCHANGE_SWAPPED;
}
