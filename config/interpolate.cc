#include "config/interpolate.h"

namespace lakeinfra::config {
namespace {

const char kSyntaxHint[] = "write ${env:NAME} or ${env:NAME:-default}; write $${ for a literal ${";

bool valid_variable_name(const std::string& name) {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> interpolate(const std::string& text, Environment& env,
                                       const Location& location, Diagnostics& diags) {
  std::string out;
  bool ok = true;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      diags.add_error("malformed interpolation \"" + text.substr(i) + "\": missing \"}\"", location,
                      kSyntaxHint);
      return std::nullopt;
    }
    std::string whole = text.substr(i, close + 1 - i);
    std::string body = text.substr(i + 2, close - i - 2);
    i = close + 1;
    if (body.rfind("env:", 0) != 0) {
      diags.add_error("malformed interpolation \"" + whole + "\"", location, kSyntaxHint);
      ok = false;
      continue;
    }
    std::string name = body.substr(4);
    std::optional<std::string> fallback;
    if (size_t dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name.resize(dash);
    }
    if (name.empty()) {
      diags.add_error("malformed interpolation \"" + whole + "\": the variable name is missing",
                      location, kSyntaxHint);
      ok = false;
      continue;
    }
    if (!valid_variable_name(name)) {
      diags.add_error(
          "malformed interpolation \"" + whole + "\": \"" + name + "\" is not a variable name",
          location, kSyntaxHint);
      ok = false;
      continue;
    }
    std::optional<std::string> value = env.get(name);
    if (fallback && (!value || value->empty()))
      value = fallback;
    if (!value) {
      diags.add_error("environment variable \"" + name + "\" is not set", location,
                      "set it, or give a default: ${env:" + name + ":-value}");
      ok = false;
      continue;
    }
    out += *value;
  }
  if (!ok)
    return std::nullopt;
  return out;
}

void interpolate_tree(YamlNode& node, Environment& env, Diagnostics& diags) {
  switch (node.kind) {
    case YamlNode::Kind::kScalar:
      if (node.scalar.find('$') != std::string::npos) {
        if (auto value = interpolate(node.scalar, env, node.location, diags)) {
          node.scalar = *value;
        } else {
          node.failed = true;
        }
      }
      break;
    case YamlNode::Kind::kList:
      for (auto& item : node.items)
        interpolate_tree(item, env, diags);
      break;
    case YamlNode::Kind::kMap:
      for (auto& entry : node.entries)
        interpolate_tree(entry.value, env, diags);
      break;
    case YamlNode::Kind::kNull:
      break;
  }
}

}  // namespace lakeinfra::config
