#include "pipelines/resources.h"

namespace lakeinfra::pipelines {

namespace {

const config::Container* find_container(const config::Zone& zone, const std::string& name) {
  for (const auto& c : zone.containers) {
    if (c.name == name)
      return &c;
  }
  return nullptr;
}

}  // namespace

std::string artifact_url(const std::string& location) {
  if (location.find("://") != std::string::npos)
    return location;
  return "file://" + location;
}

std::vector<config::DesiredResource> pipeline_resources(
    const config::Lake& lake, const std::vector<PreparedPipeline>& pipelines,
    const providers::Provider& storage) {
  std::vector<config::DesiredResource> out;
  if (pipelines.empty())
    return out;
  const config::Zone* zone = lake.find_zone(lake.artifacts.zone);
  const config::Container* container =
      zone ? find_container(*zone, lake.artifacts.container) : nullptr;
  if (!zone || !container)
    return out;  // the loader guarantees both when there are pipelines
  std::string container_id = zone->physical_name + "/" + container->physical_name;
  config::Address container_address(config::kContainerType, {zone->name, container->name});

  for (const auto& p : pipelines) {
    config::Address pipeline_address(config::kPipelineType, {p.name});
    config::DesiredResource pipeline;
    pipeline.address = pipeline_address;
    pipeline.type = config::kPipelineType;
    pipeline.provider_id = p.name;
    pipeline.attributes = {{"repo", p.repo},
                           {"ref", p.ref},
                           {"commit", p.commit},
                           {"path", p.path},
                           {"build", p.build_key.substr(0, 16)}};
    out.push_back(std::move(pipeline));

    config::DesiredResource job;
    job.address = config::Address(config::kJobType, {p.name});
    job.type = config::kJobType;
    job.provider_id = p.name;
    config::Attributes artifacts = config::Attributes::object();
    std::map<std::string, std::string> urls;
    for (const auto& a : p.artifacts) {
      config::DesiredResource artifact;
      artifact.address = config::Address(config::kArtifactType, {p.name, a.name});
      artifact.type = config::kArtifactType;
      artifact.provider_id = container_id + "/pipelines/" + p.name + "/artifacts/" + a.name;
      artifact.attributes = {
          {"pipeline", p.name}, {"file", a.name}, {"sha256", a.sha256}, {"size", a.size}};
      artifact.source = a.source.string();
      artifact.depends_on = {container_address, pipeline_address};
      std::string url = artifact_url(storage.describe(artifact.type, artifact.provider_id));
      urls[a.name] = url;
      artifacts[a.name] = {{"location", url}, {"sha256", a.sha256}};
      job.depends_on.push_back(artifact.address);
      out.push_back(std::move(artifact));
    }
    job.depends_on.push_back(pipeline_address);
    job.attributes = {{"pipeline", p.name},
                      {"repo", p.repo},
                      {"ref", p.ref},
                      {"commit", p.commit},
                      {"schedule", p.schedule},
                      {"linked_service", lake.jobs.linked_service},
                      {"activities", rewrite_artifact_paths(p.activities.list, p.name,
                                                            [&](const std::string& name) {
                                                              auto it = urls.find(name);
                                                              return it == urls.end()
                                                                         ? std::string()
                                                                         : it->second;
                                                            })},
                      {"artifacts", artifacts}};
    out.push_back(std::move(job));
  }
  return out;
}

std::vector<config::DesiredResource> mount_resources(const config::Lake& lake,
                                                     const providers::Provider& storage) {
  std::vector<config::DesiredResource> out;
  bool s3 = lake.storage.provider == "s3";
  for (const auto& m : lake.mounts) {
    const config::Zone* zone = lake.find_zone(m.zone);
    if (!zone)
      continue;  // the loader reports unknown zones
    const config::Container* container =
        m.container.empty() ? nullptr : find_container(*zone, m.container);
    if (!m.container.empty() && !container)
      continue;
    config::DesiredResource r;
    r.address = config::Address(config::kMountType, {m.name});
    r.type = config::kMountType;
    std::string path = m.path;
    while (!path.empty() && path.front() == '/')
      path.erase(path.begin());
    r.provider_id = path;
    std::string target;
    if (container) {
      std::string id = zone->physical_name + "/" + container->physical_name;
      target = s3 ? "s3a://" + id + "/" : storage.describe(config::kContainerType, id);
      r.depends_on.push_back(
          config::Address(config::kContainerType, {zone->name, container->name}));
    } else {
      target = s3 ? "s3a://" + zone->physical_name + "/"
                  : storage.describe(config::kZoneType, zone->physical_name);
      r.depends_on.push_back(config::Address(config::kZoneType, {zone->name}));
    }
    r.attributes = {{"name", m.name},
                    {"zone", m.zone},
                    {"container", m.container},
                    {"path", m.path},
                    {"target", target}};
    if (s3) {
      r.attributes["bucket"] = zone->physical_name;
      r.attributes["endpoint"] = lake.storage.endpoint_url();
      r.attributes["path_style"] = lake.storage.addressing == "path";
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace lakeinfra::pipelines
