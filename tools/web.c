/*  web.c - fshare-web: a user's live web view of the team's files (SPEC 9).

    A client of the user's running agent, like fshare-ctl (same --user and
    --control rules, same -c config file), serving one page on a loopback
    address: who is online, every file of the team grouped by user and
    folder, live updates, downloads with progress. The pieces live in
    tools/web/: the agent link and its thread (bridge, on proto/ctlclient), the
    copy of the listing (model), the downloads table, the live stream
    (hub), the door that takes connections once their request head is whole
    (gate), the HTTP server and its security checks (server, routes), the
    HTML (render), the built-in script and style (assets/), and --open's
    page that keeps the token off xdg-open's command line (opener).
*/
#include "fshare.h"
#include "cli.h"
#include "ctlclient.h"
#include "logescape.h"
#include "socknew.h"
#include "bridge.h"
#include "server.h"
#include "opener.h"

#define PROGRAM "fshare-web"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 8080

static const char *s_usage =
    "usage: fshare-web [--user NAME | --control EP] [--listen HOST:PORT] [--allow-remote]\n"
    "                  [--open] [-v]\n"
    "Serve a live web view of the team's files from NAME's running agent.\n"
    "options:\n"
    "  --user NAME        the agent of NAME (default: the only one running)\n"
    "  --control EP       the agent on this control endpoint\n"
    "  --listen HOST:PORT where to serve (default 127.0.0.1:8080, or the next\n"
    "                     free port); port 0 takes any free port\n"
    "  --allow-remote     allow a --listen address other than loopback\n"
    "  --open             open the page in the desktop's browser (xdg-open)\n"
    "  -v, --verbose      say more on stderr\n"
    "  -c, --config FILE  read options from a ZPL config file\n"
    "  -h, --help         this help\n"
    "  --version          print the version\n"
    "The printed address carries a random access token; it becomes a cookie.\n";

typedef struct {
    char *user;
    char *control;
    char *listen;
    bool allow_remote;
    bool open;
    bool verbose;
} web_options_t;

static void
s_options_free (web_options_t *options)
{
    free (options->user);
    free (options->control);
    free (options->listen);
}

//  One option into the options (fsh_options_parse): -1 to go on, else
//  the exit code.
static int
s_take_option (int opt, const char *value, void *arg)
{
    web_options_t *options = (web_options_t *) arg;
    switch (opt) {
        case 'u': free (options->user); options->user = strdup (value); break;
        case 'C': free (options->control); options->control = strdup (value); break;
        case 'l': free (options->listen); options->listen = strdup (value); break;
        case 'R': options->allow_remote = true; break;
        case 'o': options->open = true; break;
        case 'v': options->verbose = true; break;
        case 'h': fputs (s_usage, stdout); return 0;
        case 'V': return fsh_options_version (PROGRAM);
        default: return fsh_usage_error (PROGRAM, "unknown option (%d)", opt);
    }
    return -1;
}

//  -1 when the options are good, else the exit code.
static int
s_parse_options (web_options_t *options, int argc, char **argv)
{
    static const struct option longs [] = {
        { "user",         required_argument, NULL, 'u' },
        { "control",      required_argument, NULL, 'C' },
        { "listen",       required_argument, NULL, 'l' },
        { "allow-remote", no_argument,       NULL, 'R' },
        { "open",         no_argument,       NULL, 'o' },
        { "config",       required_argument, NULL, 'c' },
        FSH_OPTIONS_END
    };
    int rc = fsh_options_parse (PROGRAM, argc, argv, longs, ":vhc:", s_take_option, options);
    const char *problem;
    if (rc == -1 && options->user && (problem = fsh_user_check (options->user)))
        rc = fsh_usage_error (PROGRAM, "--user: %s", problem);
    if (rc == -1 && options->user && options->control)
        rc = fsh_usage_error (PROGRAM, "%s", "--user and --control exclude each other");
    if (rc == -1 && options->control)
        rc = fsh_endpoint_option (PROGRAM, "--control", options->control, FSH_EP_CONTROL);
    char host [256];
    int port;
    if (rc == -1 && options->listen
    &&  web_listen_parse (options->listen, host, sizeof host, &port))
        rc = fsh_usage_error (PROGRAM, "--listen needs HOST:PORT, not '%s'", options->listen);
    if (rc == -1 && options->listen && !web_host_is_loopback (host) && !options->allow_remote)
        rc = fsh_usage_error (PROGRAM, "--listen %s is not a loopback address: "
                              "add --allow-remote to serve it", host);
    return rc;
}

//  --open: the browser gets a page that leads to `url`, never `url` on a
//  command line (opener.h). NULL when it could not (said on stderr).
static opener_t *
s_open_browser (const char *url)
{
    char *error = NULL;
    opener_t *opener = opener_new (url, &error);
    if (!opener)
        fsh_error_line (PROGRAM, "%s", error);
    free (error);
    return opener;
}

typedef struct {
    model_t *model;
    downloads_t *downloads;
    hub_t *hub;
    bridge_t *bridge;
    server_t *server;
} web_t;

static int
s_serve (web_options_t *options, const char *endpoint, int signals)
{
    char host [256];
    int port = DEFAULT_PORT;
    strcpy (host, DEFAULT_HOST);
    if (options->listen)
        web_listen_parse (options->listen, host, sizeof host, &port);    //  checked already
    if (!web_host_is_loopback (host))
        fprintf (stderr, "%s: warning: serving on %s, beyond this machine, without "
                 "encryption: anyone who sees the address's token sees the team's files\n",
                 PROGRAM, host);
    char *error = NULL;
    int bound = 0;
    int fd = server_listen (host, port, !options->listen, &bound, &error);
    if (fd < 0) {
        fsh_error_line (PROGRAM, "%s", error);
        free (error);
        return 1;
    }
    web_t web = { model_new (), downloads_new (), hub_new (), NULL, NULL };
    web.bridge = bridge_new (endpoint, web.model, web.downloads, web.hub, options->verbose);
    server_config_t config = { web.model, web.downloads, web.hub, web.bridge, host, bound,
                               options->allow_remote, options->verbose };
    web.server = server_new (&config, fd, &error);
    int rc = 0;
    if (!web.server) {
        fsh_error_line (PROGRAM, "%s", error);
        free (error);
        rc = 1;
    }
    else {
        char *url = server_url (web.server);
        printf ("%s: open %s\n", PROGRAM, url);
        fflush (stdout);
        opener_t *opener = options->open? s_open_browser (url): NULL;
        free (url);
        bridge_run (web.bridge, signals);
        opener_destroy (&opener);
    }
    hub_stop (web.hub);
    server_destroy (&web.server);
    bridge_destroy (&web.bridge);
    hub_destroy (&web.hub);
    downloads_destroy (&web.downloads);
    model_destroy (&web.model);
    return rc;
}

int
main (int argc, char *argv [])
{
    fsh_stdio_open ();
    int signals = fsh_signals_open (false);
    web_options_t options = { 0 };
    int rc = s_parse_options (&options, argc, argv);
    if (rc >= 0) {
        s_options_free (&options);
        return fsh_output_close (PROGRAM, rc);
    }
    if (signals < 0) {
        fprintf (stderr, "%s: cannot take signals: %s\n", PROGRAM, strerror (errno));
        return 1;
    }
    signal (SIGCHLD, SIG_IGN);      //  xdg-open is not waited for
    signal (SIGPIPE, SIG_IGN);
    fsh_sockets_limit ();
    zsys_init ();
    zsys_handler_set (NULL);
    fsh_logescape_install (options.verbose? stderr: NULL);
    //  Which agent: the same rules as fshare-ctl
    fsh_ctlclient_t *client = fsh_ctlclient_new ();
    if (options.user || options.control)
        fsh_ctlclient_set_agent (client, options.user, options.control);
    fsh_ctl_result_t found = fsh_ctlclient_find (client, NULL);
    if (found != FSH_CTL_OK) {
        fprintf (stderr, "%s: %s\n", PROGRAM, found == FSH_CTL_SEVERAL
                 ? "several agents running: choose one with --user"
                 : "no agent running (start one with: fshare-ctl connect USER)");
        fsh_ctlclient_destroy (&client);
        s_options_free (&options);
        return 1;
    }
    char *endpoint = strdup (fsh_ctlclient_endpoint (client));
    fsh_ctlclient_destroy (&client);
    rc = s_serve (&options, endpoint, signals);
    free (endpoint);
    s_options_free (&options);
    close (signals);
    return rc;
}
