#include "data.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Every generated date is relative to this fixed moment (2024-06-01T12:00:00Z)
 * so data is the same whenever it is generated. */
#define BASE_TIME 1717243200L
#define DAY 86400L

static const struct {
    const char *name, *prefix, *domain;
} companies[] = {
    {"ACME Corporation", "ACME", "acme.local"},
    {"Contoso Ltd", "CONTOSO", "contoso.local"},
    {"Fabrikam Inc", "FABRIKAM", "fabrikam.com"},
    {"Northwind Traders", "NWT", "northwind.local"},
    {"Globex Corporation", "GLOBEX", "globex.local"},
    {"Initech", "INITECH", "initech.lan"},
    {"Umbrella Health", "UMB", "umbrella.local"},
    {"Stark Logistics", "STARK", "stark.local"},
    {"Wayne Dental Group", "WAYNE", "waynedental.local"},
    {"Tyrell Accounting", "TYRELL", "tyrell.local"},
    {"Cyberdyne Legal", "CYB", "cyberdyne.local"},
    {"Soylent Foods", "SOYLENT", "soylent.local"},
    {"Hooli Ventures", "HOOLI", "hooli.lan"},
    {"Vandelay Industries", "VANDELAY", "vandelay.local"},
    {"Wonka Confections", "WONKA", "wonka.local"},
    {"Blue Sun Clinics", "BLUESUN", "bluesun.local"},
    {"Gringotts Credit Union", "GRINGOTT", "gringotts.local"},
    {"Oceanic Travel", "OCEANIC", "oceanic.local"},
    {"Massive Dynamic", "MASSIVE", "massive.local"},
    {"Pied Piper Architects", "PIEDPIPE", "piedpiper.local"},
    {"Dunder Mifflin Paper", "DUNDER", "dundermifflin.local"},
    {"Prestige Worldwide", "PRESTIGE", "prestige.local"},
    {"Sterling Cooper Agency", "STERLING", "sterling.local"},
    {"Bluth Properties", "BLUTH", "bluth.local"},
    {"Monarch Veterinary", "MONARCH", "monarchvet.local"},
    {"Gekko Partners", "GEKKO", "gekko.local"},
    {"Krusty Restaurants", "KRUSTY", "krusty.local"},
    {"Los Pollos Logistics", "POLLOS", "pollos.local"},
    {"Nakatomi Trading", "NAKATOMI", "nakatomi.local"},
    {"Virtucon Manufacturing", "VIRTUCON", "virtucon.local"},
};
#define NCOMPANIES (long)(sizeof companies / sizeof companies[0])

static const char *const cities[] = {"Baltimore", "Tampa", "Denver", "Austin",  "Columbus", "Portland",
                                     "Raleigh",   "Boise", "Omaha",  "Madison", "Richmond", "Tucson"};
static const char *const states[] = {"MD", "FL", "CO", "TX", "OH", "OR",
                                     "NC", "ID", "NE", "WI", "VA", "AZ"};
static const char *const first_names[] = {"James",   "Mary",  "Robert", "Linda", "Bob",    "Susan",
                                          "Michael", "Karen", "David",  "Lisa",  "Carlos", "Aisha",
                                          "Wei",     "Olga",  "Priya",  "Tom"};
static const char *const last_names[] = {"Smith",  "Johnson", "Garcia",   "Miller", "Davis",
                                         "Lopez",  "Wilson",  "Anderson", "Thomas", "O'Brien",
                                         "Nguyen", "Patel",   "Kowalski", "Schmidt"};
static const char *const server_roles[] = {"DC", "FS", "SQL", "WEB", "APP", "EXCH", "RDS", "HV", "BKP"};
static const char *const server_os[] = {
    "Microsoft Windows Server 2016 Standard x64",   "Microsoft Windows Server 2019 Standard x64",
    "Microsoft Windows Server 2019 Standard x64",   "Microsoft Windows Server 2022 Standard x64",
    "Microsoft Windows Server 2022 Datacenter x64", "Ubuntu 22.04.4 LTS"};
static const struct {
    const char *name;
    int weight;
} ws_os[] = {
    {"Microsoft Windows 10 Pro x64", 33},
    {"Microsoft Windows 11 Pro x64", 34},
    {"Microsoft Windows 10 Enterprise x64", 8},
    {"Microsoft Windows 11 Enterprise x64", 8},
    {"macOS 14.5 Sonoma", 9},
    {"macOS 13.6 Ventura", 4},
    {"Ubuntu 22.04.4 LTS", 2},
    {"Debian GNU/Linux 12", 2},
};
static const char *const antivirus[] = {"Windows Defender", "Webroot SecureAnywhere", "SentinelOne",
                                        "Bitdefender Endpoint Security"};
static const char *const alert_msgs[] = {"Disk C: below 10% free space",
                                         "Service Spooler stopped",
                                         "CPU above 90% for 15 minutes",
                                         "Agent offline for more than 24 hours",
                                         "Backup job failed",
                                         "Antivirus definitions out of date",
                                         "Memory usage above 95%",
                                         "Reboot pending for 7 days",
                                         "SMART failure predicted on disk 0",
                                         "Windows Update failed to install"};
static const char *const alert_status[] = {"New", "Active", "Closed"};
static const char *const script_names[] = {
    "Reboot Computer",         "Clear Temp Files",   "Install Google Chrome", "Run Disk Cleanup",
    "Restart Print Spooler",   "Update Agent",       "Collect Event Logs",    "Flush DNS Cache",
    "Install Windows Updates", "Uninstall Software", "Reset Windows Update",  "Check Disk Health",
    "Deploy Printer",          "Enable BitLocker",   "Map Network Drives",    "Rename Computer"};
static const char *const script_folders[] = {"Maintenance", "Software", "Security", "Network"};
static const char *const monitor_names[] = {"Disk Space Low", "Service Down",   "CPU High",
                                            "Agent Offline",  "Backup Failed",  "AV Outdated",
                                            "Memory High",    "Pending Reboot", "Event Log Errors"};
static const char *const group_names[] = {"Servers",
                                          "Workstations",
                                          "Laptops",
                                          "Patching",
                                          "Onboarding",
                                          "Antivirus",
                                          "Backup",
                                          "Maintenance Windows",
                                          "Domain Controllers",
                                          "macOS",
                                          "Linux",
                                          "VIP Users"};
static const char *const ticket_subjects[] = {
    "Printer offline",      "User cannot log in",  "Slow computer",    "Outlook keeps crashing",
    "VPN does not connect", "New user onboarding", "Disk space alert", "Install software request",
    "Password reset",       "Backup failure"};
static const char *const ticket_status[] = {"New", "Open", "In Progress", "Resolved", "Closed"};
static const struct {
    const char *name, *publisher, *version;
} software[] = {
    {"Google Chrome", "Google LLC", "125.0.6422.142"},
    {"Mozilla Firefox (x64 en-US)", "Mozilla", "126.0.1"},
    {"Microsoft Edge", "Microsoft Corporation", "125.0.2535.85"},
    {"Microsoft 365 Apps for business - en-us", "Microsoft Corporation", "16.0.17628.20110"},
    {"Adobe Acrobat Reader DC", "Adobe Inc.", "24.002.20759"},
    {"7-Zip 23.01 (x64)", "Igor Pavlov", "23.01"},
    {"Zoom Workplace", "Zoom Video Communications, Inc.", "6.0.11"},
    {"Microsoft Teams", "Microsoft Corporation", "24124.2315.2911.3357"},
    {"Notepad++ (64-bit x64)", "Notepad++ Team", "8.6.7"},
    {"VLC media player", "VideoLAN", "3.0.20"},
    {"Java 8 Update 411", "Oracle Corporation", "8.0.4110.9"},
    {"ScreenConnect Client", "ConnectWise", "24.1.7.8892"},
    {"Microsoft Visual C++ 2015-2022 Redistributable (x64)", "Microsoft Corporation", "14.38.33135"},
    {"Dell Command | Update", "Dell Inc.", "5.2.0"},
    {"TeamViewer", "TeamViewer", "15.54.3"},
    {"Slack", "Slack Technologies Inc.", "4.38.125"},
    {"Microsoft SQL Server 2019", "Microsoft Corporation", "15.0.2000.5"},
    {"Veeam Agent for Microsoft Windows", "Veeam Software Group GmbH", "6.1.2.134"},
    {"WinRAR 7.01 (64-bit)", "win.rar GmbH", "7.01.0"},
    {"PuTTY release 0.81 (64-bit)", "Simon Tatham", "0.81.0.0"},
};

#define COUNT(a) (long)(sizeof(a) / sizeof(a)[0])

/* One stream of pseudo-random numbers per (collection, record, draw). */
static uint64_t rnd(const sim_store *s, int kind, long id, int k)
{
    return sim_mix64(s->seed * 0x9e3779b97f4a7c15ULL ^
                     sim_mix64(((uint64_t)kind << 56) ^ ((uint64_t)id << 8) ^ (uint64_t)k));
}

static void add(cJSON *o, const char *k, cJSON *item, int *ok)
{
    if (!item || !cJSON_AddItemToObjectCS(o, k, item)) {
        cJSON_Delete(item);
        *ok = 0;
    }
}
static void push(cJSON *arr, cJSON *item, int *ok)
{
    if (!item || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        *ok = 0;
    }
}
static void str(cJSON *o, const char *k, const char *v, int *ok)
{
    add(o, k, cJSON_CreateString(v), ok);
}
/* For strings from the static tables: no copy per record (cJSON leaves
 * references alone when deleting, and duplicates copy them). */
static void cstr(cJSON *o, const char *k, const char *v, int *ok)
{
    add(o, k, cJSON_CreateStringReference(v), ok);
}
static void num(cJSON *o, const char *k, double v, int *ok)
{
    add(o, k, cJSON_CreateNumber(v), ok);
}
static void boo(cJSON *o, const char *k, int v, int *ok)
{
    add(o, k, cJSON_CreateBool(v), ok);
}
static void date(cJSON *o, const char *k, long t, int *ok)
{
    char buf[20];
    sim_iso((time_t)t, buf);
    str(o, k, buf, ok);
}
static void ref(cJSON *o, const char *k, long id, const char *name, int *ok)
{
    cJSON *r = cJSON_CreateObject();
    if (r) {
        num(r, "Id", (double)id, ok);
        if (name)
            str(r, "Name", name, ok);
    }
    add(o, k, r, ok);
}

/* ---- clients and locations: derived from the index, used by everything ---- */

static long client_id(long i)
{
    return i < 10 ? i + 1 : 100 + (i - 10);
}

static void client_name(long i, char *out, size_t cap)
{
    if (i < NCOMPANIES)
        snprintf(out, cap, "%s", companies[i].name);
    else
        snprintf(out, cap, "%s %ld", companies[i % NCOMPANIES].name, i / NCOMPANIES + 1);
}

static void client_prefix(long i, char *out, size_t cap)
{
    if (i < NCOMPANIES)
        snprintf(out, cap, "%s", companies[i].prefix);
    else
        snprintf(out, cap, "%s%ld", companies[i % NCOMPANIES].prefix, i / NCOMPANIES + 1);
}

static void location_name(long j, long nclients, char *out, size_t cap)
{
    long k = nclients ? j / nclients : j;
    if (k == 0)
        snprintf(out, cap, "Main Office");
    else if (k == 1)
        snprintf(out, cap, "%s Branch", cities[(j * 7) % COUNT(cities)]);
    else if (k == 2)
        snprintf(out, cap, "Warehouse");
    else
        snprintf(out, cap, "Site %ld", k + 1);
}

/* o when every field went in, else NULL (o freed): the rows' last step. */
static cJSON *complete(cJSON *o, int ok)
{
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *gen_client(const sim_store *s, long i)
{
    int ok = 1;
    char name[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    long city = sim_pick(rnd(s, SIM_CLIENTS, i, 1), COUNT(cities));
    client_name(i, name, sizeof name);
    num(o, "Id", (double)client_id(i), &ok);
    str(o, "Name", name, &ok);
    str(o, "Company", name, &ok);
    char buf[96];
    snprintf(buf, sizeof buf, "%ld Main Street", 100 + sim_pick(rnd(s, SIM_CLIENTS, i, 2), 9800));
    str(o, "Address1", buf, &ok);
    cstr(o, "City", cities[city], &ok);
    cstr(o, "State", states[city], &ok);
    snprintf(buf, sizeof buf, "%05ld", 10000 + sim_pick(rnd(s, SIM_CLIENTS, i, 3), 89999));
    str(o, "Zip", buf, &ok);
    cstr(o, "Country", "United States", &ok);
    snprintf(buf, sizeof buf, "555-%04ld", sim_pick(rnd(s, SIM_CLIENTS, i, 4), 10000));
    str(o, "Phone", buf, &ok);
    snprintf(buf, sizeof buf, "https://www.%s", companies[i % NCOMPANIES].domain);
    str(o, "WebSite", buf, &ok);
    num(o, "ExternalId", (double)(2000 + i), &ok);
    date(o, "DateAdded", BASE_TIME - (long)sim_pick(rnd(s, SIM_CLIENTS, i, 5), 2000) * DAY, &ok);
    cstr(o, "Comment", "", &ok);
    return complete(o, ok);
}

static cJSON *gen_location(const sim_store *s, long j, long nclients)
{
    int ok = 1;
    char name[96], cname[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    long ci = nclients ? j % nclients : 0;
    location_name(j, nclients, name, sizeof name);
    client_name(ci, cname, sizeof cname);
    num(o, "Id", (double)(j + 1), &ok);
    str(o, "Name", name, &ok);
    ref(o, "Client", client_id(ci), cname, &ok);
    num(o, "ClientId", (double)client_id(ci), &ok);
    str(o, "City", cities[sim_pick(rnd(s, SIM_LOCATIONS, j, 1), COUNT(cities))], &ok);
    char buf[64];
    snprintf(buf, sizeof buf, "%ld Commerce Drive", 10 + sim_pick(rnd(s, SIM_LOCATIONS, j, 2), 990));
    str(o, "Address", buf, &ok);
    snprintf(buf, sizeof buf, "10.%ld.0.0/16", (ci % 250) + 1);
    str(o, "Router", buf, &ok);
    num(o, "ProbeID", 0, &ok);
    return complete(o, ok);
}

/* ---- computers ---- */

typedef struct shape {
    long nclients, nlocations;
} shape;

static cJSON *gen_computer(const sim_store *s, long id, const shape *sh)
{
    int ok = 1;
    char buf[128], prefix[32], cname[96], lname[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    /* a skewed client distribution: a few large clients, many small ones */
    double u = sim_unit(rnd(s, SIM_COMPUTERS, id, 1));
    long ci = sh->nclients ? (long)(u * u * (double)sh->nclients) : 0;
    long cid = sh->nclients ? client_id(ci) : 0;
    client_prefix(ci, prefix, sizeof prefix);
    client_name(ci, cname, sizeof cname);
    long lid = 0;
    lname[0] = '\0';
    if (sh->nlocations > 0) {
        long cnt = sh->nlocations > ci ? (sh->nlocations - 1 - ci) / sh->nclients + 1 : 0;
        long j =
            cnt ? ci + sim_pick(rnd(s, SIM_COMPUTERS, id, 2), cnt) * sh->nclients : ci % sh->nlocations;
        lid = j + 1;
        location_name(j, sh->nclients, lname, sizeof lname);
    }
    int server = sim_unit(rnd(s, SIM_COMPUTERS, id, 3)) < 0.12;
    const char *os;
    if (server) {
        const char *role = server_roles[sim_pick(rnd(s, SIM_COMPUTERS, id, 4), COUNT(server_roles))];
        snprintf(buf, sizeof buf, "%s-%s%02ld", prefix, role,
                 1 + sim_pick(rnd(s, SIM_COMPUTERS, id, 5), 12));
        os = server_os[sim_pick(rnd(s, SIM_COMPUTERS, id, 6), COUNT(server_os))];
    } else {
        int laptop = sim_unit(rnd(s, SIM_COMPUTERS, id, 4)) < 0.35;
        snprintf(buf, sizeof buf, "%s-%s%04ld", prefix, laptop ? "LT" : "WS", id % 10000);
        long w = sim_pick(rnd(s, SIM_COMPUTERS, id, 6), 100), acc = 0;
        os = ws_os[0].name;
        for (long k = 0; k < COUNT(ws_os); k++) {
            acc += ws_os[k].weight;
            if (w < acc) {
                os = ws_os[k].name;
                break;
            }
        }
    }
    int windows = strncmp(os, "Microsoft", 9) == 0;
    int online = sim_unit(rnd(s, SIM_COMPUTERS, id, 7)) < 0.72;
    long contact;
    if (online)
        contact = BASE_TIME - sim_pick(rnd(s, SIM_COMPUTERS, id, 8), 600);
    else if (sim_unit(rnd(s, SIM_COMPUTERS, id, 9)) < 0.85)
        contact = BASE_TIME - 3600 - sim_pick(rnd(s, SIM_COMPUTERS, id, 8), 90 * DAY);
    else
        contact = BASE_TIME - 90 * DAY - sim_pick(rnd(s, SIM_COMPUTERS, id, 8), 6 * 365 * DAY);
    static const long ws_mem[] = {2048, 4096, 8192, 8192, 16384, 16384, 32768};
    static const long srv_mem[] = {8192, 16384, 32768, 65536, 131072};
    long mem = server ? srv_mem[sim_pick(rnd(s, SIM_COMPUTERS, id, 10), COUNT(srv_mem))]
                      : ws_mem[sim_pick(rnd(s, SIM_COMPUTERS, id, 10), COUNT(ws_mem))];
    long freemem = (long)((double)mem * (0.08 + 0.6 * sim_unit(rnd(s, SIM_COMPUTERS, id, 11))));

    num(o, "Id", (double)id, &ok);
    str(o, "ComputerName", buf, &ok);
    ref(o, "Client", cid, cname, &ok);
    ref(o, "Location", lid, lname, &ok);
    cstr(o, "Status", online ? "Online" : "Offline", &ok);
    cstr(o, "OperatingSystemName", os, &ok);
    cstr(o, "Type", server ? "Server" : "Workstation", &ok);
    boo(o, "IsVirtualMachine", server && sim_unit(rnd(s, SIM_COMPUTERS, id, 12)) < 0.7, &ok);
    num(o, "TotalMemory", (double)mem, &ok);
    num(o, "FreeMemory", (double)freemem, &ok);
    num(o, "CpuUsage", (double)sim_pick(rnd(s, SIM_COMPUTERS, id, 13), 100), &ok);
    date(o, "RemoteAgentLastContact", contact, &ok);
    date(o, "LastHeartbeat", contact - sim_pick(rnd(s, SIM_COMPUTERS, id, 14), 60), &ok);
    date(o, "DateAdded", contact - 30 * DAY - sim_pick(rnd(s, SIM_COMPUTERS, id, 15), 1500 * DAY), &ok);
    char ip[80];
    snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (ci % 250) + 1, lid % 250,
             2 + sim_pick(rnd(s, SIM_COMPUTERS, id, 16), 250));
    str(o, "LocalIPAddress", ip, &ok);
    snprintf(ip, sizeof ip, "10.%ld.%ld.1", (ci % 250) + 1, lid % 250);
    str(o, "GatewayIPAddress", ip, &ok);
    uint64_t m = rnd(s, SIM_COMPUTERS, id, 17);
    snprintf(buf, sizeof buf, "00-15-5D-%02X-%02X-%02X", (unsigned)(m & 255), (unsigned)((m >> 8) & 255),
             (unsigned)((m >> 16) & 255));
    str(o, "MACAddress", buf, &ok);
    static const char alnum[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    uint64_t sr = rnd(s, SIM_COMPUTERS, id, 18);
    for (int k = 0; k < 10; k++, sr /= 34)
        buf[k] = alnum[sr % 34];
    buf[10] = '\0';
    str(o, "SerialNumber", buf, &ok);
    const char *dom =
        windows ? (sim_unit(rnd(s, SIM_COMPUTERS, id, 19)) < 0.85 ? companies[ci % NCOMPANIES].domain
                                                                  : "WORKGROUP")
                : "";
    cstr(o, "Domain", dom, &ok);
    const char *fn = first_names[sim_pick(rnd(s, SIM_COMPUTERS, id, 20), COUNT(first_names))];
    const char *ln = last_names[sim_pick(rnd(s, SIM_COMPUTERS, id, 21), COUNT(last_names))];
    char user[64];
    snprintf(user, sizeof user, "%c%s", fn[0] | 0x20, ln);
    for (char *p = user; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p | 0x20);
    snprintf(buf, sizeof buf, "%s\\%s", prefix, server ? "administrator" : user);
    str(o, "LastUserName", buf, &ok);
    cJSON *accts = cJSON_CreateArray();
    if (accts) {
        push(accts, cJSON_CreateString("Administrator"), &ok);
        if (!server)
            push(accts, cJSON_CreateString(user), &ok);
        if (sim_unit(rnd(s, SIM_COMPUTERS, id, 22)) < 0.1)
            push(accts, cJSON_CreateString("bob"), &ok);
    }
    add(o, "UserAccounts", accts, &ok);
    cJSON *tcp = cJSON_CreateArray();
    if (tcp) {
        static const int srv_ports[] = {53, 80, 88, 135, 139, 389, 443, 445, 1433, 5985};
        static const int ws_ports[] = {135, 139, 445, 5040, 7680};
        const int *ports = server ? srv_ports : ws_ports;
        long np = server ? COUNT(srv_ports) : COUNT(ws_ports);
        if (windows) {
            for (long k = 0; k < np; k++)
                if (sim_unit(rnd(s, SIM_COMPUTERS, id, 30 + (int)k)) < 0.6)
                    push(tcp, cJSON_CreateNumber(ports[k]), &ok);
            if (sim_unit(rnd(s, SIM_COMPUTERS, id, 23)) < (server ? 0.8 : 0.25))
                push(tcp, cJSON_CreateNumber(3389), &ok);
        } else {
            push(tcp, cJSON_CreateNumber(22), &ok);
        }
    }
    add(o, "OpenPortsTCP", tcp, &ok);
    boo(o, "IsMaster", server && sim_unit(rnd(s, SIM_COMPUTERS, id, 24)) < 0.05, &ok);
    boo(o, "IsRebootNeeded", sim_unit(rnd(s, SIM_COMPUTERS, id, 25)) < 0.15, &ok);
    long av = sim_pick(rnd(s, SIM_COMPUTERS, id, 26), COUNT(antivirus));
    ref(o, "VirusScanner", av + 1, antivirus[av], &ok);
    num(o, "SystemUptime", (double)sim_pick(rnd(s, SIM_COMPUTERS, id, 27), 40 * DAY), &ok);
    cstr(o, "RemoteAgentVersion", "2024.5.128", &ok);
    cstr(o, "Comment", "", &ok);
    if (s->dialect == CWA_DIALECT_APICREDENTIALS) {
        cJSON *cn = cJSON_GetObjectItemCaseSensitive(o, "ComputerName");
        num(o, "ComputerID", (double)id, &ok);
        str(o, "Name", cn && cn->valuestring ? cn->valuestring : "", &ok);
        num(o, "ClientID", (double)cid, &ok);
        num(o, "LocationID", (double)lid, &ok);
        cstr(o, "OS", os, &ok);
        date(o, "LastContact", contact, &ok);
        num(o, "DiskFreePercent", (double)(2 + sim_pick(rnd(s, SIM_COMPUTERS, id, 28), 88)), &ok);
    }
    return complete(o, ok);
}

/* ---- the rest, derived from computers where they refer to one ---- */

static cJSON *field(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int copy(cJSON *dst, const char *k, const cJSON *src, const char *sk, int *ok)
{
    const cJSON *v = field(src, sk);
    add(dst, k, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull(), ok);
    return *ok;
}

static const cJSON *some_computer(const sim_store *s, int kind, long i)
{
    const sim_coll *c = &s->c[SIM_COMPUTERS];
    if (!c->n)
        return NULL;
    return c->rows[sim_pick(rnd(s, kind, i, 99), (long)c->n)]->obj;
}

static cJSON *gen_alert(const sim_store *s, long i)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    const cJSON *pc = some_computer(s, SIM_ALERTS, i);
    if (!o)
        return NULL;
    num(o, "AlertId", (double)(i + 1), &ok);
    num(o, "ComputerId", pc ? field(pc, "Id")->valuedouble : 0, &ok);
    if (pc) {
        copy(o, "ComputerName", pc, "ComputerName", &ok);
        copy(o, "Client", pc, "Client", &ok);
        copy(o, "Location", pc, "Location", &ok);
    } else {
        ref(o, "Client", 0, "", &ok);
        ref(o, "Location", 0, "", &ok);
    }
    static const int sev[] = {1, 1, 2, 2, 2, 3, 3, 4, 4, 5};
    num(o, "Severity", sev[sim_pick(rnd(s, SIM_ALERTS, i, 1), 10)], &ok);
    long st = sim_pick(rnd(s, SIM_ALERTS, i, 2), 10);
    cstr(o, "Status", alert_status[st < 3 ? 0 : st < 6 ? 1 : 2], &ok);
    cstr(o, "Message", alert_msgs[sim_pick(rnd(s, SIM_ALERTS, i, 3), COUNT(alert_msgs))], &ok);
    date(o, "Date", BASE_TIME - sim_pick(rnd(s, SIM_ALERTS, i, 4), 45 * DAY), &ok);
    cstr(o, "Source", "Monitor", &ok);
    num(o, "MonitorId", (double)(1 + sim_pick(rnd(s, SIM_ALERTS, i, 5), 200)), &ok);
    if (s->dialect == CWA_DIALECT_APICREDENTIALS) {
        const cJSON *cl = field(o, "Client");
        num(o, "ClientID", cl ? field(cl, "Id")->valuedouble : 0, &ok);
    }
    return complete(o, ok);
}

static cJSON *gen_contact(const sim_store *s, long i, long nclients, long nlocations)
{
    int ok = 1;
    char buf[160], cname[96], lname[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    long ci = nclients ? i % nclients : 0;
    const char *fn = first_names[sim_pick(rnd(s, SIM_CONTACTS, i, 1), COUNT(first_names))];
    const char *ln = last_names[sim_pick(rnd(s, SIM_CONTACTS, i, 2), COUNT(last_names))];
    client_name(ci, cname, sizeof cname);
    num(o, "Id", (double)(i + 1), &ok);
    str(o, "FirstName", fn, &ok);
    str(o, "LastName", ln, &ok);
    snprintf(buf, sizeof buf, "%s %s", fn, ln);
    str(o, "FullName", buf, &ok);
    snprintf(buf, sizeof buf, "%s.%s@%s", fn, ln, companies[ci % NCOMPANIES].domain);
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p | 0x20);
    str(o, "Email", buf, &ok);
    snprintf(buf, sizeof buf, "555-%04ld", sim_pick(rnd(s, SIM_CONTACTS, i, 3), 10000));
    str(o, "Phone", buf, &ok);
    ref(o, "Client", nclients ? client_id(ci) : 0, cname, &ok);
    long j = nlocations > ci ? ci : 0;
    location_name(j, nclients, lname, sizeof lname);
    ref(o, "Location", nlocations ? j + 1 : 0, lname, &ok);
    return complete(o, ok);
}

static void numbered(const char *const *names, long count, long i, char *out, size_t cap)
{
    if (i < count)
        snprintf(out, cap, "%s", names[i]);
    else
        snprintf(out, cap, "%s %ld", names[i % count], i / count + 1);
}

static cJSON *gen_script(const sim_store *s, long i)
{
    int ok = 1;
    char name[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    numbered(script_names, COUNT(script_names), i, name, sizeof name);
    long f = sim_pick(rnd(s, SIM_SCRIPTS, i, 1), COUNT(script_folders));
    num(o, "Id", (double)(i + 1), &ok);
    str(o, "Name", name, &ok);
    str(o, "Description", "Maintained by the service desk", &ok);
    ref(o, "Folder", f + 1, script_folders[f], &ok);
    boo(o, "ComputerScript", 1, &ok);
    str(o, "Parameters", "", &ok);
    date(o, "LastModified", BASE_TIME - sim_pick(rnd(s, SIM_SCRIPTS, i, 2), 700 * DAY), &ok);
    return complete(o, ok);
}

static cJSON *gen_monitor(const sim_store *s, long i)
{
    int ok = 1;
    char name[96];
    cJSON *o = cJSON_CreateObject(), *ae;
    const cJSON *pc = some_computer(s, SIM_MONITORS, i);
    if (!o)
        return NULL;
    numbered(monitor_names, COUNT(monitor_names), i, name, sizeof name);
    int internal = sim_unit(rnd(s, SIM_MONITORS, i, 1)) < 0.5;
    num(o, "MonitorId", (double)(i + 1), &ok);
    str(o, "Name", name, &ok);
    boo(o, "IsInternalMonitor", internal, &ok);
    num(o, "ComputerId", pc ? field(pc, "Id")->valuedouble : 0, &ok);
    if (pc)
        copy(o, "Client", pc, "Client", &ok);
    else
        ref(o, "Client", 0, "", &ok);
    num(o, "Interval", (double)(60 * (1 + sim_pick(rnd(s, SIM_MONITORS, i, 2), 30))), &ok);
    str(o, "AlertStyle", internal ? "Once" : "Continuous", &ok);
    date(o, "LastScan", BASE_TIME - sim_pick(rnd(s, SIM_MONITORS, i, 3), DAY), &ok);
    if ((ae = cJSON_CreateObject()) != NULL && pc)
        copy(ae, "RemoteMonitorAffectedClient", pc, "Client", &ok);
    add(o, "AffectedEntities", ae, &ok);
    return complete(o, ok);
}

static cJSON *gen_group(const sim_store *s, long i)
{
    int ok = 1;
    char name[96], full[200];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    numbered(group_names, COUNT(group_names), i, name, sizeof name);
    long parent = i >= 4 ? 1 + sim_pick(rnd(s, SIM_GROUPS, i, 1), 4) : 0;
    if (parent)
        snprintf(full, sizeof full, "%s.%s", group_names[parent - 1], name);
    else
        snprintf(full, sizeof full, "%s", name);
    num(o, "Id", (double)(i + 1), &ok);
    str(o, "Name", name, &ok);
    str(o, "FullName", full, &ok);
    num(o, "ParentId", (double)parent, &ok);
    num(o, "Priority", (double)(5 + sim_pick(rnd(s, SIM_GROUPS, i, 2), 10)), &ok);
    str(o, "Comments", "", &ok);
    return complete(o, ok);
}

static cJSON *gen_ticket(const sim_store *s, long i)
{
    int ok = 1;
    char buf[160];
    cJSON *o = cJSON_CreateObject();
    const cJSON *pc = some_computer(s, SIM_TICKETS, i);
    if (!o)
        return NULL;
    const char *subj = ticket_subjects[sim_pick(rnd(s, SIM_TICKETS, i, 1), COUNT(ticket_subjects))];
    num(o, "TicketId", (double)(i + 1), &ok);
    if (pc)
        snprintf(buf, sizeof buf, "%s on %s", subj, field(pc, "ComputerName")->valuestring);
    else
        snprintf(buf, sizeof buf, "%s", subj);
    str(o, "Subject", buf, &ok);
    cstr(o, "Status", ticket_status[sim_pick(rnd(s, SIM_TICKETS, i, 2), COUNT(ticket_status))], &ok);
    num(o, "Priority", (double)(1 + sim_pick(rnd(s, SIM_TICKETS, i, 3), 4)), &ok);
    num(o, "ComputerId", pc ? field(pc, "Id")->valuedouble : 0, &ok);
    if (pc) {
        copy(o, "Client", pc, "Client", &ok);
        copy(o, "Location", pc, "Location", &ok);
    } else {
        ref(o, "Client", 0, "", &ok);
        ref(o, "Location", 0, "", &ok);
    }
    str(o, "RequestorEmail", "helpdesk@example.com", &ok);
    num(o, "ExternalId", (double)(50000 + i), &ok);
    long created = BASE_TIME - sim_pick(rnd(s, SIM_TICKETS, i, 4), 120 * DAY);
    date(o, "DateCreated", created, &ok);
    date(o, "DateUpdated", created + sim_pick(rnd(s, SIM_TICKETS, i, 5), 5 * DAY), &ok);
    return complete(o, ok);
}

/* Templates of the rows the actions create (field checks on empty lists). */
static cJSON *templ_history(void)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    num(o, "Id", 0, &ok);
    num(o, "ComputerId", 0, &ok);
    num(o, "ScriptId", 0, &ok);
    str(o, "ScriptName", "", &ok);
    str(o, "Status", "Completed", &ok);
    str(o, "State", "Success", &ok);
    str(o, "HistoryDate", "2024-01-01T00:00:00", &ok);
    str(o, "DiagnosticMessage", "", &ok);
    str(o, "User", "", &ok);
    str(o, "Parameters", "", &ok);
    return complete(o, ok);
}

static cJSON *templ_command(void)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    num(o, "Id", 0, &ok);
    num(o, "ComputerId", 0, &ok);
    ref(o, "Command", 2, "Execute Command", &ok);
    str(o, "Status", "Success", &ok);
    add(o, "Parameters", cJSON_CreateArray(), &ok);
    str(o, "Output", "", &ok);
    boo(o, "Fastalk", 0, &ok);
    str(o, "DateLastInventoried", "2024-01-01T00:00:00", &ok);
    str(o, "DateCreated", "2024-01-01T00:00:00", &ok);
    return complete(o, ok);
}

static cJSON *gen_software(const sim_store *s, long computer, long k, long pick)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    num(o, "Id", (double)(computer * 100 + k + 1), &ok);
    num(o, "ComputerId", (double)computer, &ok);
    cstr(o, "Name", software[pick].name, &ok);
    cstr(o, "Version", software[pick].version, &ok);
    cstr(o, "Publisher", software[pick].publisher, &ok);
    date(o, "DateInstalled", BASE_TIME - sim_pick(rnd(s, SIM_SOFTWARE, computer, (int)k), 900 * DAY),
         &ok);
    return complete(o, ok);
}

/* ---- records and collections ---- */

sim_record *sim_record_new(long id, cJSON *obj)
{
    sim_record *r = obj ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        cJSON_Delete(obj);
        return NULL;
    }
    r->id = id;
    r->obj = obj;
    if (sim_record_sync(r) != 0) {
        sim_record_free(r);
        return NULL;
    }
    return r;
}

int sim_record_sync(sim_record *r)
{
    size_t len;
    char *j = sim_json_print(r->obj, &len);
    if (!j)
        return -1;
    free(r->json);
    r->json = j;
    r->len = len;
    return 0;
}

void sim_record_free(sim_record *r)
{
    if (!r)
        return;
    cJSON_Delete(r->obj);
    free(r->json);
    free(r);
}

void sim_records_free(sim_record **rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        sim_record_free(rows[i]);
    free(rows);
}

static long find_index(const sim_coll *c, long id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->rows[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->rows[lo]->id == id ? (long)lo : -1;
}

sim_record *sim_coll_find(const sim_coll *c, long id)
{
    long i = find_index(c, id);
    return i < 0 ? NULL : c->rows[i];
}

int sim_coll_append(sim_coll *c, sim_record *r)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        sim_record **rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        c->rows = rows;
        c->cap = cap;
    }
    c->rows[c->n++] = r;
    c->version++;
    if (r->id >= c->next_id)
        c->next_id = r->id + 1;
    return 0;
}

int sim_coll_remove(sim_coll *c, long id)
{
    long i = find_index(c, id);
    if (i < 0)
        return -1;
    sim_record_free(c->rows[i]);
    memmove(&c->rows[i], &c->rows[i + 1], (c->n - (size_t)i - 1) * sizeof *c->rows);
    c->n--;
    c->version++;
    return 0;
}

static const struct {
    const char *name, *id_field;
} kinds[SIM_KINDS] = {
    {"computers", "Id"},     {"clients", "Id"},       {"locations", "Id"},       {"contacts", "Id"},
    {"alerts", "AlertId"},   {"scripts", "Id"},       {"monitors", "MonitorId"}, {"groups", "Id"},
    {"tickets", "TicketId"}, {"scripthistory", "Id"}, {"commandexecute", "Id"},  {"software", "Id"},
};

int sim_kind_of(const char *name)
{
    for (int k = 0; k < SIM_PUBLIC_KINDS; k++)
        if (sim_strieq(name, kinds[k].name))
            return k;
    return -1;
}

/* Computers are most of the data and independent of each other: big
 * fleets are generated by several threads, each into its own slice. */
typedef struct gen_job {
    const sim_store *s;
    const shape *sh;
    sim_record **rows;
    long from, to;
} gen_job;

static void *gen_slice(void *arg)
{
    gen_job *j = arg;
    for (long i = j->from; i < j->to; i++)
        j->rows[i] = sim_record_new(i + 1, gen_computer(j->s, i + 1, j->sh));
    return NULL;
}

#define GEN_THREADS 4

static int fill_computers_parallel(sim_store *s, long count, const shape *sh)
{
    sim_coll *c = &s->c[SIM_COMPUTERS];
    sim_record **rows = calloc((size_t)count, sizeof *rows);
    if (!rows)
        return -1;
    gen_job jobs[GEN_THREADS];
    pthread_t tids[GEN_THREADS];
    int started[GEN_THREADS] = {0};
    for (int t = 0; t < GEN_THREADS; t++) {
        jobs[t] = (gen_job){s, sh, rows, count * t / GEN_THREADS, count * (t + 1) / GEN_THREADS};
        started[t] = pthread_create(&tids[t], NULL, gen_slice, &jobs[t]) == 0;
        if (!started[t])
            gen_slice(&jobs[t]);
    }
    for (int t = 0; t < GEN_THREADS; t++)
        if (started[t])
            pthread_join(tids[t], NULL);
    for (long i = 0; i < count; i++)
        if (!rows[i]) {
            sim_records_free(rows, (size_t)count);
            return -1;
        }
    c->rows = rows;
    c->n = c->cap = (size_t)count;
    c->next_id = count + 1;
    c->version++;
    return 0;
}

static int fill(sim_store *s, sim_kind k, long count, const shape *sh)
{
    sim_coll *c = &s->c[k];
    if (k == SIM_COMPUTERS && count >= 4096 && fill_computers_parallel(s, count, sh) != 0)
        return -1;
    for (long i = c->n; i < count; i++) {
        cJSON *o = NULL;
        long id = i + 1;
        switch (k) {
        case SIM_COMPUTERS: o = gen_computer(s, id, sh); break;
        case SIM_CLIENTS:
            o = gen_client(s, i);
            id = client_id(i);
            break;
        case SIM_LOCATIONS: o = gen_location(s, i, sh->nclients); break;
        case SIM_CONTACTS: o = gen_contact(s, i, sh->nclients, sh->nlocations); break;
        case SIM_ALERTS: o = gen_alert(s, i); break;
        case SIM_SCRIPTS: o = gen_script(s, i); break;
        case SIM_MONITORS: o = gen_monitor(s, i); break;
        case SIM_GROUPS: o = gen_group(s, i); break;
        case SIM_TICKETS: o = gen_ticket(s, i); break;
        default: break;
        }
        sim_record *r = sim_record_new(id, o);
        if (!r || sim_coll_append(c, r) != 0) {
            sim_record_free(r);
            return -1;
        }
    }
    if (c->rows && c->n) {
        c->templ = cJSON_Duplicate(c->rows[0]->obj, 1);
    } else {
        /* an empty collection still knows its fields */
        switch (k) {
        case SIM_COMPUTERS: c->templ = gen_computer(s, 1, sh); break;
        case SIM_CLIENTS: c->templ = gen_client(s, 0); break;
        case SIM_LOCATIONS: c->templ = gen_location(s, 0, sh->nclients); break;
        case SIM_CONTACTS: c->templ = gen_contact(s, 0, sh->nclients, sh->nlocations); break;
        case SIM_ALERTS: c->templ = gen_alert(s, 0); break;
        case SIM_SCRIPTS: c->templ = gen_script(s, 0); break;
        case SIM_MONITORS: c->templ = gen_monitor(s, 0); break;
        case SIM_GROUPS: c->templ = gen_group(s, 0); break;
        case SIM_TICKETS: c->templ = gen_ticket(s, 0); break;
        default: break;
        }
    }
    return c->templ ? 0 : -1;
}

int sim_store_init(sim_store *s, const sim_opts *o)
{
    memset(s, 0, sizeof *s);
    if (pthread_rwlock_init(&s->lock, NULL) != 0)
        return -1;
    s->dialect = o->dialect;
    s->seed = o->seed;
    for (int k = 0; k < SIM_KINDS; k++) {
        s->c[k].name = kinds[k].name;
        s->c[k].id_field = kinds[k].id_field;
        s->c[k].next_id = 1;
    }
    shape sh = {o->clients, o->locations};
    if (fill(s, SIM_CLIENTS, o->clients, &sh) || fill(s, SIM_LOCATIONS, o->locations, &sh) ||
        fill(s, SIM_COMPUTERS, o->computers, &sh) || fill(s, SIM_CONTACTS, o->contacts, &sh) ||
        fill(s, SIM_ALERTS, o->alerts, &sh) || fill(s, SIM_SCRIPTS, o->scripts, &sh) ||
        fill(s, SIM_MONITORS, o->monitors, &sh) || fill(s, SIM_GROUPS, o->groups, &sh) ||
        fill(s, SIM_TICKETS, o->tickets, &sh))
        return -1;
    s->c[SIM_HISTORY].templ = templ_history();
    s->c[SIM_COMMANDS].templ = templ_command();
    s->c[SIM_SOFTWARE].templ = gen_software(s, 0, 0, 0);
    if (!s->c[SIM_HISTORY].templ || !s->c[SIM_COMMANDS].templ || !s->c[SIM_SOFTWARE].templ)
        return -1;
    /* ids handed out by actions look like a busy server's */
    s->c[SIM_HISTORY].next_id = 50001;
    s->c[SIM_COMMANDS].next_id = 70001;
    return 0;
}

void sim_store_free(sim_store *s)
{
    for (int k = 0; k < SIM_KINDS; k++) {
        sim_records_free(s->c[k].rows, s->c[k].n);
        cJSON_Delete(s->c[k].templ);
    }
    pthread_rwlock_destroy(&s->lock);
    memset(s, 0, sizeof *s);
}

int sim_store_churn(sim_store *s, long n)
{
    sim_coll *c = &s->c[SIM_COMPUTERS];
    const sim_coll *cl = &s->c[SIM_CLIENTS];
    shape sh = {(long)cl->n, (long)s->c[SIM_LOCATIONS].n};
    unsigned long round = ++s->churn_round;
    for (long k = 0; k < n && c->n > 0; k++) {
        long i = sim_pick(rnd(s, SIM_COMPUTERS, -(long)round, (int)k), (long)c->n);
        sim_coll_remove(c, c->rows[i]->id);
    }
    for (long k = 0; k < n; k++) {
        long id = c->next_id;
        sim_record *r = sim_record_new(id, gen_computer(s, id, &sh));
        if (!r || sim_coll_append(c, r) != 0) {
            sim_record_free(r);
            return -1;
        }
    }
    return 0;
}

int sim_data_software(const sim_store *s, const sim_record *computer, sim_record ***out, size_t *n)
{
    long id = computer->id;
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(computer->obj, "OperatingSystemName");
    int windows = os && os->valuestring && strncmp(os->valuestring, "Microsoft", 9) == 0;
    long count = windows ? 8 + sim_pick(rnd(s, SIM_SOFTWARE, id, 1000), 10) : 3;
    sim_record **rows = calloc((size_t)count, sizeof *rows);
    *out = NULL;
    *n = 0;
    if (!rows)
        return -1;
    /* a rotating window over the catalogue: no duplicate titles per computer */
    long start = sim_pick(rnd(s, SIM_SOFTWARE, id, 1001), COUNT(software));
    for (long k = 0; k < count; k++) {
        long pick = windows ? (start + k) % COUNT(software) : k;
        rows[k] = sim_record_new(id * 100 + k + 1, gen_software(s, id, k, pick));
        if (!rows[k]) {
            sim_records_free(rows, (size_t)k);
            return -1;
        }
    }
    *out = rows;
    *n = (size_t)count;
    return 0;
}
