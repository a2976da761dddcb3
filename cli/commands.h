#pragma once

#include <string>
#include <vector>

#include "cli/app.h"

namespace lakeinfra::cli {

/// Flags of plan, apply and destroy. Each command returns its process exit code.
struct PlanFlags {
  bool refresh = true;
  std::vector<std::string> targets;
  std::string out;                 ///< plan --out FILE
  bool detailed_exitcode = false;  ///< plan: 0 no changes, 1 error, 2 changes
  bool destroy = false;            ///< plan --destroy
  int parallelism = 10;
  std::string lock_timeout = "0s";
  bool json = false;  ///< plan --json: the Terraform-shaped JSON plan on stdout
};

struct ApplyFlags {
  PlanFlags plan;
  std::string plan_file;  ///< apply FILE
  bool auto_approve = false;
};

/// `access check ROLE ZONE[/CONTAINER] read|write|admin`.
struct AccessCheckFlags {
  std::string role;
  std::string target;
  std::string access;
  bool json = false;
};

int cmd_init(App& app, const std::string& template_name);
int cmd_validate(App& app);
int cmd_plan(App& app, const PlanFlags& flags);
int cmd_apply(App& app, const ApplyFlags& flags, bool destroy);
int cmd_show(App& app, const std::string& plan_file, bool json);
int cmd_state_list(App& app);
int cmd_state_show(App& app, const std::string& address);
int cmd_state_rm(App& app, const std::vector<std::string>& addresses,
                 const std::string& lock_timeout);
int cmd_state_mv(App& app, const std::string& from, const std::string& to,
                 const std::string& lock_timeout);
int cmd_graph(App& app);
int cmd_force_unlock(App& app, const std::string& id, bool force);
int cmd_version(App& app);
/// The access matrix; `format` is "table", "csv" or "json".
int cmd_access(App& app, const std::string& format);
/// Exits 0 when allowed, 2 when denied, 1 on an error (unknown role, zone or container).
int cmd_access_check(App& app, const AccessCheckFlags& flags);
int cmd_jobs_list(App& app, bool json);
int cmd_jobs_show(App& app, const std::string& name, bool json);
/// Exits with the job's exit code (1 when lakeinfra cannot run it).
int cmd_jobs_run(App& app, const std::string& name);

}  // namespace lakeinfra::cli
