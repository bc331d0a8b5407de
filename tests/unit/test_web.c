/*  test_web.c - fshare-web's pure parts: the access token and its cookie,
    the Host and Origin checks, form and query decoding and their limits,
    --listen, escaping; the listing model's Clone rules (stale events
    skipped, gaps noticed, groups and duplicate marks touched); the live
    hub's resume and reload; which saved file may be handed out.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "webutil.h"
#include "model.h"
#include "hub.h"
#include <fcntl.h>
#include <sys/stat.h>

static void
test_token (void **state)
{
    (void) state;
    char a [WEB_TOKEN_CHARS + 1], b [WEB_TOKEN_CHARS + 1];
    web_token_new (a, sizeof a);
    web_token_new (b, sizeof b);
    assert_int_equal (strlen (a), WEB_TOKEN_CHARS);
    assert_string_not_equal (a, b);
    assert_int_equal (strspn (a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      WEB_TOKEN_CHARS);
    assert_true (web_token_equal (a, a));
    assert_false (web_token_equal (b, a));
    assert_false (web_token_equal (NULL, a));
    assert_false (web_token_equal ("", a));
    char longer [WEB_TOKEN_CHARS + 2];
    snprintf (longer, sizeof longer, "%sx", a);
    assert_false (web_token_equal (longer, a));
    char shorter [WEB_TOKEN_CHARS];
    //  Truncated on purpose: memcpy, which gcc does not warn about
    memcpy (shorter, a, sizeof shorter - 1);
    shorter [sizeof shorter - 1] = 0;
    assert_false (web_token_equal (shorter, a));
}

static void
test_cookie (void **state)
{
    (void) state;
    char value [64];
    assert_true (web_cookie_get ("fshare_web_8080=abc", "fshare_web_8080", value, sizeof value));
    assert_string_equal (value, "abc");
    assert_true (web_cookie_get ("x=1; fshare_web_8080=def ; y=2", "fshare_web_8080", value,
                                 sizeof value));
    assert_string_equal (value, "def");
    //  Another port's cookie is not ours, nor a name that only starts alike
    assert_false (web_cookie_get ("fshare_web_8081=abc", "fshare_web_8080", value, sizeof value));
    assert_false (web_cookie_get ("fshare_web_80800=abc", "fshare_web_8080", value, sizeof value));
    assert_false (web_cookie_get (NULL, "fshare_web_8080", value, sizeof value));
    assert_false (web_cookie_get ("", "fshare_web_8080", value, sizeof value));
    //  Too long for the buffer: refused, not cut
    char big [200];
    memset (big, 'a', sizeof big);
    memcpy (big, "c=", 2);
    big [sizeof big - 1] = 0;
    assert_false (web_cookie_get (big, "c", value, sizeof value));
    //  Another page of this host set one of the same name: either may hold it
    const char *token = "t0k3n";
    assert_true (web_cookie_holds ("fshare_web_8080=evil; fshare_web_8080=t0k3n",
                                   "fshare_web_8080", token));
    assert_true (web_cookie_holds ("a=b; fshare_web_8080=t0k3n", "fshare_web_8080", token));
    assert_false (web_cookie_holds ("fshare_web_8080=evil; fshare_web_8081=t0k3n",
                                    "fshare_web_8080", token));
    assert_false (web_cookie_holds ("fshare_web_8080=t0k3", "fshare_web_8080", token));
    assert_false (web_cookie_holds ("fshare_web_8080=t0k3nn", "fshare_web_8080", token));
    assert_false (web_cookie_holds (NULL, "fshare_web_8080", token));
    assert_false (web_cookie_holds ("fshare_web_8080", "fshare_web_8080", token));
}

static void
test_host_origin (void **state)
{
    (void) state;
    const char *hosts [] = { "127.0.0.1:8080", "localhost:8080", "[::1]:8080", NULL };
    assert_true (web_host_ok ("127.0.0.1:8080", hosts));
    assert_true (web_host_ok ("LOCALHOST:8080", hosts));
    assert_false (web_host_ok ("127.0.0.1:8081", hosts));
    assert_false (web_host_ok ("evil.example:8080", hosts));     //  DNS rebinding
    assert_false (web_host_ok (NULL, hosts));
    assert_true (web_origin_ok ("http://127.0.0.1:8080", "127.0.0.1:8080", hosts));
    assert_false (web_origin_ok ("http://localhost:8080", "127.0.0.1:8080", hosts));
    assert_false (web_origin_ok ("http://evil.example", "127.0.0.1:8080", hosts));
    assert_false (web_origin_ok ("https://127.0.0.1:8080", "127.0.0.1:8080", hosts));
    assert_false (web_origin_ok ("null", "127.0.0.1:8080", hosts));
    assert_false (web_origin_ok (NULL, "127.0.0.1:8080", hosts));
    assert_false (web_origin_ok ("http://evil.example:8080", "evil.example:8080", hosts));
}

static void
test_form (void **state)
{
    (void) state;
    webform_t form;
    const char *text = "user=alice&path=docs%2Fa+b.txt&empty=&flag";
    assert_int_equal (webform_parse (&form, text, strlen (text)), 0);
    assert_string_equal (webform_get (&form, "user"), "alice");
    assert_string_equal (webform_get (&form, "path"), "docs/a b.txt");
    assert_string_equal (webform_get (&form, "empty"), "");
    assert_string_equal (webform_get (&form, "flag"), "");
    assert_null (webform_get (&form, "other"));
    webform_free (&form);
    const char *bad [] = {
        "path=%zz", "path=%4", "path=a%00b", "path=%0a", "a=1&a=2", "=x", "path=%C3%28",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_int_equal (webform_parse (&form, bad [i], strlen (bad [i])), -1);
    //  Limits: too many fields, a body too long
    webbuf_t buf;
    webbuf_init (&buf);
    for (int i = 0; i <= WEB_FORM_FIELDS; i++)
        webbuf_printf (&buf, "k%d=v&", i);
    assert_int_equal (webform_parse (&form, buf.data, buf.size), -1);
    webbuf_free (&buf);
    char *big = (char *) malloc (WEB_FORM_MAX + 10);
    memset (big, 'a', WEB_FORM_MAX + 10);
    memcpy (big, "k=", 2);
    assert_int_equal (webform_parse (&form, big, WEB_FORM_MAX + 10), -1);
    free (big);
}

static void
test_listen (void **state)
{
    (void) state;
    char host [64];
    int port;
    assert_int_equal (web_listen_parse ("127.0.0.1:8080", host, sizeof host, &port), 0);
    assert_string_equal (host, "127.0.0.1");
    assert_int_equal (port, 8080);
    assert_int_equal (web_listen_parse ("[::1]:0", host, sizeof host, &port), 0);
    assert_string_equal (host, "::1");
    assert_int_equal (port, 0);
    assert_int_equal (web_listen_parse ("localhost:9", host, sizeof host, &port), 0);
    const char *bad [] = { "8080", "127.0.0.1", ":8080", "127.0.0.1:x", "127.0.0.1:65536",
                           "::1:80", "[::1]80", "a b:80", "127.0.0.1:-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_int_equal (web_listen_parse (bad [i], host, sizeof host, &port), -1);
    assert_true (web_host_is_loopback ("127.0.0.1"));
    assert_true (web_host_is_loopback ("127.1.2.3"));
    assert_true (web_host_is_loopback ("::1"));
    assert_true (web_host_is_loopback ("localhost"));
    assert_false (web_host_is_loopback ("0.0.0.0"));
    assert_false (web_host_is_loopback ("192.168.1.2"));
    //  Names that only begin like loopback resolve wherever their DNS says
    assert_false (web_host_is_loopback ("127.0.0.1.evil.example"));
    assert_false (web_host_is_loopback ("127.evil.example"));
    assert_false (web_host_is_loopback ("localhost.evil.example"));
    assert_false (web_host_is_loopback ("127.0.0.256"));
    assert_false (web_host_is_loopback ("::2"));
}

static void
test_escape (void **state)
{
    (void) state;
    webbuf_t buf;
    webbuf_init (&buf);
    webbuf_html (&buf, "<a href=\"x\">'&'</a>");
    char *text = webbuf_take (&buf, NULL);
    assert_string_equal (text, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    free (text);
    webbuf_json (&buf, "a\"b\\c\n</script>");
    text = webbuf_take (&buf, NULL);
    assert_string_equal (text, "\"a\\\"b\\\\c\\u000a\\u003c/script\\u003e\"");
    free (text);
    //  Shown text escaped as plain output is; JSON without raw C1 or bidi
    webbuf_shown (&buf, "inv\xe2\x80\xae" "fdp<b>");
    text = webbuf_take (&buf, NULL);
    assert_string_equal (text, "inv\\u202efdp&lt;b&gt;");
    free (text);
    webbuf_json (&buf, "inv\xe2\x80\xae" "fdp \xc2\x9b \xc3\xa9");
    text = webbuf_take (&buf, NULL);
    assert_string_equal (text, "\"inv\\u202efdp \\u009b \xc3\xa9\"");
    free (text);
    webbuf_url (&buf, "docs/a b&c=d");
    text = webbuf_take (&buf, NULL);
    assert_string_equal (text, "docs/a%20b%26c%3Dd");
    free (text);
    //  What people read: a bidi override and a C1 control shown, then HTML
    webbuf_shown (&buf, "<b>invoice\xe2\x80\xae" "fdp.exe\xc2\x9b");
    text = webbuf_take (&buf, NULL);
    assert_string_equal (text, "&lt;b&gt;invoice\\u202efdp.exe\\u009b");
    free (text);
}

//  An event of the stream, for the model.
static Fshare__Event *
s_event (const char *broker, uint64_t seq, Fshare__EventType type, const char *user,
         const char *path, const char *from, uint8_t digest)
{
    Fshare__Event *event = (Fshare__Event *) zmalloc (sizeof (Fshare__Event));
    fshare__event__init (event);
    event->broker = (char *) broker;
    event->seq = seq;
    event->type = type;
    event->user = (char *) user;
    event->from = (char *) (from? from: "");
    if (path) {
        Fshare__FileInfo *file = (Fshare__FileInfo *) zmalloc (sizeof (Fshare__FileInfo));
        fshare__file_info__init (file);
        file->path = (char *) path;
        file->size = 10;
        file->mtime = 1700000000;
        if (digest) {
            file->sha256.len = 32;
            file->sha256.data = (uint8_t *) malloc (32);
            memset (file->sha256.data, digest, 32);
        }
        event->file = file;
    }
    return event;
}

static void
s_event_free (Fshare__Event **event_p)
{
    Fshare__Event *event = *event_p;
    if (event->file) {
        free (event->file->sha256.data);
        free (event->file);
    }
    free (event);
    *event_p = NULL;
}

static void
s_apply (model_t *model, Fshare__Event *event, model_change_t *change)
{
    model_event (model, event, change);
    s_event_free (&event);
}

static void
test_model (void **state)
{
    (void) state;
    model_t *model = model_new ();
    model_change_t change;
    model_reset (model, "B1", 10);
    model_add_user (model, "alice", 1);
    model_add_user (model, "bob", 2);

    //  Not newer than the listing: skipped
    s_apply (model, s_event ("B1", 10, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, "alice",
                             "old.txt", NULL, 0), &change);
    assert_false (change.applied);
    assert_false (change.gap);
    assert_null (model_find (model, "alice", "old.txt"));
    zhashx_destroy (&change.groups);

    //  The next one: applied, its folder touched
    s_apply (model, s_event ("B1", 11, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, "alice",
                             "docs/a.txt", NULL, 0xab), &change);
    assert_true (change.applied);
    assert_false (change.gap);
    assert_non_null (zhashx_lookup (change.groups, "alice:docs"));
    model_file_t *file = model_find (model, "alice", "docs/a.txt");
    assert_non_null (file);
    assert_int_equal (strlen (file->sha256), 64);
    assert_int_equal (model_copies (model, file->sha256), 1);
    zhashx_destroy (&change.groups);

    //  A second copy of that content, elsewhere: both folders re-marked
    s_apply (model, s_event ("B1", 12, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, "bob",
                             "b.txt", NULL, 0xab), &change);
    assert_non_null (zhashx_lookup (change.groups, "bob:"));
    assert_non_null (zhashx_lookup (change.groups, "alice:docs"));
    assert_int_equal (model_copies (model, file->sha256), 2);
    zhashx_destroy (&change.groups);

    //  A rename moves it between folders; the groups of both sides change
    s_apply (model, s_event ("B1", 13, FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED, "alice",
                             "top.txt", "docs/a.txt", 0xab), &change);
    assert_non_null (zhashx_lookup (change.groups, "alice:docs"));
    assert_non_null (zhashx_lookup (change.groups, "alice:"));
    assert_null (model_find (model, "alice", "docs/a.txt"));
    assert_non_null (model_find (model, "alice", "top.txt"));
    zhashx_destroy (&change.groups);

    //  A gap: still applied, but the listing must be fetched again
    s_apply (model, s_event ("B1", 15, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED, "bob",
                             "b.txt", NULL, 0), &change);
    assert_true (change.gap);
    assert_null (model_find (model, "bob", "b.txt"));
    zhashx_destroy (&change.groups);
    //  A new broker instance: a gap too
    s_apply (model, s_event ("B2", 1, FSHARE__EVENT_TYPE__EVENT_LEAVE, "bob", NULL, NULL, 0),
             &change);
    assert_true (change.gap);
    assert_true (change.users);
    assert_int_equal (model_user_files (model, "bob"), 0);
    zlistx_t *users = model_users (model);
    assert_int_equal (zlistx_size (users), 1);
    zlistx_destroy (&users);
    zhashx_destroy (&change.groups);

    //  Folder order: a folder's files together, top level first
    Fshare__FileInfo info = FSHARE__FILE_INFO__INIT;
    const char *paths [] = { "a/x/y", "a.txt", "a/b", "z", "a/c" };
    for (size_t i = 0; i < 5; i++) {
        info.path = (char *) paths [i];
        model_put (model, "alice", &info);
    }
    zlistx_t *files = model_files (model, "alice", NULL, NULL, false);
    const char *order [] = { "a.txt", "top.txt", "z", "a/b", "a/c", "a/x/y" };
    size_t index = 0;
    for (file = (model_file_t *) zlistx_first (files); file;
         file = (model_file_t *) zlistx_next (files))
        assert_string_equal (file->path, order [index++]);
    assert_int_equal (index, 6);
    zlistx_destroy (&files);
    files = model_files (model, "alice", NULL, "a", true);
    assert_int_equal (zlistx_size (files), 3);
    zlistx_destroy (&files);
    files = model_files (model, "alice", "*.txt", NULL, false);
    assert_int_equal (zlistx_size (files), 2);
    zlistx_destroy (&files);
    //  The filter's globs are get's and ls's (fsh_glob_match): `*` within
    //  one component, `**/` across any number, none included
    const char *globs [] = { "*", "**/y", "a/**/b", "a/**", "**", "a/*" };
    const size_t matches [] = { 3, 1, 1, 3, 6, 2 };
    for (size_t i = 0; i < 6; i++) {
        files = model_files (model, "alice", globs [i], NULL, false);
        if (zlistx_size (files) != matches [i])
            fail_msg ("filter '%s': %zu files, not %zu", globs [i], zlistx_size (files),
                      matches [i]);
        for (file = (model_file_t *) zlistx_first (files); file;
             file = (model_file_t *) zlistx_next (files))
            assert_true (fsh_glob_match (globs [i], file->path));
        zlistx_destroy (&files);
    }
    model_destroy (&model);
    assert_null (model);
}

static void
test_hub (void **state)
{
    (void) state;
    hub_t *hub = hub_new ();
    hub_client_t *client = hub_client_new (hub, 0);
    char buf [256];
    //  First the state, then keep-alives until something is published
    ssize_t size = hub_client_read (client, buf, sizeof buf - 1, 10);
    assert_true (size > 0);
    buf [size] = 0;
    assert_non_null (strstr (buf, "event: state"));
    size = hub_client_read (client, buf, sizeof buf - 1, 10);
    buf [size] = 0;
    assert_string_equal (buf, ": keep-alive\n\n");
    hub_publish (hub, "groups", "[[\"alice\",\"\"]]");
    size = hub_client_read (client, buf, sizeof buf - 1, 10);
    buf [size] = 0;
    assert_string_equal (buf, "id: 1\nevent: groups\ndata: [[\"alice\",\"\"]]\n\n");
    hub_client_destroy (&client);

    //  Resuming after message 1 gets 2 on; one too far behind gets reload
    hub_publish (hub, "downloads", "{}");
    client = hub_client_new (hub, 1);
    hub_client_read (client, buf, sizeof buf - 1, 10);      //  the state
    size = hub_client_read (client, buf, sizeof buf - 1, 10);
    buf [size] = 0;
    assert_non_null (strstr (buf, "id: 2\nevent: downloads"));
    hub_client_destroy (&client);
    for (int i = 0; i < HUB_RING + 5; i++)
        hub_publish (hub, "downloads", "{}");
    client = hub_client_new (hub, 2);
    size = hub_client_read (client, buf, sizeof buf - 1, 10);
    buf [size] = 0;
    assert_non_null (strstr (buf, "event: reload"));
    hub_client_destroy (&client);

    //  Ready: at once for the state, then only once something is published
    client = hub_client_new (hub, 0);
    assert_true (hub_client_ready (client, 10));
    hub_client_read (client, buf, sizeof buf - 1, 10);
    assert_false (hub_client_ready (client, 10));
    hub_publish (hub, "downloads", "{}");
    assert_true (hub_client_ready (client, 10));
    hub_client_destroy (&client);

    //  At most HUB_CLIENTS readers; one that ends makes room
    hub_client_t *readers [HUB_CLIENTS];
    for (size_t i = 0; i < HUB_CLIENTS; i++)
        assert_non_null ((readers [i] = hub_client_new (hub, 0)));
    assert_null (hub_client_new (hub, 0));
    hub_client_destroy (&readers [0]);
    assert_non_null ((readers [0] = hub_client_new (hub, 0)));
    for (size_t i = 0; i < HUB_CLIENTS; i++)
        hub_client_destroy (&readers [i]);

    //  Small reads take a frame in pieces; stop ends the stream
    client = hub_client_new (hub, 0);
    size = hub_client_read (client, buf, 5, 10);
    assert_int_equal (size, 5);
    hub_stop (hub);
    while ((size = hub_client_read (client, buf, sizeof buf, 10)) > 0)
        ;
    assert_int_equal (size, -1);
    assert_true (hub_client_ready (client, 10));
    hub_client_destroy (&client);
    hub_destroy (&hub);
    assert_null (hub);
}

//  --- a saved file, beneath the downloads directory ---------------------------

static char s_top [64];

//  <top>/<name>, the caller frees
static char *
s_at (const char *name)
{
    return zsys_sprintf ("%s/%s", s_top, name);
}

static void
s_make_file (const char *name, const char *content)
{
    char *path = s_at (name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (content, file);
    fclose (file);
    zstr_free (&path);
}

static void
s_make_link (const char *target, const char *name)
{
    char *path = s_at (name);
    assert_int_equal (symlink (target, path), 0);
    zstr_free (&path);
}

//  web_open_beneath (<top>/dir, <top>/path or an absolute path): the fd's
//  content when served, else "errno N"
static char *
s_serve (const char *dir, const char *path)
{
    char *full_dir = s_at (dir);
    char *full_path = path [0] == '/'? strdup (path): s_at (path);
    struct stat st;
    int fd = web_open_beneath (full_dir, full_path, &st);
    char *result;
    if (fd >= 0) {
        char buf [64] = "";
        ssize_t got = read (fd, buf, sizeof buf - 1);
        assert_true (got >= 0 && (uint64_t) got == (uint64_t) st.st_size);
        close (fd);
        result = strdup (buf);
    }
    else
        result = zsys_sprintf ("errno %d", errno);
    zstr_free (&full_dir);
    zstr_free (&full_path);
    return result;
}

static void
s_serves (const char *dir, const char *path, const char *expected)
{
    char *got = s_serve (dir, path);
    if (!streq (got, expected))
        fail_msg ("%s beneath %s: '%s', not '%s'", path, dir, got, expected);
    zstr_free (&got);
}

//  The agent's word on where it saved a file is checked against its
//  downloads directory, resolved: not a text prefix, not through a link.
static void
test_open_beneath (void **state)
{
    (void) state;
    snprintf (s_top, sizeof s_top, "/tmp/fshare-test-web-XXXXXX");
    assert_non_null (mkdtemp (s_top));
    const char *dirs [] = { "dl", "dl/sub", "dl-evil", "away", NULL };
    for (size_t i = 0; dirs [i]; i++) {
        char *path = s_at (dirs [i]);
        assert_int_equal (mkdir (path, 0700), 0);
        zstr_free (&path);
    }
    s_make_file ("dl/good.txt", "good");
    s_make_file ("dl/sub/deep.txt", "deep");
    s_make_file ("dl-evil/x.txt", "evil");
    s_make_file ("away/secret.txt", "secret");
    s_make_file ("outside.txt", "outside");
    char *outside = s_at ("outside.txt");
    s_make_link (outside, "dl/link.txt");
    zstr_free (&outside);
    char *away = s_at ("away");
    s_make_link (away, "dl/linkdir");
    zstr_free (&away);
    s_make_link ("sub", "dl/inner");            //  a link that stays inside
    s_make_link ("dl", "dl-link");              //  the directory itself behind a link
    char *fifo = s_at ("dl/fifo");
    assert_int_equal (mkfifo (fifo, 0600), 0);
    zstr_free (&fifo);

    s_serves ("dl", "dl/good.txt", "good");
    s_serves ("dl", "dl/sub/deep.txt", "deep");
    s_serves ("dl", "dl/inner/deep.txt", "deep");       //  resolves beneath
    s_serves ("dl", "dl/sub/../good.txt", "good");      //  so does this
    s_serves ("dl-link", "dl/good.txt", "good");
    s_serves ("dl", "dl-link/sub/deep.txt", "deep");
    s_serves ("dl/", "dl/good.txt", "good");
    char *refused = zsys_sprintf ("errno %d", EACCES);
    s_serves ("dl", "/etc/passwd", refused);
    s_serves ("dl", "dl-evil/x.txt", refused);          //  a prefix, not beneath
    s_serves ("dl", "dl/../outside.txt", refused);
    s_serves ("dl", "dl/sub/../../away/secret.txt", refused);
    s_serves ("dl", "dl/link.txt", refused);            //  the file is a link
    s_serves ("dl", "dl/linkdir/secret.txt", refused);  //  so is its directory
    s_serves ("dl", "dl/sub", refused);                 //  not a regular file
    s_serves ("dl", "dl/sub/..", refused);
    s_serves ("dl", "dl/", refused);
    s_serves ("dl", "dl/fifo", refused);                //  and without hanging
    s_serves ("dl/sub", "dl/good.txt", refused);        //  above the directory
    zstr_free (&refused);
    char *missing = zsys_sprintf ("errno %d", ENOENT);
    s_serves ("dl", "dl/missing.txt", missing);
    s_serves ("nowhere", "dl/good.txt", missing);
    zstr_free (&missing);
    struct stat st;
    errno = 0;
    assert_int_equal (web_open_beneath (NULL, "/etc/passwd", &st), -1);
    assert_int_equal (errno, EACCES);
    assert_int_equal (web_open_beneath ("/tmp", "relative.txt", &st), -1);
    assert_int_equal (errno, EACCES);

    char *command = zsys_sprintf ("rm -rf '%s'", s_top);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_token),
        cmocka_unit_test (test_cookie),
        cmocka_unit_test (test_host_origin),
        cmocka_unit_test (test_form),
        cmocka_unit_test (test_listen),
        cmocka_unit_test (test_escape),
        cmocka_unit_test (test_model),
        cmocka_unit_test (test_hub),
        cmocka_unit_test (test_open_beneath),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
