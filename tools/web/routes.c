/*  routes.c - what each address of fshare-web answers. See server.h.

    GET  /                  the page (?q=GLOB, ?u=USER&d=DIR one folder, ?p=N)
    GET  /app.js /style.css the built-in assets
    GET  /events?since=N    the live stream (Server-Sent Events)
    GET  /frag/all|group|peers|downloads   parts of the page as JSON, for the script
    GET  /saved?job=J&item=I[&open=1] a file this agent saved for the page
    POST /download          user + path (a file) or user + dir (a folder)
    POST /cancel            job
*/
#include "server.h"
#include "render.h"
#include "assets.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#define ROUTES_HANGUP_MS    500     //  how often a quiet stream looks for its page

//  Checks the view's arguments; NULL when fine, else what is wrong.
static const char *
s_view (request_t *request, render_view_t *view)
{
    memset (view, 0, sizeof *view);
    view->glob = webform_get (&request->query, "q");
    view->user = webform_get (&request->query, "u");
    view->dir = webform_get (&request->query, "d");
    const char *page = webform_get (&request->query, "p");
    view->page = page? fsh_number (page, 1, 1000000): 1;
    if (view->page < 1)
        return "bad page number";
    if (view->glob && strlen (view->glob) > FSH_PATH_MAX)
        return "filter too long";
    if (view->glob && !*view->glob)
        view->glob = NULL;
    if (view->user && fsh_user_check (view->user))
        return "bad user name";
    if (view->user && !view->dir)
        view->dir = "";
    if (view->dir && *view->dir && fsh_path_check (view->dir))
        return "bad folder";
    if (view->dir && !view->user)
        return "a folder needs its user";
    return NULL;
}

static enum MHD_Result
s_owned (request_t *request, unsigned int status, const char *type, char *body)
{
    enum MHD_Result rc = server_reply (request, status, type, body, strlen (body));
    free (body);
    return rc;
}

//  One page's live stream: its reader of the hub, and its connection's
//  socket, looked at while there is nothing to send.
typedef struct {
    hub_client_t *client;
    int fd;
} stream_t;

//  The page went away (closed its end): nothing written would tell
//  before the next keep-alive, and its connection would be held till then.
static bool
s_hung_up (int fd)
{
    struct pollfd item = { .fd = fd, .events = POLLRDHUP };
    return fd >= 0 && poll (&item, 1, 0) > 0
        && (item.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static ssize_t
s_sse_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    stream_t *stream = (stream_t *) cls;
    int64_t keepalive = zclock_mono () + HUB_KEEPALIVE_MS;
    while (!hub_client_ready (stream->client, ROUTES_HANGUP_MS)) {
        if (s_hung_up (stream->fd))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (zclock_mono () >= keepalive)
            break;
    }
    ssize_t size = hub_client_read (stream->client, buf, max, 0);
    return size < 0? MHD_CONTENT_READER_END_OF_STREAM: size;
}

static void
s_sse_free (void *cls)
{
    stream_t *stream = (stream_t *) cls;
    hub_client_destroy (&stream->client);
    free (stream);
}

static enum MHD_Result
s_events (request_t *request)
{
    const server_config_t *config = server_config (request->server);
    const char *since = webform_get (&request->query, "since");
    const char *last = MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND,
                                                    "Last-Event-ID");
    long from = last? fsh_number (last, 0, LONG_MAX): since? fsh_number (since, 0, LONG_MAX): 0;
    if (from < 0)
        return server_text (request, MHD_HTTP_BAD_REQUEST, "bad stream position");
    hub_client_t *client = hub_client_new (config->hub, (uint64_t) from);
    if (!client)
        return server_text (request, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "Too many pages are open on this server: close some.");
    stream_t *stream = (stream_t *) zmalloc (sizeof (stream_t));
    stream->client = client;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (
        request->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    stream->fd = info? info->connect_fd: -1;
    struct MHD_Response *response = MHD_create_response_from_callback (
        MHD_SIZE_UNKNOWN, 4096, s_sse_read, stream, s_sse_free);
    if (!response) {
        s_sse_free (stream);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", "text/event-stream");
    return server_queue (request, MHD_HTTP_OK, response, NULL);
}

static enum MHD_Result
s_fragment (request_t *request)
{
    const server_config_t *config = server_config (request->server);
    render_view_t view;
    const char *problem = s_view (request, &view);
    if (problem)
        return server_text (request, MHD_HTTP_BAD_REQUEST, problem);
    const char *url = request->url;
    if (streq (url, "/frag/all"))
        return s_owned (request, MHD_HTTP_OK, "application/json",
                        render_all_json (config->model, config->downloads, config->hub, &view));
    if (streq (url, "/frag/peers"))
        return s_owned (request, MHD_HTTP_OK, "application/json",
                        render_peers_json (config->model, view.glob));
    if (streq (url, "/frag/downloads"))
        return s_owned (request, MHD_HTTP_OK, "application/json",
                        render_downloads_json (config->downloads));
    if (streq (url, "/frag/group") && view.user) {
        const char *open = webform_get (&request->query, "open");
        return s_owned (request, MHD_HTTP_OK, "application/json",
                        render_group_json (config->model, view.user, view.dir, view.glob,
                                           open && streq (open, "1")));
    }
    return server_text (request, MHD_HTTP_NOT_FOUND, "No such page.");
}

//  The type to open a saved file as: a few harmless kinds, else bytes.
static const char *
s_open_type (const char *path)
{
    static const char *types [][2] = {
        { ".txt", "text/plain; charset=utf-8" }, { ".md", "text/plain; charset=utf-8" },
        { ".log", "text/plain; charset=utf-8" }, { ".csv", "text/plain; charset=utf-8" },
        { ".c", "text/plain; charset=utf-8" }, { ".h", "text/plain; charset=utf-8" },
        { ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
        { ".gif", "image/gif" }, { ".webp", "image/webp" }, { ".pdf", "application/pdf" },
    };
    const char *dot = strrchr (path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types [0]; i++)
        if (strcasecmp (dot, types [i][0]) == 0)
            return types [i][1];
    return NULL;
}

//  The saved file of (job, item), opened only beneath the agent's
//  downloads directory, without following a link, and while it is still
//  the verified file (same size). -1 with *status: 404 not found (or
//  changed), 403 refused (not beneath the downloads directory).
static int
s_saved_open (request_t *request, char **name, uint64_t *size, unsigned int *status)
{
    const server_config_t *config = server_config (request->server);
    const char *job_text = webform_get (&request->query, "job");
    const char *item_text = webform_get (&request->query, "item");
    long job_id = job_text? fsh_number (job_text, 1, LONG_MAX): -1;
    long index = item_text? fsh_number (item_text, 0, LONG_MAX): -1;
    int fd = -1;
    *status = MHD_HTTP_NOT_FOUND;
    downloads_lock (config->downloads);
    download_job_t *job = job_id > 0? downloads_job (config->downloads, (uint64_t) job_id): NULL;
    download_item_t *item = job && index >= 0 && (size_t) index < job->count
                          ? &job->items [index]: NULL;
    if (item && item->state == ITEM_DONE && item->saved) {
        struct stat st;
        fd = web_open_beneath (item->downloads, item->saved, &st);
        if (fd < 0 && errno == EACCES)
            *status = MHD_HTTP_FORBIDDEN;
        if (fd >= 0 && (uint64_t) st.st_size != item->size) {
            close (fd);
            fd = -1;
        }
        const char *slash = strrchr (item->saved, '/');
        *name = strdup (slash? slash + 1: item->saved);
        *size = item->size;
    }
    downloads_unlock (config->downloads);
    return fd;
}

static enum MHD_Result
s_saved (request_t *request)
{
    char *name = NULL;
    uint64_t size = 0;
    unsigned int status;
    int fd = s_saved_open (request, &name, &size, &status);
    if (fd < 0) {
        free (name);
        if (status == MHD_HTTP_FORBIDDEN)
            return server_text (request, status, "Refused: the agent reports this file saved "
                                "outside its downloads directory (or through a link).");
        return server_text (request, MHD_HTTP_NOT_FOUND,
                            "No such saved file (or it changed since it was verified).");
    }
    const char *open = webform_get (&request->query, "open");
    const char *type = open && streq (open, "1")? s_open_type (name): NULL;
    struct MHD_Response *response = MHD_create_response_from_fd ((uint64_t) size, fd);
    if (!response) {
        close (fd);
        free (name);
        return MHD_NO;
    }
    webbuf_t disposition;
    webbuf_init (&disposition);
    webbuf_add (&disposition, type? "inline; filename*=UTF-8''": "attachment; filename*=UTF-8''");
    webbuf_url (&disposition, name);
    char *header = webbuf_take (&disposition, NULL);
    MHD_add_response_header (response, "Content-Type", type? type: "application/octet-stream");
    MHD_add_response_header (response, "Content-Disposition", header);
    free (header);
    free (name);
    //  Whatever the file holds, it runs nothing here and reaches nothing
    return server_queue (request, MHD_HTTP_OK, response, "sandbox; default-src 'none'; "
                         "img-src 'self'; style-src 'unsafe-inline'");
}

enum MHD_Result
routes_get (request_t *request)
{
    const server_config_t *config = server_config (request->server);
    const char *url = request->url;
    if (streq (url, "/")) {
        render_view_t view;
        const char *problem = s_view (request, &view);
        if (problem)
            return server_text (request, MHD_HTTP_BAD_REQUEST, problem);
        return s_owned (request, MHD_HTTP_OK, "text/html; charset=utf-8",
                        render_page (config->model, config->downloads, config->hub, &view));
    }
    if (streq (url, "/app.js"))
        return server_reply (request, MHD_HTTP_OK, "text/javascript; charset=utf-8",
                             (const char *) asset_app_js, asset_app_js_size);
    if (streq (url, "/style.css"))
        return server_reply (request, MHD_HTTP_OK, "text/css; charset=utf-8",
                             (const char *) asset_style_css, asset_style_css_size);
    if (streq (url, "/events"))
        return s_events (request);
    if (strncmp (url, "/frag/", 6) == 0)
        return s_fragment (request);
    if (streq (url, "/saved"))
        return s_saved (request);
    return server_text (request, MHD_HTTP_NOT_FOUND, "No such page.");
}

//  The paths of a download request, checked against the listing: 0, or
//  the HTTP status of the refusal with *error.
static unsigned int
s_download (request_t *request, uint64_t *job_id, const char **error)
{
    const server_config_t *config = server_config (request->server);
    const char *user = webform_get (&request->form, "user");
    const char *path = webform_get (&request->form, "path");
    const char *dir = webform_get (&request->form, "dir");
    *error = "a download needs user and either path or dir";
    if (!user || fsh_user_check (user) || (!path == !dir))
        return MHD_HTTP_BAD_REQUEST;
    *error = "bad path";
    if ((path && fsh_path_check (path)) || (dir && *dir && fsh_path_check (dir)))
        return MHD_HTTP_BAD_REQUEST;
    unsigned int status = MHD_HTTP_NOT_FOUND;
    model_lock (config->model);
    zlistx_t *files = dir? model_files (config->model, user, NULL, dir, true): NULL;
    if (path && !model_find (config->model, user, path))
        *error = "no such file in the listing";
    else
    if (dir && zlistx_size (files) == 0)
        *error = "no such folder in the listing";
    else {
        status = 0;
        size_t count = dir? zlistx_size (files): 1;
        const char **paths = (const char **) calloc (count, sizeof (char *));
        assert (paths);
        size_t index = 0;
        for (model_file_t *file = dir? (model_file_t *) zlistx_first (files): NULL; file;
             file = (model_file_t *) zlistx_next (files))
            paths [index++] = file->path;
        if (path)
            paths [0] = path;
        downloads_lock (config->downloads);
        *job_id = downloads_add (config->downloads, user, path? path: dir, dir != NULL,
                                 count, paths, NULL);
        downloads_unlock (config->downloads);
        free (paths);
        if (*job_id == 0) {
            status = MHD_HTTP_TOO_MANY_REQUESTS;
            *error = "too many downloads waiting: let some finish, or cancel them";
        }
    }
    zlistx_destroy (&files);
    model_unlock (config->model);
    return status;
}

static enum MHD_Result
s_done (request_t *request, uint64_t job_id)
{
    const server_config_t *config = server_config (request->server);
    bridge_poke (config->bridge);
    hub_publish (config->hub, "downloads", "{}");
    if (!request->wants_json)
        return server_redirect (request, "/#downloads", NULL);
    char *body = zsys_sprintf ("{\"job\":%llu}", (unsigned long long) job_id);
    return s_owned (request, MHD_HTTP_OK, "application/json", body);
}

enum MHD_Result
routes_post (request_t *request)
{
    const server_config_t *config = server_config (request->server);
    if (streq (request->url, "/download")) {
        uint64_t job_id = 0;
        const char *error = NULL;
        unsigned int status = s_download (request, &job_id, &error);
        if (status)
            return server_text (request, status, error);
        return s_done (request, job_id);
    }
    if (streq (request->url, "/cancel")) {
        const char *text = webform_get (&request->form, "job");
        long job_id = text? fsh_number (text, 1, LONG_MAX): -1;
        if (job_id < 1)
            return server_text (request, MHD_HTTP_BAD_REQUEST, "a cancel needs a job number");
        downloads_lock (config->downloads);
        bool cancelled = downloads_cancel (config->downloads, (uint64_t) job_id);
        downloads_unlock (config->downloads);
        if (!cancelled)
            return server_text (request, MHD_HTTP_NOT_FOUND, "no such running download");
        return s_done (request, (uint64_t) job_id);
    }
    return server_text (request, MHD_HTTP_NOT_FOUND, "No such action.");
}
