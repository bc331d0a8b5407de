/*  spawn.c - an agent process started by fshare-ctl connect. See spawn.h.

    Between fork and exec the child makes only async-signal-safe calls:
    its environment and descriptors are prepared before the fork. The
    report socket is a socketpair, not a pipe, so that an agent that writes
    to it after we are gone gets EPIPE (MSG_NOSIGNAL), not a SIGPIPE.
*/
#include "spawn.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define CONNECT_TIMEOUT_MS   30000  //  agent started until online
#define REASON_MAX           1024   //  bytes of the agent's report we read

extern char **environ;

struct _spawn_t {
    ctl_t *ctl;                 //  says what failed
    pid_t pid;
    char *log;                  //  where its output goes
    int report;                 //  our end of its report socket; -1 once closed
};

char *
spawn_find_peer (void)
{
    char self_path [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len > 0) {
        self_path [len] = 0;
        char *slash = strrchr (self_path, '/');
        if (slash) {
            *slash = 0;
            char *candidate = zsys_sprintf ("%s/fshare-peer", self_path);
            if (access (candidate, X_OK) == 0)
                return candidate;
            zstr_free (&candidate);
        }
    }
    const char *path = getenv ("PATH");
    char *copy = strdup (path? path: "/usr/local/bin:/usr/bin:/bin");
    char *found = NULL, *saveptr = NULL;
    for (char *dir = strtok_r (copy, ":", &saveptr); dir && !found;
         dir = strtok_r (NULL, ":", &saveptr)) {
        char *candidate = zsys_sprintf ("%s/fshare-peer", *dir? dir: ".");
        if (access (candidate, X_OK) == 0)
            found = candidate;
        else
            zstr_free (&candidate);
    }
    free (copy);
    return found;
}

//  The environment of the agent: ours without FSHARE_REPORT_FD (and
//  without FSHARE_PASSWORD when we hold the password), plus `settings`.
//  The array is new, its strings are ours or the settings'.
static char **
s_agent_environment (char **settings, size_t n_settings, bool password)
{
    size_t count = 0;
    while (environ [count])
        count++;
    char **env = (char **) zmalloc ((count + n_settings + 1) * sizeof (char *));
    size_t index = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp (environ [i], "FSHARE_REPORT_FD=", 17) != 0
        && !(password && strncmp (environ [i], "FSHARE_PASSWORD=", 16) == 0))
            env [index++] = environ [i];
    for (size_t i = 0; i < n_settings; i++)
        env [index++] = settings [i];
    return env;
}

//  A socketpair for the report: [0] ours, [1] the child's, both close on
//  exec and above the standard descriptors (the child replaces those).
static int
s_report_pair (int pair [2])
{
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair))
        return -1;
    for (int i = 0; i < 2; i++)
        if (pair [i] < 3) {
            int moved = fcntl (pair [i], F_DUPFD_CLOEXEC, 3);
            close (pair [i]);
            pair [i] = moved;
        }
    if (pair [0] == -1 || pair [1] == -1) {
        if (pair [0] != -1)
            close (pair [0]);
        if (pair [1] != -1)
            close (pair [1]);
        return -1;
    }
    return 0;
}

//  The child: detached, descriptors in place, then the agent program.
static void
s_child (const char *program, char **argv, char **env, int null_fd, int log_fd, int report)
{
    setsid ();
    dup2 (null_fd, STDIN_FILENO);
    dup2 (log_fd, STDOUT_FILENO);
    dup2 (log_fd, STDERR_FILENO);
    fcntl (report, F_SETFD, 0);         //  the agent inherits its report socket
    execve (program, argv, env);
    static const char failed [] = "internal cannot run the agent program\n";
    static const char logged [] = "fshare-peer: cannot run the agent program\n";
    if (send (report, failed, sizeof failed - 1, MSG_NOSIGNAL) < 0
    ||  write (STDERR_FILENO, logged, sizeof logged - 1) < 0)
        _exit (127);
    _exit (127);
}

//  Forks and execs the agent with the descriptors prepared. 0 or -1
//  (reason printed).
static int
s_fork (spawn_t *self, const char *program, char **argv, const char *password,
        int log_fd, int null_fd, int report)
{
    char *settings [2];
    size_t n_settings = 0;
    settings [n_settings++] = zsys_sprintf ("FSHARE_REPORT_FD=%d", report);
    if (password)
        settings [n_settings++] = zsys_sprintf ("FSHARE_PASSWORD=%s", password);
    char **env = s_agent_environment (settings, n_settings, password != NULL);
    self->pid = fork ();
    if (self->pid == 0)
        s_child (program, argv, env, null_fd, log_fd, report);
    int error = errno;
    free (env);
    for (size_t i = 0; i < n_settings; i++) {
        explicit_bzero (settings [i], strlen (settings [i]));
        zstr_free (&settings [i]);
    }
    if (self->pid == -1) {
        ctl_fail (self->ctl, FSH_ERR_INTERNAL, "cannot start the agent: %s", strerror (error));
        return -1;
    }
    return 0;
}

//  The log, opened to append: a regular file of ours, or -1 with the
//  reason printed. Never through a link, and without waiting on a FIFO
//  (O_NONBLOCK, cleared once it is known to be a file): the private
//  directory keeps others from planting anything now, and this refuses a
//  link, FIFO or foreign file that was left there before it was private.
static int
s_open_log (spawn_t *self)
{
    int fd = open (self->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK
                   | O_NOCTTY | O_CLOEXEC, 0600);
    struct stat st;
    //  A FIFO without a reader (or a socket) is ENXIO under O_NONBLOCK
    const char *why = fd == -1 && errno == ELOOP? "it is a symbolic link"
                    : fd == -1 && errno == ENXIO? "not a regular file"
                    : fd == -1 || fstat (fd, &st)? strerror (errno)
                    : !S_ISREG (st.st_mode)? "not a regular file"
                    : st.st_uid != geteuid ()? "it belongs to another user"
                    : fcntl (fd, F_SETFL, O_APPEND)? strerror (errno): NULL;
    if (!why)
        return fd;
    ctl_fail (self->ctl, FSH_ERR_NOT_WRITABLE, "cannot open the agent's log %s: %s",
              self->log, why);
    if (fd != -1)
        close (fd);
    return -1;
}

//  Opens the log (append) and /dev/null, makes the report socket, forks.
static int
s_start (spawn_t *self, const char *program, char **argv, const char *password)
{
    int log_fd = s_open_log (self);
    int null_fd = log_fd == -1? -1: open ("/dev/null", O_RDONLY | O_CLOEXEC);
    int pair [2] = { -1, -1 };
    int rc = -1;
    if (log_fd == -1)
        ;               //  said
    else
    if (null_fd == -1)
        ctl_fail (self->ctl, FSH_ERR_INTERNAL, "cannot open /dev/null: %s", strerror (errno));
    else
    if (s_report_pair (pair))
        ctl_fail (self->ctl, FSH_ERR_INTERNAL, "cannot start the agent: %s", strerror (errno));
    else {
        rc = s_fork (self, program, argv, password, log_fd, null_fd, pair [1]);
        close (pair [1]);
        self->report = pair [0];
        if (rc)
            close (pair [0]);
        if (rc)
            self->report = -1;
    }
    if (log_fd != -1)
        close (log_fd);
    if (null_fd != -1)
        close (null_fd);
    return rc;
}

spawn_t *
spawn_new (ctl_t *ctl, const char *program, char **argv, const char *user,
           const char *password)
{
    //  Where the log goes: checked as the agent checks its control directory
    char *dir = fsh_control_dir ();
    const char *why = fsh_private_dir (dir);
    if (why) {
        ctl_fail (ctl, FSH_ERR_NOT_WRITABLE, "control directory %s: %s", dir, why);
        zstr_free (&dir);
        return NULL;
    }
    spawn_t *self = (spawn_t *) zmalloc (sizeof (spawn_t));
    self->ctl = ctl;
    self->report = -1;
    self->log = zsys_sprintf ("%s/%s.log", dir, user);
    zstr_free (&dir);
    if (s_start (self, program, argv, password))
        spawn_destroy (&self);
    return self;
}

void
spawn_destroy (spawn_t **self_p)
{
    if (*self_p) {
        spawn_t *self = *self_p;
        if (self->report != -1)
            close (self->report);
        zstr_free (&self->log);
        free (self);
        *self_p = NULL;
    }
}

pid_t
spawn_pid (spawn_t *self)
{
    return self->pid;
}

const char *
spawn_log (spawn_t *self)
{
    return self->log;
}

//  What the exited agent wrote on its report socket: its last line, if it
//  is readable text. Caller frees; NULL when it said nothing.
static char *
s_report_line (spawn_t *self)
{
    char data [REASON_MAX + 1];
    size_t used = 0;
    while (used < REASON_MAX) {
        ssize_t size = recv (self->report, data + used, REASON_MAX - used, MSG_DONTWAIT);
        if (size > 0)
            used += (size_t) size;
        else
        if (size == 0 || errno != EINTR)
            break;          //  the end, or nothing more is waiting
    }
    while (used && (data [used - 1] == '\n' || data [used - 1] == '\r'))
        used--;
    data [used] = 0;
    char *line = strrchr (data, '\n');
    line = line? line + 1: data;
    return *line && fsh_text_valid (line, REASON_MAX)? strdup (line): NULL;
}

//  The agent's reason, split into its code and text: the text (caller
//  frees) or NULL. A line without a code's name first is all text.
static char *
s_reason (spawn_t *self, fsh_err_t *code)
{
    *code = FSH_ERR_INTERNAL;
    char *line = s_report_line (self);
    char *space = line? strchr (line, ' '): NULL;
    if (!space)
        return line;
    *space = 0;
    fsh_err_t named = fsh_err_from_name (line);
    *space = ' ';
    if (named == FSH_ERR_NONE)
        return line;
    *code = named;
    char *text = strdup (space + 1);
    zstr_free (&line);
    return text;
}

static void
s_stop (pid_t pid)
{
    kill (pid, SIGTERM);
    for (int i = 0; i < 40; i++) {
        if (waitpid (pid, NULL, WNOHANG) == pid)
            return;
        zclock_sleep (50);      //  waiting for a process to exit has no event
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

//  The child has exited with `status`: says why.
static void
s_exited (spawn_t *self, int status)
{
    fsh_err_t code;
    char *reason = s_reason (self, &code);
    if (reason)
        ctl_fail (self->ctl, code, "connect failed: %s", reason);
    else
        ctl_fail (self->ctl, FSH_ERR_INTERNAL, "connect failed: the agent exited (status %d; "
                  "see %s)", WIFEXITED (status)? WEXITSTATUS (status): -1, self->log);
    zstr_free (&reason);
}

int
spawn_wait_online (spawn_t *self, ctl_t *ctl, const char *endpoint)
{
    int64_t deadline = zclock_mono () + CONNECT_TIMEOUT_MS;
    char state [32] = "not started";
    //  Why the agent's last login failed (it tries again for ever)
    char retrying [128] = "";
    fsh_err_t code = FSH_ERR_BROKER_UNREACHABLE;
    while (!zsys_interrupted) {
        int status;
        if (waitpid (self->pid, &status, WNOHANG) == self->pid) {
            s_exited (self, status);
            return -1;
        }
        if (zclock_mono () >= deadline) {
            ctl_fail (ctl, code, "connect failed: the agent is not online after %d s "
                      "(state: %s%s%s; see %s)", CONNECT_TIMEOUT_MS / 1000, state,
                      *retrying? ", ": "", retrying, self->log);
            s_stop (self->pid);
            return -1;
        }
        Fshare__CtlReply *reply = fsh_ctl_probe (endpoint, PROBE_TIMEOUT_MS);
        if (reply && fsh_text_valid (reply->agent->state, 30))
            snprintf (state, sizeof state, "%s", reply->agent->state);
        if (reply && reply->agent->retrying && fsh_text_valid (reply->agent->retrying, 256)) {
            snprintf (retrying, sizeof retrying, "%s", reply->agent->retrying);
            code = reply->agent->retry_code == FSH_ERR_BUSY? FSH_ERR_BUSY
                                                           : FSH_ERR_BROKER_UNREACHABLE;
        }
        //  Another agent on that endpoint is not ours (it refused to start).
        bool online = reply && streq (reply->agent->state, "online")
                   && reply->agent->pid == (int64_t) self->pid;
        fsh_ctl_reply_free (&reply);
        if (online)
            return 0;
        zclock_sleep (50);      //  an agent that is not yet listening fails fast
    }
    //  Interrupted: the user gave up on this connect, so does the agent.
    s_stop (self->pid);
    ctl_print_failure (ctl, FSH_ERR_CANCELLED, "interrupted");
    return -1;
}
