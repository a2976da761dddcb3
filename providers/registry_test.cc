#include "providers/registry.h"

#include <gtest/gtest.h>

namespace lakeinfra::providers {
namespace {

TEST(RegistryTest, KnowsLocal) {
  EXPECT_EQ(provider_kinds(), (std::vector<std::string>{"local", "s3"}));
}

TEST(RegistryTest, MakesLocalProvider) {
  config::RealFileSystem fs;
  config::Storage storage;
  storage.provider = "local";
  storage.root = "/srv/lake";
  auto provider = make_provider(storage, Seams{&fs});
  ASSERT_TRUE(provider) << provider.error().str();
  EXPECT_EQ((*provider)->kind(), "local");
  EXPECT_EQ((*provider)->describe("zone", "z"), "/srv/lake/z");
}

TEST(RegistryTest, UnknownKindNamesTheKnownOnes) {
  config::RealFileSystem fs;
  config::Storage storage;
  storage.provider = "gcs";
  storage.root = "/srv/lake";
  storage.location = config::Location{"lake.yaml", 3, 13};
  auto provider = make_provider(storage, Seams{&fs});
  ASSERT_FALSE(provider);
  EXPECT_EQ(provider.error().str(),
            "error: lake.yaml:3:13: unknown storage provider \"gcs\"\n"
            "  hint: known providers: local, s3\n");

  storage.provider = "locl";
  auto typo = make_provider(storage, Seams{&fs});
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().str(),
            "error: lake.yaml:3:13: unknown storage provider \"locl\"\n"
            "  hint: did you mean \"local\"? known providers: local, s3\n");
}

TEST(RegistryTest, LocalNeedsFilesystemAndRoot) {
  config::RealFileSystem fs;
  config::Storage storage;
  storage.root = "/srv/lake";
  auto no_fs = make_provider(storage, Seams{});
  ASSERT_FALSE(no_fs);
  EXPECT_EQ(no_fs.error().items().at(0).summary, "local storage provider needs a filesystem");

  storage.root.clear();
  auto no_root = make_provider(storage, Seams{&fs});
  ASSERT_FALSE(no_root);
  EXPECT_EQ(no_root.error().items().at(0).summary, "local storage provider needs a root directory");
}

TEST(RegistryTest, S3WithoutCredentialsSaysWhatToSet) {
  config::RealFileSystem fs;
  config::MapEnvironment env;  // nothing set: the credential chain finds nothing
  config::ManualClock clock;
  config::Storage storage;
  storage.provider = "s3";
  storage.endpoint = "http://127.0.0.1:1";
  auto provider = make_provider(storage, Seams{&fs, &env, &clock});
  ASSERT_FALSE(provider);
  EXPECT_EQ(provider.error().begin()->summary, "no S3 credentials found");
}

TEST(RegistryTest, S3HttpTimeoutFromEnvironment) {
  config::RealFileSystem fs;
  config::ManualClock clock;
  config::Storage storage;
  storage.provider = "s3";
  storage.endpoint = "http://127.0.0.1:1";
  config::MapEnvironment good{{"AWS_ACCESS_KEY_ID", "AKID"},
                              {"AWS_SECRET_ACCESS_KEY", "secret"},
                              {"LAKEINFRA_HTTP_TIMEOUT_MS", "1500"}};
  EXPECT_TRUE(make_provider(storage, Seams{&fs, &good, &clock}));
  for (const char* bad : {"0", "-5", "2s", "3600001", "abc"}) {
    config::MapEnvironment env{{"AWS_ACCESS_KEY_ID", "AKID"},
                               {"AWS_SECRET_ACCESS_KEY", "secret"},
                               {"LAKEINFRA_HTTP_TIMEOUT_MS", bad}};
    auto provider = make_provider(storage, Seams{&fs, &env, &clock});
    ASSERT_FALSE(provider) << bad;
    EXPECT_EQ(provider.error().begin()->summary,
              std::string("invalid LAKEINFRA_HTTP_TIMEOUT_MS \"") + bad + "\"");
  }
}

}  // namespace
}  // namespace lakeinfra::providers
