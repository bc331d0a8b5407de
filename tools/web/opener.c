/*  opener.c - fshare-web --open, the token off the command line. See opener.h.

    The page is made with mkstemps in the control directory, which
    fsh_private_dir has checked is ours and closed to others: nobody else
    can read the page, swap it, or make its name a link first. The
    address is written into HTML and a script as it is, so only the bytes
    an address of server_url can hold are let in; any other byte would
    need escaping for one or the other, and never comes.
*/
#include "fshare.h"
#include "opener.h"
#include <spawn.h>

extern char **environ;

struct _opener_t {
    char *page;
};

//  True when every byte of `url` is one that needs no escaping inside an
//  HTML attribute or a JavaScript string: no quote, '<', '&' or backslash.
static bool
s_url_plain (const char *url)
{
    for (const char *c = url; *c; c++)
        if (!isalnum ((unsigned char) *c) && !strchr ("-._~:/?=[]%", *c))
            return false;
    return *url != 0;
}

static char *
s_page_html (const char *url)
{
    return zsys_sprintf (
        "<!DOCTYPE html>\n"
        "<html><head><meta charset=\"utf-8\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta http-equiv=\"refresh\" content=\"0;url=%s\">\n"
        "<title>fshare-web</title>\n"
        "<script>location.replace(\"%s\");</script>\n"
        "</head><body><p><a href=\"%s\">Open fshare-web</a></p></body></html>\n",
        url, url, url);
}

//  file:// and the path, each byte outside the unreserved ones and '/'
//  written %XX. Caller frees.
static char *
s_file_url (const char *path)
{
    char *url = (char *) zmalloc (strlen ("file://") + 3 * strlen (path) + 1);
    char *out = url + sprintf (url, "file://");
    for (const unsigned char *c = (const unsigned char *) path; *c; c++)
        if (isalnum (*c) || strchr ("-._~/", *c))
            *out++ = (char) *c;
        else
            out += sprintf (out, "%%%02X", *c);
    *out = 0;
    return url;
}

//  Writes the whole of `text` to `fd`. 0 or -1.
static int
s_write_all (int fd, const char *text)
{
    size_t left = strlen (text);
    while (left) {
        ssize_t size = write (fd, text, left);
        if (size < 0 && errno == EINTR)
            continue;
        if (size <= 0)
            return -1;
        text += size;
        left -= (size_t) size;
    }
    return 0;
}

//  A new page holding `url` in the control directory: its path, or NULL
//  with *error.
static char *
s_page_write (const char *url, char **error)
{
    char *dir = fsh_control_dir ();
    const char *why = fsh_private_dir (dir);
    if (why) {
        *error = zsys_sprintf ("cannot open the page: %s: %s", dir, why);
        zstr_free (&dir);
        return NULL;
    }
    char *path = zsys_sprintf ("%s/web-XXXXXX.html", dir);
    zstr_free (&dir);
    int fd = mkstemps (path, 5);            //  0600, and never an existing name
    char *html = s_page_html (url);
    if (fd == -1 || s_write_all (fd, html) || close (fd)) {
        *error = zsys_sprintf ("cannot open the page: cannot write %s: %s", path,
                               strerror (errno));
        if (fd != -1)
            unlink (path);
        zstr_free (&path);
    }
    zstr_free (&html);
    return path;
}

//  xdg-open on the page, not waited for (SIGCHLD is ignored). 0 or -1.
static int
s_spawn (const char *page)
{
    char *target = s_file_url (page);
    char *argv [] = { "xdg-open", target, NULL };
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp (&pid, "xdg-open", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    zstr_free (&target);
    errno = rc;
    return rc? -1: 0;
}

opener_t *
opener_new (const char *url, char **error)
{
    *error = NULL;
    if (!s_url_plain (url)) {
        *error = strdup ("cannot open the page: its address needs escaping");
        return NULL;
    }
    char *page = s_page_write (url, error);
    if (!page)
        return NULL;
    if (s_spawn (page)) {
        *error = zsys_sprintf ("no xdg-open here (%s): open the address yourself",
                               strerror (errno));
        unlink (page);
        zstr_free (&page);
        return NULL;
    }
    opener_t *self = (opener_t *) zmalloc (sizeof (opener_t));
    self->page = page;
    return self;
}

void
opener_destroy (opener_t **self_p)
{
    if (*self_p) {
        opener_t *self = *self_p;
        unlink (self->page);
        zstr_free (&self->page);
        free (self);
        *self_p = NULL;
    }
}

const char *
opener_page (opener_t *self)
{
    return self->page;
}
