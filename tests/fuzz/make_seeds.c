/*  make_seeds.c - writes the seed corpus of the fuzz targets.

    Usage: fuzz-make-seeds DIR   (normally DIR = tests/fuzz/corpus)

    Valid protobuf messages of every kind plus a few malformed and
    edge-case inputs, for each target: DIR/<target>/<name>. Run it by hand
    when the schema changes and commit what it writes; the fuzz run itself
    never writes into the committed corpus. Files named crash-* are
    reproducers of fixed bugs, kept by hand, not written here.
*/
#include "fshare.h"
#include "accounts.h"
#include <sys/stat.h>

static const char *s_root;

static void
s_write (const char *target, const char *name, const void *data, size_t size)
{
    char *dir = zsys_sprintf ("%s/%s", s_root, target);
    mkdir (dir, 0755);
    char *path = zsys_sprintf ("%s/%s", dir, name);
    FILE *file = fopen (path, "wb");
    if (!file || fwrite (data, 1, size, file) != size || fclose (file)) {
        fprintf (stderr, "make_seeds: cannot write %s\n", path);
        exit (1);
    }
    zstr_free (&path);
    zstr_free (&dir);
}

static void
s_text (const char *target, const char *name, const char *text)
{
    s_write (target, name, text, strlen (text));
}

//  Writes msg packed; with cut > 0, only its first size - cut bytes.
static void
s_packed (const char *target, const char *name, const ProtobufCMessage *msg, size_t cut)
{
    size_t size = protobuf_c_message_get_packed_size (msg);
    uint8_t *data = (uint8_t *) malloc (size + 1);
    protobuf_c_message_pack (msg, data);
    s_write (target, name, data, cut < size? size - cut: size);
    free (data);
}

static Fshare__FileInfo
s_file (const char *path, uint64_t size, int64_t mtime)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = size;
    file.mtime = mtime;
    return file;
}


//  --------------------------------------------------------------------------
//  Request-socket messages

static void
s_message (const char *name, Fshare__Message *msg)
{
    s_packed ("message", name, &msg->base, 0);
}

static void
s_messages_session (void)
{
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = "alice";
    login.password = "secret";
    login.version = FSH_PROTOCOL_VERSION;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = 1;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    s_message ("login", &msg);
    s_packed ("message", "login-truncated", &msg.base, 3);

    login.user = "../root";
    login.password = "";
    login.version = 99;
    s_message ("login-bad", &msg);

    Fshare__LoginOk ok = FSHARE__LOGIN_OK__INIT;
    ok.session = "0123456789abcdef";
    ok.broker = "b-7f3a";
    ok.seq = 42;
    ok.events = "tcp://127.0.0.1:5556";
    ok.heartbeat_ms = 1000;
    ok.max_message = FSH_DEFAULT_MAX_MESSAGE;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN_OK;
    msg.login_ok = &ok;
    s_message ("login-ok", &msg);

    Fshare__Message error = FSHARE__MESSAGE__INIT;
    error.id = 7;
    error.status = FSHARE__STATUS__STATUS_ERROR;
    error.error = "unknown session";
    s_message ("error", &error);

    Fshare__Pong pong = FSHARE__PONG__INIT;
    pong.broker = "b-7f3a";
    pong.seq = UINT64_MAX;
    msg.body_case = FSHARE__MESSAGE__BODY_PONG;
    msg.pong = &pong;
    s_message ("pong", &msg);
}

static void
s_messages_files (void)
{
    Fshare__FileInfo good [] = {
        s_file ("a.txt", 12, 1700000000),
        s_file ("dir/sub/caf\xc3\xa9 \xe2\x82\xac.txt", 0, 0),
        s_file ("x/.notes.fshare-part", (uint64_t) INT64_MAX, -1)
    };
    Fshare__FileInfo *good_p [] = { &good [0], &good [1], &good [2] };
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.n_files = 3;
    publish.files = good_p;
    publish.more = true;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = 2;
    msg.session = "0123456789abcdef";
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH;
    msg.publish = &publish;
    s_message ("publish", &msg);

    Fshare__FileInfo bad [] = {
        s_file ("/etc/passwd", 1, 1),
        s_file ("a/../../b", UINT64_MAX, INT64_MIN),
        s_file ("new\nline", 1, INT64_MAX)
    };
    Fshare__FileInfo *bad_p [] = { &bad [0], &bad [1], &bad [2] };
    publish.files = bad_p;
    publish.more = false;
    s_message ("publish-bad", &msg);

    Fshare__Change change = FSHARE__CHANGE__INIT;
    change.kind = FSHARE__CHANGE_KIND__CHANGE_RENAMED;
    change.file = &good [0];
    change.from = "old/a.txt";
    msg.body_case = FSHARE__MESSAGE__BODY_CHANGE;
    msg.change = &change;
    s_message ("change-renamed", &msg);
    change.kind = FSHARE__CHANGE_KIND__CHANGE_REMOVED;
    change.file = NULL;
    change.from = "";
    s_message ("change-removed", &msg);

    Fshare__UserFiles user = FSHARE__USER_FILES__INIT;
    user.user = "bob";
    user.since = 1700000000;
    user.n_files = 2;
    user.files = good_p;
    user.more = true;
    Fshare__UserFiles *users [] = { &user };
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = "b-7f3a";
    page.seq = 9;
    page.n_users = 1;
    page.users = users;
    page.transfers = 3;
    page.bytes_relayed = 1 << 20;
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE;
    msg.snapshot_page = &page;
    s_message ("snapshot-page", &msg);
}

static void
s_messages_download (void)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = 3;
    msg.session = "0123456789abcdef";

    Fshare__Get get = FSHARE__GET__INIT;
    get.owner = "bob";
    get.path = "dir/f.bin";
    get.offset = 65536;
    get.expect_size = 1 << 20;
    get.expect_mtime = 1700000000;
    msg.body_case = FSHARE__MESSAGE__BODY_GET;
    msg.get = &get;
    s_message ("get", &msg);

    Fshare__Serve serve = FSHARE__SERVE__INIT;
    serve.transfer = 5;
    serve.path = "dir/f.bin";
    serve.requester = "alice";
    msg.body_case = FSHARE__MESSAGE__BODY_SERVE;
    msg.serve = &serve;
    s_message ("serve", &msg);

    Fshare__Opened opened = FSHARE__OPENED__INIT;
    opened.transfer = 5;
    opened.size = 1 << 20;
    opened.mtime = 1700000000;
    msg.body_case = FSHARE__MESSAGE__BODY_OPENED;
    msg.opened = &opened;
    s_message ("opened", &msg);

    Fshare__Credit credit = FSHARE__CREDIT__INIT;
    credit.transfer = 5;
    credit.bytes = 4 << 20;
    msg.body_case = FSHARE__MESSAGE__BODY_CREDIT;
    msg.credit = &credit;
    s_message ("credit", &msg);

    uint8_t digest [32];
    for (size_t i = 0; i < sizeof digest; i++)
        digest [i] = (uint8_t) (i * 7);
    Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
    chunk.transfer = 5;
    chunk.offset = 1 << 19;
    chunk.last = true;
    chunk.sha256.len = sizeof digest;
    chunk.sha256.data = digest;
    msg.body_case = FSHARE__MESSAGE__BODY_CHUNK;
    msg.chunk = &chunk;
    s_message ("chunk", &msg);

    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = 5;
    cancel.reason = "cannot read file";
    msg.body_case = FSHARE__MESSAGE__BODY_CANCEL;
    msg.cancel = &cancel;
    s_message ("cancel", &msg);

    //  An Opened body whose field number became 0, in a two-byte tag:
    //  libprotobuf-c takes it as an unknown field (see fuzz.h).
    static const uint8_t field_zero [] = {
        0x08, 0x03, 0x82, 0x00, 0x0c, 0x08, 0x05, 0x10, 0x80, 0x80, 0x40, 0x18,
        0x80, 0xe2, 0xcf, 0xaa, 0x06
    };
    s_write ("message", "field-number-zero", field_zero, sizeof field_zero);
}


//  --------------------------------------------------------------------------
//  Events

static void
s_events (void)
{
    Fshare__FileInfo files [] = {
        s_file ("a.txt", 12, 1700000000), s_file ("dir/b.bin", 1 << 30, 0)
    };
    Fshare__FileInfo *files_p [] = { &files [0], &files [1] };
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.broker = "b-7f3a";
    event.seq = 1;
    event.time_ms = 1700000000123;
    event.user = "alice";

    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    event.since = 1700000000;
    event.n_files = 2;
    event.files = files_p;
    event.more = true;
    s_packed ("event", "join", &event.base, 0);
    event.page = 1;
    event.more = false;
    s_packed ("event", "join-page", &event.base, 0);
    event.n_files = 0;
    event.files = NULL;
    event.page = 0;

    event.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
    s_packed ("event", "leave", &event.base, 0);

    event.file = &files [1];
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_ADDED;
    s_packed ("event", "file-added", &event.base, 0);
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED;
    event.from = "old/b.bin";
    s_packed ("event", "file-renamed", &event.base, 0);
    event.from = "";
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED;
    event.time_ms = -1;
    s_packed ("event", "file-removed", &event.base, 0);
    event.file = NULL;
    s_packed ("event", "file-missing", &event.base, 0);

    Fshare__Stats stats = FSHARE__STATS__INIT;
    stats.peers = 2;
    stats.files = 3;
    stats.transfers = UINT64_MAX;
    stats.bytes_relayed = 1 << 20;
    event.type = FSHARE__EVENT_TYPE__EVENT_STATS;
    event.user = "";
    event.stats = &stats;
    event.time_ms = INT64_MAX;
    s_packed ("event", "stats", &event.base, 0);

    event.type = (Fshare__EventType) 99;
    s_packed ("event", "unknown-type", &event.base, 0);

    static const uint8_t field_zero [] = {
        0x0a, 0x06, 0x62, 0xe9, 0xbc, 0x69, 0x6e, 0x10, 0x50, 0x80, 0x80, 0x80, 0x04,
        0x80, 0x04, 0x50, 0x80, 0x80, 0x00, 0xaa, 0x06
    };
    s_write ("event", "field-number-zero", field_zero, sizeof field_zero);
}


//  --------------------------------------------------------------------------
//  Control socket

static void
s_ctl (void)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    s_packed ("ctl", "request-status", &request.base, 0);
    request.command = "ls";
    request.all = true;
    request.user = "bob";
    request.glob = "*.txt";
    s_packed ("ctl", "request-ls", &request.base, 0);
    char *args [] = { "bob", "dir/f.bin" };
    Fshare__CtlRequest get = FSHARE__CTL_REQUEST__INIT;
    get.command = "get";
    get.n_args = 2;
    get.args = args;
    get.output = "/tmp/out.bin";
    s_packed ("ctl", "request-get", &get.base, 0);

    Fshare__FileInfo file = s_file ("a.txt", 12, 1700000000);
    Fshare__UserFile entry = FSHARE__USER_FILE__INIT;
    entry.user = "bob";
    entry.file = &file;
    Fshare__UserFile *entries [] = { &entry };
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.n_files = 1;
    reply.files = entries;
    s_packed ("ctl", "reply-ls", &reply.base, 0);

    Fshare__PeerInfo peer = FSHARE__PEER_INFO__INIT;
    peer.user = "bob";
    peer.files = 1;
    peer.since = 1700000000;
    Fshare__PeerInfo *peers [] = { &peer };
    Fshare__CtlReply peers_reply = FSHARE__CTL_REPLY__INIT;
    peers_reply.n_peers = 1;
    peers_reply.peers = peers;
    s_packed ("ctl", "reply-peers", &peers_reply.base, 0);

    Fshare__AgentStatus agent = FSHARE__AGENT_STATUS__INIT;
    agent.user = "alice";
    agent.state = "online";
    agent.broker = "tcp://127.0.0.1:5555";
    agent.broker_id = "b-7f3a";
    agent.dir = "/home/alice/share";
    agent.downloads = "/home/alice/Downloads";
    agent.pid = 1234;
    Fshare__CtlReply status = FSHARE__CTL_REPLY__INIT;
    status.agent = &agent;
    s_packed ("ctl", "reply-status", &status.base, 0);

    Fshare__Event event = FSHARE__EVENT__INIT;
    event.broker = "b-7f3a";
    event.seq = 4;
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_ADDED;
    event.user = "bob";
    event.file = &file;
    Fshare__CtlReply events = FSHARE__CTL_REPLY__INIT;
    events.more = true;
    events.event = &event;
    s_packed ("ctl", "reply-event", &events.base, 0);

    Fshare__Progress progress = FSHARE__PROGRESS__INIT;
    progress.done = 100;
    progress.total = 1000;
    progress.resumed = true;
    progress.resumed_at = 50;
    Fshare__CtlReply progressing = FSHARE__CTL_REPLY__INIT;
    progressing.more = true;
    progressing.progress = &progress;
    s_packed ("ctl", "reply-progress", &progressing.base, 0);

    Fshare__GetResult result = FSHARE__GET_RESULT__INIT;
    result.path = "/tmp/out.bin";
    result.size = 1000;
    result.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    Fshare__CtlReply done = FSHARE__CTL_REPLY__INIT;
    done.get = &result;
    s_packed ("ctl", "reply-get", &done.base, 0);

    Fshare__CtlReply error = FSHARE__CTL_REPLY__INIT;
    error.status = FSHARE__STATUS__STATUS_ERROR;
    error.error = "unknown file";
    s_packed ("ctl", "reply-error", &error.base, 0);
}


//  --------------------------------------------------------------------------
//  Text inputs: names and paths, account files, config files

static void
s_paths (void)
{
    s_text ("path", "plain", "a.txt");
    s_text ("path", "utf8", "dir/sub/caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80.txt");
    s_text ("path", "dotdot", "a/../../etc/passwd");
    s_text ("path", "absolute", "/etc/passwd");
    s_text ("path", "partial", "dir/.f.txt.fshare-part");
    s_text ("path", "empty-component", "a//b/");
    s_text ("path", "bad-utf8", "overlong\xc0\xaf surrogate\xed\xa0\x80 \xff");
    s_text ("path", "user", "alice.b_c-9");
    s_text ("path", "option-like", "-rf");
}

static void
s_accounts (void)
{
    char *alice = passhash_new ("secret", PASSHASH_COST_MIN);
    char *bob = passhash_new ("other", PASSHASH_COST_MIN);
    if (!alice || !bob) {
        fprintf (stderr, "make_seeds: cannot hash\n");
        exit (1);
    }
    char *text = zsys_sprintf ("# fshare accounts\n\nalice:%s\nbob:%s", alice, bob);
    s_text ("accounts", "valid", text);
    zstr_free (&text);
    text = zsys_sprintf ("alice:%s\nalice:%s\n", alice, bob);
    s_text ("accounts", "duplicate", text);
    zstr_free (&text);
    text = zsys_sprintf ("alice:%s\r\n", alice);
    s_text ("accounts", "crlf", text);
    zstr_free (&text);
    text = zsys_sprintf ("-alice:%s\n", alice);
    s_text ("accounts", "bad-user", text);
    zstr_free (&text);
    s_text ("accounts", "no-colon", "alice\n");
    s_text ("accounts", "plaintext", "alice:secret\n");
    s_text ("accounts", "huge-cost",
            "alice:$argon2id$v=19$m=4194304,t=99,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo\n");
    s_write ("accounts", "nul-byte", "alice:\0x\n", 9);
    free (alice);
    free (bob);
}

static void
s_configs (void)
{
    s_text ("config", "broker",
            "listen = tcp://127.0.0.1:5555\nregister = 1\nmax-message = 1048576\n");
    s_text ("config", "values",
            "# comment\nverbose = false\nregister = no\n"
            "dir = \"/tmp/with space\"\nuser = 'bob'\n");
    s_text ("config", "nested", "listen\n    inner = x\n        deeper = y\nhelp = on\n");
    s_text ("config", "unknown", "unknown = 1\n");
    s_text ("config", "config", "config = other.cfg\n");
    s_text ("config", "malformed", "= value\n\tbad indent\nuser = \"unterminated\n");
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz-make-seeds DIR\n");
        return 2;
    }
    s_root = argv [1];
    mkdir (s_root, 0755);
    s_messages_session ();
    s_messages_files ();
    s_messages_download ();
    s_events ();
    s_ctl ();
    s_paths ();
    s_accounts ();
    s_configs ();
    return 0;
}
