// lakeinfra's entry point: flags → structs → one command function. No logic lives here.
#include <malloc.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "cli/commands.h"
#include "config/diagnostics.h"
#include "config/log.h"

namespace {

using namespace lakeinfra::cli;

/// Terraform users type single-dash long flags (-auto-approve, -out=FILE, -refresh=false);
/// accept them by turning "-name[=v]" into "--name[=v]". Short flags (-C) are left alone.
std::vector<std::string> normalise_args(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' &&
        std::isalpha(static_cast<unsigned char>(a[1]))) {
      std::string name =
          a.substr(1, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 1);
      if (name.size() > 1 &&
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos) {
        a = "-" + a;
      }
    }
    args.push_back(a);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  return args;
}

void add_plan_flags(CLI::App* cmd, PlanFlags& f, bool with_targets = true) {
  cmd->add_flag("--refresh{true},!--no-refresh", f.refresh,
                "Read every object before planning so drift shows (--refresh=false skips it)");
  if (with_targets) {
    cmd->add_option("--target", f.targets,
                    "Limit to this address and what it depends on (repeatable)")
        ->allow_extra_args(false);
  }
  cmd->add_option("--parallelism", f.parallelism, "Concurrent operations (default 10)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--lock-timeout", f.lock_timeout,
                  "How long to wait for the state lock, e.g. 30s (default 0s: fail at once)");
}

}  // namespace

int main(int argc, char** argv) {
#ifndef LAKEINFRA_MIMALLOC
  // Without mimalloc (sanitizer builds): planning a large lake makes and frees millions of small
  // objects, and the fastbin consolidation they trigger in glibc costs more than it saves.
  mallopt(M_MXFAST, 0);
#endif
  lakeinfra::config::Log::init_from_environment();
  // Line-buffered even into a pipe, so CI logs keep plan, progress and errors in order.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  CLI::App app{"lakeinfra: provision a data lake from one YAML file, Terraform-style.",
               "lakeinfra"};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  std::string chdir;
  app.add_option("-C,--chdir", chdir, "Run as if started in this directory");
  app.add_option("--config", global.config, "Lake configuration file (default lake.yaml)");
  app.add_option("--instance", global.instance,
                 "Instance to use instead of lake.instance (selects lake.<instance>.yaml)");
  app.add_flag("--no-color", global.no_color, "Plain output without colours (also NO_COLOR)");

  std::string template_name = "medallion";
  auto* init = app.add_subcommand("init", "Prepare the state; write a starter lake.yaml if none");
  init->add_option("--template", template_name, "Starter layout: medallion or enterprise");

  auto* validate = app.add_subcommand("validate", "Check the configuration (no I/O)");

  PlanFlags plan_flags;
  auto* plan = app.add_subcommand("plan", "Show what apply would change");
  add_plan_flags(plan, plan_flags);
  plan->add_option("--out", plan_flags.out, "Save the plan to FILE for `apply FILE`");
  plan->add_flag("--detailed-exitcode", plan_flags.detailed_exitcode,
                 "Exit 0 for no changes, 1 for errors, 2 for changes");
  plan->add_flag("--destroy", plan_flags.destroy, "Plan the deletion of everything in state");
  plan->add_flag("--json", plan_flags.json, "Print the plan as Terraform-shaped JSON");

  ApplyFlags apply_flags;
  auto* apply = app.add_subcommand("apply", "Make the lake match the configuration");
  add_plan_flags(apply, apply_flags.plan);
  apply->add_option("plan_file", apply_flags.plan_file, "A plan saved with `plan --out`");
  apply->add_flag("--auto-approve", apply_flags.auto_approve, "Do not ask for approval");

  ApplyFlags destroy_flags;
  auto* destroy = app.add_subcommand("destroy", "Delete everything lakeinfra manages");
  add_plan_flags(destroy, destroy_flags.plan);
  destroy->add_flag("--auto-approve", destroy_flags.auto_approve, "Do not ask for approval");

  std::string show_file;
  bool show_json = false;
  auto* show = app.add_subcommand("show", "Show the state, or a saved plan");
  show->add_option("plan_file", show_file, "A plan saved with `plan --out`");
  show->add_flag("--json", show_json, "Machine-readable (Terraform-shaped) JSON");

  auto* state = app.add_subcommand("state", "Inspect or edit the recorded state");
  state->require_subcommand(1);
  auto* state_list = state->add_subcommand("list", "List the addresses in state");
  std::string state_address;
  auto* state_show = state->add_subcommand("show", "Show one resource in state");
  state_show->add_option("address", state_address, "e.g. zone.bronze")->required();
  std::vector<std::string> rm_addresses;
  std::string rm_timeout = "0s";
  auto* state_rm = state->add_subcommand("rm", "Forget resources (the objects stay)");
  state_rm->add_option("address", rm_addresses, "Addresses to forget")->required();
  state_rm->add_option("--lock-timeout", rm_timeout, "How long to wait for the lock");

  std::string mv_from, mv_to, mv_timeout = "0s";
  auto* state_mv = state->add_subcommand("mv", "Re-address a resource (e.g. a renamed zone)");
  state_mv->add_option("source", mv_from, "Current address, e.g. zone.drop")->required();
  state_mv->add_option("destination", mv_to, "New address, e.g. zone.dropzone")->required();
  state_mv->add_option("--lock-timeout", mv_timeout, "How long to wait for the lock");

  auto* graph = app.add_subcommand("graph", "Print the resource graph in Graphviz DOT");

  std::string unlock_id;
  bool unlock_force = false;
  auto* unlock = app.add_subcommand("force-unlock", "Release a stuck state lock by its id");
  unlock->add_option("lock_id", unlock_id, "The id shown in the lock error")->required();
  unlock->add_flag("--force", unlock_force, "Do not ask for confirmation");

  auto* jobs = app.add_subcommand("jobs", "Pipeline jobs in the local registry");
  jobs->require_subcommand(1);
  bool jobs_json = false;
  std::string job_name;
  auto* jobs_list = jobs->add_subcommand("list", "List the registered jobs");
  jobs_list->add_flag("--json", jobs_json, "Machine-readable output");
  auto* jobs_show = jobs->add_subcommand("show", "Show one job: activities, artifacts, commit");
  jobs_show->add_option("name", job_name, "The job (its pipeline's name)")->required();
  jobs_show->add_flag("--json", jobs_json, "The registered definition as JSON");
  auto* jobs_run = jobs->add_subcommand(
      "run", "Run a job on this machine (DatabricksSparkPython activities, with the mounts)");
  jobs_run->add_option("name", job_name, "The job (its pipeline's name)")->required();

  auto* access = app.add_subcommand(
      "access", "Print who may read, write or administer which data (the access matrix)");
  access->require_subcommand(0, 1);
  std::string access_format = "table";
  access->add_option("--format", access_format, "table (default), csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  AccessCheckFlags check_flags;
  auto* access_check = access->add_subcommand(
      "check", "Whether ROLE may read, write or administer ZONE[/CONTAINER], and why");
  access_check->add_option("role", check_flags.role, "A role declared under roles:")->required();
  access_check->add_option("target", check_flags.target, "ZONE or ZONE/CONTAINER")->required();
  access_check->add_option("access", check_flags.access, "read, write or admin")->required();
  access_check->add_flag("--json", check_flags.json, "Machine-readable answer");

  auto* version = app.add_subcommand("version", "Print the version");

  // A mistyped subcommand ("aplly") gets a suggestion instead of CLI11's generic message.
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-C" || a == "--chdir" || a == "--config" || a == "--instance" || a == "-chdir" ||
        a == "-config" || a == "-instance") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-')
      continue;
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({}))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), a) == names.end()) {
      std::string close = lakeinfra::config::closest_match(a, names);
      std::fprintf(stderr, "Error: unknown command \"%s\"\n  hint: %s\n", a.c_str(),
                   close.empty() ? "run `lakeinfra --help` for the list of commands"
                                 : ("did you mean \"" + close + "\"?").c_str());
      return 1;
    }
    break;
  }
  try {
    app.parse(normalise_args(argc, argv));
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 1;
  }
  if (!global.instance.empty() &&
      (global.instance.size() > 63 ||
       global.instance.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
           std::string::npos ||
       global.instance.front() == '-' || global.instance.back() == '-')) {
    std::fprintf(stderr,
                 "Error: --instance \"%s\" is invalid\n  hint: an instance is 1-63 characters of "
                 "a-z, 0-9 and '-', not starting or ending with '-'\n",
                 global.instance.c_str());
    return 1;
  }
  if (!chdir.empty()) {
    std::error_code ec;
    std::filesystem::current_path(chdir, ec);
    if (ec) {
      std::fprintf(stderr, "Error: cannot change to directory %s: %s\n", chdir.c_str(),
                   ec.message().c_str());
      return 1;
    }
  }
  App ctx(global);
  if (init->parsed())
    return cmd_init(ctx, template_name);
  if (validate->parsed())
    return cmd_validate(ctx);
  if (plan->parsed())
    return cmd_plan(ctx, plan_flags);
  if (apply->parsed())
    return cmd_apply(ctx, apply_flags, /*destroy=*/false);
  if (destroy->parsed())
    return cmd_apply(ctx, destroy_flags, /*destroy=*/true);
  if (show->parsed())
    return cmd_show(ctx, show_file, show_json);
  if (state_list->parsed())
    return cmd_state_list(ctx);
  if (state_show->parsed())
    return cmd_state_show(ctx, state_address);
  if (state_rm->parsed())
    return cmd_state_rm(ctx, rm_addresses, rm_timeout);
  if (state_mv->parsed())
    return cmd_state_mv(ctx, mv_from, mv_to, mv_timeout);
  if (graph->parsed())
    return cmd_graph(ctx);
  if (unlock->parsed())
    return cmd_force_unlock(ctx, unlock_id, unlock_force);
  if (access_check->parsed())
    return cmd_access_check(ctx, check_flags);
  if (access->parsed())
    return cmd_access(ctx, access_format);
  if (jobs_list->parsed())
    return cmd_jobs_list(ctx, jobs_json);
  if (jobs_show->parsed())
    return cmd_jobs_show(ctx, job_name, jobs_json);
  if (jobs_run->parsed())
    return cmd_jobs_run(ctx, job_name);
  if (version->parsed())
    return cmd_version(ctx);
  return 1;
}
