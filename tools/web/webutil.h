/*  webutil.h - fshare-web's request checks, tokens and text building.

    Everything here is pure (no sockets, no HTTP library), so the rules of
    the security model can be unit-tested one by one: the access token and
    its cookie, the Host and Origin checks, form and query decoding with
    their limits, the --listen syntax, HTML/JSON escaping into a growing
    buffer, and which saved file may be handed out.
*/
#ifndef WEBUTIL_H_INCLUDED
#define WEBUTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define WEB_TOKEN_CHARS   43        //  32 random bytes, base64url, no padding
#define WEB_FORM_MAX      4096      //  bytes of a POST body
#define WEB_FORM_FIELDS   16
#define WEB_VALUE_MAX     4096      //  bytes of one decoded value

//  --- a growing text buffer ------------------------------------------------
typedef struct {
    char *data;
    size_t size;
    size_t capacity;
} webbuf_t;

void webbuf_init (webbuf_t *self);
void webbuf_free (webbuf_t *self);
//  Takes the text (NUL-terminated); the buffer is empty after.
char *webbuf_take (webbuf_t *self, size_t *size);
void webbuf_add (webbuf_t *self, const char *text);
void webbuf_addn (webbuf_t *self, const char *text, size_t size);
void webbuf_printf (webbuf_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
//  Text made safe for HTML element content and quoted attribute values.
void webbuf_html (webbuf_t *self, const char *text);
//  Text of others (a file name, an agent's error) as people read it:
//  escaped as fshare-ctl shows it (proto/escape.h: a bidirectional
//  override as \u202e, a control character as \xNN), then as HTML. For
//  what the page shows; data the page sends back (data-path, a form's
//  value) stays the name itself, with webbuf_html.
void webbuf_shown (webbuf_t *self, const char *text);
//  A JSON string literal, quotes included.
void webbuf_json (webbuf_t *self, const char *text);
//  Percent-encoded for a query value (unreserved characters kept).
void webbuf_url (webbuf_t *self, const char *text);

//  --- tokens and cookies ---------------------------------------------------
//  A fresh random token (libsodium) into buf (>= WEB_TOKEN_CHARS + 1).
void web_token_new (char *buf, size_t size);
//  Constant-time comparison; false for NULL or a wrong length.
bool web_token_equal (const char *given, const char *token);
//  The value of cookie `name` in a Cookie header, copied into buf; false
//  when absent, malformed or too long.
bool web_cookie_get (const char *header, const char *name, char *buf, size_t size);
//  Some cookie `name` of the header holds the token. Any of them: a page
//  of another port of this host (the same site, for cookies) may set one
//  of the same name for a longer path, which the browser sends first.
bool web_cookie_holds (const char *header, const char *name, const char *token);

//  --- where requests come from ---------------------------------------------
//  The Host header names this server: one of `hosts` (NULL-terminated
//  list of "host:port" forms), compared without case.
bool web_host_ok (const char *host, const char *const *hosts);
//  A POST's Origin is exactly http://<Host> for an accepted Host.
bool web_origin_ok (const char *origin, const char *host, const char *const *hosts);

//  --- forms and queries ----------------------------------------------------
typedef struct {
    char *keys [WEB_FORM_FIELDS];
    char *values [WEB_FORM_FIELDS];
    size_t count;
} webform_t;

//  Decode application/x-www-form-urlencoded text (also a query string).
//  0, or -1 when malformed: bad percent escape, NUL, invalid UTF-8 or
//  control characters, too many fields, a value too long, a repeated key.
int webform_parse (webform_t *self, const char *text, size_t size);
void webform_free (webform_t *self);
//  The value of a key, or NULL.
const char *webform_get (const webform_t *self, const char *key);

//  --- --listen HOST:PORT ---------------------------------------------------
//  "127.0.0.1:8080", "localhost:0", "[::1]:8080", "0.0.0.0:80". host is
//  copied without brackets. 0 or -1.
int web_listen_parse (const char *text, char *host, size_t size, int *port);
//  True for 127.0.0.0/8, ::1 and localhost, as fsh_endpoint_is_local
//  decides it: a name only beginning so (127.0.0.1.example) is not.
bool web_host_is_loopback (const char *host);

//  --- a saved file, beneath the downloads directory -----------------------
//  Opens `path` (absolute, as the agent reported it) for reading only when
//  it is a regular file beneath the directory `dir`. Resolved, not
//  compared as text: `dir` and the directory part of `path` are resolved
//  (realpath), the second must be `dir` or below it component by
//  component ("/dl-evil" is not below "/dl"; ".." and links are followed
//  to where they lead), and then each component from `dir` down is opened
//  with O_NOFOLLOW, the file too, so that a link put in meanwhile is
//  refused as well. An fd (*st filled), or -1 with errno: EACCES when
//  refused (outside, through a link, not a regular file, no `dir`),
//  else why it could not be opened (ENOENT...).
int web_open_beneath (const char *dir, const char *path, struct stat *st);

//  --- globs like the agent's ls --all --------------------------------------
//  Whether the filter `glob` (none: NULL or "") takes `path`: fsh_glob_match,
//  the matcher of ls --all and get, so the page shows what they would.
bool web_glob_match (const char *glob, const char *path);

#endif
