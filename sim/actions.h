/*
 * actions: script runs and commands, fire-and-poll as on Automate.
 *
 * Contract: the caller holds the store's lock exclusively for every call.
 *  POST /Batch/ScriptExecute {EntityType:"Computer"|1, EntityIds:[id],
 *    ScriptId, Parameters:[{Key,Value}]} (apitoken) answers
 *    {ScriptResults:[{EntityId, ResultDetails{ResultStatus, ReasonCode,
 *    Message}}], ContainsUnsuccessfulResults}, the two codes integers:
 *    0/0 "Script scheduled." for a launched computer, 1/1 "Computer is
 *    offline." for one whose Status is Offline, 1/2 "No computer with this
 *    id."; only a launched computer gets a ScriptHistory row {Id,
 *    ComputerId, ScriptId, ScriptName, Status:"Running", State:"Information",
 *    HistoryDate, DiagnosticMessage, User, Parameters:"k=v|k2=v2"}.
 *  POST /Computers/{id}/Scripts/{scriptId}/Execute {Parameters:{k:v}}
 *    (apicredentials) adds the same row and answers it.
 *  POST /Computers/{id}/CommandExecute {ComputerId, Command:{Id},
 *    Parameters:["cmd.exe!!! /c ..."]} (apitoken) answers the new row
 *    {Id, ComputerId, Command{Id,Name}, Status:"Pending", Parameters, Output,
 *    Fastalk, DateLastInventoried, DateCreated}; its Status then passes
 *    through "Sent" and "Executing", each for a third of --script-ms.
 *  --script-ms after creation a row settles (sim_settle, called before any
 *  read of those rows): history rows become Status "Completed" with State
 *  "Success" ("Failure" when a parameter value contains "fail"); commands
 *  become "Success" with an Output that echoes the command ("Failed" when the
 *  command contains the word "fail").
 */
#ifndef SIM_ACTIONS_H
#define SIM_ACTIONS_H

#include <stddef.h>

#include "data.h"
#include "opts.h"
#include "resp.h"

void sim_settle(sim_store *s, const sim_opts *o);
void sim_batch_script(sim_store *s, const sim_opts *o, const char *body, size_t len, sim_resp *out);
void sim_script_execute(sim_store *s, const sim_opts *o, long computer, long script, const char *body,
                        size_t len, sim_resp *out);
void sim_command_execute(sim_store *s, const sim_opts *o, long computer, const char *body, size_t len,
                         sim_resp *out);

#endif
