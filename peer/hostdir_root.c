/*  hostdir_root.c - what inotify does not tell about the host directory
    (hostdir.h): a file system mounted inside it, its path coming to name
    another directory, and how its changes are found at all (inotify, or
    rescans and why), for status. The first two are looks the agent's
    timers make; what they find is handed to the rescan (hostdir.c).
*/
#include "hostdir_int.h"
#include <errno.h>
#include <sys/stat.h>

//  A file system mounted or unmounted inside: inotify tells nothing
bool
hostdir_mounts_changed (hostdir_t *self)
{
    assert (self);
    if (!self->mounts || !mounts_changed (self->mounts))
        return false;
    zsys_info ("hostdir: a file system was mounted or unmounted in '%s': rescanning",
               self->root);
    hostdir_schedule_rescan (self, 0);
    return true;
}

//  The root's path names another directory than the one watched (its
//  parent renamed away, a new directory made there): no event says so,
//  since the watch goes with the directory that moved. One stat(2).
bool
hostdir_root_moved (hostdir_t *self)
{
    assert (self);
    uint64_t dev, ino;
    if (self->root_lost || !watches_inode (self->watches, "", &dev, &ino))
        return false;                   //  rescans look for it already
    struct stat st;
    if (stat (self->root, &st) == 0 && S_ISDIR (st.st_mode)
    &&  (uint64_t) st.st_dev == dev && (uint64_t) st.st_ino == ino)
        return false;
    zsys_warning ("hostdir: '%s' is not the directory watched any more (moved or "
                  "replaced): rescanning", self->root);
    hostdir_schedule_rescan (self, 0);
    return true;
}

const char *
hostdir_watching (hostdir_t *self)
{
    assert (self);
    if (self->inotify < 0)
        return self->inotify_errno == EMFILE
             ? "rescans (no inotify instance: fs.inotify.max_user_instances reached)"
             : "rescans (no inotify instance)";
    return self->watch_full? "inotify and rescans (watch table full)": "inotify";
}
