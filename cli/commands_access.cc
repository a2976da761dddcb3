// access and access check: the governance model of the configuration, answered by the one
// evaluation function (config/access.h). Neither reads state nor touches storage.
#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "config/access.h"

namespace lakeinfra::cli {
namespace {

std::string names_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// "did you mean ...? " plus the list of what exists.
std::string choices_hint(const std::string& wrong, const std::vector<std::string>& names,
                         const std::string& what) {
  std::string hint;
  if (std::string close = config::closest_match(wrong, names); !close.empty())
    hint = "did you mean \"" + close + "\"? ";
  if (names.empty())
    return hint + "the configuration declares no " + what;
  return hint + "declared " + what + ": " + names_list(names);
}

// CSV field quoting (RFC 4180): only when needed.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

nlohmann::json matrix_json(const config::Lake& lake, const config::AccessMatrix& m) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : m.columns)
    columns.push_back({{"zone", c.zone}, {"container", c.container}, {"tier", c.tier}});
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& row : m.rows) {
    nlohmann::json access = nlohmann::json::object();
    for (size_t i = 0; i < m.columns.size(); ++i) {
      if (row.cells[i])
        access[m.columns[i].label()] = config::access_name(*row.cells[i]);
    }
    roles.push_back({{"name", row.role->name},
                     {"physical_name", row.role->physical_name},
                     {"description", row.role->description},
                     {"clearance", row.role->clearance},
                     {"phi", row.role->phi},
                     {"principals", row.role->principals},
                     {"access", access}});
  }
  return {
      {"tiers", lake.tiers}, {"phi_tier", lake.phi_tier}, {"columns", columns}, {"roles", roles}};
}

void print_table(App& app, const config::AccessMatrix& m) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"ROLE", "CLEARANCE", "PHI"};
  std::vector<std::string> tiers = {"", "", ""};
  for (const auto& c : m.columns) {
    header.push_back(c.label());
    tiers.push_back(c.tier);
  }
  for (const auto& row : m.rows) {
    std::vector<std::string> cells = {row.role->name, row.role->clearance,
                                      row.role->phi ? "yes" : "no"};
    for (const auto& cell : row.cells)
      cells.push_back(config::access_letter(cell));
    rows.push_back(std::move(cells));
  }
  std::vector<size_t> width(header.size(), 0);
  auto widen = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i)
      width[i] = std::max(width[i], cells[i].size());
  };
  widen(header);
  widen(tiers);
  for (const auto& r : rows)
    widen(r);
  auto join = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string cell = cells[i];
      if (i + 1 < cells.size())
        cell += std::string(width[i] - cells[i].size() + 2, ' ');
      out += cell;
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out;
  };
  app.render.line(app.render.bold(join(header)));
  tiers[0] = "(tier)";
  app.render.line(join(tiers));
  for (const auto& r : rows)
    app.render.line(join(r));
  app.render.line("");
  app.render.line("R read · W write (and read) · A admin (and write) · - no access");
}

/// One error diagnostic, for app.report().
config::Diagnostics error(std::string summary, std::string hint) {
  return fail(std::move(summary), std::move(hint)).value();
}

}  // namespace

int cmd_access(App& app, const std::string& format) {
  auto lake = app.load_config();
  if (!lake)
    return app.report(lake.error());
  config::AccessMatrix m = config::access_matrix(*lake);
  if (format == "json") {
    std::printf("%s\n", matrix_json(*lake, m).dump(2).c_str());
    return 0;
  }
  if (format == "csv") {
    std::string line = "role,clearance,phi";
    for (const auto& c : m.columns)
      line += "," + csv_field(c.label());
    std::printf("%s\n", line.c_str());
    for (const auto& row : m.rows) {
      line = csv_field(row.role->name) + "," + csv_field(row.role->clearance) + "," +
             (row.role->phi ? "true" : "false");
      for (const auto& cell : row.cells)
        line += std::string(",") + config::access_letter(cell);
      std::printf("%s\n", line.c_str());
    }
    return 0;
  }
  if (m.rows.empty()) {
    app.render.line("No roles are declared: add them under `roles:` in " +
                    lake->config_path.filename().string() + ".");
    return 0;
  }
  print_table(app, m);
  return 0;
}

int cmd_access_check(App& app, const AccessCheckFlags& flags) {
  auto lake = app.load_config();
  if (!lake)
    return app.report(lake.error());
  auto access = config::parse_access(flags.access);
  if (!access) {
    return app.report(error("unknown access \"" + flags.access + "\"",
                            "ask for read, write or admin, e.g. `lakeinfra access check analyst "
                            "gold/curated read`"));
  }
  const config::Role* role = lake->find_role(flags.role);
  if (!role) {
    std::vector<std::string> names;
    for (const auto& r : lake->roles)
      names.push_back(r.name);
    return app.report(error("no role \"" + flags.role + "\" is declared",
                            choices_hint(flags.role, names, "roles")));
  }
  std::string zone = flags.target;
  std::string container;
  if (auto slash = flags.target.find('/'); slash != std::string::npos) {
    zone = flags.target.substr(0, slash);
    container = flags.target.substr(slash + 1);
  }
  const config::Zone* z = lake->find_zone(zone);
  if (!z) {
    std::vector<std::string> names;
    for (const auto& each : lake->zones)
      names.push_back(each.name);
    return app.report(
        error("no zone \"" + zone + "\" is declared", choices_hint(zone, names, "zones")));
  }
  if (!container.empty() &&
      std::none_of(z->containers.begin(), z->containers.end(),
                   [&](const config::Container& c) { return c.name == container; })) {
    std::vector<std::string> names;
    for (const auto& c : z->containers)
      names.push_back(c.name);
    return app.report(error("zone \"" + zone + "\" has no container \"" + container + "\"",
                            choices_hint(container, names, "containers of " + zone)));
  }

  config::AccessDecision d = config::evaluate_access(*lake, *role, zone, container, *access);
  if (flags.json) {
    nlohmann::json out = {
        {"role", role->name},   {"target", flags.target}, {"access", config::access_name(*access)},
        {"allowed", d.allowed}, {"tier", d.tier},         {"reason", d.reason}};
    if (d.grant) {
      out["grant"] = {{"zone", d.grant->zone},
                      {"container", d.grant->container},
                      {"access", config::access_name(d.grant->access)},
                      {"location", shown_location(d.grant->location)}};
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else if (d.allowed) {
    app.render.line(app.render.green(app.render.bold("allowed")) + ": " + d.reason);
  } else {
    app.render.line(app.render.red(app.render.bold("denied")) + ": " + d.reason);
  }
  return d.allowed ? 0 : 2;
}

}  // namespace lakeinfra::cli
