/*
 * data_fleet: the rows of the fleet (clients, locations, computers; see
 * data_gen.h) and the tables of names they are drawn from: companies,
 * places, people, operating systems. The names other rows share go out
 * through the sim_client_*, sim_location_name and sim_*_name functions.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "data_gen.h"
#include "util.h"

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

/* ---- names shared by every row ---- */

const char *sim_client_domain(long i)
{
    return companies[i % NCOMPANIES].domain;
}

const char *sim_first_name(uint64_t r)
{
    return first_names[sim_pick(r, COUNT(first_names))];
}

const char *sim_last_name(uint64_t r)
{
    return last_names[sim_pick(r, COUNT(last_names))];
}

long sim_client_id(long i)
{
    return i < 10 ? i + 1 : 100 + (i - 10);
}

void sim_client_name(long i, char *out, size_t cap)
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

void sim_location_name(long j, long nclients, char *out, size_t cap)
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

/* ---- clients and locations: derived from the index ---- */

cJSON *sim_gen_client(const sim_store *s, long i)
{
    int ok = 1;
    char name[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    long city = sim_pick(sim_rnd(s, SIM_CLIENTS, i, 1), COUNT(cities));
    sim_client_name(i, name, sizeof name);
    sim_set_num(o, "Id", (double)sim_client_id(i), &ok);
    sim_set_str(o, "Name", name, &ok);
    sim_set_str(o, "Company", name, &ok);
    char buf[96];
    snprintf(buf, sizeof buf, "%ld Main Street", 100 + sim_pick(sim_rnd(s, SIM_CLIENTS, i, 2), 9800));
    sim_set_str(o, "Address1", buf, &ok);
    sim_set_cstr(o, "City", cities[city], &ok);
    sim_set_cstr(o, "State", states[city], &ok);
    snprintf(buf, sizeof buf, "%05ld", 10000 + sim_pick(sim_rnd(s, SIM_CLIENTS, i, 3), 89999));
    sim_set_str(o, "Zip", buf, &ok);
    sim_set_cstr(o, "Country", "United States", &ok);
    snprintf(buf, sizeof buf, "555-%04ld", sim_pick(sim_rnd(s, SIM_CLIENTS, i, 4), 10000));
    sim_set_str(o, "Phone", buf, &ok);
    snprintf(buf, sizeof buf, "https://www.%s", companies[i % NCOMPANIES].domain);
    sim_set_str(o, "WebSite", buf, &ok);
    sim_set_num(o, "ExternalId", (double)(2000 + i), &ok);
    sim_set_date(o, "DateAdded", BASE_TIME - (long)sim_pick(sim_rnd(s, SIM_CLIENTS, i, 5), 2000) * DAY,
                 &ok);
    sim_set_cstr(o, "Comment", "", &ok);
    return sim_row_done(o, ok);
}

cJSON *sim_gen_location(const sim_store *s, long j, long nclients)
{
    int ok = 1;
    char name[96], cname[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    long ci = nclients ? j % nclients : 0;
    sim_location_name(j, nclients, name, sizeof name);
    sim_client_name(ci, cname, sizeof cname);
    sim_set_num(o, "Id", (double)(j + 1), &ok);
    sim_set_str(o, "Name", name, &ok);
    sim_set_ref(o, "Client", sim_client_id(ci), cname, &ok);
    sim_set_num(o, "ClientId", (double)sim_client_id(ci), &ok);
    sim_set_str(o, "City", cities[sim_pick(sim_rnd(s, SIM_LOCATIONS, j, 1), COUNT(cities))], &ok);
    char buf[64];
    snprintf(buf, sizeof buf, "%ld Commerce Drive", 10 + sim_pick(sim_rnd(s, SIM_LOCATIONS, j, 2), 990));
    sim_set_str(o, "Address", buf, &ok);
    snprintf(buf, sizeof buf, "10.%ld.0.0/16", (ci % 250) + 1);
    sim_set_str(o, "Router", buf, &ok);
    sim_set_num(o, "ProbeID", 0, &ok);
    return sim_row_done(o, ok);
}

/* ---- computers ---- */

cJSON *sim_gen_computer(const sim_store *s, long id, const sim_shape *sh)
{
    int ok = 1;
    char buf[128], prefix[32], cname[96], lname[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    /* a skewed client distribution: a few large clients, many small ones */
    double u = sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 1));
    long ci = sh->nclients ? (long)(u * u * (double)sh->nclients) : 0;
    long cid = sh->nclients ? sim_client_id(ci) : 0;
    client_prefix(ci, prefix, sizeof prefix);
    sim_client_name(ci, cname, sizeof cname);
    long lid = 0;
    lname[0] = '\0';
    if (sh->nlocations > 0) {
        long cnt = sh->nlocations > ci ? (sh->nlocations - 1 - ci) / sh->nclients + 1 : 0;
        long j = cnt ? ci + sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 2), cnt) * sh->nclients
                     : ci % sh->nlocations;
        lid = j + 1;
        sim_location_name(j, sh->nclients, lname, sizeof lname);
    }
    int server = sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 3)) < 0.12;
    const char *os;
    if (server) {
        const char *role = server_roles[sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 4), COUNT(server_roles))];
        snprintf(buf, sizeof buf, "%s-%s%02ld", prefix, role,
                 1 + sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 5), 12));
        os = server_os[sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 6), COUNT(server_os))];
    } else {
        int laptop = sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 4)) < 0.35;
        snprintf(buf, sizeof buf, "%s-%s%04ld", prefix, laptop ? "LT" : "WS", id % 10000);
        long w = sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 6), 100), acc = 0;
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
    int online = sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 7)) < 0.72;
    long contact;
    if (online)
        contact = BASE_TIME - sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 8), 600);
    else if (sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 9)) < 0.85)
        contact = BASE_TIME - 3600 - sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 8), 90 * DAY);
    else
        contact = BASE_TIME - 90 * DAY - sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 8), 6 * 365 * DAY);
    static const long ws_mem[] = {2048, 4096, 8192, 8192, 16384, 16384, 32768};
    static const long srv_mem[] = {8192, 16384, 32768, 65536, 131072};
    long mem = server ? srv_mem[sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 10), COUNT(srv_mem))]
                      : ws_mem[sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 10), COUNT(ws_mem))];
    long freemem = (long)((double)mem * (0.08 + 0.6 * sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 11))));

    sim_set_num(o, "Id", (double)id, &ok);
    sim_set_str(o, "ComputerName", buf, &ok);
    sim_set_ref(o, "Client", cid, cname, &ok);
    sim_set_ref(o, "Location", lid, lname, &ok);
    sim_set_cstr(o, "Status", online ? "Online" : "Offline", &ok);
    sim_set_cstr(o, "OperatingSystemName", os, &ok);
    sim_set_cstr(o, "Type", server ? "Server" : "Workstation", &ok);
    sim_set_bool(o, "IsVirtualMachine", server && sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 12)) < 0.7,
                 &ok);
    sim_set_num(o, "TotalMemory", (double)mem, &ok);
    sim_set_num(o, "FreeMemory", (double)freemem, &ok);
    sim_set_num(o, "CpuUsage", (double)sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 13), 100), &ok);
    sim_set_date(o, "RemoteAgentLastContact", contact, &ok);
    sim_set_date(o, "LastHeartbeat", contact - sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 14), 60), &ok);
    sim_set_date(o, "DateAdded",
                 contact - 30 * DAY - sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 15), 1500 * DAY), &ok);
    char ip[80];
    snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (ci % 250) + 1, lid % 250,
             2 + sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 16), 250));
    sim_set_str(o, "LocalIPAddress", ip, &ok);
    snprintf(ip, sizeof ip, "10.%ld.%ld.1", (ci % 250) + 1, lid % 250);
    sim_set_str(o, "GatewayIPAddress", ip, &ok);
    uint64_t m = sim_rnd(s, SIM_COMPUTERS, id, 17);
    snprintf(buf, sizeof buf, "00-15-5D-%02X-%02X-%02X", (unsigned)(m & 255), (unsigned)((m >> 8) & 255),
             (unsigned)((m >> 16) & 255));
    sim_set_str(o, "MACAddress", buf, &ok);
    static const char alnum[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    uint64_t sr = sim_rnd(s, SIM_COMPUTERS, id, 18);
    for (int k = 0; k < 10; k++, sr /= 34)
        buf[k] = alnum[sr % 34];
    buf[10] = '\0';
    sim_set_str(o, "SerialNumber", buf, &ok);
    const char *dom =
        windows ? (sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 19)) < 0.85 ? companies[ci % NCOMPANIES].domain
                                                                      : "WORKGROUP")
                : "";
    sim_set_cstr(o, "Domain", dom, &ok);
    const char *fn = first_names[sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 20), COUNT(first_names))];
    const char *ln = last_names[sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 21), COUNT(last_names))];
    char user[64];
    snprintf(user, sizeof user, "%c%s", fn[0] | 0x20, ln);
    for (char *p = user; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p | 0x20);
    snprintf(buf, sizeof buf, "%s\\%s", prefix, server ? "administrator" : user);
    sim_set_str(o, "LastUserName", buf, &ok);
    cJSON *accts = cJSON_CreateArray();
    if (accts) {
        sim_push_item(accts, cJSON_CreateString("Administrator"), &ok);
        if (!server)
            sim_push_item(accts, cJSON_CreateString(user), &ok);
        if (sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 22)) < 0.1)
            sim_push_item(accts, cJSON_CreateString("bob"), &ok);
    }
    sim_set_item(o, "UserAccounts", accts, &ok);
    cJSON *tcp = cJSON_CreateArray();
    if (tcp) {
        static const int srv_ports[] = {53, 80, 88, 135, 139, 389, 443, 445, 1433, 5985};
        static const int ws_ports[] = {135, 139, 445, 5040, 7680};
        const int *ports = server ? srv_ports : ws_ports;
        long np = server ? COUNT(srv_ports) : COUNT(ws_ports);
        if (windows) {
            for (long k = 0; k < np; k++)
                if (sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 30 + (int)k)) < 0.6)
                    sim_push_item(tcp, cJSON_CreateNumber(ports[k]), &ok);
            if (sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 23)) < (server ? 0.8 : 0.25))
                sim_push_item(tcp, cJSON_CreateNumber(3389), &ok);
        } else {
            sim_push_item(tcp, cJSON_CreateNumber(22), &ok);
        }
    }
    sim_set_item(o, "OpenPortsTCP", tcp, &ok);
    sim_set_bool(o, "IsMaster", server && sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 24)) < 0.05, &ok);
    sim_set_bool(o, "IsRebootNeeded", sim_unit(sim_rnd(s, SIM_COMPUTERS, id, 25)) < 0.15, &ok);
    long av = sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 26), COUNT(antivirus));
    sim_set_ref(o, "VirusScanner", av + 1, antivirus[av], &ok);
    sim_set_num(o, "SystemUptime", (double)sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 27), 40 * DAY), &ok);
    sim_set_cstr(o, "RemoteAgentVersion", "2024.5.128", &ok);
    sim_set_cstr(o, "Comment", "", &ok);
    if (s->dialect == CWA_DIALECT_APICREDENTIALS) {
        cJSON *cn = cJSON_GetObjectItemCaseSensitive(o, "ComputerName");
        sim_set_num(o, "ComputerID", (double)id, &ok);
        sim_set_str(o, "Name", cn && cn->valuestring ? cn->valuestring : "", &ok);
        sim_set_num(o, "ClientID", (double)cid, &ok);
        sim_set_num(o, "LocationID", (double)lid, &ok);
        sim_set_cstr(o, "OS", os, &ok);
        sim_set_date(o, "LastContact", contact, &ok);
        sim_set_num(o, "DiskFreePercent", (double)(2 + sim_pick(sim_rnd(s, SIM_COMPUTERS, id, 28), 88)),
                    &ok);
    }
    return sim_row_done(o, ok);
}
