/*  shell.c - fshare-ctl shell: a prompt that takes the commands and the
    original app's words, and prints notifications as they arrive while an
    agent is connected. See ctl.h.

    On a terminal the prompt is libedit's (history, line editing) and a
    notification clears the line being typed, prints, and redraws it. From
    a pipe, lines are read straight from the descriptor, not through stdio,
    so that polling it says the truth about what is left to read.
*/
#include "ctl.h"
#include <sys/wait.h>
#include <editline/readline.h>

#define SHELL_MAX_WORDS      64
#define SHELL_LINE_MAX       (64 * 1024)

static const char *s_shell_help =
    "commands:\n"
    "  connect USER [PASS] [--dir DIR] [--downloads DIR] [--broker EP]\n"
    "  status\n"
    "  ls [GLOB]                       (also: list_my_files)\n"
    "  ls --all [--user NAME] [GLOB]   (also: list_all_files)\n"
    "  peers\n"
    "  get OWNER PATH [-o PATH] [--again]  (also: download_file OWNER FILE)\n"
    "  disconnect\n"
    "  help\n"
    "  quit, exit\n"
    "Notifications print as they arrive while an agent is connected.\n";

//  Splits a line into words: blanks separate, '...' and "..." quote.
//  Returns the count, or -1 for an unterminated quote. Words point into line.
static int
s_split (char *line, char **words, int max)
{
    int count = 0;
    char *in = line, *out = line;
    while (*in) {
        while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
            in++;
        if (!*in)
            break;
        if (count == max)
            return -1;
        words [count++] = out;
        while (*in && *in != ' ' && *in != '\t' && *in != '\n' && *in != '\r') {
            if (*in == '\'' || *in == '"') {
                char quote = *in++;
                while (*in && *in != quote)
                    *out++ = *in++;
                if (!*in)
                    return -1;
                in++;
            }
            else
                *out++ = *in++;
        }
        if (*in)
            in++;
        *out++ = 0;
    }
    return count;
}

//  Prints a notification without wrecking the line being typed.
static void
s_notify (ctl_t *self, void *which)
{
    if (ctl_stream_read (self, which)) {
        ctl_clear_prompt (self);
        fprintf (stderr, "fshare-ctl: the agent of %s stopped\n", ctl_user (self)? ctl_user (self): "?");
        ctl_forget_agent (self);
    }
    if (self->prompt_cleared) {
        rl_forced_update_display ();
        self->prompt_cleared = false;
    }
}

//  The libzmq socket of the shell's stream (or its monitor) for zmq_poll.
static void *
s_stream_handle (ctl_t *self, bool monitor)
{
    if (!self->stream)
        return NULL;
    return zsock_resolve (monitor? fsh_ctlstream_monitor (self->stream):
                                   fsh_ctlstream_socket (self->stream));
}

//  Piped shell: print what has already arrived.
static void
s_drain_notifications (ctl_t *self)
{
    while (self->stream) {
        void *which = fsh_ctlstream_ready (self->stream);
        if (!which)
            break;
        s_notify (self, which);
    }
}

//  Runs one shell line. Returns false for quit/exit.
static bool
s_shell_line (ctl_t *self, char *line)
{
    char *words [SHELL_MAX_WORDS + 1];
    int count = s_split (line, words, SHELL_MAX_WORDS);
    if (count < 0) {
        fprintf (stderr, "fshare-ctl: unterminated quote or too many words\n");
        return true;
    }
    if (count == 0)
        return true;
    words [count] = NULL;
    if (streq (words [0], "quit") || streq (words [0], "exit"))
        return false;
    if (streq (words [0], "help") || streq (words [0], "?")) {
        fputs (s_shell_help, stdout);
        fsh_output_flush ();
        return true;
    }
    int rc = ctl_run (self, count, words);
    //  A connected agent: keep its notifications coming.
    if (rc == 0 && !self->stream && ctl_control (self) && !fsh_ctlclient_dead (self->client))
        ctl_stream_open (self);
    return true;
}

static void
s_reap_children (void)
{
    while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
}

//  Input read straight from the file descriptor (not stdio), so that
//  polling it says the truth about what is left to read.
typedef struct {
    char data [SHELL_LINE_MAX];
    size_t used;
    bool eof;
    bool overlong;              //  dropping the rest of a too long line
} shell_input_t;

//  The next complete line (the last one may lack its newline at EOF), or
//  NULL when more input is needed. Caller frees.
static char *
s_input_line (shell_input_t *input)
{
    while (true) {
        char *newline = (char *) memchr (input->data, '\n', input->used);
        if (!newline && !(input->eof && input->used))
            return NULL;
        size_t length = newline? (size_t) (newline - input->data): input->used;
        size_t consumed = newline? length + 1: length;
        char *line = input->overlong? NULL: strndup (input->data, length);
        input->overlong = false;
        memmove (input->data, input->data + consumed, input->used - consumed);
        input->used -= consumed;
        if (line)
            return line;
    }
}

static void
s_input_read (shell_input_t *input)
{
    if (input->used == sizeof input->data) {
        //  Said once a line, however many buffers its rest fills
        if (!input->overlong)
            fprintf (stderr, "fshare-ctl: input line too long, ignored\n");
        input->used = 0;
        input->overlong = true;
    }
    ssize_t size = read (STDIN_FILENO, input->data + input->used,
                         sizeof input->data - input->used);
    if (size > 0)
        input->used += (size_t) size;
    else
    if (size == 0 || errno != EINTR)
        input->eof = true;
}

//  Shell on piped input: lines run as they come, notifications print as
//  they arrive while waiting for the next line; EOF ends the shell.
static int
s_shell_piped (ctl_t *self)
{
    shell_input_t *input = (shell_input_t *) zmalloc (sizeof (shell_input_t));
    bool go_on = true;
    while (go_on && !zsys_interrupted) {
        char *line = s_input_line (input);
        if (line) {
            s_drain_notifications (self);
            go_on = s_shell_line (self, line);
            free (line);
            s_reap_children ();
            continue;
        }
        if (input->eof)
            break;
        zmq_pollitem_t items [3] = {
            { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, false), 0, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, true), 0, ZMQ_POLLIN, 0 }
        };
        //  In slices: a signal just before the poll is seen by the loop
        if (zmq_poll (items, self->stream? 3: 1, FSH_SIGNAL_SLICE_MS) == -1)
            continue;       //  interrupted: the loop condition decides
        if (self->stream && (items [1].revents | items [2].revents))
            s_drain_notifications (self);
        if (items [0].revents & (ZMQ_POLLIN | ZMQ_POLLERR))
            s_input_read (input);
    }
    free (input);
    return 0;
}

//  libedit's line callback carries no context: the line waits here for the
//  loop in s_shell_tty to pick it up.
static char *s_typed_line;
static bool s_typed_eof;

static void
s_on_line (char *line)
{
    if (line)
        s_typed_line = line;
    else
        s_typed_eof = true;
}

static void
s_prompt (ctl_t *self, bool on)
{
    if (on && !self->prompting)
        rl_callback_handler_install ("fshare> ", s_on_line);
    else
    if (!on && self->prompting)
        rl_callback_handler_remove ();
    self->prompting = on;
}

static int
s_shell_tty (ctl_t *self)
{
    s_prompt (self, true);
    bool go_on = true;
    while (go_on && !s_typed_eof) {
        zmq_pollitem_t items [3] = {
            { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, false), 0, ZMQ_POLLIN, 0 },
            { s_stream_handle (self, true), 0, ZMQ_POLLIN, 0 }
        };
        int rc = zmq_poll (items, self->stream? 3: 1, FSH_SIGNAL_SLICE_MS);
        if (zsys_interrupted)
            break;
        if (rc == -1)
            continue;
        if (self->stream && (items [2].revents & ZMQ_POLLIN))
            s_notify (self, fsh_ctlstream_monitor (self->stream));
        else
        if (self->stream && (items [1].revents & ZMQ_POLLIN))
            s_notify (self, fsh_ctlstream_socket (self->stream));
        if (items [0].revents & ZMQ_POLLERR)
            break;          //  the terminal went away
        if (!(items [0].revents & ZMQ_POLLIN))
            continue;
        rl_callback_read_char ();
        if (s_typed_line) {
            char *line = s_typed_line;
            s_typed_line = NULL;
            s_prompt (self, false);
            if (*line)
                add_history (line);
            go_on = s_shell_line (self, line);
            free (line);
            s_reap_children ();
            if (go_on)
                s_prompt (self, true);
        }
    }
    s_prompt (self, false);
    if (s_typed_eof)
        printf ("\n");
    return 0;
}

int
ctl_shell (ctl_t *self, ctl_args_t *args)
{
    (void) args;
    self->in_shell = true;
    self->interactive = isatty (STDIN_FILENO);
    //  An agent already running: follow its notifications from the start.
    if (ctl_find_agent (self, true) == 0 && !fsh_ctlclient_dead (self->client))
        ctl_stream_open (self);
    if (self->interactive) {
        printf ("fshare-ctl %s shell: type help for the commands\n", FSHARE_VERSION);
        fsh_output_flush ();
    }
    int rc = self->interactive? s_shell_tty (self): s_shell_piped (self);
    ctl_stream_close (self);
    return rc;
}


