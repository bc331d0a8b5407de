/*  server.c - the HTTP server and its security checks. See server.h. */
#include "server.h"
#include "gate.h"
#include <netdb.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct _server_t {
    server_config_t config;
    struct MHD_Daemon *daemon;
    gate_t *gate;               //  accepts; hands over whole request heads
    char token [WEB_TOKEN_CHARS + 1];
    char cookie [32];           //  cookie name: fshare_web_<port>
    char *hosts [5];            //  accepted Host headers, NULL-terminated
};

//  Per connection: the POST body as it arrives.
typedef struct {
    webbuf_t body;
    bool too_large;
    bool started;
} upload_t;

int
server_listen (const char *host, int port, bool next_free, int *bound, char **error)
{
    *error = NULL;
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
    for (int tries = 0; tries < (next_free? SERVER_PORT_TRIES: 1); tries++) {
        char service [16];
        snprintf (service, sizeof service, "%d", port + tries);
        struct addrinfo *found = NULL;
        int rc = getaddrinfo (host, service, &hints, &found);
        if (rc) {
            *error = zsys_sprintf ("cannot listen on %s: %s", host, gai_strerror (rc));
            return -1;
        }
        int fd = socket (found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0)
            setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd >= 0 && bind (fd, found->ai_addr, found->ai_addrlen) == 0 && listen (fd, 64) == 0) {
            struct sockaddr_storage address;
            socklen_t length = sizeof address;
            getsockname (fd, (struct sockaddr *) &address, &length);
            *bound = ntohs (address.ss_family == AF_INET6
                            ? ((struct sockaddr_in6 *) &address)->sin6_port
                            : ((struct sockaddr_in *) &address)->sin_port);
            freeaddrinfo (found);
            return fd;
        }
        int failure = errno;
        if (fd >= 0)
            close (fd);
        freeaddrinfo (found);
        if (failure != EADDRINUSE || tries + 1 == (next_free? SERVER_PORT_TRIES: 1)) {
            *error = zsys_sprintf ("cannot listen on %s:%d: %s", host, port + tries,
                                   strerror (failure));
            return -1;
        }
    }
    return -1;
}

const server_config_t *
server_config (server_t *self)
{
    return &self->config;
}

enum MHD_Result
server_queue (request_t *request, unsigned int status, struct MHD_Response *response,
              const char *csp)
{
    MHD_add_response_header (response, "Content-Security-Policy", csp? csp: CSP);
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "X-Frame-Options", "DENY");
    //  Not no-referrer: under it a browser sends a form's Origin as "null",
    //  and every action of the page without script was refused. The page's
    //  addresses carry no token (it leaves them at once), and a referrer
    //  goes to this server only.
    MHD_add_response_header (response, "Referrer-Policy", "same-origin");
    MHD_add_response_header (response, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header (response, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)      //  RFC 9110 15.5.6: say which
        MHD_add_response_header (response, "Allow", "GET, HEAD, POST");
    enum MHD_Result rc = MHD_queue_response (request->connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

enum MHD_Result
server_reply (request_t *request, unsigned int status, const char *type, const char *body,
              size_t size)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        size, (void *) body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, "Content-Type", type);
    return server_queue (request, status, response, NULL);
}

enum MHD_Result
server_text (request_t *request, unsigned int status, const char *text)
{
    webbuf_t buf;
    webbuf_init (&buf);
    if (request->wants_json) {
        webbuf_add (&buf, "{\"error\":");
        webbuf_json (&buf, text);
        webbuf_add (&buf, "}");
    }
    else {
        webbuf_printf (&buf, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>fshare: %u</title></head><body><p>", status);
        webbuf_html (&buf, text);
        webbuf_add (&buf, "</p></body></html>\n");
    }
    size_t size;
    char *body = webbuf_take (&buf, &size);
    enum MHD_Result rc = server_reply (request, status, request->wants_json
                                       ? "application/json": "text/html; charset=utf-8",
                                       body, size);
    free (body);
    return rc;
}

enum MHD_Result
server_redirect (request_t *request, const char *location, const char *cookie)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (0, "", MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, "Location", location);
    if (cookie)
        MHD_add_response_header (response, "Set-Cookie", cookie);
    return server_queue (request, MHD_HTTP_SEE_OTHER, response, NULL);
}

//  Query arguments into request->query; the first bad one stops it and
//  says why (request->query_refused).
static enum MHD_Result
s_collect_arg (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    request_t *request = (request_t *) cls;
    webform_t *query = &request->query;
    if (request->query_refused)
        return MHD_NO;
    bool valid = key && fsh_text_valid (key, SIZE_MAX) && (!value || fsh_text_valid (value, SIZE_MAX));
    bool too_long = valid && value && strlen (value) > WEB_VALUE_MAX;
    if (!valid || too_long || strlen (key) > 64 || query->count == WEB_FORM_FIELDS || webform_get (query, key)) {
        request->query_refused = too_long? MHD_HTTP_URI_TOO_LONG: MHD_HTTP_BAD_REQUEST;
        webform_free (query);
        return MHD_NO;
    }
    query->keys [query->count] = strdup (key);
    query->values [query->count++] = strdup (value? value: "");
    return MHD_YES;
}

//  The escapes of a path or query piece are whole and none is %00, which
//  would cut the decoded text short (MHD_http_unescape leaves a bad one
//  as it is, and a NUL ends what the server reads: "/app.js%00.html"
//  was /app.js, "?q=%00" no filter at all).
static bool
s_escapes_ok (const char *text)
{
    for (const char *p = strchr (text, '%'); p; p = strchr (p + 1, '%')) {
        if (!isxdigit ((unsigned char) p [1]) || !isxdigit ((unsigned char) p [2])
        ||  (p [1] == '0' && p [2] == '0'))
            return false;
    }
    return true;
}

//  Browsers send a form's spaces as '+': decode them with the escapes.
//  A piece with a bad escape becomes one control character, which the
//  checks refuse (400): the callback cannot refuse it itself.
static size_t
s_unescape (void *cls, struct MHD_Connection *connection, char *text)
{
    (void) cls; (void) connection;
    if (!s_escapes_ok (text)) {
        strcpy (text, "\x01");     //  text holds a '%' at least
        return 1;
    }
    for (char *p = text; *p; p++)
        if (*p == '+')
            *p = ' ';
    return MHD_http_unescape (text);
}

//  The request carries the access token's cookie.
static bool
s_cookie_ok (server_t *self, struct MHD_Connection *connection)
{
    const char *header = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Cookie");
    return web_cookie_holds (header, self->cookie, self->token);
}

//  The access token, from the cookie (or, on "/", the query). -1: none
//  valid; 0: the cookie; 1: the query's token (to become the cookie).
static int
s_authorized (server_t *self, request_t *request)
{
    if (s_cookie_ok (self, request->connection))
        return 0;
    const char *given = webform_get (&request->query, "token");
    if (streq (request->url, "/") && streq (request->method, "GET")
    &&  web_token_equal (given, self->token))
        return 1;
    return -1;
}

//  Counts the request's headers of one name.
typedef struct {
    const char *name;
    size_t count;
} header_count_t;

static enum MHD_Result
s_count_header (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind; (void) value;
    header_count_t *counting = (header_count_t *) cls;
    if (key && strcasecmp (key, counting->name) == 0)
        counting->count++;
    return MHD_YES;
}

static size_t
s_headers (struct MHD_Connection *connection, const char *name)
{
    header_count_t counting = { name, 0 };
    MHD_get_connection_values (connection, MHD_HEADER_KIND, s_count_header, &counting);
    return counting.count;
}

//  The request's Host, or NULL when it has none or several (RFC 9112:
//  400; which of them a proxy on the way believed is anyone's guess).
static const char *
s_host (struct MHD_Connection *connection, bool *several)
{
    size_t count = s_headers (connection, "Host");
    *several = count > 1;
    return count == 1? MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Host"): NULL;
}

//  A POST's body is read only for a request that may act: any other is
//  refused before it, so that no one without the token holds a
//  connection by sending a body slowly.
static bool
s_may_send_body (server_t *self, struct MHD_Connection *connection)
{
    bool several;
    const char *host = s_host (connection, &several);
    if (several || (!self->config.allow_remote
                    && !web_host_ok (host, (const char *const *) self->hosts)))
        return false;
    return s_cookie_ok (self, connection);
}

static enum MHD_Result
s_checks (server_t *self, request_t *request, upload_t *upload)
{
    struct MHD_Connection *connection = request->connection;
    bool several;
    const char *host = s_host (connection, &several);
    if (several)
        return server_text (request, MHD_HTTP_BAD_REQUEST, "More than one Host header.");
    //  RFC 9112 6.3: which body length is meant is anyone's guess
    if (s_headers (connection, "Content-Length") > 1
    ||  (s_headers (connection, "Content-Length") && s_headers (connection, "Transfer-Encoding")))
        return server_text (request, MHD_HTTP_BAD_REQUEST, "Conflicting body lengths.");
    if (!self->config.allow_remote && !web_host_ok (host, (const char *const *) self->hosts))
        return server_text (request, MHD_HTTP_FORBIDDEN, "This server answers to its own address only.");
    if (strlen (request->url) > SERVER_URL_MAX || request->query_refused == MHD_HTTP_URI_TOO_LONG)
        return server_text (request, MHD_HTTP_URI_TOO_LONG, "The address is too long.");
    if (!fsh_text_valid (request->url, SERVER_URL_MAX))
        return server_text (request, MHD_HTTP_BAD_REQUEST, "Malformed address.");
    if (request->query_refused)
        return server_text (request, MHD_HTTP_BAD_REQUEST, "Malformed query.");
    int auth = s_authorized (self, request);
    if (auth < 0)
        return server_text (request, MHD_HTTP_FORBIDDEN,
                            "Forbidden: open the address that fshare-web printed (with its token).");
    //  The token leaves the address bar (and the history) at once
    if (auth == 1 || (streq (request->url, "/") && webform_get (&request->query, "token"))) {
        char *cookie = auth == 1? zsys_sprintf ("%s=%s; Path=/; HttpOnly; SameSite=Strict",
                                                self->cookie, self->token): NULL;
        enum MHD_Result rc = server_redirect (request, "/", cookie);
        zstr_free (&cookie);
        return rc;
    }
    if (streq (request->method, "POST")) {
        const char *origin = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Origin");
        if (!web_origin_ok (origin, host, self->config.allow_remote
                            ? (const char *const []) { host? host: "", NULL }
                            : (const char *const *) self->hosts))
            return server_text (request, MHD_HTTP_FORBIDDEN, "Forbidden: an action from another origin.");
        if (upload->too_large)
            return server_text (request, MHD_HTTP_CONTENT_TOO_LARGE, "The request is too large.");
        if (webform_parse (&request->form, upload->body.data? upload->body.data: "",
                           upload->body.size))
            return server_text (request, MHD_HTTP_BAD_REQUEST, "Malformed form.");
        return routes_post (request);
    }
    return routes_get (request);
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    server_t *self = (server_t *) cls;
    bool post = streq (method, "POST");
    upload_t *upload = (upload_t *) *con_cls;
    if (!upload) {
        upload = (upload_t *) zmalloc (sizeof (upload_t));
        webbuf_init (&upload->body);
        *con_cls = upload;
        const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                          "Content-Length");
        if (length && fsh_number (length, 0, WEB_FORM_MAX) < 0)
            upload->too_large = true;
        if (post && !upload->too_large && s_may_send_body (self, connection))
            return MHD_YES;     //  the body follows
    }
    if (post && *upload_data_size) {
        if (upload->body.size + *upload_data_size > WEB_FORM_MAX)
            upload->too_large = true;
        else
            webbuf_addn (&upload->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    request_t request = { .server = self, .connection = connection, .url = url, .method = method };
    const char *accept = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Accept");
    request.wants_json = accept && strstr (accept, "application/json");
    enum MHD_Result rc;
    if (!streq (method, "GET") && !streq (method, "HEAD") && !post)
        rc = server_text (&request, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed.");
    else {
        MHD_get_connection_values (connection, MHD_GET_ARGUMENT_KIND, s_collect_arg, &request);
        rc = s_checks (self, &request, upload);
    }
    webform_free (&request.query);
    webform_free (&request.form);
    return rc;
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode code)
{
    (void) cls; (void) connection; (void) code;
    upload_t *upload = (upload_t *) *con_cls;
    if (upload) {
        webbuf_free (&upload->body);
        free (upload);
        *con_cls = NULL;
    }
}

static void
s_hosts (server_t *self)
{
    const char *host = self->config.host;
    int port = self->config.port;
    size_t count = 0;
    bool six = strchr (host, ':') != NULL;
    self->hosts [count++] = six? zsys_sprintf ("[%s]:%d", host, port): zsys_sprintf ("%s:%d", host, port);
    if (web_host_is_loopback (host)) {
        self->hosts [count++] = zsys_sprintf ("localhost:%d", port);
        self->hosts [count++] = zsys_sprintf ("127.0.0.1:%d", port);
        self->hosts [count++] = zsys_sprintf ("[::1]:%d", port);
    }
    self->hosts [count] = NULL;
}

//  A connection whose request head has come (gate.c) to the HTTP server,
//  which closes it when it cannot take it (all its connections busy)
static void
s_pass (void *arg, int fd, const struct sockaddr *address, socklen_t length)
{
    server_t *self = (server_t *) arg;
    if (MHD_add_connection (self->daemon, fd, address, length) != MHD_YES && self->config.verbose)
        fprintf (stderr, "fshare-web: a connection refused: %s\n", strerror (errno));
}

server_t *
server_new (const server_config_t *config, int fd, char **error)
{
    server_t *self = (server_t *) zmalloc (sizeof (server_t));
    self->config = *config;
    self->config.host = strdup (config->host);
    web_token_new (self->token, sizeof self->token);
    snprintf (self->cookie, sizeof self->cookie, "fshare_web_%d", config->port);
    s_hosts (self);
    //  No listening socket of its own: the gate accepts (see gate.h)
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
                       | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC
                       | (config->verbose? MHD_USE_ERROR_LOG: 0);
    self->daemon = MHD_start_daemon (flags, 0, NULL, NULL, s_handle, self,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) SERVER_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 60,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (32 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_UNESCAPE_CALLBACK, s_unescape, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        *error = strdup ("cannot start the HTTP server");
        close (fd);
        server_destroy (&self);
        return NULL;
    }
    self->gate = gate_new (fd, s_pass, self);
    if (!self->gate) {
        *error = strdup ("cannot start the HTTP server's thread");
        server_destroy (&self);
        return NULL;
    }
    return self;
}

void
server_destroy (server_t **self_p)
{
    if (*self_p) {
        server_t *self = *self_p;
        //  The gate first: it hands connections to the daemon
        gate_destroy (&self->gate);
        if (self->daemon)
            MHD_stop_daemon (self->daemon);
        for (size_t i = 0; self->hosts [i]; i++)
            free (self->hosts [i]);
        free ((char *) self->config.host);
        free (self);
        *self_p = NULL;
    }
}

char *
server_url (server_t *self)
{
    return zsys_sprintf ("http://%s/?token=%s", self->hosts [0], self->token);
}
