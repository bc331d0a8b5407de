/*  connect.c - fshare-ctl connect: start a user's agent in the background,
    wait for its login, print the files of the other users. See ctl.h.

    The password never goes on the agent's command line: a password file
    is passed on by name, FSHARE_PASSWORD is inherited, and the shell's
    word or a prompt's answer goes into the agent's environment only.
*/
#include "ctl.h"
#include "spawn.h"
#include "curve.h"

#define AGENT_ARGS_MAX  16

//  Refuses a connect that cannot be right (bad name, another user than
//  --user, an agent already answering there): its exit code, else -1.
static int
s_connect_check (ctl_t *self, const char *user, const char *endpoint, const char *server_key)
{
    const char *error = fsh_user_check (user);
    if (error)
        return ctl_command_error (self, "connect", "bad user name: %s", error);
    if (self->pinned && !self->explicit_control && ctl_user (self)
    &&  !streq (ctl_user (self), user) && !self->in_shell)
        return fsh_usage_error (PROGRAM, "--user %s does not match connect's user",
                                ctl_user (self));
    //  A control directory too deep for a socket's path (XDG_RUNTIME_DIR):
    //  the user's to fix, before an agent starts that could not listen
    error = fsh_endpoint_invalid (endpoint, true);
    if (error) {
        ctl_fail (self, FSH_ERR_BAD_REQUEST, "connect: control endpoint %s: %s", endpoint,
                  error);
        return 2;
    }
    //  The agent would refuse it, and say so in these words; a bad value,
    //  exit 2 as the agent's own for it
    error = server_key? fsh_curve_key_check (server_key): NULL;
    if (error) {
        ctl_fail (self, FSH_ERR_BAD_REQUEST, "connect failed: --server-key: %s", error);
        return 2;
    }
    if (fsh_ctl_alive (endpoint, PROBE_TIMEOUT_MS)) {
        ctl_fail (self, FSH_ERR_ALREADY_LOGGED_IN, "%s is already connected", user);
        return 1;
    }
    return -1;
}

//  The password that goes into the agent's environment: the shell's word,
//  else a prompt's answer when neither a file nor FSHARE_PASSWORD gives
//  one. 0 with *password_p set (may be NULL), or -1 (reason printed).
static int
s_connect_password (ctl_t *self, ctl_args_t *args, const char *user, char **password_p)
{
    *password_p = NULL;
    if (args->words [1]) {
        *password_p = strdup (args->words [1]);
        return 0;
    }
    if (args->password_file || getenv ("FSHARE_PASSWORD"))
        return 0;
    char *prompt = zsys_sprintf ("Password for %s: ", user);
    *password_p = fsh_password_prompt (prompt);
    zstr_free (&prompt);
    if (*password_p)
        return 0;
    if (fsh_password_signal ()) {
        ctl_fail (self, FSH_ERR_CANCELLED, "connect interrupted at the password prompt");
        return -1;
    }
    ctl_fail (self, FSH_ERR_BAD_REQUEST, "no password: use --password-file, FSHARE_PASSWORD "
              "or a terminal");
    return -1;
}

//  The agent's command line; the strings belong to args and endpoint.
static void
s_agent_argv (ctl_t *self, ctl_args_t *args, const char *user, const char *endpoint,
              char *argv [AGENT_ARGS_MAX])
{
    int argc = 0;
    argv [argc++] = "fshare-peer";
    argv [argc++] = "--user";
    argv [argc++] = (char *) user;
    if (self->explicit_control) {
        argv [argc++] = "--control";
        argv [argc++] = (char *) endpoint;
    }
    const char *names [] = { "--dir", "--downloads", "--broker", "--password-file",
                             "--server-key" };
    const char *values [] = { args->dir, args->downloads, args->broker, args->password_file,
                              args->server_key };
    for (int i = 0; i < 5; i++)
        if (values [i]) {
            argv [argc++] = (char *) names [i];
            argv [argc++] = (char *) values [i];
        }
    argv [argc] = NULL;
}

//  The agent is online: talk to it from now on, show the others' files.
static int
s_connected (ctl_t *self, const char *user, const char *endpoint)
{
    ctl_set_agent (self, user, endpoint);
    zlistx_t *replies = ctl_files (self, true, NULL, NULL);
    if (!replies)
        return 1;
    zlistx_t *files = ctl_collect_files (replies, NULL, user);
    if (!self->json)
        printf ("connected as %s\n", user);
    ctl_print_files (self, files, true, "no files shared by other users");
    zlistx_destroy (&files);
    zlistx_destroy (&replies);
    return 0;
}

//  Starts the agent program and waits for it to be online: 0 or 1.
static int
s_start_agent (ctl_t *self, ctl_args_t *args, const char *user, const char *endpoint,
               const char *program)
{
    char *password = NULL;
    if (s_connect_password (self, args, user, &password))
        return 1;
    char *argv [AGENT_ARGS_MAX];
    s_agent_argv (self, args, user, endpoint, argv);
    spawn_t *agent = spawn_new (self, program, argv, user, password);
    fsh_password_free (&password);
    if (!agent)
        return 1;
    if (self->verbose)
        fprintf (stderr, "fshare-ctl: started %s (pid %d), log in %s\n", program,
                 (int) spawn_pid (agent), spawn_log (agent));
    int rc = spawn_wait_online (agent, self, endpoint)? 1: 0;
    spawn_destroy (&agent);
    return rc;
}

int
ctl_connect (ctl_t *self, ctl_args_t *args)
{
    const char *user = args->words [0];
    if (fsh_user_check (user))
        return s_connect_check (self, user, NULL, NULL);
    char *endpoint = self->explicit_control? strdup (ctl_control (self)):
                                             fsh_control_endpoint (user);
    int rc = s_connect_check (self, user, endpoint, args->server_key);
    char *program = rc == -1? spawn_find_peer (): NULL;
    if (rc == -1 && !program) {
        ctl_fail (self, FSH_ERR_INTERNAL,
                  "cannot find fshare-peer (next to fshare-ctl or on PATH)");
        rc = 1;
    }
    if (rc == -1)
        rc = s_start_agent (self, args, user, endpoint, program);
    if (rc == 0)
        rc = s_connected (self, user, endpoint);
    zstr_free (&program);
    zstr_free (&endpoint);
    return rc;
}
