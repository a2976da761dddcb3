#pragma once

#include <tl/expected.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/resource.h"

namespace lakeinfra::providers {

/// Why a provider call failed. The executor decides on retries and messages from the kind.
enum class FailureKind {
  kInvalid,    ///< The request can never succeed as given (bad name, path escapes the root).
  kNotFound,   ///< The object (or its parent) does not exist.
  kConflict,   ///< Something in the way: a file where a directory should be, a non-empty zone.
  kAuth,       ///< Credentials refused.
  kTransient,  ///< May succeed if retried (timeouts, throttling).
  kInternal,   ///< Anything else (I/O error).
};

const char* failure_kind_name(FailureKind kind);

/// A typed failure plus what the provider knows of the object afterwards, if anything.
struct Failure {
  FailureKind kind = FailureKind::kInternal;
  std::string
      message;  ///< Names the operation and the object, e.g. "mkdir /lake/x: Permission denied".
  std::optional<config::Attributes> known;
};

template <typename T>
using ProviderResult = tl::expected<T, Failure>;

/// What read() finds of a real object.
struct Observed {
  /// Attributes the provider can observe (e.g. tier from the zone's marker file). Attributes it
  /// cannot observe (state-only settings like force_destroy) are absent.
  config::Attributes attributes = config::Attributes::object();
  /// True when the object exists but lakeinfra's marker is missing or unreadable (made by hand).
  bool unmanaged = false;
};

/// One object for read_many(): its type and physical id, as read() takes them. The strings must
/// outlive the call.
struct ReadRequest {
  const std::string* type = nullptr;
  const std::string* provider_id = nullptr;
};

/// A storage or IAM backend. Implementations are thread-safe: the executor calls them from
/// several workers at once, for different resources.
class Provider {
 public:
  virtual ~Provider() = default;

  /// Provider kind as written in the config and recorded in state: "local", "s3".
  virtual std::string kind() const = 0;
  /// Whether this provider manages resources of `type`.
  virtual bool manages(const std::string& type) const = 0;
  /// A human form of a physical id (an absolute path, an s3:// URL) for plans and messages.
  virtual std::string describe(const std::string& type, const std::string& provider_id) const = 0;

  /// Reads the real object. Returns nullopt when it does not exist. Cheap: it never walks the
  /// object's data (refresh calls it for every resource).
  virtual ProviderResult<std::optional<Observed>> read(const std::string& type,
                                                       const std::string& provider_id) = 0;
  /// read() of each request, in order, with up to `parallelism` calls at once: what refresh
  /// calls, so that a provider can share work between objects (the local provider opens each
  /// zone once and reads only the markers that changed since the last refresh). Each answer is
  /// the one read() would give. This default runs read() on a pool of `parallelism` threads.
  virtual std::vector<ProviderResult<std::optional<Observed>>> read_many(
      const std::vector<ReadRequest>& requests, int parallelism);
  /// How many data entries (files, objects) the object holds, not counting lakeinfra's own
  /// markers nor the objects whose ids are in `excluding` (artifacts the same plan deletes
  /// first); 0 when it does not exist. May walk all its data, so the planner calls it only
  /// before a delete or replace (the data-protection rule). Types that hold no data (artifacts,
  /// jobs, mounts) count 0.
  virtual ProviderResult<uint64_t> count_data(const std::string& type,
                                              const std::string& provider_id,
                                              const std::set<std::string>& excluding) = 0;
  /// Whether a change of `attribute` can only be made by deleting and re-creating the object.
  /// (A change of provider_id always forces replacement.)
  virtual bool requires_replace(const std::string& type, const std::string& attribute) const = 0;

  /// Creates the object (succeeds if it already exists with lakeinfra's marker) and returns the
  /// attributes to record in state.
  virtual ProviderResult<config::Attributes> create(const config::DesiredResource& desired) = 0;
  /// Changes an existing object in place to match `desired`.
  virtual ProviderResult<config::Attributes> update(const config::ResourceRecord& prior,
                                                    const config::DesiredResource& desired) = 0;
  /// Deletes the object. Without `force`, fails with kConflict if it holds data; with `force`,
  /// deletes its data first. Succeeds if the object is already gone.
  virtual ProviderResult<void> remove(const config::ResourceRecord& prior, bool force) = 0;

  /// The bytes of an object that holds a file (an artifact), for running jobs locally. Fails
  /// with kInvalid for types that hold no bytes (the default), kNotFound when it is missing.
  virtual ProviderResult<std::string> download(const std::string& type,
                                               const std::string& provider_id) {
    return tl::unexpected(
        Failure{FailureKind::kInvalid,
                "cannot download " + type + " " + provider_id + " from " + kind() + " storage",
                {}});
  }
};

}  // namespace lakeinfra::providers
