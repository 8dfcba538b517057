#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/object_def.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// Largest DDF document accepted. The biggest files of the public OMA registry are a few hundred
/// KiB; the cap keeps a runaway file (or a D-Bus caller) from making the daemon parse megabytes.
inline constexpr std::size_t kMaxDdfBytes = std::size_t{4} * 1024 * 1024;

/// Parses one OMA DDF XML document (the LwM2M registry format). `source` names the file in
/// error messages. A document may define several objects; all are returned.
/// Errors (4.00, kind InvalidValue) name the source, the element and what is wrong.
Result<std::vector<ObjectDef>> parseDdf(std::string_view xml, std::string_view source);

/// All object definitions the daemon knows, by object id. Later additions replace earlier ones
/// (so /etc/lwm2md/objects can override a shipped definition).
class ObjectRegistry {
 public:
  void add(ObjectDef def);
  const ObjectDef* find(std::uint16_t oid) const;
  const std::map<std::uint16_t, ObjectDef>& all() const { return defs_; }

  /// Loads every *.xml file of `dir` in name order. A missing directory is not an error
  /// (returns 0); a file that fails to parse is reported in `errors` and skipped.
  /// Returns the number of definitions loaded.
  std::size_t loadDirectory(const std::filesystem::path& dir, std::vector<std::string>& errors);
  /// Loads one file; its definitions are added on success.
  Status loadFile(const std::filesystem::path& file);

 private:
  std::map<std::uint16_t, ObjectDef> defs_;
};

}  // namespace lwm2md
