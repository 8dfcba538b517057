#pragma once

#include <optional>
#include <string>

namespace lwm2md::test {

/// A fresh directory (mkdtemp) that is removed with everything in it when the object goes away,
/// so a failing test leaves no state behind for the next one.
class TempDir {
 public:
  /// Created under $TMPDIR (or /tmp) as "<prefix>-XXXXXX".
  explicit TempDir(const std::string& prefix = "lwm2md-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// False when mkdtemp failed; path() is empty then.
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string file(const std::string& name) const;

 private:
  std::string path_;
};

/// Writes (truncates) a file; false on any error.
bool writeFile(const std::string& path, const std::string& text);
/// The whole file, or nullopt when it cannot be read.
std::optional<std::string> readFile(const std::string& path);

}  // namespace lwm2md::test
