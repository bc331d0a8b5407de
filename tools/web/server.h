/*  server.h - fshare-web's HTTP server (libmicrohttpd, a thread per
    connection) and the security model every request passes through.

    Connections reach it through the gate (gate.h) once their request
    head has come whole; a POST's body is read only when it carries the
    token's cookie and names this host.

    Order of checks, the same for every request: a method we serve (GET,
    HEAD, POST; else 405), a Host that names this server (else 403: no DNS
    rebinding), one body length (else 400), a bounded URL, query and body
    (else 414/413), a path and query of whole escapes, no NUL, control
    character or bytes that are no UTF-8 (else 400), then the access
    token: the printed URL's ?token=... on "/" is exchanged for an
    HttpOnly, SameSite=Strict cookie named after the port, and every other
    request must carry that cookie (else 403). A POST must also come from
    the page's own origin (Origin: http://<Host>, else 403). Every
    response, refusals included, carries a restrictive
    Content-Security-Policy and no-store. The routes are in routes.c.
*/
#ifndef SERVER_H_INCLUDED
#define SERVER_H_INCLUDED

#include "model.h"
#include "downloads.h"
#include "hub.h"
#include "bridge.h"
#include "webutil.h"
#include "cli.h"
#include <microhttpd.h>

#define SERVER_URL_MAX       2048
#define SERVER_CONNECTIONS   (HUB_CLIENTS + 96)   //  live streams and the rest
#define SERVER_PORT_TRIES    20      //  default port taken: try the next ones

typedef struct _server_t server_t;

typedef struct {
    model_t *model;
    downloads_t *downloads;
    hub_t *hub;
    bridge_t *bridge;
    const char *host;           //  as given to --listen (no brackets)
    int port;                   //  bound
    bool allow_remote;
    bool verbose;
} server_config_t;

//  Bind host:port; with `next_free`, a taken port moves on to the next
//  ones. The socket, or -1 with *error (caller frees); *bound the port.
int server_listen (const char *host, int port, bool next_free, int *bound, char **error);

//  Serve on the bound socket (the server takes it). NULL with *error.
server_t *server_new (const server_config_t *config, int fd, char **error);
void server_destroy (server_t **self_p);
//  The address to print: http://HOST:PORT/?token=... (caller frees).
char *server_url (server_t *self);

//  --- for routes.c -------------------------------------------------------------
typedef struct {
    server_t *server;
    struct MHD_Connection *connection;
    const char *url;
    const char *method;
    webform_t query;            //  decoded query string
    unsigned int query_refused; //  0, or why it was not taken: 400 malformed, 414 too long
    webform_t form;             //  decoded POST body
    bool wants_json;            //  the script asked (Accept: application/json)
} request_t;

const server_config_t *server_config (server_t *self);
//  Queue a response with the security headers; body is copied.
enum MHD_Result server_reply (request_t *request, unsigned int status, const char *type,
                              const char *body, size_t size);
//  A short text page for a refusal or a result.
enum MHD_Result server_text (request_t *request, unsigned int status, const char *text);
//  303 to a path of this server.
enum MHD_Result server_redirect (request_t *request, const char *location, const char *cookie);
//  Queue a prepared response after adding the security headers.
enum MHD_Result server_queue (request_t *request, unsigned int status,
                              struct MHD_Response *response, const char *csp);

//  routes.c
enum MHD_Result routes_get (request_t *request);
enum MHD_Result routes_post (request_t *request);

#endif
