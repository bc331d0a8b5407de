/*  statedir.c - the agent's state directory. See statedir.h.

    The lock file is opened, locked, then truncated and given our pid: a
    reader of a locked file always finds the pid of the holder, or nothing
    for the instant between the lock and the write. The instance file is
    written to a temporary name and renamed, so it is whole or absent.
*/
#include "statedir.h"
#include "loginclient.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#define INSTANCE_HEX    (FSH_INSTANCE_BYTES * 2)

struct _statedir_t {
    char *path;
    int lock_fd;
    byte instance [FSH_INSTANCE_BYTES];
    char instance_text [INSTANCE_HEX + 1];
};

char *
statedir_default (const char *user)
{
    char *root = fsh_state_dir ();
    if (!root)
        return NULL;
    char *path = zsys_sprintf ("%s/peer-%s", root, user);
    zstr_free (&root);
    return path;
}

static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

//  The instance id from the file: true when it holds 32 lower-case hex digits.
//  Only a regular file is read: a FIFO there would block the start for
//  ever, a symlink lead elsewhere. Anything else is replaced.
static bool
s_instance_read (statedir_t *self, const char *name)
{
    int fd = open (name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    char text [INSTANCE_HEX + 2] = "";
    ssize_t size = fstat (fd, &st) == 0 && S_ISREG (st.st_mode)
                 ? pread (fd, text, sizeof text - 1, 0): -1;
    close (fd);
    if (size <= 0)
        return false;
    text [size] = 0;
    text [strcspn (text, "\n")] = 0;
    if (strlen (text) != INSTANCE_HEX)
        return false;
    for (size_t i = 0; i < FSH_INSTANCE_BYTES; i++) {
        int high = s_hex_value (text [2 * i]), low = s_hex_value (text [2 * i + 1]);
        if (high < 0 || low < 0)
            return false;
        self->instance [i] = (byte) (high * 16 + low);
    }
    memcpy (self->instance_text, text, INSTANCE_HEX + 1);
    return true;
}

static int
s_instance_make (statedir_t *self, const char *name)
{
    zuuid_t *uuid = zuuid_new ();
    if (!uuid)
        return -1;
    memcpy (self->instance, zuuid_data (uuid), FSH_INSTANCE_BYTES);
    for (size_t i = 0; i < FSH_INSTANCE_BYTES; i++)
        snprintf (self->instance_text + 2 * i, 3, "%02x", self->instance [i]);
    zuuid_destroy (&uuid);
    //  Made anew (O_EXCL, no link followed): what a crash left under the
    //  temporary name, whatever it is, is not written through
    char *temp = zsys_sprintf ("%s.tmp", name);
    unlink (temp);
    int fd = open (temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = fd < 0? -1: 0;
    if (fd >= 0) {
        char line [INSTANCE_HEX + 2];
        int size = snprintf (line, sizeof line, "%s\n", self->instance_text);
        if (write (fd, line, (size_t) size) != size)
            rc = -1;
        if (close (fd))
            rc = -1;
    }
    if (rc == 0)
        rc = rename (temp, name);
    if (rc)
        unlink (temp);
    zstr_free (&temp);
    return rc;
}

//  The pid written in a lock file someone else holds, or 0.
static long
s_holder (int fd)
{
    char text [32] = "";
    ssize_t size = pread (fd, text, sizeof text - 1, 0);
    if (size <= 0)
        return 0;
    text [size] = 0;
    char *end;
    long pid = strtol (text, &end, 10);
    return pid > 0 && (*end == '\n' || *end == 0)? pid: 0;
}

static char *
s_lock (statedir_t *self)
{
    char *name = zsys_sprintf ("%s/lock", self->path);
    //  O_NONBLOCK: a FIFO there must not block the open
    self->lock_fd = open (name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
                                | O_NOCTTY, 0600);
    zstr_free (&name);
    if (self->lock_fd < 0 && errno == ELOOP)
        return zsys_sprintf ("state directory %s: its lock file is a symbolic link "
                             "(remove it)", self->path);
    if (self->lock_fd < 0)
        return zsys_sprintf ("state directory %s: %s", self->path, strerror (errno));
    struct stat st;
    if (fstat (self->lock_fd, &st) || !S_ISREG (st.st_mode))
        return zsys_sprintf ("state directory %s: its lock file is not a regular file "
                             "(remove it)", self->path);
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB)) {
        if (errno != EWOULDBLOCK)
            return zsys_sprintf ("state directory %s: cannot lock it: %s",
                                 self->path, strerror (errno));
        long pid = s_holder (self->lock_fd);
        return pid? zsys_sprintf ("another agent of this user is running here (pid %ld; "
                                  "state directory %s)", pid, self->path)
                  : zsys_sprintf ("another agent of this user is running here "
                                  "(state directory %s)", self->path);
    }
    char pid [32];
    int size = snprintf (pid, sizeof pid, "%ld\n", (long) getpid ());
    if (ftruncate (self->lock_fd, 0) || pwrite (self->lock_fd, pid, (size_t) size, 0) != size)
        return zsys_sprintf ("state directory %s: %s", self->path, strerror (errno));
    return NULL;
}

statedir_t *
statedir_open (const char *path, char **error)
{
    *error = NULL;
    if (fsh_mkdirs (path, 0700)) {
        *error = zsys_sprintf ("state directory %s: %s", path, strerror (errno));
        return NULL;
    }
    statedir_t *self = (statedir_t *) zmalloc (sizeof (statedir_t));
    self->path = strdup (path);
    self->lock_fd = -1;
    *error = s_lock (self);
    if (!*error) {
        char *name = zsys_sprintf ("%s/instance", path);
        if (!s_instance_read (self, name) && s_instance_make (self, name))
            *error = zsys_sprintf ("state directory %s: cannot write the instance id: %s",
                                   path, strerror (errno));
        zstr_free (&name);
    }
    if (*error)
        statedir_destroy (&self);
    return self;
}

void
statedir_destroy (statedir_t **self_p)
{
    if (*self_p) {
        statedir_t *self = *self_p;
        //  Closing the descriptor releases the lock
        if (self->lock_fd >= 0)
            close (self->lock_fd);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

const byte *
statedir_instance (statedir_t *self)
{
    return self->instance;
}

const char *
statedir_instance_text (statedir_t *self)
{
    return self->instance_text;
}

const char *
statedir_path (statedir_t *self)
{
    return self->path;
}
