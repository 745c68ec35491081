// A model folder with a config.json of the test's own: the folder copied into a fresh temporary directory, its
// config.json written from the given text and every other file a link to the original's (the weights stay shared).
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace verbatim::test {

class ConfiguredModel {
 public:
  ConfiguredModel(const std::string& model, const std::string& config) {
    namespace fs = std::filesystem;
    std::string pattern = (fs::temp_directory_path() / "verbatim-configured-model-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
    for (const fs::directory_entry& entry : fs::directory_iterator(model)) {
      if (entry.path().filename() != "config.json") {
        fs::create_symlink(fs::absolute(entry.path()), path_ + "/" + entry.path().filename().string());
      }
    }
    std::ofstream(path_ + "/config.json", std::ios::binary) << config;
  }
  ~ConfiguredModel() { std::filesystem::remove_all(path_); }
  ConfiguredModel(const ConfiguredModel&) = delete;
  ConfiguredModel& operator=(const ConfiguredModel&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A config's JSON text with `member` ("\"key\": value") added at the top level.
inline std::string with_member(std::string config, const std::string& member) {
  const auto end = config.rfind('}');
  REQUIRE(end != std::string::npos);
  config.insert(end, ", " + member + "\n");
  return config;
}

}  // namespace verbatim::test
