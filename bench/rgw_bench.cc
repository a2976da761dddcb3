// The S3 scenarios of bench/bench.h (issue 6): `lakeinfra apply` of a lake on Ceph RGW from
// empty, next to two baselines measured in the same run that send the same writes:
//  - "awscli loop": a bash script running Debian's awscli once per request, as a user would;
//  - "curl keep-alive floor": one curl process sending every request, signed in advance with the
//    project's SigV4 signer, over one kept-alive connection.
//
// What lakeinfra's apply writes (providers/s3/s3_provider.cc, create()):
//  - a zone:      CreateBucket (PUT /BUCKET; a LocationConstraint body outside us-east-1), then
//                 PutBucketTagging (PUT /BUCKET?tagging, the four lakeinfra:* tags as XML with
//                 Content-MD5); PutBucketVersioning only when the zone sets versioning, which
//                 the benchmark lake does not. (It also reads GetBucketTagging and
//                 GetBucketVersioning first; the baselines send only the writes.)
//  - a container: PutObject of the zero-byte marker "NAME/" (PUT /BUCKET/NAME/).
// Every run starts from empty and is checked afterwards, untimed: each bucket exists with the
// lakeinfra tags and exactly the expected markers, so a baseline whose requests silently failed
// cannot pass for fast. Buckets are then removed (untimed).

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/bench.h"
#include "config/system.h"
#include "providers/http/curl_client.h"
#include "providers/s3/s3_client.h"
#include "providers/s3/s3_xml.h"
#include "providers/s3/sigv4.h"
#include "tests/support/process.h"
#include "tests/support/rgw_env.h"

namespace lakeinfra::bench {
namespace {

namespace s3 = providers::s3;
namespace fs = std::filesystem;
using test_support::RgwEnv;

constexpr const char* kInstance = "b1";
constexpr const char* kCurl = "/usr/bin/curl";

/// The buckets and markers of one run, read back from the lake.yaml text that lake_yaml()
/// wrote, so the baselines send exactly what the lake declares: zone Z is bucket
/// "{lake}-b1-Z" (lake_yaml's naming) tagged with Z's tier, holding one marker "C/" per
/// container C.
struct Workload {
  struct Zone {
    std::string name;
    std::string tier;
    std::vector<std::string> containers;
  };
  std::string lake;
  std::vector<Zone> zones;

  std::string bucket(const Zone& z) const { return lake + "-" + kInstance + "-" + z.name; }
  static std::string marker(const std::string& container) { return container + "/"; }
  s3::Tags tags(const Zone& z) const {
    return {{"lakeinfra:lake", lake},
            {"lakeinfra:zone", z.name},
            {"lakeinfra:tier", z.tier},
            {"lakeinfra:managed-by", "lakeinfra"}};
  }
  int requests() const {
    int n = 0;
    for (const auto& z : zones)
      n += 2 + static_cast<int>(z.containers.size());
    return n;
  }
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r'))
    s.pop_back();
  size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : s.substr(start);
}

/// The zones of lake_yaml()'s text: "  - name: Z", "    tier: T", "    containers: [a, b]"
/// under "zones:" (the roles that may follow are not read; the benchmark lake has none).
Workload parse_workload(const std::string& lake, const std::string& yaml) {
  Workload w{lake, {}};
  std::istringstream in(yaml);
  bool in_zones = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != ' ') {
      in_zones = line.rfind("zones:", 0) == 0;
      continue;
    }
    if (!in_zones)
      continue;
    const std::string text = trim(line);
    if (text.rfind("- name: ", 0) == 0) {
      w.zones.push_back({trim(text.substr(8)), "", {}});
    } else if (text.rfind("tier: ", 0) == 0 && !w.zones.empty()) {
      w.zones.back().tier = trim(text.substr(6));
    } else if (text.rfind("containers: [", 0) == 0 && !w.zones.empty()) {
      std::string list = text.substr(13);
      list = list.substr(0, list.find(']'));
      std::istringstream items(list);
      for (std::string item; std::getline(items, item, ',');) {
        if (!trim(item).empty())
          w.zones.back().containers.push_back(trim(item));
      }
    }
  }
  return w;
}

RgwEnv load_env(const fs::path& file) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("cannot read the RGW env file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto env = test_support::parse_rgw_env(text.str());
  if (!env)
    throw std::runtime_error(file.string() + ": " + env.error());
  return *env;
}

/// `argv` run through env(1) without the AWS variables of the developer's shell (measure() can
/// only add variables): the children reach the test RGW as the s3.env user and nothing else.
std::vector<std::string> clean_argv(const std::vector<std::string>& argv) {
  std::vector<std::string> out = {"/usr/bin/env"};
  for (const auto& name : test_support::foreign_aws_variables()) {
    out.push_back("-u");
    out.push_back(name);
  }
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush())
    throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Single-quoted for bash.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Double-quoted for a curl config file (backslash and quote escaped).
std::string curl_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string create_bucket_body(const std::string& region) {
  if (region == "us-east-1")
    return {};
  return "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<LocationConstraint>" +
         region + "</LocationConstraint></CreateBucketConfiguration>";
}

/// The project's S3 client on the test RGW, for the untimed checks and clean-ups.
class Rgw {
 public:
  explicit Rgw(const RgwEnv& env) {
    s3::S3ClientConfig config;
    config.endpoint = env.endpoint;
    config.region = env.region;
    config.addressing = s3::Addressing::kPath;
    auto client = s3::S3Client::create(
        http_, s3::Credentials{env.access_key, env.secret_key, env.session_token}, config, clock_);
    if (!client)
      throw std::runtime_error("cannot make an S3 client for " + env.endpoint);
    client_ = std::move(*client);
  }

  /// Throws unless every bucket of `w` exists with the lakeinfra tags and exactly its markers
  /// (zero bytes each).
  void verify(const Workload& w, const std::string& who) {
    for (const auto& z : w.zones) {
      const std::string bucket = w.bucket(z);
      auto tags = client_->get_bucket_tagging(bucket);
      if (!tags)
        throw std::runtime_error(who + ": " + tags.error().str());
      if (*tags != w.tags(z))
        throw std::runtime_error(who + ": bucket " + bucket + " lacks the lakeinfra tags");
      std::set<std::string> want;
      for (const auto& c : z.containers)
        want.insert(Workload::marker(c));
      std::set<std::string> got;
      for (const auto& o : list(bucket, who)) {
        if (o.size != 0)
          throw std::runtime_error(who + ": " + bucket + "/" + o.key + " is not a marker");
        got.insert(o.key);
      }
      if (got != want) {
        throw std::runtime_error(who + ": bucket " + bucket + " holds " +
                                 std::to_string(got.size()) + " objects, not the " +
                                 std::to_string(want.size()) + " markers");
      }
    }
  }

  /// Deletes the buckets of `w` and what they hold; those that do not exist are skipped.
  void remove(const Workload& w, const std::string& who) {
    for (const auto& z : w.zones) {
      const std::string bucket = w.bucket(z);
      auto exists = client_->head_bucket(bucket);
      if (!exists)
        throw std::runtime_error(who + " clean-up: " + exists.error().str());
      if (!*exists)
        continue;
      std::vector<s3::ObjectId> doomed;
      for (const auto& o : list(bucket, who + " clean-up"))
        doomed.push_back({o.key, ""});
      for (size_t i = 0; i < doomed.size(); i += 1000) {
        std::vector<s3::ObjectId> batch(
            doomed.begin() + static_cast<long>(i),
            doomed.begin() + static_cast<long>(std::min(doomed.size(), i + 1000)));
        auto gone = client_->delete_objects(bucket, batch);
        if (!gone)
          throw std::runtime_error(who + " clean-up: " + gone.error().str());
        if (!gone->errors.empty())
          throw std::runtime_error(who + " clean-up: cannot delete objects of " + bucket);
      }
      auto deleted = client_->delete_bucket(bucket);
      if (!deleted)
        throw std::runtime_error(who + " clean-up: " + deleted.error().str());
    }
  }

  /// Whether no bucket of `w` is left.
  bool none_left(const Workload& w) {
    for (const auto& z : w.zones) {
      auto exists = client_->head_bucket(w.bucket(z));
      if (!exists || *exists)
        return false;
    }
    return true;
  }

 private:
  std::vector<s3::ObjectSummary> list(const std::string& bucket, const std::string& who) {
    std::vector<s3::ObjectSummary> all;
    s3::ListObjectsRequest request;
    for (;;) {
      auto page = client_->list_objects_v2(bucket, request);
      if (!page)
        throw std::runtime_error(who + ": " + page.error().str());
      all.insert(all.end(), page->objects.begin(), page->objects.end());
      if (!page->truncated)
        return all;
      request.continuation_token = page->next_continuation_token;
    }
  }

  providers::http::CurlClient http_;
  config::SystemClock clock_;
  std::unique_ptr<s3::S3Client> client_;
};

/// Runs `body`; if it throws, removes what the run may have left (best effort) and rethrows.
template <typename F, typename C>
Sample cleaning_on_failure(F body, C cleanup) {
  try {
    return body();
  } catch (...) {
    try {
      cleanup();
    } catch (const std::exception& e) {
      std::cerr << "rgw bench: clean-up after a failure failed too: " << e.what() << "\n";
    }
    throw;
  }
}

struct Context {
  const RgwOptions& options;
  RgwEnv env;
  Rgw& rgw;
  /// A lake of its own for one run (RGW bucket names are global): lake_yaml()'s text of
  /// `buckets` zones of prefixes/buckets containers on the RGW, and what it declares.
  std::pair<std::string, Workload> lake(std::string_view prefix) const {
    return lake(prefix, options.buckets);
  }
  /// The same with `buckets` buckets (and as many prefixes per bucket).
  std::pair<std::string, Workload> lake(std::string_view prefix, int buckets) const {
    LakeShape shape;
    shape.zones = buckets;
    shape.containers_per_zone = options.prefixes / options.buckets;
    shape.lake = test_support::unique_lake_name(prefix);
    shape.instance = kInstance;
    shape.storage = "storage: {provider: s3, endpoint: \"" + env.endpoint +
                    "\", region: " + env.region + ", addressing: path}";
    std::string yaml = lake_yaml(shape);
    Workload w = parse_workload(shape.lake, yaml);
    if (static_cast<int>(w.zones.size()) != shape.zones ||
        w.requests() != shape.zones * 2 + shape.zones * shape.containers_per_zone)
      throw std::runtime_error("rgw bench: cannot read back the zones of the generated lake.yaml");
    return {std::move(yaml), std::move(w)};
  }
};

// --- 1. lakeinfra apply ------------------------------------------------------------------------

Sample lakeinfra_run(const Context& ctx, const fs::path& dir) {
  const auto lake = ctx.lake("la");
  const Workload& w = lake.second;
  fs::create_directories(dir);
  write_file(dir / "lake.yaml", lake.first);
  const auto env = ctx.env.aws_environment();
  const std::string binary = ctx.options.lakeinfra.string();
  auto destroy = [&] { measure(clean_argv({binary, "destroy", "--auto-approve"}), dir, env); };
  return cleaning_on_failure(
      [&] {
        Sample s = measure(clean_argv({binary, "apply", "--auto-approve"}), dir, env);
        ctx.rgw.verify(w, "lakeinfra apply");
        destroy();
        if (!ctx.rgw.none_left(w))
          throw std::runtime_error("lakeinfra destroy left buckets of " + w.lake);
        return s;
      },
      [&] {
        try {
          destroy();
        } catch (const std::exception&) {
        }
        ctx.rgw.remove(w, "lakeinfra");
      });
}

// --- 2. awscli loop ----------------------------------------------------------------------------

std::string tagging_json(const s3::Tags& tags) {
  std::string json = "{\"TagSet\":[";
  bool first = true;
  for (const auto& [k, v] : tags) {
    json += std::string(first ? "" : ",") + "{\"Key\":\"" + k + "\",\"Value\":\"" + v + "\"}";
    first = false;
  }
  return json + "]}";
}

std::string awscli_script(const Context& ctx, const Workload& w) {
  std::ostringstream sh;
  sh << "#!/bin/bash\n"
     << "# The writes of `lakeinfra apply`, one awscli call per request.\n"
     << "set -euo pipefail\n"
     << "aws() { " << test_support::kDebianAws << " --endpoint-url "
     << shell_quote(ctx.env.endpoint) << " --output json \"$@\" >/dev/null; }\n";
  const std::string location =
      ctx.env.region == "us-east-1"
          ? ""
          : " --create-bucket-configuration LocationConstraint=" + ctx.env.region;
  for (const auto& z : w.zones) {
    const std::string b = w.bucket(z);
    sh << "aws s3api create-bucket --bucket " << b << location << "\n"
       << "aws s3api put-bucket-tagging --bucket " << b << " --tagging "
       << shell_quote(tagging_json(w.tags(z))) << "\n";
    for (const auto& c : z.containers)
      sh << "aws s3api put-object --bucket " << b << " --key " << Workload::marker(c) << "\n";
  }
  return sh.str();
}

// On a sample of `buckets` buckets (with their prefixes); see RgwOptions::awscli_sample.
Sample awscli_run(const Context& ctx, const fs::path& dir, int buckets) {
  const Workload w = ctx.lake("aw", buckets).second;
  fs::create_directories(dir);
  write_file(dir / "apply.sh", awscli_script(ctx, w));
  return cleaning_on_failure(
      [&] {
        // Each awscli call starts Python: seconds apiece on a busy machine, so the default
        // 30-minute limit is too short for the full size.
        const auto limit = std::chrono::seconds(1800 + 15 * w.requests());
        Sample s =
            measure(clean_argv({"/bin/bash", "apply.sh"}), dir, ctx.env.aws_environment(), limit);
        ctx.rgw.verify(w, "awscli loop");
        ctx.rgw.remove(w, "awscli loop");
        return s;
      },
      [&] { ctx.rgw.remove(w, "awscli loop"); });
}

// --- 3. curl keep-alive floor ------------------------------------------------------------------

/// One request of the curl config: method PUT, signed now, body from `body_file` (or empty).
void add_curl_request(std::ostream& cfg, const Context& ctx, const std::string& timestamp,
                      const std::string& path, std::vector<s3::NameValue> query,
                      std::vector<s3::NameValue> headers, const std::string& body,
                      const fs::path& body_file, bool first) {
  const std::string host = ctx.env.host + ":" + std::to_string(ctx.env.port);
  s3::Request request;
  request.method = "PUT";
  request.path = path;
  request.query = std::move(query);
  request.headers = {{"Host", host}};
  request.headers.insert(request.headers.end(), headers.begin(), headers.end());
  request.payload_sha256 = s3::sha256_hex(body);
  auto auth = s3::authorization_headers(
      request, s3::Credentials{ctx.env.access_key, ctx.env.secret_key, ctx.env.session_token},
      ctx.env.region, "s3", timestamp);
  if (!auth)
    throw std::runtime_error("cannot sign PUT " + path);
  if (!first)
    cfg << "next\n";
  std::string url = ctx.env.endpoint + s3::canonical_uri(path, s3::UriMode::kS3);
  const std::string q = s3::canonical_query(request.query);
  if (!q.empty())
    url += "?" + q;
  cfg << "url = " << curl_quote(url) << "\n"
      << "request = \"PUT\"\n"
      << "fail\n"
      << "output = \"/dev/null\"\n"
      << "write-out = \"%{http_code} %{num_connects}\\n\"\n";
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    has_content_type = has_content_type || name == "Content-Type";
    cfg << "header = " << curl_quote(name + ": " + value) << "\n";
  }
  if (!has_content_type)  // curl would add application/x-www-form-urlencoded for the body
    cfg << "header = \"Content-Type:\"\n";
  for (const auto& [name, value] : auth->headers)
    cfg << "header = " << curl_quote(name + ": " + value) << "\n";
  if (body.empty())
    cfg << "data-binary = \"\"\n";
  else
    cfg << "data-binary = " << curl_quote("@" + body_file.string()) << "\n";
}

std::string curl_config(const Context& ctx, const Workload& w, const fs::path& dir) {
  const std::string timestamp = s3::amz_timestamp(std::chrono::system_clock::now());
  std::ostringstream cfg;
  cfg << "# The writes of `lakeinfra apply`, signed in advance, over one connection.\n"
      << "silent\n"
      << "show-error\n"
      << "fail-early\n"
      << "noproxy = \"*\"\n";
  const std::string create_body = create_bucket_body(ctx.env.region);
  const fs::path create_file = dir / "create-bucket.xml";
  if (!create_body.empty())
    write_file(create_file, create_body);
  bool first = true;
  int zone_index = 0;
  for (const auto& z : w.zones) {
    const std::string b = w.bucket(z);
    std::vector<s3::NameValue> create_headers;
    if (!create_body.empty())
      create_headers.emplace_back("Content-Type", "application/xml");
    add_curl_request(cfg, ctx, timestamp, "/" + b, {}, create_headers, create_body, create_file,
                     first);
    first = false;
    const std::string tagging = s3::tagging_xml(w.tags(z));
    const fs::path tagging_file = dir / ("tagging-" + std::to_string(zone_index++) + ".xml");
    write_file(tagging_file, tagging);
    add_curl_request(
        cfg, ctx, timestamp, "/" + b, {{"tagging", ""}},
        {{"Content-Type", "application/xml"}, {"Content-MD5", s3::content_md5(tagging)}}, tagging,
        tagging_file, false);
    for (const auto& c : z.containers)
      add_curl_request(cfg, ctx, timestamp, "/" + b + "/" + Workload::marker(c), {}, {}, "", {},
                       false);
  }
  return cfg.str();
}

/// Throws unless curl wrote one 2xx status per request; returns how many connections it opened.
int check_curl_statuses(const std::string& written, int requests) {
  std::istringstream in(written);
  int count = 0;
  int connects = 0;
  int status = 0;
  int connected = 0;
  while (in >> status >> connected) {
    ++count;
    connects += connected;
    if (status < 200 || status > 299)
      throw std::runtime_error("curl floor: request " + std::to_string(count) + " got HTTP " +
                               std::to_string(status));
  }
  if (count != requests)
    throw std::runtime_error("curl floor: " + std::to_string(count) + " responses for " +
                             std::to_string(requests) + " requests");
  return connects;
}

Sample curl_run(const Context& ctx, const fs::path& dir) {
  const Workload w = ctx.lake("cu").second;
  fs::create_directories(dir);
  write_file(dir / "requests.curl", curl_config(ctx, w, dir));
  return cleaning_on_failure(
      [&] {
        // exec: the shell only redirects curl's per-request statuses to a file, then is curl.
        Sample s =
            measure({"/bin/sh", "-c",
                     "exec " + std::string(kCurl) + " --config requests.curl > statuses.txt"},
                    dir);
        int connects = check_curl_statuses(read_file(dir / "statuses.txt"), w.requests());
        if (connects != 1) {
          std::cerr << "rgw bench: the curl floor opened " << connects << " connections for "
                    << w.requests() << " requests\n";
        }
        ctx.rgw.verify(w, "curl floor");
        ctx.rgw.remove(w, "curl floor");
        return s;
      },
      [&] { ctx.rgw.remove(w, "curl floor"); });
}

}  // namespace

std::vector<Figure> rgw_figures(const RgwOptions& options) {
  if (options.buckets < 1 || options.prefixes < 0 || options.runs < 1 ||
      options.prefixes % options.buckets != 0) {
    throw std::invalid_argument(
        "rgw bench: need buckets >= 1, runs >= 1 and prefixes a multiple of buckets (got " +
        std::to_string(options.buckets) + " buckets, " + std::to_string(options.prefixes) +
        " prefixes, " + std::to_string(options.runs) + " runs)");
  }
  if (!fs::exists(options.lakeinfra))
    throw std::runtime_error("rgw bench: no lakeinfra binary at " + options.lakeinfra.string());
  const RgwEnv env = load_env(options.rgw_env);
  Rgw rgw(env);
  Context ctx{options, env, rgw};
  const fs::path work =
      options.work_dir.empty()
          ? fs::temp_directory_path() / ("lakebench-rgw-" + std::to_string(::getpid()))
          : options.work_dir / "rgw";
  fs::create_directories(work);

  std::vector<Sample> lakeinfra, awscli, curl;
  for (int run = 0; run < options.runs; ++run) {
    const std::string n = std::to_string(run);
    std::cerr << "rgw bench: run " << run + 1 << "/" << options.runs << ": lakeinfra apply"
              << std::flush;
    lakeinfra.push_back(lakeinfra_run(ctx, work / ("lakeinfra-" + n)));
    std::cerr << " " << lakeinfra.back().seconds << " s; curl floor" << std::flush;
    curl.push_back(curl_run(ctx, work / ("curl-" + n)));
    std::cerr << " " << curl.back().seconds << " s\n";
  }
  // awscli starts a Python process per request (about a second each here): one run, on a
  // sample of the buckets, scaled by the ratio of requests (its cost is linear in them).
  const int sample_buckets = std::max(1, options.buckets / std::max(1, options.awscli_sample));
  const double scale = static_cast<double>(options.buckets) / sample_buckets;
  std::cerr << "rgw bench: awscli loop on " << sample_buckets << " of " << options.buckets
            << " buckets" << std::flush;
  Sample aws = awscli_run(ctx, work / "awscli", sample_buckets);
  std::cerr << " " << aws.seconds << " s (× " << scale << ")\n";
  aws.seconds *= scale;
  awscli.push_back(aws);
  std::error_code ignored;
  fs::remove_all(work, ignored);

  const std::string size = std::to_string(options.buckets) + " buckets + " +
                           std::to_string(options.prefixes) + " prefixes";
  Figure vs_awscli;
  vs_awscli.scenario = "apply (RGW)";
  vs_awscli.size = size;
  vs_awscli.samples = lakeinfra;
  vs_awscli.baseline_name = scale == 1 ? std::string("awscli loop")
                                       : "awscli loop (on " + std::to_string(sample_buckets) +
                                             " buckets, scaled ×" +
                                             std::to_string(static_cast<int>(scale)) + ")";
  vs_awscli.baseline = awscli;
  vs_awscli.target = "≥ 15× faster than awscli";
  vs_awscli.met = vs_awscli.baseline_median_seconds() / vs_awscli.median_seconds() >= 15;

  Figure vs_curl = vs_awscli;
  vs_curl.baseline_name = "curl keep-alive floor";
  vs_curl.baseline = curl;
  vs_curl.target = "≤ 1.5× curl floor";
  vs_curl.met = vs_curl.median_seconds() / vs_curl.baseline_median_seconds() <= 1.5;
  return {vs_awscli, vs_curl};
}

}  // namespace lakeinfra::bench
