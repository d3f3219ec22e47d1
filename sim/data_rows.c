/*
 * data_rows: every row but the fleet's (see data_gen.h): contacts, scripts
 * and groups derived from their index; alerts, monitors and tickets that
 * copy fields of some computer; the blank templates of the rows actions
 * create; the software of a computer, generated when it is listed. Also the
 * dispatch the store generates collections through (sim_gen_row,
 * sim_gen_template).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_gen.h"
#include "util.h"

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

/* ---- rows derived from the index, or from a computer they refer to ---- */

static cJSON *field(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int copy(cJSON *dst, const char *k, const cJSON *src, const char *sk, int *ok)
{
    const cJSON *v = field(src, sk);
    sim_set_item(dst, k, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull(), ok);
    return *ok;
}

static const cJSON *some_computer(const sim_store *s, int kind, long i)
{
    const sim_coll *c = &s->c[SIM_COMPUTERS];
    if (!c->n)
        return NULL;
    return c->rows[sim_pick(sim_rnd(s, kind, i, 99), (long)c->n)]->obj;
}

static cJSON *gen_alert(const sim_store *s, long i)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    const cJSON *pc = some_computer(s, SIM_ALERTS, i);
    if (!o)
        return NULL;
    sim_set_num(o, "AlertId", (double)(i + 1), &ok);
    sim_set_num(o, "ComputerId", pc ? field(pc, "Id")->valuedouble : 0, &ok);
    if (pc) {
        copy(o, "ComputerName", pc, "ComputerName", &ok);
        copy(o, "Client", pc, "Client", &ok);
        copy(o, "Location", pc, "Location", &ok);
    } else {
        sim_set_ref(o, "Client", 0, "", &ok);
        sim_set_ref(o, "Location", 0, "", &ok);
    }
    static const int sev[] = {1, 1, 2, 2, 2, 3, 3, 4, 4, 5};
    sim_set_num(o, "Severity", sev[sim_pick(sim_rnd(s, SIM_ALERTS, i, 1), 10)], &ok);
    long st = sim_pick(sim_rnd(s, SIM_ALERTS, i, 2), 10);
    sim_set_cstr(o, "Status", alert_status[st < 3 ? 0 : st < 6 ? 1 : 2], &ok);
    sim_set_cstr(o, "Message", alert_msgs[sim_pick(sim_rnd(s, SIM_ALERTS, i, 3), COUNT(alert_msgs))],
                 &ok);
    sim_set_date(o, "Date", BASE_TIME - sim_pick(sim_rnd(s, SIM_ALERTS, i, 4), 45 * DAY), &ok);
    sim_set_cstr(o, "Source", "Monitor", &ok);
    sim_set_num(o, "MonitorId", (double)(1 + sim_pick(sim_rnd(s, SIM_ALERTS, i, 5), 200)), &ok);
    if (s->dialect == CWA_DIALECT_APICREDENTIALS) {
        const cJSON *cl = field(o, "Client");
        sim_set_num(o, "ClientID", cl ? field(cl, "Id")->valuedouble : 0, &ok);
    }
    return sim_row_done(o, ok);
}

static cJSON *gen_contact(const sim_store *s, long i, long nclients, long nlocations)
{
    int ok = 1;
    char buf[160], cname[96], lname[96];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    long ci = nclients ? i % nclients : 0;
    const char *fn = sim_first_name(sim_rnd(s, SIM_CONTACTS, i, 1));
    const char *ln = sim_last_name(sim_rnd(s, SIM_CONTACTS, i, 2));
    sim_client_name(ci, cname, sizeof cname);
    sim_set_num(o, "Id", (double)(i + 1), &ok);
    sim_set_str(o, "FirstName", fn, &ok);
    sim_set_str(o, "LastName", ln, &ok);
    snprintf(buf, sizeof buf, "%s %s", fn, ln);
    sim_set_str(o, "FullName", buf, &ok);
    snprintf(buf, sizeof buf, "%s.%s@%s", fn, ln, sim_client_domain(ci));
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p | 0x20);
    sim_set_str(o, "Email", buf, &ok);
    snprintf(buf, sizeof buf, "555-%04ld", sim_pick(sim_rnd(s, SIM_CONTACTS, i, 3), 10000));
    sim_set_str(o, "Phone", buf, &ok);
    sim_set_ref(o, "Client", nclients ? sim_client_id(ci) : 0, cname, &ok);
    long j = nlocations > ci ? ci : 0;
    sim_location_name(j, nclients, lname, sizeof lname);
    sim_set_ref(o, "Location", nlocations ? j + 1 : 0, lname, &ok);
    return sim_row_done(o, ok);
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
    long f = sim_pick(sim_rnd(s, SIM_SCRIPTS, i, 1), COUNT(script_folders));
    sim_set_num(o, "Id", (double)(i + 1), &ok);
    sim_set_str(o, "Name", name, &ok);
    sim_set_str(o, "Description", "Maintained by the service desk", &ok);
    sim_set_ref(o, "Folder", f + 1, script_folders[f], &ok);
    sim_set_bool(o, "ComputerScript", 1, &ok);
    sim_set_str(o, "Parameters", "", &ok);
    sim_set_date(o, "LastModified", BASE_TIME - sim_pick(sim_rnd(s, SIM_SCRIPTS, i, 2), 700 * DAY), &ok);
    return sim_row_done(o, ok);
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
    int internal = sim_unit(sim_rnd(s, SIM_MONITORS, i, 1)) < 0.5;
    sim_set_num(o, "MonitorId", (double)(i + 1), &ok);
    sim_set_str(o, "Name", name, &ok);
    sim_set_bool(o, "IsInternalMonitor", internal, &ok);
    sim_set_num(o, "ComputerId", pc ? field(pc, "Id")->valuedouble : 0, &ok);
    if (pc)
        copy(o, "Client", pc, "Client", &ok);
    else
        sim_set_ref(o, "Client", 0, "", &ok);
    sim_set_num(o, "Interval", (double)(60 * (1 + sim_pick(sim_rnd(s, SIM_MONITORS, i, 2), 30))), &ok);
    sim_set_str(o, "AlertStyle", internal ? "Once" : "Continuous", &ok);
    sim_set_date(o, "LastScan", BASE_TIME - sim_pick(sim_rnd(s, SIM_MONITORS, i, 3), DAY), &ok);
    if ((ae = cJSON_CreateObject()) != NULL && pc)
        copy(ae, "RemoteMonitorAffectedClient", pc, "Client", &ok);
    sim_set_item(o, "AffectedEntities", ae, &ok);
    return sim_row_done(o, ok);
}

static cJSON *gen_group(const sim_store *s, long i)
{
    int ok = 1;
    char name[96], full[200];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    numbered(group_names, COUNT(group_names), i, name, sizeof name);
    long parent = i >= 4 ? 1 + sim_pick(sim_rnd(s, SIM_GROUPS, i, 1), 4) : 0;
    if (parent)
        snprintf(full, sizeof full, "%s.%s", group_names[parent - 1], name);
    else
        snprintf(full, sizeof full, "%s", name);
    sim_set_num(o, "Id", (double)(i + 1), &ok);
    sim_set_str(o, "Name", name, &ok);
    sim_set_str(o, "FullName", full, &ok);
    sim_set_num(o, "ParentId", (double)parent, &ok);
    sim_set_num(o, "Priority", (double)(5 + sim_pick(sim_rnd(s, SIM_GROUPS, i, 2), 10)), &ok);
    sim_set_str(o, "Comments", "", &ok);
    return sim_row_done(o, ok);
}

static cJSON *gen_ticket(const sim_store *s, long i)
{
    int ok = 1;
    char buf[160];
    cJSON *o = cJSON_CreateObject();
    const cJSON *pc = some_computer(s, SIM_TICKETS, i);
    if (!o)
        return NULL;
    const char *subj = ticket_subjects[sim_pick(sim_rnd(s, SIM_TICKETS, i, 1), COUNT(ticket_subjects))];
    sim_set_num(o, "TicketId", (double)(i + 1), &ok);
    if (pc)
        snprintf(buf, sizeof buf, "%s on %s", subj, field(pc, "ComputerName")->valuestring);
    else
        snprintf(buf, sizeof buf, "%s", subj);
    sim_set_str(o, "Subject", buf, &ok);
    sim_set_cstr(o, "Status",
                 ticket_status[sim_pick(sim_rnd(s, SIM_TICKETS, i, 2), COUNT(ticket_status))], &ok);
    sim_set_num(o, "Priority", (double)(1 + sim_pick(sim_rnd(s, SIM_TICKETS, i, 3), 4)), &ok);
    sim_set_num(o, "ComputerId", pc ? field(pc, "Id")->valuedouble : 0, &ok);
    if (pc) {
        copy(o, "Client", pc, "Client", &ok);
        copy(o, "Location", pc, "Location", &ok);
    } else {
        sim_set_ref(o, "Client", 0, "", &ok);
        sim_set_ref(o, "Location", 0, "", &ok);
    }
    sim_set_str(o, "RequestorEmail", "helpdesk@example.com", &ok);
    sim_set_num(o, "ExternalId", (double)(50000 + i), &ok);
    long created = BASE_TIME - sim_pick(sim_rnd(s, SIM_TICKETS, i, 4), 120 * DAY);
    sim_set_date(o, "DateCreated", created, &ok);
    sim_set_date(o, "DateUpdated", created + sim_pick(sim_rnd(s, SIM_TICKETS, i, 5), 5 * DAY), &ok);
    return sim_row_done(o, ok);
}

/* Templates of the rows the actions create (field checks on empty lists). */
static cJSON *templ_history(void)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    sim_set_num(o, "Id", 0, &ok);
    sim_set_num(o, "ComputerId", 0, &ok);
    sim_set_num(o, "ScriptId", 0, &ok);
    sim_set_str(o, "ScriptName", "", &ok);
    sim_set_str(o, "Status", "Completed", &ok);
    sim_set_str(o, "State", "Success", &ok);
    sim_set_str(o, "HistoryDate", "2024-01-01T00:00:00", &ok);
    sim_set_str(o, "DiagnosticMessage", "", &ok);
    sim_set_str(o, "User", "", &ok);
    sim_set_str(o, "Parameters", "", &ok);
    return sim_row_done(o, ok);
}

static cJSON *templ_command(void)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    sim_set_num(o, "Id", 0, &ok);
    sim_set_num(o, "ComputerId", 0, &ok);
    sim_set_ref(o, "Command", 2, "Execute Command", &ok);
    sim_set_str(o, "Status", "Success", &ok);
    sim_set_item(o, "Parameters", cJSON_CreateArray(), &ok);
    sim_set_str(o, "Output", "", &ok);
    sim_set_bool(o, "Fastalk", 0, &ok);
    sim_set_str(o, "DateLastInventoried", "2024-01-01T00:00:00", &ok);
    sim_set_str(o, "DateCreated", "2024-01-01T00:00:00", &ok);
    return sim_row_done(o, ok);
}

static cJSON *gen_software(const sim_store *s, long computer, long k, long pick)
{
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    sim_set_num(o, "Id", (double)(computer * 100 + k + 1), &ok);
    sim_set_num(o, "ComputerId", (double)computer, &ok);
    sim_set_cstr(o, "Name", software[pick].name, &ok);
    sim_set_cstr(o, "Version", software[pick].version, &ok);
    sim_set_cstr(o, "Publisher", software[pick].publisher, &ok);
    sim_set_date(o, "DateInstalled",
                 BASE_TIME - sim_pick(sim_rnd(s, SIM_SOFTWARE, computer, (int)k), 900 * DAY), &ok);
    return sim_row_done(o, ok);
}

/* ---- what the store asks for ---- */

long sim_gen_id(sim_kind k, long i)
{
    return k == SIM_CLIENTS ? sim_client_id(i) : i + 1;
}

cJSON *sim_gen_row(const sim_store *s, sim_kind k, long i, const sim_shape *sh)
{
    switch (k) {
    case SIM_COMPUTERS: return sim_gen_computer(s, i + 1, sh);
    case SIM_CLIENTS: return sim_gen_client(s, i);
    case SIM_LOCATIONS: return sim_gen_location(s, i, sh->nclients);
    case SIM_CONTACTS: return gen_contact(s, i, sh->nclients, sh->nlocations);
    case SIM_ALERTS: return gen_alert(s, i);
    case SIM_SCRIPTS: return gen_script(s, i);
    case SIM_MONITORS: return gen_monitor(s, i);
    case SIM_GROUPS: return gen_group(s, i);
    case SIM_TICKETS: return gen_ticket(s, i);
    default: return NULL;
    }
}

cJSON *sim_gen_template(const sim_store *s, sim_kind k, const sim_shape *sh)
{
    switch (k) {
    case SIM_HISTORY: return templ_history();
    case SIM_COMMANDS: return templ_command();
    case SIM_SOFTWARE: return gen_software(s, 0, 0, 0);
    default: return sim_gen_row(s, k, 0, sh);
    }
}

int sim_data_software(const sim_store *s, const sim_record *computer, sim_record ***out, size_t *n)
{
    long id = computer->id;
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(computer->obj, "OperatingSystemName");
    int windows = os && os->valuestring && strncmp(os->valuestring, "Microsoft", 9) == 0;
    long count = windows ? 8 + sim_pick(sim_rnd(s, SIM_SOFTWARE, id, 1000), 10) : 3;
    sim_record **rows = calloc((size_t)count, sizeof *rows);
    *out = NULL;
    *n = 0;
    if (!rows)
        return -1;
    /* a rotating window over the catalogue: no duplicate titles per computer */
    long start = sim_pick(sim_rnd(s, SIM_SOFTWARE, id, 1001), COUNT(software));
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
