/*  webutil.c - request checks, tokens and text building. See webutil.h. */
#include "webutil.h"
#include "fshare.h"
#include "cli.h"
#include "escape.h"
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>

void
webbuf_init (webbuf_t *self)
{
    self->data = NULL;
    self->size = 0;
    self->capacity = 0;
}

void
webbuf_free (webbuf_t *self)
{
    free (self->data);
    webbuf_init (self);
}

static void
s_reserve (webbuf_t *self, size_t more)
{
    if (self->size + more + 1 <= self->capacity)
        return;
    size_t capacity = self->capacity? self->capacity: 1024;
    while (capacity < self->size + more + 1)
        capacity *= 2;
    self->data = (char *) realloc (self->data, capacity);
    assert (self->data);
    self->capacity = capacity;
}

char *
webbuf_take (webbuf_t *self, size_t *size)
{
    s_reserve (self, 0);
    self->data [self->size] = 0;
    char *data = self->data;
    if (size)
        *size = self->size;
    webbuf_init (self);
    return data;
}

void
webbuf_addn (webbuf_t *self, const char *text, size_t size)
{
    s_reserve (self, size);
    memcpy (self->data + self->size, text, size);
    self->size += size;
}

void
webbuf_add (webbuf_t *self, const char *text)
{
    webbuf_addn (self, text, strlen (text));
}

void
webbuf_printf (webbuf_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int needed = vsnprintf (NULL, 0, format, args);
    va_end (args);
    if (needed <= 0)
        return;
    s_reserve (self, (size_t) needed);
    va_start (args, format);
    vsnprintf (self->data + self->size, (size_t) needed + 1, format, args);
    va_end (args);
    self->size += (size_t) needed;
}

void
webbuf_html (webbuf_t *self, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
            case '&':  webbuf_add (self, "&amp;"); break;
            case '<':  webbuf_add (self, "&lt;"); break;
            case '>':  webbuf_add (self, "&gt;"); break;
            case '"':  webbuf_add (self, "&quot;"); break;
            case '\'': webbuf_add (self, "&#39;"); break;
            default:   webbuf_addn (self, p, 1);
        }
    }
}

void
webbuf_shown (webbuf_t *self, const char *text)
{
    char *shown = fsh_text_escape (text);
    webbuf_html (self, shown? shown: "");
    free (shown);
}

void
webbuf_json (webbuf_t *self, const char *text)
{
    webbuf_add (self, "\"");
    const char *end = text + strlen (text);
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        unsigned code = 0;
        size_t hidden = fsh_text_hidden ((const char *) p, (size_t) (end - (const char *) p), &code);
        if (hidden) {
            //  The same string, but no raw C1 or bidi in what is sent (escape.h)
            webbuf_printf (self, "\\u%04x", code);
            p += hidden - 1;
        }
        else
        if (*p == '"' || *p == '\\')
            webbuf_printf (self, "\\%c", *p);
        else
        if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
            webbuf_printf (self, "\\u%04x", *p);
        else
            webbuf_addn (self, (const char *) p, 1);
    }
    webbuf_add (self, "\"");
}

void
webbuf_url (webbuf_t *self, const char *text)
{
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        if (isalnum (*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/')
            webbuf_addn (self, (const char *) p, 1);
        else
            webbuf_printf (self, "%%%02X", *p);
    }
}

void
web_token_new (char *buf, size_t size)
{
    assert (size >= WEB_TOKEN_CHARS + 1);
    unsigned char bytes [32];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2base64 (buf, size, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero (bytes, sizeof bytes);
}

bool
web_token_equal (const char *given, const char *token)
{
    if (!given || !token)
        return false;
    size_t length = strlen (token);
    if (strnlen (given, length + 1) != length)
        return false;
    return sodium_memcmp (given, token, length) == 0;
}

//  The next cookie named `name` from *at on: its value into buf (true),
//  *at past it. False when there is none more; a value too long for buf
//  is passed over.
static bool
s_cookie_next (const char **at, const char *name, char *buf, size_t size)
{
    size_t name_len = strlen (name);
    const char *p = *at;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr (p, ';');
        size_t len = end? (size_t) (end - p): strlen (p);
        const char *start = p;
        p += len;
        if (len <= name_len || memcmp (start, name, name_len) != 0 || start [name_len] != '=')
            continue;
        const char *value = start + name_len + 1;
        size_t value_len = len - name_len - 1;
        while (value_len && value [value_len - 1] == ' ')
            value_len--;
        if (value_len + 1 > size)
            continue;
        memcpy (buf, value, value_len);
        buf [value_len] = 0;
        *at = p;
        return true;
    }
    *at = p;
    return false;
}

bool
web_cookie_get (const char *header, const char *name, char *buf, size_t size)
{
    const char *at = header;
    return header && s_cookie_next (&at, name, buf, size);
}

bool
web_cookie_holds (const char *header, const char *name, const char *token)
{
    char value [WEB_TOKEN_CHARS + 2];
    const char *at = header;
    while (header && s_cookie_next (&at, name, value, sizeof value))
        if (web_token_equal (value, token))
            return true;
    return false;
}

bool
web_host_ok (const char *host, const char *const *hosts)
{
    if (!host)
        return false;
    for (; *hosts; hosts++)
        if (strcasecmp (host, *hosts) == 0)
            return true;
    return false;
}

bool
web_origin_ok (const char *origin, const char *host, const char *const *hosts)
{
    if (!origin || !web_host_ok (host, hosts))
        return false;
    if (strncasecmp (origin, "http://", 7) != 0)
        return false;
    return strcasecmp (origin + 7, host) == 0;
}

static int
s_hex (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower (c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

//  Percent-decodes text [0, size) into a new string; NULL when malformed.
static char *
s_decode (const char *text, size_t size)
{
    if (size > 3 * WEB_VALUE_MAX)
        return NULL;
    char *out = (char *) malloc (size + 1);
    assert (out);
    size_t length = 0;
    for (size_t i = 0; i < size; i++) {
        int c = (unsigned char) text [i];
        if (c == '+')
            c = ' ';
        else
        if (c == '%') {
            int high = i + 2 < size? s_hex ((unsigned char) text [i + 1]): -1;
            int low = i + 2 < size? s_hex ((unsigned char) text [i + 2]): -1;
            if (high < 0 || low < 0) {
                free (out);
                return NULL;
            }
            c = high * 16 + low;
            i += 2;
        }
        if (c == 0) {
            free (out);
            return NULL;
        }
        out [length++] = (char) c;
    }
    out [length] = 0;
    if (length > WEB_VALUE_MAX || !fsh_text_valid (out, WEB_VALUE_MAX)) {
        free (out);
        return NULL;
    }
    return out;
}

int
webform_parse (webform_t *self, const char *text, size_t size)
{
    memset (self, 0, sizeof *self);
    if (size > WEB_FORM_MAX)
        return -1;
    size_t start = 0;
    while (start < size) {
        const char *field = text + start;
        const char *amp = memchr (field, '&', size - start);
        size_t len = amp? (size_t) (amp - field): size - start;
        start += len + 1;
        if (len == 0)
            continue;
        const char *equals = memchr (field, '=', len);
        size_t key_len = equals? (size_t) (equals - field): len;
        if (self->count == WEB_FORM_FIELDS)
            goto malformed;
        char *key = s_decode (field, key_len);
        char *value = equals? s_decode (equals + 1, len - key_len - 1): strdup ("");
        if (!key || !value || !*key || webform_get (self, key)) {
            free (key);
            free (value);
            goto malformed;
        }
        self->keys [self->count] = key;
        self->values [self->count++] = value;
    }
    return 0;
malformed:
    webform_free (self);
    return -1;
}

void
webform_free (webform_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        free (self->keys [i]);
        free (self->values [i]);
    }
    self->count = 0;
}

const char *
webform_get (const webform_t *self, const char *key)
{
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->keys [i], key))
            return self->values [i];
    return NULL;
}

int
web_listen_parse (const char *text, char *host, size_t size, int *port)
{
    const char *colon = NULL;
    const char *start = text;
    size_t length;
    if (text [0] == '[') {
        const char *close = strchr (text, ']');
        if (!close || close [1] != ':')
            return -1;
        start = text + 1;
        length = (size_t) (close - start);
        colon = close + 1;
    }
    else {
        colon = strrchr (text, ':');
        if (!colon || memchr (text, ':', (size_t) (colon - text)))
            return -1;
        length = (size_t) (colon - text);
    }
    if (length == 0 || length + 1 > size)
        return -1;
    long number = fsh_number (colon + 1, 0, 65535);
    if (number < 0)
        return -1;
    memcpy (host, start, length);
    host [length] = 0;
    for (const char *p = host; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr (".-:", *p))
            return -1;
    *port = (int) number;
    return 0;
}

bool
web_host_is_loopback (const char *host)
{
    //  The agents' own test, so that a look-alike (127.0.0.1.evil.example,
    //  a name resolving anywhere) is no more loopback here than there
    char endpoint [300];
    if (strlen (host) > 256)
        return false;
    snprintf (endpoint, sizeof endpoint, strchr (host, ':')? "tcp://[%s]:1": "tcp://%s:1", host);
    return fsh_endpoint_is_local (endpoint);
}

bool
web_glob_match (const char *glob, const char *path)
{
    return !glob || !*glob || fsh_glob_match (glob, path);
}

//  --- a saved file, beneath the downloads directory ---------------------------

//  What of `inner` lies below `outer` (both resolved): "" for outer
//  itself; NULL when inner is neither outer nor below it. Whole
//  components only: "/dl-evil" is not below "/dl".
static const char *
s_below (const char *outer, const char *inner)
{
    size_t length = strlen (outer);
    if (streq (outer, "/"))
        return inner + 1;
    if (strncmp (inner, outer, length) != 0)
        return NULL;
    if (inner [length] == 0)
        return inner + length;
    return inner [length] == '/'? inner + length + 1: NULL;
}

//  A link met where a directory or the file should be: refused, as is
//  anything that is not what it was when resolved.
static int
s_refused (int error)
{
    return error == ELOOP || error == ENOTDIR || error == EMLINK? EACCES: error;
}

//  Down from the directory `at` through each component of `below`, none
//  of them a link: the last directory's fd, or -1 with errno. Takes `at`.
static int
s_walk (int at, const char *below)
{
    char *copy = strdup (below);
    char *save = NULL;
    for (char *name = strtok_r (copy, "/", &save); name && at >= 0;
         name = strtok_r (NULL, "/", &save)) {
        int next = openat (at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int error = errno;
        close (at);
        at = next;
        errno = error;
    }
    free (copy);
    return at;
}

//  The file `name` in the resolved directory `parent`, below `dir`.
static int
s_open_in (const char *dir, const char *parent, const char *name, struct stat *st)
{
    const char *below = s_below (dir, parent);
    if (!below) {
        errno = EACCES;
        return -1;
    }
    int at = s_walk (open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), below);
    //  O_NONBLOCK: a fifo put there must not hang the server in open
    int fd = at >= 0? openat (at, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC): -1;
    int error = s_refused (errno);
    if (at >= 0)
        close (at);
    if (fd >= 0 && (fstat (fd, st) || !S_ISREG (st->st_mode))) {
        close (fd);
        fd = -1;
        error = EACCES;
    }
    if (fd >= 0)
        fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    errno = error;
    return fd;
}

int
web_open_beneath (const char *dir, const char *path, struct stat *st)
{
    const char *slash = path? strrchr (path, '/'): NULL;
    const char *name = slash? slash + 1: "";
    if (!dir || !slash || path [0] != '/' || !*name || streq (name, ".")
    ||  streq (name, "..")) {
        errno = EACCES;
        return -1;
    }
    char *parent = strndup (path, slash == path? 1: (size_t) (slash - path));
    char *real_dir = realpath (dir, NULL);
    char *real_parent = real_dir && parent? realpath (parent, NULL): NULL;
    int fd = real_parent? s_open_in (real_dir, real_parent, name, st): -1;
    int error = errno;
    free (real_parent);
    free (real_dir);
    free (parent);
    errno = error;
    return fd;
}
