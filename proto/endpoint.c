/*  endpoint.c - where things live. See endpoint.h. */
#include "fshare.h"
#include <sys/stat.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "cli.h"
#include <libgen.h>

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

//  A tcp host: '*' (bind), [IPv6] or a name/IPv4 address; `end` is
//  where the port's ':' is.
static bool
s_tcp_host_valid (const char *host, const char *end, bool bind)
{
    size_t len = (size_t) (end - host);
    if (len == 1 && *host == '*')
        return bind;
    if (len >= 2 && host [0] == '[')
        return host [len - 1] == ']'
            && strspn (host + 1, "0123456789abcdefABCDEF:.%") == len - 2;
    if (len == 0 || len > 253)
        return false;
    for (const char *at = host; at < end; at++)
        if (!isalnum ((unsigned char) *at) && *at != '.' && *at != '-' && *at != '_')
            return false;
    return true;
}

//  The source of "source;destination": a host (a name, an address, an
//  interface) with an optional port, a number from 0 (any) to 65535 or
//  '*'; `end` is the ';'.
static const char *
s_tcp_source_invalid (const char *source, const char *end)
{
    //  An IPv6 address's own colons are inside its brackets
    const char *close = source [0] == '['? memchr (source, ']', (size_t) (end - source)): NULL;
    const char *from = close? close: source;
    const char *colon = memrchr (from, ':', (size_t) (end - from));
    if (!s_tcp_host_valid (source, colon? colon: end, false))
        return "the source address is not a host name or address";
    if (!colon)
        return NULL;
    const char *port = colon + 1;
    size_t len = (size_t) (end - port);
    if (len == 1 && *port == '*')
        return NULL;
    if (len == 0 || len > 5 || strspn (port, "0123456789") < len
    ||  strtol (port, NULL, 10) > 65535)
        return "the source port is not a number from 0 to 65535";
    return NULL;
}

static const char *
s_tcp_invalid (const char *address, bool bind)
{
    //  "source;destination" connects from a given local address
    const char *semi = strchr (address, ';');
    if (semi) {
        if (bind)
            return "a source address (';') only applies to connecting";
        const char *problem = s_tcp_source_invalid (address, semi);
        if (problem)
            return problem;
        address = semi + 1;
    }
    const char *colon = strrchr (address, ':');
    if (!colon)
        return "tcp:// needs HOST:PORT";
    if (!s_tcp_host_valid (address, colon, bind))
        return bind? "the host is not a name, an address or '*'"
                   : "the host is not a name or an address";
    const char *port = colon + 1;
    if (streq (port, "*"))
        return bind? NULL: "a port of '*' only applies to binding";
    if (fsh_number (port, 1, 65535) < 0)
        return "the port is not a number from 1 to 65535";
    return NULL;
}

const char *
fsh_endpoint_invalid (const char *endpoint, bool bind)
{
    if (!endpoint || !*endpoint)
        return "no endpoint given";
    for (const char *at = endpoint; *at; at++)
        if ((unsigned char) *at < 0x21 || (unsigned char) *at > 0x7e)
            return "it holds a space, a control or a non-ASCII byte";
    if (strncmp (endpoint, "tcp://", 6) == 0)
        return s_tcp_invalid (endpoint + 6, bind);
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        size_t len = strlen (endpoint + 6);
        if (len == 0)
            return "ipc:// needs a path";
        //  sun_path holds 108 bytes with its NUL
        return len > 107? "an ipc:// path is at most 107 bytes": NULL;
    }
    //  No inproc://: a name inside this one process reaches no other
    //  program (a tap on it would wait, received nothing, and exit 0)
    return "not a tcp:// or ipc:// endpoint";
}

//  The state directory, and in *base what must exist already for it: the
//  home, or XDG_STATE_HOME's parent. What lies below that is ours to make;
//  that itself is not (a HOME of /nonexistent must stay nonexistent).
//  NULL when there is no home at all. Caller frees both.
static char *
s_state_dir (char **base, bool *from_xdg)
{
    *base = NULL;
    const char *xdg = getenv ("XDG_STATE_HOME");
    *from_xdg = xdg && *xdg == '/';
    if (*from_xdg) {
        char *copy = strdup (xdg);
        *base = strdup (dirname (copy));
        free (copy);
        return zsys_sprintf ("%s/fshare", xdg);
    }
    //  Without HOME, the password database's home: "." would put the
    //  state (accounts, keys, instance ids) wherever the program started
    const char *home = getenv ("HOME");
    if (!home || *home != '/') {
        struct passwd *entry = getpwuid (getuid ());
        home = entry? entry->pw_dir: NULL;
    }
    if (!home || *home != '/')
        return NULL;
    *base = strdup (home);
    return zsys_sprintf ("%s/.local/state/fshare", home);
}

//  0 when base is a directory, else an errno
static int
s_base_missing (const char *base)
{
    struct stat st;
    if (stat (base, &st) != 0)
        return errno;
    return S_ISDIR (st.st_mode)? 0: ENOTDIR;
}

char *
fsh_state_dir (void)
{
    char *base = NULL;
    bool from_xdg = false;
    char *dir = s_state_dir (&base, &from_xdg);
    if (dir && s_base_missing (base))
        zstr_free (&dir);
    zstr_free (&base);
    return dir;
}

char *
fsh_state_dir_problem (void)
{
    char *base = NULL;
    bool from_xdg = false;
    char *dir = s_state_dir (&base, &from_xdg);
    int missing = dir? s_base_missing (base): 0;
    char *why = NULL;
    if (!dir)
        why = strdup (FSH_NO_STATE_DIR);
    else
    if (missing)
        why = zsys_sprintf ("%s %s %s (fshare does not create it): set HOME or XDG_STATE_HOME",
                            from_xdg? "XDG_STATE_HOME's parent directory": "the home directory",
                            base, missing == ENOENT? "does not exist"
                                : missing == ENOTDIR? "is not a directory": strerror (missing));
    zstr_free (&dir);
    zstr_free (&base);
    return why;
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

const char *
fsh_private_dir (const char *dir)
{
    struct stat st;
    if (fsh_mkdirs (dir, 0700) || stat (dir, &st))
        return strerror (errno);
    //  Whoever owns it or may write into it can put a link or a FIFO where
    //  our log or socket goes, or replace the socket with one of theirs
    if (st.st_uid != geteuid ())
        return "it belongs to another user: refusing to use it";
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return "group or others may write into it: refusing to use it (chmod 700 it)";
    return NULL;
}

const char *
fsh_endpoint_prepare (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) != 0)
        return NULL;
    char *dir = strdup (endpoint + 6);
    char *slash = strrchr (dir, '/');
    const char *why = NULL;
    if (slash && slash != dir) {
        *slash = 0;
        why = fsh_private_dir (dir);
    }
    free (dir);
    return why;
}

//  One look: does anything accept on the socket file?
static bool
s_ipc_accepts (const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof addr.sun_path)
        return false;
    strcpy (addr.sun_path, path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool accepts = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    close (fd);
    return accepts;
}

bool
fsh_endpoint_in_use (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) != 0)
        return false;
    for (int tries = 0; s_ipc_accepts (endpoint + 6); tries++) {
        if (tries == 15)
            return true;
        zclock_sleep (20);
    }
    return false;
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
