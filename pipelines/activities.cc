// activities.json: parsing with positions (a SAX pass over a counting iterator records where
// every value starts), the pipeline contract's rules, and the dbfs:/pipelines artifact paths.
#include "pipelines/activities.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <iterator>
#include <optional>
#include <vector>

namespace lakeinfra::pipelines {

using nlohmann::json;

namespace {

/// Deeper nesting is refused by the parser and not descended into by the walks, so no input can
/// exhaust the stack. Real activity lists nest a handful of levels.
constexpr size_t kMaxDepth = 256;
constexpr std::string_view kDbfsPrefix = "dbfs:/pipelines/";
constexpr std::string_view kFile = "activities.json";

// ---------------------------------------------------------------------------------------------
// Text helpers

/// `text` with bytes that are not valid UTF-8 written as \xNN, so messages stay printable.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [&out](unsigned char c) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  };
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size() && (len == 1 || c >= 0xc2);
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (!valid) {
      hex(c);
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

/// "a string", "an object", ... for messages about a value's type.
std::string a_type(const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return std::string("a ") + value.type_name();
  }
}

/// One reference token of a JSON pointer, escaped per RFC 6901 (~ → ~0, / → ~1).
std::string escape_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Positions

/// Turns byte offsets into 1-based line and column (columns count UTF-8 code points). Offsets
/// are usually asked for in increasing order, so it walks forward from the last answer.
class PositionMap {
 public:
  PositionMap(std::string_view text, std::string file)
      : text_(text), file_(std::move(file)), bom_(text.substr(0, 3) == "\xEF\xBB\xBF") {}

  config::Location at(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < offset_) {
      offset_ = 0;
      line_ = 1;
      column_ = 1;
    }
    for (; offset_ < offset; ++offset_) {
      char c = text_[offset_];
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80 && !(bom_ && offset_ < 3)) {
        ++column_;
      }
    }
    return config::Location{file_, line_, column_};
  }

 private:
  std::string_view text_;
  std::string file_;
  bool bom_;  ///< A UTF-8 byte order mark, which editors do not show as a column.
  size_t offset_ = 0;
  int line_ = 1;
  int column_ = 1;
};

/// A forward iterator over the text that publishes how many characters the JSON lexer has
/// consumed: the lexer reads one character at a time through it, so at each SAX event the
/// counter is just past the token (one further for a number, whose end the lexer finds by
/// reading the next character).
class CountingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator() = default;
  CountingIterator(const char* p, size_t* consumed) : p_(p), consumed_(consumed) {}

  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    ++p_;
    if (consumed_)
      ++*consumed_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return p_ == other.p_; }
  bool operator!=(const CountingIterator& other) const { return p_ != other.p_; }

 private:
  const char* p_ = nullptr;
  size_t* consumed_ = nullptr;
};

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/// SAX handler recording, for every value, its JSON pointer and where it starts.
class LocationRecorder : public nlohmann::json_sax<json> {
 public:
  LocationRecorder(std::string_view text, const size_t& consumed, PositionMap& positions)
      : text_(text), consumed_(consumed), positions_(positions) {}

  std::map<std::string, config::Location> locations;
  size_t events = 0;
  /// Set when the parse stopped: the diagnostic to report.
  std::optional<config::Diagnostic> error;

  bool null() override { return value(now() - 4); }
  bool boolean(bool v) override { return value(now() - (v ? 4 : 5)); }
  bool number_integer(number_integer_t) override { return value(number_start()); }
  bool number_unsigned(number_unsigned_t) override { return value(number_start()); }
  bool number_float(number_float_t, const string_t&) override { return value(number_start()); }
  bool string(string_t&) override { return value(string_start()); }
  bool binary(binary_t&) override { return value(now()); }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    ++events;
    key_ = escape_token(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override;

 private:
  struct Frame {
    bool array;
    size_t index = 0;
    size_t parent_path_length;
  };

  size_t now() const { return consumed_; }

  /// A number token ends before the character the lexer read to find its end.
  size_t number_start() const {
    size_t end = std::min(consumed_, text_.size());
    if (end > 0 && !is_number_char(text_[end - 1]))
      --end;
    while (end > 0 && is_number_char(text_[end - 1]))
      --end;
    return end;
  }

  /// The opening quote: the closest quote before the closing one that is not escaped (inside a
  /// valid JSON string every quote is escaped).
  size_t string_start() const {
    size_t close_quote = std::min(consumed_, text_.size());
    if (close_quote == 0)
      return 0;
    for (size_t i = close_quote - 1; i-- > 0;) {
      if (text_[i] != '"')
        continue;
      size_t backslashes = 0;
      while (i >= backslashes + 1 && text_[i - backslashes - 1] == '\\')
        ++backslashes;
      if (backslashes % 2 == 0)
        return i;
    }
    return 0;
  }

  std::string pointer() const {
    if (frames_.empty())
      return {};
    const Frame& f = frames_.back();
    return path_ + "/" + (f.array ? std::to_string(f.index) : key_);
  }

  bool value(size_t start) {
    ++events;
    locations.insert_or_assign(pointer(), positions_.at(start));
    if (!frames_.empty() && frames_.back().array)
      ++frames_.back().index;
    return true;
  }

  bool open(bool array) {
    ++events;
    size_t start = now() > 0 ? now() - 1 : 0;
    std::string p = pointer();
    config::Location where = positions_.at(start);
    if (frames_.size() >= kMaxDepth) {
      error = config::Diagnostic{
          config::Severity::kError,
          std::string(kFile) + " nests deeper than " + std::to_string(kMaxDepth) + " levels",
          {},
          "an activity list needs only a few levels of [ and {",
          where,
          {}};
      return false;
    }
    locations.insert_or_assign(p, where);
    frames_.push_back(Frame{array, 0, path_.size()});
    path_ = std::move(p);
    return true;
  }

  bool close() {
    ++events;
    if (frames_.empty())
      return true;
    path_.resize(frames_.back().parent_path_length);
    frames_.pop_back();
    if (!frames_.empty() && frames_.back().array)
      ++frames_.back().index;
    return true;
  }

  std::string_view text_;
  const size_t& consumed_;
  PositionMap& positions_;
  std::vector<Frame> frames_;
  std::string path_;  ///< The pointer of the innermost open container.
  std::string key_;   ///< The last key read, escaped.
};

/// nlohmann's message without its "[json.exception...] parse error at line 1, column 4: " and
/// "syntax error while parsing value - " prefixes.
std::string useful_message(const std::string& what) {
  std::string_view m = what;
  if (m.rfind("[json.exception.", 0) == 0) {
    size_t bracket = m.find("] ");
    if (bracket != std::string_view::npos)
      m.remove_prefix(bracket + 2);
  }
  if (m.rfind("parse error", 0) == 0) {
    size_t colon = m.find(": ");
    if (colon != std::string_view::npos)
      m.remove_prefix(colon + 2);
  }
  if (m.rfind("syntax error while parsing ", 0) == 0) {
    size_t dash = m.find(" - ");
    if (dash != std::string_view::npos)
      m.remove_prefix(dash + 3);
  }
  return printable(m);
}

bool LocationRecorder::parse_error(std::size_t position, const std::string& last_token,
                                   const nlohmann::detail::exception& ex) {
  // `position` is the 1-based index of the last character read (size + 1 at the end); point at
  // the start of the offending token when the text confirms where it is.
  size_t offset = position > 0 ? position - 1 : 0;
  if (!last_token.empty() && last_token.size() <= position && position <= text_.size() &&
      text_.substr(position - last_token.size(), last_token.size()) == last_token)
    offset = position - last_token.size();
  std::string message = useful_message(ex.what());
  bool at_end = message.find("unexpected end of input") != std::string::npos;
  config::Diagnostic d{config::Severity::kError, {}, {}, {}, positions_.at(offset), {}};
  if (at_end && events == 0) {
    d.summary = std::string(kFile) + " is empty";
    d.hint =
        "write a JSON array of activities: [ {\"name\": ..., \"type\": ..., "
        "\"typeProperties\": {...}} ]";
    d.location = positions_.at(0);
    error = std::move(d);
    return false;
  }
  d.summary = std::string(kFile) + " is not valid JSON: " + message;
  size_t before = std::min(offset, text_.size());
  while (before > 0 && std::isspace(static_cast<unsigned char>(text_[before - 1])))
    --before;
  bool closing = offset < text_.size() && (text_[offset] == ']' || text_[offset] == '}');
  if (closing && before > 0 && text_[before - 1] == ',')
    d.hint = "remove the trailing comma: JSON allows none before ] or }";
  else if (at_end)
    d.hint = "check that every [ and { is closed and the file is complete";
  else if (message.find("invalid string") != std::string::npos)
    d.hint = "strings must be valid UTF-8, with control characters escaped (\\n, \\t)";
  else if (message.find("invalid literal") != std::string::npos)
    d.hint = "check for a string without quotes, or a misspelt true, false or null";
  else if (message.find("expected ':'") != std::string::npos)
    d.hint = "check for a missing colon between a key and its value";
  else if (message.find("number overflow") != std::string::npos)
    d.hint = "use a smaller number, or write it as a string";
  else
    d.hint = "check for a missing comma or quote near here";
  error = std::move(d);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Artifact paths

/// A string starting with "dbfs:/pipelines/", taken apart.
struct ArtifactPath {
  std::string pipeline;  ///< The first segment ("" when missing).
  std::string artifact;  ///< The relative path below artifacts/, when well formed.
  std::string problem;   ///< Why it is not "dbfs:/pipelines/<pipeline>/artifacts/<path>".
  bool well_formed() const { return problem.empty(); }
};

std::optional<ArtifactPath> split_artifact_path(std::string_view s) {
  if (s.rfind(kDbfsPrefix, 0) != 0)
    return std::nullopt;
  std::string_view rest = s.substr(kDbfsPrefix.size());
  std::vector<std::string_view> segments;
  for (;;) {
    size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    rest.remove_prefix(slash + 1);
  }
  ArtifactPath out;
  out.pipeline = segments[0];
  if (out.pipeline.empty()) {
    out.problem = "names no pipeline";
  } else if (segments.size() < 2 || segments[1] != "artifacts") {
    out.problem = "is not below dbfs:/pipelines/" + out.pipeline + "/artifacts/";
  } else if (segments.size() < 3 || (segments.size() == 3 && segments[2].empty())) {
    out.problem = "names no artifact";
  } else {
    for (size_t i = 2; i < segments.size(); ++i) {
      if (segments[i].empty() || segments[i] == "." || segments[i] == "..") {
        out.problem = "has an empty, \".\" or \"..\" segment";
        break;
      }
      out.artifact += (i > 2 ? "/" : "") + std::string(segments[i]);
    }
  }
  if (!out.well_formed())
    out.artifact.clear();
  return out;
}

/// Calls `visit(string, pointer)` for every string value below `value` (depth-limited).
template <typename Visit>
void walk_strings(const json& value, const std::string& pointer, size_t depth, Visit& visit) {
  if (depth > kMaxDepth)
    return;
  if (value.is_string()) {
    visit(value.get_ref<const std::string&>(), pointer);
  } else if (value.is_object()) {
    for (const auto& [k, v] : value.items())
      walk_strings(v, pointer + "/" + escape_token(k), depth + 1, visit);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      walk_strings(value[i], pointer + "/" + std::to_string(i), depth + 1, visit);
  }
}

json rewrite(const json& value, const std::string& pipeline,
             const std::function<std::string(const std::string&)>& locate, size_t depth) {
  if (value.is_string()) {
    auto path = split_artifact_path(value.get_ref<const std::string&>());
    if (path && path->well_formed() && path->pipeline == pipeline)
      return json(locate(path->artifact));
    return value;
  }
  if (depth > kMaxDepth || !value.is_structured())
    return value;
  json out = value.is_object() ? json::object() : json::array();
  if (value.is_object()) {
    for (const auto& [k, v] : value.items())
      out[k] = rewrite(v, pipeline, locate, depth + 1);
  } else {
    for (const auto& v : value)
      out.push_back(rewrite(v, pipeline, locate, depth + 1));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Checks one activity, adding every problem to `out`.
class ActivityChecker {
 public:
  ActivityChecker(const Activities& activities, const std::string& pipeline,
                  const std::string& linked_service, const std::set<std::string>& artifacts,
                  config::Diagnostics& out)
      : activities_(activities),
        pipeline_(pipeline),
        linked_service_(linked_service),
        artifacts_(artifacts),
        out_(out) {}

  /// Checks activity `index` and adds its problems to the output.
  void check(size_t index) {
    check_activity(index);
    flush();
  }

 private:
  void check_activity(size_t index) {
    const json& activity = activities_.list[index];
    base_ = "/" + std::to_string(index);
    const json* name =
        activity.is_object() && activity.contains("name") ? &activity["name"] : nullptr;
    label_ = name && name->is_string() && !name->get_ref<const std::string&>().empty()
                 ? "activity \"" + printable(name->get_ref<const std::string&>()) + "\""
                 : "activity #" + std::to_string(index + 1);
    if (!activity.is_object()) {
      error(base_, label_ + " is " + a_type(activity) + ", expected an object",
            "each activity is an object: {\"name\": ..., \"type\": ..., \"typeProperties\": "
            "{...}}");
      return;
    }
    check_name(activity, index);
    check_type(activity);
    check_type_properties(activity);
    check_linked_service(activity);
    auto visit = [this](const std::string& s, const std::string& pointer) {
      check_string(s, pointer);
    };
    walk_strings(activity, base_, 0, visit);
  }

  void error(const std::string& pointer, std::string summary, std::string hint,
             std::string detail = {}) {
    found_.push_back(config::Diagnostic{config::Severity::kError,
                                        std::move(summary),
                                        std::move(detail),
                                        std::move(hint),
                                        activities_.locate(pointer),
                                        {}});
  }

  /// Adds the activity's problems in document order (rule order where they share a place).
  void flush() {
    std::stable_sort(found_.begin(), found_.end(), [](const auto& a, const auto& b) {
      return std::pair(a.location.line, a.location.column) <
             std::pair(b.location.line, b.location.column);
    });
    for (auto& d : found_)
      out_.add(std::move(d));
    found_.clear();
  }

  void check_name(const json& activity, size_t index) {
    if (!activity.contains("name")) {
      error(base_, label_ + " has no \"name\"", "add \"name\": \"<a unique name>\"");
      return;
    }
    const json& name = activity["name"];
    if (!name.is_string()) {
      error(base_ + "/name", label_ + ": \"name\" is " + a_type(name) + ", expected a string",
            "write the name in quotes: \"name\": \"<a unique name>\"");
      return;
    }
    const auto& text = name.get_ref<const std::string&>();
    if (text.empty()) {
      error(base_ + "/name", label_ + " has an empty \"name\"", "give the activity a name");
      return;
    }
    auto [first, inserted] = first_index_.emplace(text, index);
    if (!inserted) {
      std::string earlier = activities_.locate("/" + std::to_string(first->second) + "/name").str();
      error(base_ + "/name", label_ + " is defined more than once",
            "give each activity a unique name",
            "activity #" + std::to_string(first->second + 1) + " has the same name" +
                (earlier.empty() ? "" : " (" + earlier + ")"));
    }
  }

  void check_type(const json& activity) {
    if (!activity.contains("type")) {
      error(base_, label_ + " has no \"type\"",
            "add \"type\": \"DatabricksSparkPython\" (or another Data Factory activity type)");
    } else if (!activity["type"].is_string()) {
      error(base_ + "/type",
            label_ + ": \"type\" is " + a_type(activity["type"]) + ", expected a string",
            "write the type in quotes, e.g. \"type\": \"DatabricksSparkPython\"");
    }
  }

  void check_type_properties(const json& activity) {
    if (!activity.contains("typeProperties")) {
      error(base_, label_ + " has no \"typeProperties\"", "add \"typeProperties\": {...}");
    } else if (!activity["typeProperties"].is_object()) {
      error(base_ + "/typeProperties",
            label_ + ": \"typeProperties\" is " + a_type(activity["typeProperties"]) +
                ", expected an object",
            "write \"typeProperties\": {...}");
    }
  }

  void check_linked_service(const json& activity) {
    std::string fix = "\"linkedServiceName\": {\"referenceName\": \"" + linked_service_ +
                      "\", \"type\": \"LinkedServiceReference\"}";
    if (!activity.contains("linkedServiceName")) {
      const json& type = activity.contains("type") ? activity["type"] : json();
      if (type.is_string() && type.get_ref<const std::string&>().rfind("Databricks", 0) == 0)
        error(base_,
              label_ + " of type \"" + printable(type.get_ref<const std::string&>()) +
                  "\" has no \"linkedServiceName\"",
              "add " + fix);
      return;
    }
    const std::string pointer = base_ + "/linkedServiceName";
    const json& linked = activity["linkedServiceName"];
    if (!linked.is_object()) {
      error(pointer,
            label_ + ": \"linkedServiceName\" is " + a_type(linked) + ", expected an object",
            "write " + fix);
      return;
    }
    if (!linked.contains("referenceName")) {
      error(pointer, label_ + ": \"linkedServiceName\" has no \"referenceName\"",
            "add \"referenceName\": \"" + linked_service_ + "\"");
      return;
    }
    const json& ref = linked["referenceName"];
    if (!ref.is_string()) {
      error(pointer + "/referenceName",
            label_ + ": \"linkedServiceName.referenceName\" is " + a_type(ref) +
                ", expected a string",
            "set linkedServiceName.referenceName to \"" + linked_service_ + "\"");
    } else if (ref.get_ref<const std::string&>() != linked_service_) {
      error(pointer + "/referenceName",
            label_ + " uses linked service \"" + printable(ref.get_ref<const std::string&>()) +
                "\", but this platform's is \"" + linked_service_ + "\"",
            "set linkedServiceName.referenceName to \"" + linked_service_ + "\"");
    }
  }

  void check_string(const std::string& s, const std::string& pointer) {
    auto path = split_artifact_path(s);
    if (!path)
      return;
    const std::string shown = "\"" + printable(s) + "\"";
    const std::string form = "dbfs:/pipelines/" + pipeline_ + "/artifacts/<file>";
    if (path->pipeline != pipeline_) {
      std::string own = std::string(kDbfsPrefix) + pipeline_ +
                        s.substr(kDbfsPrefix.size() + path->pipeline.size());
      error(pointer,
            label_ + " refers to " + shown + ", a path of pipeline \"" + printable(path->pipeline) +
                "\", but this is pipeline \"" + pipeline_ + "\"",
            path->well_formed() ? "use \"" + printable(own) + "\""
                                : "artifact paths look like \"" + form + "\"");
      return;
    }
    if (!path->well_formed()) {
      error(pointer, label_ + " refers to " + shown + ", which " + path->problem,
            "artifact paths look like \"" + form + "\"");
      return;
    }
    if (artifacts_.count(path->artifact))
      return;
    std::vector<std::string> produced(artifacts_.begin(), artifacts_.end());
    std::string hint;
    std::string guess = config::closest_match(path->artifact, produced);
    if (!guess.empty())
      hint = "did you mean \"" + guess + "\"? ";
    if (produced.empty()) {
      hint +=
          "the build produced no artifacts: `make artifacts` must copy the file into "
          "artifacts/";
    } else {
      constexpr size_t kShown = 10;
      std::vector<std::string> listed(produced.begin(),
                                      produced.begin() + std::min(produced.size(), kShown));
      hint += "the build produced: " + join(listed, ", ");
      if (produced.size() > kShown)
        hint += " and " + std::to_string(produced.size() - kShown) + " more";
    }
    error(pointer,
          label_ + " refers to artifact \"" + printable(path->artifact) +
              "\", which the build did not produce",
          std::move(hint));
  }

  const Activities& activities_;
  const std::string& pipeline_;
  const std::string& linked_service_;
  const std::set<std::string>& artifacts_;
  config::Diagnostics& out_;
  std::vector<config::Diagnostic> found_;      ///< The current activity's problems.
  std::map<std::string, size_t> first_index_;  ///< Activity name → first index using it.
  std::string base_;                           ///< Pointer of the current activity.
  std::string label_;                          ///< `activity "name"` or `activity #N`.
};

}  // namespace

config::Location Activities::locate(const std::string& pointer) const {
  std::string p = pointer;
  for (;;) {
    auto it = locations.find(p);
    if (it != locations.end())
      return it->second;
    if (p.empty())
      break;
    p.resize(p.rfind('/') == std::string::npos ? 0 : p.rfind('/'));
  }
  return config::Location{file, 0, 0};
}

Result<Activities> parse_activities(std::string_view text, const std::string& file) {
  try {
    PositionMap positions(text, file);
    size_t consumed = 0;
    LocationRecorder recorder(text, consumed, positions);
    CountingIterator first(text.data(), &consumed), last(text.data() + text.size(), nullptr);
    json::sax_parse(first, last, &recorder, json::input_format_t::json, /*strict=*/true,
                    /*ignore_comments=*/true);
    if (recorder.error) {
      config::Diagnostics d;
      d.add(std::move(*recorder.error));
      return fail(std::move(d));
    }

    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true,
                           /*ignore_comments=*/true);
    Activities out;
    out.file = file;
    auto root_location = [&] { return recorder.locations[""]; };
    std::string prefix;  // where the activity array is in the document
    if (doc.is_object()) {
      if (doc.contains("activities")) {
        prefix = "/activities";
      } else if (doc.contains("properties") && doc["properties"].is_object() &&
                 doc["properties"].contains("activities")) {
        prefix = "/properties/activities";
      } else {
        return fail(std::string(kFile) +
                        " is an object without \"activities\"; expected an array of activities",
                    "write [ {\"name\": ..., \"type\": ..., \"typeProperties\": {...}} ], or "
                    "{\"activities\": [...]} as Data Factory exports it",
                    root_location());
      }
      json& list = prefix == "/activities" ? doc["activities"] : doc["properties"]["activities"];
      if (!list.is_array())
        return fail("\"activities\" in " + std::string(kFile) + " is " + a_type(list) +
                        ", expected an array of activities",
                    "write \"activities\": [ {...}, ... ]", recorder.locations[prefix]);
      out.list = std::move(list);
    } else if (doc.is_array()) {
      out.list = std::move(doc);
    } else {
      return fail(std::string(kFile) + " is " + a_type(doc) + "; expected an array of activities",
                  "write [ {\"name\": ..., \"type\": ..., \"typeProperties\": {...}} ]",
                  root_location());
    }

    if (prefix.empty()) {
      out.locations = std::move(recorder.locations);
    } else {
      for (auto& [pointer, location] : recorder.locations) {
        if (pointer.rfind(prefix, 0) == 0 &&
            (pointer.size() == prefix.size() || pointer[prefix.size()] == '/'))
          out.locations.emplace(pointer.substr(prefix.size()), std::move(location));
      }
    }

    config::Diagnostics problems;
    for (size_t i = 0; i < out.list.size(); ++i) {
      if (!out.list[i].is_object())
        problems.add_error("activity #" + std::to_string(i + 1) + " is " + a_type(out.list[i]) +
                               ", expected an object",
                           out.locate("/" + std::to_string(i)),
                           "each activity is an object: {\"name\": ..., \"type\": ..., "
                           "\"typeProperties\": {...}}");
    }
    if (problems.has_errors())
      return fail(std::move(problems));
    return out;
  } catch (const std::exception& e) {
    // The SAX pass accepted the text, so this is unexpected (memory, or a parser difference).
    return fail("cannot read " + std::string(kFile) + ": " + useful_message(e.what()), {},
                config::Location{file, 0, 0});
  }
}

config::Diagnostics validate_activities(const Activities& activities, const std::string& pipeline,
                                        const std::string& linked_service,
                                        const std::set<std::string>& artifacts) {
  config::Diagnostics out;
  if (!activities.list.is_array()) {
    out.add_error("the activity list is " + a_type(activities.list) + ", expected an array",
                  activities.locate(""));
    return out;
  }
  try {
    ActivityChecker checker(activities, pipeline, linked_service, artifacts, out);
    for (size_t i = 0; i < activities.list.size(); ++i)
      checker.check(i);
  } catch (const std::exception& e) {
    out.add_error("cannot check " + std::string(kFile) + ": " + e.what(), activities.locate(""));
  }
  return out;
}

std::set<std::string> referenced_artifacts(const Activities& activities,
                                           const std::string& pipeline) {
  std::set<std::string> out;
  auto visit = [&](const std::string& s, const std::string&) {
    auto path = split_artifact_path(s);
    if (path && path->well_formed() && path->pipeline == pipeline)
      out.insert(path->artifact);
  };
  walk_strings(activities.list, "", 0, visit);
  return out;
}

json rewrite_artifact_paths(const json& list, const std::string& pipeline,
                            const std::function<std::string(const std::string&)>& locate) {
  return rewrite(list, pipeline, locate, 0);
}

}  // namespace lakeinfra::pipelines
