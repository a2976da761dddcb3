#include "providers/registry.h"

#include <utility>

#include "providers/local/local_provider.h"

namespace lakeinfra::providers {

std::vector<std::string> provider_kinds() {
  return {"local"};
}

Result<std::unique_ptr<Provider>> make_provider(const config::Storage& storage,
                                                const Seams& seams) {
  if (storage.provider == "local") {
    if (seams.fs == nullptr) {
      return fail("local storage provider needs a filesystem", {}, storage.location);
    }
    if (storage.root.empty()) {
      return fail("local storage provider needs a root directory",
                  "set storage.root to the directory that holds the lake", storage.location);
    }
    return make_local_provider(storage.root, *seams.fs);
  }

  std::string known;
  for (const auto& kind : provider_kinds())
    known += (known.empty() ? "" : ", ") + kind;
  std::string hint;
  std::string suggestion = config::closest_match(storage.provider, provider_kinds());
  if (!suggestion.empty())
    hint = "did you mean \"" + suggestion + "\"? ";
  hint += "known providers: " + known;
  return fail("unknown storage provider \"" + storage.provider + "\"", std::move(hint),
              storage.location);
}

}  // namespace lakeinfra::providers
