// The set of known object definitions and how it is filled from directories of DDF files.

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "ddf/object_registry.hpp"

namespace lwm2md {

namespace {

// A directory with more files than this is a mistake (a wrong path), not a set of objects.
constexpr std::size_t kMaxFilesPerDirectory = 4096;

Error ioError(std::string message) {
  return {CoapCode::InternalServerError, std::move(message), ErrorKind::Failed};
}

// Reads at most kMaxDdfBytes + 1 bytes, so parseDdf sees (and rejects) an oversized file without
// the whole of it ever being held in memory.
Result<std::string> readCapped(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ioError(fmt::format("{}: cannot open file", file.string()));
  // Read in chunks up to the cap: a buffer of the cap's size for every file (most are a few
  // KiB) cost 4 MiB of zero-filling per file at start-up, and glibc kept the block resident.
  std::string data;
  char chunk[16384];
  while (data.size() <= kMaxDdfBytes && in) {
    in.read(chunk, sizeof chunk);
    data.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return ioError(fmt::format("{}: read error", file.string()));
  if (data.size() > kMaxDdfBytes + 1) data.resize(kMaxDdfBytes + 1);
  data.shrink_to_fit();
  return data;
}

Result<std::vector<ObjectDef>> parseFile(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return ioError(fmt::format("{}: is a directory", file.string()));
  auto data = readCapped(file);
  if (!data) return data.error();
  return parseDdf(*data, file.string());
}

}  // namespace

void ObjectRegistry::add(ObjectDef def) {
  const auto id = def.id;
  defs_.insert_or_assign(id, std::move(def));
}

const ObjectDef* ObjectRegistry::find(std::uint16_t oid) const {
  auto it = defs_.find(oid);
  return it == defs_.end() ? nullptr : &it->second;
}

Status ObjectRegistry::loadFile(const std::filesystem::path& file) {
  auto defs = parseFile(file);
  if (!defs) return defs.error();
  // Added only once the whole file parsed: a half-loaded file would be hard to reason about.
  for (auto& def : *defs) add(std::move(def));
  return {};
}

std::size_t ObjectRegistry::loadDirectory(const std::filesystem::path& dir,
                                          std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  if (!fs::is_directory(dir, ec)) {
    errors.push_back(fmt::format("{}: not a directory", dir.string()));
    return 0;
  }

  std::vector<fs::path> files;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    errors.push_back(fmt::format("{}: cannot list directory: {}", dir.string(), ec.message()));
    return 0;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const auto& path = it->path();
    std::error_code typeEc;
    if (path.extension() != ".xml" || !it->is_regular_file(typeEc)) continue;
    if (files.size() == kMaxFilesPerDirectory) {
      errors.push_back(fmt::format("{}: more than {} definition files; the rest are ignored",
                                   dir.string(), kMaxFilesPerDirectory));
      break;
    }
    files.push_back(path);
  }
  // A failed increment leaves the iterator at the end: report it, then load what was listed.
  if (ec)
    errors.push_back(fmt::format("{}: cannot list directory: {}", dir.string(), ec.message()));
  // Name order makes overrides within one directory predictable (10-foo.xml before 20-bar.xml).
  std::sort(files.begin(), files.end());

  std::size_t loaded = 0;
  for (const auto& file : files) {
    auto defs = parseFile(file);
    if (!defs) {
      errors.push_back(defs.error().message);
      continue;
    }
    loaded += defs->size();
    for (auto& def : *defs) add(std::move(def));
  }
  return loaded;
}

}  // namespace lwm2md
