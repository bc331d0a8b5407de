/*  watchlimit.c - a test-only LD_PRELOAD shim: an inotify watch table of a
    size the test sets, for a process run where no user namespace of its
    own (files_watch_limit.sh's first choice) can be made, as in a chroot.

    FSHARE_WATCH_LIMIT_FILE names a file holding the number of watches the
    process may hold; it is read at every inotify_add_watch, so the test
    can raise it while the process runs. A watch beyond it fails ENOSPC,
    as the kernel's max_user_watches does. Watches the kernel drops by
    itself (a directory removed) still count: the limit is then stricter,
    never looser.

    FSHARE_INOTIFY_INSTANCES_FULL set (to anything) makes inotify_init and
    inotify_init1 fail EMFILE, as the kernel's max_user_instances does when
    other programs hold every instance allowed.
*/
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#define S_WDS   65536           //  watch descriptors tracked

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t s_held [S_WDS / 8];
static long s_count;

static long
s_limit (void)
{
    const char *path = getenv ("FSHARE_WATCH_LIMIT_FILE");
    int fd = path? open (path, O_RDONLY | O_CLOEXEC): -1;
    if (fd < 0)
        return -1;
    char text [32] = "";
    ssize_t size = read (fd, text, sizeof text - 1);
    close (fd);
    return size > 0? strtol (text, NULL, 10): -1;
}

static bool
s_is_held (int wd)
{
    return wd >= 0 && wd < S_WDS && (s_held [wd / 8] & (1 << (wd % 8)));
}

int
inotify_add_watch (int fd, const char *path, uint32_t mask)
{
    static int (*real_add) (int, const char *, uint32_t);
    static int (*real_rm) (int, int);
    if (!real_add) {
        real_add = (int (*) (int, const char *, uint32_t)) dlsym (RTLD_NEXT, "inotify_add_watch");
        real_rm = (int (*) (int, int)) dlsym (RTLD_NEXT, "inotify_rm_watch");
    }
    int wd = real_add (fd, path, mask);
    if (wd < 0 || wd >= S_WDS)
        return wd;
    pthread_mutex_lock (&s_lock);
    long limit = s_limit ();
    bool refuse = !s_is_held (wd) && limit >= 0 && s_count >= limit;
    if (!refuse && !s_is_held (wd)) {
        s_held [wd / 8] |= (uint8_t) (1 << (wd % 8));
        s_count++;
    }
    pthread_mutex_unlock (&s_lock);
    if (refuse) {
        real_rm (fd, wd);
        errno = ENOSPC;
        return -1;
    }
    return wd;
}

int
inotify_rm_watch (int fd, int wd)
{
    static int (*real_rm) (int, int);
    if (!real_rm)
        real_rm = (int (*) (int, int)) dlsym (RTLD_NEXT, "inotify_rm_watch");
    pthread_mutex_lock (&s_lock);
    if (s_is_held (wd)) {
        s_held [wd / 8] &= (uint8_t) ~(1 << (wd % 8));
        s_count--;
    }
    pthread_mutex_unlock (&s_lock);
    return real_rm (fd, wd);
}

int
inotify_init1 (int flags)
{
    static int (*real_init1) (int);
    if (getenv ("FSHARE_INOTIFY_INSTANCES_FULL")) {
        errno = EMFILE;
        return -1;
    }
    if (!real_init1)
        real_init1 = (int (*) (int)) dlsym (RTLD_NEXT, "inotify_init1");
    return real_init1 (flags);
}

int
inotify_init (void)
{
    return inotify_init1 (0);
}
