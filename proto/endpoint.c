/*  endpoint.c - where things live. See endpoint.h. */
#include "fshare.h"
#include <sys/stat.h>

bool
fsh_endpoint_is_local (const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    //  A "source;destination" form names the destination after ';'.
    const char *semi = strchr (host, ';');
    if (semi)
        host = semi + 1;
    if (strncmp (host, "[::1]:", 6) == 0 || strncmp (host, "localhost:", 10) == 0)
        return true;
    if (strncmp (host, "127.", 4) != 0)
        return false;
    //  127.a.b.c followed by ':' and nothing that looks like another host
    int a, b, c, n = 0;
    if (sscanf (host, "127.%d.%d.%d:%n", &a, &b, &c, &n) != 3 || n == 0)
        return false;
    return a >= 0 && a < 256 && b >= 0 && b < 256 && c >= 0 && c < 256;
}

char *
fsh_state_dir (void)
{
    const char *xdg = getenv ("XDG_STATE_HOME");
    if (xdg && *xdg == '/')
        return zsys_sprintf ("%s/fshare", xdg);
    const char *home = getenv ("HOME");
    return zsys_sprintf ("%s/.local/state/fshare", home && *home? home: ".");
}

char *
fsh_control_dir (void)
{
    const char *xdg = getenv ("XDG_RUNTIME_DIR");
    if (xdg && *xdg == '/')
        return zsys_sprintf ("%s/fshare", xdg);
    return zsys_sprintf ("/tmp/fshare-%u", (unsigned) getuid ());
}

char *
fsh_control_endpoint (const char *user)
{
    char *dir = fsh_control_dir ();
    char *endpoint = zsys_sprintf ("ipc://%s/%s.ctl", dir, user);
    zstr_free (&dir);
    return endpoint;
}

int
fsh_mkdirs (const char *path, mode_t mode)
{
    char *copy = strdup (path);
    if (!copy)
        return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir (copy, mode) && errno != EEXIST) {
            free (copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir (copy, mode);
    free (copy);
    if (rc && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat (path, &st) || !S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int
fsh_endpoint_prepare (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) != 0)
        return 0;
    char *dir = strdup (endpoint + 6);
    char *slash = strrchr (dir, '/');
    if (!slash || slash == dir) {
        free (dir);
        return 0;
    }
    *slash = 0;
    int rc = fsh_mkdirs (dir, 0700);
    struct stat st;
    if (rc == 0 && stat (dir, &st) == 0 && st.st_uid != getuid ()) {
        zsys_error ("%s belongs to another user; refusing to use it", dir);
        errno = EPERM;
        rc = -1;
    }
    free (dir);
    return rc;
}

char *
fsh_path_absolute (const char *path)
{
    char cwd [PATH_MAX];
    char *absolute = *path != '/' && getcwd (cwd, sizeof (cwd))
                   ? zsys_sprintf ("%s/%s", cwd, path): strdup (path);
    assert (absolute);
    size_t len = strlen (absolute);
    while (len > 1 && absolute [len - 1] == '/')
        absolute [--len] = 0;
    return absolute;
}
