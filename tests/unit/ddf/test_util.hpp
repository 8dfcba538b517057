#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace lwm2md::test {

inline std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeText(const std::filesystem::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

/// A minimal valid document with one object and one readable item, for building variants.
inline std::string oneObject(int oid, std::string_view name = "Thing") {
  std::ostringstream xml;
  xml << "<LWM2M><Object ObjectType=\"MODefinition\"><Name>" << name << "</Name><ObjectID>" << oid
      << "</ObjectID><MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional"
         "</Mandatory><Resources><Item ID=\"0\"><Name>V</Name><Operations>R</Operations>"
         "<MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>"
         "<Type>Integer</Type></Item></Resources></Object></LWM2M>";
  return xml.str();
}

/// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    auto base = std::filesystem::temp_directory_path();
    for (int i = 0; i < 1000; ++i) {
      auto candidate = base / ("lwm2md-ddf-test-" + std::to_string(::getpid()) + "-" +
                               std::to_string(counter()++));
      if (std::filesystem::create_directory(candidate)) {
        path_ = candidate;
        break;
      }
    }
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace lwm2md::test
