#include "opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char usage_text[] =
    "usage: cwa-sim [options]\n"
    "A ConnectWise Automate REST API simulator on 127.0.0.1 (under /cwa/api/v1/ and /v2/).\n"
    "Prints 'URL http://127.0.0.1:PORT' first on stdout (then 'CA FILE' with --tls);\n"
    "runs until SIGTERM or SIGINT.\n"
    "\n"
    "  --port N            port to bind on 127.0.0.1 (0 = any free port; default 0)\n"
    "  --dialect D         apitoken (current servers, default) | apicredentials (the brief)\n"
    "  --totals T          none | headers | body (default: none for apitoken, headers for\n"
    "                      apicredentials); body = {ResultSet, TotalRecordCount}\n"
    "  --seed N            data seed (default 1)\n"
    "  --computers N       default 2000     --clients N     default 40\n"
    "  --locations N       default 3/client --contacts N    default 3/client\n"
    "  --alerts N          default 1500     --scripts N     default 50\n"
    "  --monitors N        default 200      --groups N      default 20\n"
    "  --tickets N         default 300\n"
    "  --token-ttl S       access token lifetime in seconds (default 3600)\n"
    "  --token-absolute S  session lifetime from login (AbsoluteExpirationDate): no\n"
    "                      refresh past it (default max(86400, token-ttl))\n"
    "  --user N:P[:CODE]   a user, repeatable (CODE = fixed 2FA code); default users are\n"
    "                      integrator:integrator-pass and tech:tech-pass:123456\n"
    "  --totp-secret B32   2FA users also accept the current RFC 6238 code of this secret\n"
    "  --script-ms N       script and command runs finish after N ms (default 300)\n"
    "  --churn N           each Computers listing after the first deletes N random\n"
    "                      computers and adds N new ones with higher Ids\n"
    "  --rate-limit N      requests per minute (token bucket; 0 = off, the default)\n"
    "  --burst B           bucket size (default max(1, N/6))\n"
    "  --limit-silent N    the same bucket at N a minute, but answers carry no\n"
    "                      X-RateLimit-* headers (429 + Retry-After only)\n"
    "  --max-concurrent N  answer 429 past N requests in flight (0 = off)\n"
    "  --latency-ms N      delay added to every API request\n"
    "  --fail-rate P       share of data calls answered 500 or 503\n"
    "  --drop-rate P       share of data calls whose connection is closed without answer\n"
    "  --malformed-rate P  share of data calls answered 200 with truncated JSON\n"
    "  --html-rate P       share of data calls answered 200 with an HTML page\n"
    "  --stall-rate P      share of data calls whose body stops half way\n"
    "  --stall-ms N        how long a stalled body stops (default 60000)\n"
    "  --fault-logins      faults also apply to login and refresh calls\n"
    "  --tls               https with a generated self-signed certificate\n"
    "  --cert F --key F    https with the given PEM files\n"
    "  --string-ids        Id of Computers, Clients, Contacts, Scripts and Groups as a\n"
    "                      JSON string (\"42\"), as the spec types them\n"
    "  --tz [+-]HH:MM      write clock-derived dates (token expiries, script and\n"
    "                      command rows) in that zone's local time, still without a\n"
    "                      zone (default +00:00)\n"
    "  --verbose           one line per request on stderr\n"
    "  --help              this text\n"
    "Unauthenticated: GET /__stats (counters), POST /__reset (zeroes them).\n";

void sim_opts_usage(FILE *f)
{
    fputs(usage_text, f);
}

static int add_user(sim_opts *o, const char *spec)
{
    const char *c1 = strchr(spec, ':');
    if (!c1 || c1 == spec)
        return -1;
    const char *c2 = strchr(c1 + 1, ':');
    sim_user *u = realloc(o->users, (o->nusers + 1) * sizeof *u);
    if (!u)
        return -1;
    o->users = u;
    u = &o->users[o->nusers];
    u->name = sim_strndup(spec, (size_t)(c1 - spec));
    u->password = c2 ? sim_strndup(c1 + 1, (size_t)(c2 - c1 - 1)) : sim_strdup(c1 + 1);
    u->code = c2 && c2[1] ? sim_strdup(c2 + 1) : NULL;
    o->nusers++;
    if (!u->name || !u->password || (c2 && c2[1] && !u->code))
        return -1;
    return 0;
}

static int parse_num(const char *s, long *out)
{
    return sim_parse_long(s, out) == 0 && *out >= 0 ? 0 : -1;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

/* "+HH:MM", "-HH:MM" or "Z", within the zones in use (UTC-12 to UTC+14). */
static int parse_tz(const char *s, long *out)
{
    if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0) {
        *out = 0;
        return 0;
    }
    int sign = s[0] == '-' ? -1 : s[0] == '+' ? 1 : 0;
    if (!sign || strlen(s) != 6 || s[3] != ':')
        return -1;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (s[i] < '0' || s[i] > '9'))
            return -1;
    long h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
    long off = sign * (h * 3600 + m * 60);
    if (m > 59 || off < -12 * 3600 || off > 14 * 3600)
        return -1;
    *out = off;
    return 0;
}

static int bad(const char *opt, const char *val)
{
    fprintf(stderr, "cwa-sim: bad value for %s: '%s' (see --help)\n", opt, val ? val : "");
    return -1;
}

int sim_opts_parse(sim_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->dialect = CWA_DIALECT_APITOKEN;
    o->seed = 1;
    o->computers = 2000;
    o->clients = 40;
    o->locations = -1;
    o->contacts = -1;
    o->alerts = 1500;
    o->scripts = 50;
    o->monitors = 200;
    o->groups = 20;
    o->tickets = 300;
    o->token_ttl = 3600;
    o->script_ms = 300;
    o->stall_ms = 60000;
    o->burst = -1;
    o->token_absolute = -1;
    struct {
        const char *name;
        long *dst;
    } nums[] = {
        {"--port", NULL},
        {"--computers", &o->computers},
        {"--clients", &o->clients},
        {"--locations", &o->locations},
        {"--contacts", &o->contacts},
        {"--alerts", &o->alerts},
        {"--scripts", &o->scripts},
        {"--monitors", &o->monitors},
        {"--groups", &o->groups},
        {"--tickets", &o->tickets},
        {"--token-ttl", &o->token_ttl},
        {"--token-absolute", &o->token_absolute},
        {"--script-ms", &o->script_ms},
        {"--churn", &o->churn},
        {"--rate-limit", &o->rate_limit},
        {"--burst", &o->burst},
        {"--limit-silent", &o->limit_silent},
        {"--max-concurrent", &o->max_concurrent},
        {"--latency-ms", &o->latency_ms},
        {"--stall-ms", &o->stall_ms},
    };
    struct {
        const char *name;
        double *dst;
    } rates[] = {
        {"--fail-rate", &o->fail_rate},           {"--drop-rate", &o->drop_rate},
        {"--malformed-rate", &o->malformed_rate}, {"--html-rate", &o->html_rate},
        {"--stall-rate", &o->stall_rate},
    };
    long port = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int done = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            sim_opts_usage(stdout);
            return 1;
        }
        if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o->verbose = 1;
            continue;
        }
        if (strcmp(a, "--tls") == 0) {
            o->tls = 1;
            continue;
        }
        if (strcmp(a, "--fault-logins") == 0) {
            o->fault_logins = 1;
            continue;
        }
        if (strcmp(a, "--string-ids") == 0) {
            o->string_ids = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "cwa-sim: unknown option or missing value: %s (see --help)\n", a);
            return -1;
        }
        for (size_t k = 0; k < sizeof nums / sizeof nums[0] && !done; k++) {
            if (strcmp(a, nums[k].name) != 0)
                continue;
            long n;
            if (parse_num(v, &n) != 0)
                return bad(a, v);
            if (nums[k].dst)
                *nums[k].dst = n;
            else if (n > 65535)
                return bad(a, v);
            else
                port = n;
            done = 1;
        }
        for (size_t k = 0; k < sizeof rates / sizeof rates[0] && !done; k++) {
            if (strcmp(a, rates[k].name) != 0)
                continue;
            if (parse_rate(v, rates[k].dst) != 0)
                return bad(a, v);
            done = 1;
        }
        if (done) {
        } else if (strcmp(a, "--dialect") == 0) {
            if (strcmp(v, "apitoken") == 0)
                o->dialect = CWA_DIALECT_APITOKEN;
            else if (strcmp(v, "apicredentials") == 0)
                o->dialect = CWA_DIALECT_APICREDENTIALS;
            else
                return bad(a, v);
        } else if (strcmp(a, "--totals") == 0) {
            if (strcmp(v, "none") == 0)
                o->totals = SIM_TOTALS_NONE;
            else if (strcmp(v, "headers") == 0)
                o->totals = SIM_TOTALS_HEADERS;
            else if (strcmp(v, "body") == 0)
                o->totals = SIM_TOTALS_BODY;
            else
                return bad(a, v);
        } else if (strcmp(a, "--seed") == 0) {
            long n;
            if (parse_num(v, &n) != 0)
                return bad(a, v);
            o->seed = (unsigned long long)n;
        } else if (strcmp(a, "--tz") == 0) {
            if (parse_tz(v, &o->tz_offset) != 0)
                return bad(a, v);
        } else if (strcmp(a, "--user") == 0) {
            if (add_user(o, v) != 0)
                return bad(a, v);
        } else if (strcmp(a, "--totp-secret") == 0) {
            free(o->totp_secret);
            if (!(o->totp_secret = sim_strdup(v)))
                return -1;
        } else if (strcmp(a, "--cert") == 0) {
            free(o->cert_file);
            if (!(o->cert_file = sim_strdup(v)))
                return -1;
            o->tls = 1;
        } else if (strcmp(a, "--key") == 0) {
            free(o->key_file);
            if (!(o->key_file = sim_strdup(v)))
                return -1;
            o->tls = 1;
        } else {
            fprintf(stderr, "cwa-sim: unknown option: %s (see --help)\n", a);
            return -1;
        }
        i++;
    }
    o->port = (int)port;
    if (!o->cert_file != !o->key_file) {
        fprintf(stderr, "cwa-sim: --cert and --key go together\n");
        return -1;
    }
    if (o->locations < 0)
        o->locations = o->clients * 3;
    if (o->contacts < 0)
        o->contacts = o->clients * 3;
    if (o->rate_limit > 0 && o->limit_silent > 0) {
        fprintf(stderr, "cwa-sim: --rate-limit and --limit-silent exclude each other\n");
        return -1;
    }
    long per_minute = o->rate_limit > 0 ? o->rate_limit : o->limit_silent;
    if (o->burst < 0)
        o->burst = per_minute / 6 > 1 ? per_minute / 6 : 1;
    if (o->burst == 0)
        o->burst = 1;
    if (o->token_absolute < 0)
        o->token_absolute = o->token_ttl > 86400 ? o->token_ttl : 86400;
    if (o->totals == SIM_TOTALS_DEFAULT)
        o->totals = o->dialect == CWA_DIALECT_APITOKEN ? SIM_TOTALS_NONE : SIM_TOTALS_HEADERS;
    if (o->nusers == 0 &&
        (add_user(o, "integrator:integrator-pass") != 0 || add_user(o, "tech:tech-pass:123456") != 0)) {
        fprintf(stderr, "cwa-sim: out of memory\n");
        return -1;
    }
    return 0;
}

void sim_opts_free(sim_opts *o)
{
    for (size_t i = 0; i < o->nusers; i++) {
        free(o->users[i].name);
        free(o->users[i].password);
        free(o->users[i].code);
    }
    free(o->users);
    free(o->totp_secret);
    free(o->cert_file);
    free(o->key_file);
    memset(o, 0, sizeof *o);
}
