/*  ctl.h - the parts of fshare-ctl, one job per file (SPEC 5).

    tools/ctl.c      main, global options, the command table and its parser
    ctl/client.c     which agent we talk to, requests and the event stream
    ctl/output.c     what people and scripts read: columns, JSON, events
    ctl/commands.c   the commands that ask the agent: status, ls, peers,
                     events, disconnect
    ctl/get.c        get: one download, with a progress bar on a terminal
    ctl/spawn.c      the agent process: started detached, watched until it
                     is online or says why it stopped
    ctl/connect.c    connect: the agent's arguments and password, then spawn
    ctl/shell.c      the interactive prompt, which also prints notifications
    ctl/complete.c   __complete: words for shell completion (see complete.h)
*/
#ifndef CTL_H_INCLUDED
#define CTL_H_INCLUDED

#include "fshare.h"
#include "cli.h"
#include "ctlclient.h"
#include "escape.h"
#include <jansson.h>

#define PROGRAM "fshare-ctl"

#define REQUEST_TIMEOUT_MS   FSH_CTL_REQUEST_TIMEOUT_MS
#define PROBE_TIMEOUT_MS     FSH_CTL_PROBE_TIMEOUT_MS
//  For the agent to end a download it was asked to cancel (Ctrl-C)
#define CANCEL_WAIT_MS       2000

typedef struct {
    fsh_ctlclient_t *client;    //  which agent, and requests to it
    bool pinned;            //  --user or --control given: never look elsewhere
    bool explicit_control;  //  --control given: also passed to a new agent
    bool json;
    bool verbose;
    bool in_shell;          //  commands typed at the shell (errors continue)
    bool interactive;       //  the shell reads a terminal through libedit
    bool prompting;         //  libedit's line handler is installed
    bool prompt_cleared;    //  output went over the prompt: redraw it
    fsh_ctlstream_t *stream;    //  shell: the agent's event stream
} ctl_t;

//  The options and words after a command name.
typedef struct {
    bool all;
    bool json;
    const char *user;           //  ls --all --user NAME
    const char *sha256;         //  ls --all --sha256 HEX
    const char *dir;
    const char *downloads;
    const char *broker;
    const char *password_file;
    const char *server_key;     //  connect --server-key KEY
    const char *output;         //  get -o PATH
    int jobs;                   //  get --jobs N (folders and globs)
    bool again;                 //  get --again
    const char *words [2];      //  positional words
    size_t n_words;
} ctl_args_t;

//  A command: its exit code (0 done, 1 failed, 2 usage).
typedef int (ctl_command_fn) (ctl_t *self, ctl_args_t *args);

//  --------------------------------------------------------------------------
//  ctl.c

//  Runs one command line (argv [0] is the command name): its exit code.
int ctl_run (ctl_t *self, int argc, char **argv);

//  --------------------------------------------------------------------------
//  client.c

ctl_t *ctl_new (void);
void ctl_destroy (ctl_t **self_p);

//  The agent's control endpoint and user; NULL until known.
const char *ctl_control (ctl_t *self);
const char *ctl_user (ctl_t *self);

//  Talk to this agent from now on (closes the stream of the one before).
void ctl_set_agent (ctl_t *self, const char *user, const char *endpoint);

//  The agent is gone: forget it unless the command line named it.
void ctl_forget_agent (ctl_t *self);

//  Makes sure we know which agent to talk to. 0, or -1 with the reason
//  printed (unless quiet).
int ctl_find_agent (ctl_t *self, bool quiet);

//  Says that nobody listens on the agent's endpoint.
void ctl_no_agent (ctl_t *self);

//  ctl_find_agent (quiet as there), then checks that somebody listens. 0,
//  or -1 with the reason printed.
int ctl_reach_agent (ctl_t *self, bool quiet);

//  Says what went wrong with an exchange (result is not FSH_CTL_OK).
void ctl_call_failed (ctl_t *self, fsh_ctl_result_t result);

//  One request to the agent: its replies (caller destroys), or NULL with
//  the reason printed. An error reply from the agent is printed too.
zlistx_t *ctl_call (ctl_t *self, const Fshare__CtlRequest *request);

//  The shell's event stream: open (0 once the agent acknowledged, else -1
//  with the reason printed), read what `which` has (-1 when the stream
//  ended), close.
int ctl_stream_open (ctl_t *self);
int ctl_stream_read (ctl_t *self, void *which);
void ctl_stream_close (ctl_t *self);

//  --------------------------------------------------------------------------
//  output.c

//  A failure: "fshare-ctl: TEXT" on stderr and, under --json, one object
//  {"error":TEXT,"code":NAME} on stdout (SPEC 5.1).
void ctl_fail (ctl_t *self, fsh_err_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  One file of a get that failed, on stderr only (the JSON has it in
//  its array): "get OWNER PATH: WHY", escaped.
void ctl_fail_plain (const char *owner, const char *path, const char *why);

//  Under --json, the failure object of ctl_fail (nothing on stderr).
void ctl_print_failure (ctl_t *self, fsh_err_t code, const char *text);

//  A usage error in a command's words (code bad_request): exit code 2. The
//  shell has its own help.
int ctl_command_error (ctl_t *self, const char *command, const char *fmt, const char *arg);

//  Text from the agent, safe to print.
const char *ctl_text (const char *text);

//  Prints one JSON value as a line and frees it.
void ctl_json_print (json_t *json);

//  The valid file entries of all replies, in order (own files may come
//  without a user: default_user then); exclude_user's left out. The list
//  refers to the replies.
zlistx_t *ctl_collect_files (zlistx_t *replies, const char *default_user,
                             const char *exclude_user);
void ctl_print_files (ctl_t *self, zlistx_t *files, bool with_user, const char *empty);
void ctl_print_peers (ctl_t *self, zlistx_t *replies);
void ctl_print_status (ctl_t *self, const Fshare__AgentStatus *agent);
void ctl_print_event (ctl_t *self, const Fshare__Event *event);

//  A notification is about to print over the shell's prompt line.
void ctl_clear_prompt (ctl_t *self);

//  --------------------------------------------------------------------------
//  The commands: commands.c, get.c, connect.c, shell.c

//  Keep only the rows whose content has this digest.
void ctl_files_keep_content (zlistx_t *files, const uint8_t sha256 [32]);

int ctl_status (ctl_t *self, ctl_args_t *args);
//  The agent's downloads directory (absolute; caller frees), or NULL
//  (reason printed).
char *ctl_downloads_dir (ctl_t *self);
int ctl_ls (ctl_t *self, ctl_args_t *args);
int ctl_peers (ctl_t *self, ctl_args_t *args);
int ctl_events (ctl_t *self, ctl_args_t *args);
int ctl_disconnect (ctl_t *self, ctl_args_t *args);
int ctl_get (ctl_t *self, ctl_args_t *args);

//  getmany.c: a folder or glob of the owner's list, rather than one file.
bool ctl_get_is_many (ctl_t *self, const char *owner, const char *what);
//  Fetches every file of it below `root` (absolute): the exit code.
int ctl_get_many (ctl_t *self, ctl_args_t *args, const char *root);
int ctl_connect (ctl_t *self, ctl_args_t *args);
int ctl_shell (ctl_t *self, ctl_args_t *args);

//  The files of `ls`; NULL when the request failed (reason printed).
zlistx_t *ctl_files (ctl_t *self, bool all, const char *user, const char *glob);

#endif
