#include "providers/s3/s3_provider.h"

#include <functional>

#include "providers/artifact.h"
#include "providers/s3/iam_resources.h"

namespace lakeinfra::providers::s3 {
namespace {

using config::Attributes;

/// Object metadata (x-amz-meta-sha256) holding an artifact's SHA-256.
constexpr const char* kSha256Metadata = "sha256";

Failure to_failure(const S3Failure& f) {
  return Failure{failure_kind_of(f.kind), f.str(), {}};
}

tl::unexpected<Failure> failed(const S3Failure& f) {
  return tl::unexpected(to_failure(f));
}

tl::unexpected<Failure> failed(FailureKind kind, std::string message) {
  return tl::unexpected(Failure{kind, std::move(message), {}});
}

/// "bucket/name" → {bucket, name}; a zone id has no '/'. An artifact's id is "bucket/key".
struct Id {
  std::string bucket;
  std::string container;  ///< Empty for a zone.
  std::string key;        ///< Artifacts only: the object key.
  std::string marker() const { return container + "/"; }
};

ProviderResult<Id> parse_id(const std::string& type, const std::string& provider_id) {
  size_t slash = provider_id.find('/');
  if (type == config::kZoneType) {
    if (provider_id.empty() || slash != std::string::npos)
      return failed(FailureKind::kInvalid, "invalid bucket id \"" + provider_id + "\"");
    return Id{provider_id, {}, {}};
  }
  if (type == config::kContainerType) {
    if (slash == std::string::npos || slash == 0 || slash + 1 == provider_id.size() ||
        provider_id.find('/', slash + 1) != std::string::npos) {
      return failed(FailureKind::kInvalid, "invalid container id \"" + provider_id + "\"");
    }
    return Id{provider_id.substr(0, slash), provider_id.substr(slash + 1), {}};
  }
  if (type == config::kArtifactType) {
    size_t second = slash == std::string::npos ? slash : provider_id.find('/', slash + 1);
    if (slash == 0 || second == std::string::npos || second == slash + 1 ||
        provider_id.back() == '/' || provider_id.find("//") != std::string::npos) {
      return failed(FailureKind::kInvalid, "invalid artifact id \"" + provider_id + "\"");
    }
    return Id{provider_id.substr(0, slash), provider_id.substr(slash + 1, second - slash - 1),
              provider_id.substr(slash + 1)};
  }
  return failed(FailureKind::kInvalid, "the s3 provider does not manage \"" + type + "\"");
}

/// A top-level zero-byte "NAME/" object: a container marker.
bool is_marker(const std::string& key, uint64_t size) {
  return size == 0 && !key.empty() && key.back() == '/' && key.find('/') == key.size() - 1;
}

class S3Provider : public Provider {
 public:
  S3Provider(std::unique_ptr<http::Client> http, std::unique_ptr<S3Client> client,
             config::FileSystem& fs, std::unique_ptr<S3Client> iam_client)
      : http_(std::move(http)),
        client_(std::move(client)),
        iam_client_(std::move(iam_client)),
        iam_(iam_client_ ? *iam_client_ : *client_),
        fs_(fs) {}

  std::string kind() const override { return "s3"; }
  bool manages(const std::string& type) const override {
    return type == config::kZoneType || type == config::kContainerType ||
           type == config::kArtifactType || is_iam(type);
  }
  std::string describe(const std::string& type, const std::string& provider_id) const override {
    if (type == config::kRoleType)
      return "iam role " + provider_id;
    if (type == config::kGrantType) {
      size_t slash = provider_id.find('/');
      if (slash != std::string::npos) {
        return "iam role " + provider_id.substr(0, slash) + ", inline policy " +
               provider_id.substr(slash + 1);
      }
      return "iam inline policy " + provider_id;
    }
    return "s3://" + provider_id + (type == config::kContainerType ? "/" : "");
  }
  bool requires_replace(const std::string& type, const std::string& attribute) const override {
    if (is_iam(type))
      return false;  // a role's and a policy's documents and tags change in place
    return attribute == "name" || attribute == "zone";
  }

  ProviderResult<std::optional<Observed>> read(const std::string& type,
                                               const std::string& provider_id) override {
    if (type == config::kRoleType)
      return read_role(iam_, provider_id);
    if (type == config::kGrantType)
      return read_grant(iam_, provider_id);
    auto id = parse_id(type, provider_id);
    if (!id)
      return tl::unexpected(id.error());
    if (type == config::kArtifactType) {
      auto head = client_->head_object(id->bucket, id->key);
      if (!head)
        return failed(head.error());
      if (!*head)
        return std::optional<Observed>();
      Observed observed;
      auto sha = (*head)->metadata.find(kSha256Metadata);
      observed.attributes["sha256"] = sha == (*head)->metadata.end() ? "" : sha->second;
      observed.attributes["size"] = (*head)->size;
      return std::optional<Observed>(std::move(observed));
    }
    if (type == config::kContainerType) {
      auto head = client_->head_object(id->bucket, id->marker());
      if (!head)
        return failed(head.error());
      if (!*head)
        return std::optional<Observed>();
      return std::optional<Observed>(Observed{});
    }
    auto exists = client_->head_bucket(id->bucket);
    if (!exists)
      return failed(exists.error());
    if (!*exists)
      return std::optional<Observed>();
    auto tags = client_->get_bucket_tagging(id->bucket);
    if (!tags)
      return failed(tags.error());
    auto versioning = client_->get_bucket_versioning(id->bucket);
    if (!versioning)
      return failed(versioning.error());
    Observed observed;
    Attributes ours = Attributes::object();
    for (const auto& [k, v] : *tags) {
      if (k.rfind("lakeinfra:", 0) == 0)
        ours[k] = v;
    }
    observed.attributes["tags"] = ours;
    observed.attributes["versioning"] = *versioning == Versioning::kEnabled;
    observed.unmanaged = !tags->count(kTagManagedBy);
    return std::optional<Observed>(std::move(observed));
  }

  ProviderResult<uint64_t> count_data(const std::string& type, const std::string& provider_id,
                                      const std::set<std::string>& excluding) override {
    if (is_iam(type))
      return uint64_t{0};  // roles and policies hold no data
    auto id = parse_id(type, provider_id);
    if (!id)
      return tl::unexpected(id.error());
    if (type == config::kArtifactType)
      return uint64_t{0};  // an artifact is lakeinfra's own object, not zone data
    uint64_t count = 0;
    auto r = for_each_version(*id, [&](const ObjectVersion& v) {
      if (!v.delete_marker && !is_marker(v.key, v.size) &&
          !excluding.count(id->bucket + "/" + v.key))
        ++count;
    });
    if (!r)
      return tl::unexpected(r.error());
    return count;
  }

  ProviderResult<Attributes> create(const config::DesiredResource& desired) override {
    if (desired.type == config::kRoleType) {
      auto hold = role_locks_.lock(desired.provider_id);
      return create_role(iam_, desired);
    }
    if (desired.type == config::kGrantType) {
      auto hold = role_locks_.lock(role_of_grant(desired.provider_id));
      return put_grant(iam_, desired);
    }
    auto id = parse_id(desired.type, desired.provider_id);
    if (!id)
      return tl::unexpected(id.error());
    if (desired.type == config::kArtifactType)
      return upload_artifact(*id, desired);
    if (desired.type == config::kContainerType) {
      auto put = client_->put_object(id->bucket, id->marker(), "");
      if (!put)
        return failed(put.error());
      return desired.attributes;
    }
    auto made = client_->create_bucket(id->bucket);
    if (!made)
      return failed(made.error());
    return configure_bucket(id->bucket, desired);
  }

  ProviderResult<Attributes> update(const config::ResourceRecord& /*prior*/,
                                    const config::DesiredResource& desired) override {
    if (desired.type == config::kRoleType) {
      auto hold = role_locks_.lock(desired.provider_id);
      return update_role(iam_, desired);
    }
    if (desired.type == config::kGrantType) {
      auto hold = role_locks_.lock(role_of_grant(desired.provider_id));
      return put_grant(iam_, desired);
    }
    auto id = parse_id(desired.type, desired.provider_id);
    if (!id)
      return tl::unexpected(id.error());
    if (desired.type == config::kArtifactType)
      return upload_artifact(*id, desired);
    if (desired.type == config::kContainerType) {
      auto put = client_->put_object(id->bucket, id->marker(), "");
      if (!put)
        return failed(put.error());
      return desired.attributes;
    }
    return configure_bucket(id->bucket, desired);
  }

  ProviderResult<void> remove(const config::ResourceRecord& prior, bool force) override {
    if (prior.type == config::kRoleType) {
      auto hold = role_locks_.lock(prior.provider_id);
      return remove_role(iam_, prior.provider_id);
    }
    if (prior.type == config::kGrantType) {
      auto hold = role_locks_.lock(role_of_grant(prior.provider_id));
      return remove_grant(iam_, prior.provider_id);
    }
    auto id = parse_id(prior.type, prior.provider_id);
    if (!id)
      return tl::unexpected(id.error());
    if (prior.type == config::kArtifactType)
      return remove_artifact(*id);
    if (prior.type == config::kZoneType) {
      auto exists = client_->head_bucket(id->bucket);
      if (!exists)
        return failed(exists.error());
      if (!*exists)
        return {};
    }
    // Collect what to delete: everything when forced, else only lakeinfra's markers (and their
    // delete markers); any other version is data, and data is refused without force.
    std::vector<ObjectId> doomed;
    uint64_t data = 0;
    auto listed = for_each_version(*id, [&](const ObjectVersion& v) {
      bool ours = v.delete_marker || is_marker(v.key, v.size);
      if (!ours)
        ++data;
      if (force || ours)
        doomed.push_back({v.key, v.version_id});
    });
    if (!listed)
      return tl::unexpected(listed.error());
    if (data > 0 && !force) {
      return failed(FailureKind::kConflict,
                    describe(prior.type, prior.provider_id) + " holds " + std::to_string(data) +
                        (data == 1 ? " object version" : " object versions") +
                        "; refusing to delete data");
    }
    for (size_t i = 0; i < doomed.size(); i += 1000) {
      std::vector<ObjectId> batch(
          doomed.begin() + static_cast<long>(i),
          doomed.begin() + static_cast<long>(std::min(i + 1000, doomed.size())));
      auto deleted = client_->delete_objects(id->bucket, batch);
      if (!deleted)
        return failed(deleted.error());
      if (!deleted->errors.empty()) {
        const auto& e = deleted->errors.front();
        return failed(FailureKind::kInternal, "DeleteObjects " + id->bucket + ": " + e.key + ": " +
                                                  e.code + " " + e.message + " (" +
                                                  std::to_string(deleted->errors.size()) +
                                                  " keys not deleted)");
      }
    }
    if (prior.type == config::kZoneType) {
      auto gone = client_->delete_bucket(id->bucket);
      if (!gone && gone.error().kind != S3FailureKind::kNotFound)
        return failed(gone.error());
    }
    return {};
  }

  ProviderResult<std::string> download(const std::string& type,
                                       const std::string& provider_id) override {
    if (type != config::kArtifactType)
      return Provider::download(type, provider_id);
    auto id = parse_id(type, provider_id);
    if (!id)
      return tl::unexpected(id.error());
    auto body = client_->get_object(id->bucket, id->key);
    if (!body)
      return failed(body.error());
    if (!*body)
      return failed(FailureKind::kNotFound, describe(type, provider_id) + " does not exist");
    return std::move(**body);
  }

 private:
  /// The role part of a grant's "ROLE/POLICY" id ("" when it is malformed: put_grant and
  /// remove_grant refuse it).
  static std::string role_of_grant(const std::string& provider_id) {
    auto id = parse_grant_id(provider_id);
    return id ? id->role : std::string();
  }

  static bool is_iam(const std::string& type) {
    return type == config::kRoleType || type == config::kGrantType;
  }

  /// Uploads the artifact's source (checked against its planned SHA-256), recording the hash in
  /// the object's metadata so refresh can compare it without downloading.
  ProviderResult<Attributes> upload_artifact(const Id& id, const config::DesiredResource& desired) {
    auto content = read_artifact_source(fs_, desired);
    if (!content)
      return tl::unexpected(content.error());
    auto marker = client_->head_object(id.bucket, id.marker());
    if (!marker)
      return failed(marker.error());
    if (!*marker) {
      return failed(FailureKind::kNotFound,
                    "container " +
                        describe(config::kContainerType, id.bucket + "/" + id.container) +
                        " does not exist");
    }
    Tags metadata;
    metadata[kSha256Metadata] = desired.attributes.value("sha256", std::string());
    auto put = client_->put_object(id.bucket, id.key, std::move(*content),
                                   "application/octet-stream", metadata);
    if (!put)
      return failed(put.error());
    return desired.attributes;
  }

  /// Deletes every version of an artifact's key (it is lakeinfra's object, old versions too),
  /// so a versioned bucket keeps no trace that would count as data.
  ProviderResult<void> remove_artifact(const Id& id) {
    std::vector<ObjectId> doomed;
    auto listed = for_each_version(id, [&](const ObjectVersion& v) {
      if (v.key == id.key)
        doomed.push_back({v.key, v.version_id});
    });
    if (!listed)
      return tl::unexpected(listed.error());
    for (const auto& object : doomed) {
      auto deleted = client_->delete_object(id.bucket, object.key, object.version_id);
      if (!deleted && deleted.error().kind != S3FailureKind::kNotFound)
        return failed(deleted.error());
    }
    return {};
  }

  /// Calls `f` for every version and delete marker of the zone's bucket, or of the container's
  /// prefix. A missing bucket has none.
  ProviderResult<void> for_each_version(const Id& id,
                                        const std::function<void(const ObjectVersion&)>& f) {
    ListVersionsRequest request;
    if (!id.key.empty())
      request.prefix = id.key;
    else if (!id.container.empty())
      request.prefix = id.marker();
    while (true) {
      auto page = client_->list_object_versions(id.bucket, request);
      if (!page) {
        if (page.error().kind == S3FailureKind::kNotFound)
          return {};
        return failed(page.error());
      }
      for (const auto& v : page->versions)
        f(v);
      if (!page->truncated)
        return {};
      request.key_marker = page->next_key_marker;
      request.version_id_marker = page->next_version_id_marker;
    }
  }

  /// Writes lakeinfra's tags (keeping any other tags) and the declared versioning.
  ProviderResult<Attributes> configure_bucket(const std::string& bucket,
                                              const config::DesiredResource& desired) {
    auto current = client_->get_bucket_tagging(bucket);
    if (!current)
      return failed(current.error());
    Tags tags;
    for (const auto& [k, v] : *current) {
      if (k.rfind("lakeinfra:", 0) != 0)
        tags[k] = v;
    }
    if (desired.attributes.contains("tags") && desired.attributes["tags"].is_object()) {
      for (const auto& [k, v] : desired.attributes["tags"].items()) {
        if (v.is_string())
          tags[k] = v.get<std::string>();
      }
    }
    if (*current != tags) {
      auto put = client_->put_bucket_tagging(bucket, tags);
      if (!put)
        return failed(put.error());
    }
    bool want = desired.attributes.value("versioning", false);
    auto state = client_->get_bucket_versioning(bucket);
    if (!state)
      return failed(state.error());
    if (want && *state != Versioning::kEnabled) {
      auto put = client_->put_bucket_versioning(bucket, Versioning::kEnabled);
      if (!put)
        return failed(put.error());
    } else if (!want && *state == Versioning::kEnabled) {
      auto put = client_->put_bucket_versioning(bucket, Versioning::kSuspended);
      if (!put)
        return failed(put.error());
    }
    return desired.attributes;
  }

  std::unique_ptr<http::Client> http_;  // declared first: destroyed after the clients
  std::unique_ptr<S3Client> client_;
  RoleLocks role_locks_;
  std::unique_ptr<S3Client> iam_client_;  ///< Null: IAM calls go through client_.
  IamClient iam_;
  config::FileSystem& fs_;  ///< For artifact sources.
};

}  // namespace

FailureKind failure_kind_of(S3FailureKind kind) {
  switch (kind) {
    case S3FailureKind::kNotFound:
      return FailureKind::kNotFound;
    case S3FailureKind::kAuth:
      return FailureKind::kAuth;
    case S3FailureKind::kConflict:
      return FailureKind::kConflict;
    case S3FailureKind::kTransient:
      return FailureKind::kTransient;
    case S3FailureKind::kInvalid:
      return FailureKind::kInvalid;
    case S3FailureKind::kInternal:
      break;
  }
  return FailureKind::kInternal;
}

std::unique_ptr<Provider> make_s3_provider(std::unique_ptr<http::Client> http,
                                           std::unique_ptr<S3Client> client, config::FileSystem& fs,
                                           std::unique_ptr<S3Client> iam) {
  return std::make_unique<S3Provider>(std::move(http), std::move(client), fs, std::move(iam));
}

}  // namespace lakeinfra::providers::s3
