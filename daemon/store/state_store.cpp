#include "store/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>
#include <system_error>
#include <utility>

#include "store/state_codec.hpp"

namespace lwm2md {

namespace {

// A state file is a few kilobytes (keys and certificates included); anything far larger is
// not one of ours and is not read into memory.
constexpr std::size_t kMaxFileSize = 16 * 1024 * 1024;

std::string errnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Error ioError(const std::string& what, const std::filesystem::path& path, int error) {
  return Error{CoapCode::InternalServerError, what + " " + path.string() + ": " + errnoText(error),
               ErrorKind::Failed};
}

// Closes on every path out, so no early return leaks a descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Closes now and reports the error (for written files, close can report a late write error).
  int release() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

Status ensureDirectory(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return ioError("cannot use state directory", dir, ENOTDIR);
    return {};
  }
  if (errno != ENOENT) return ioError("cannot use state directory", dir, errno);
  const auto parent = dir.parent_path();
  if (!parent.empty() && parent != dir)
    if (auto s = ensureDirectory(parent); !s) return s;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return ioError("cannot create state directory", dir, errno);
  // mkdir's mode passes through the umask; the directory must be exactly 0700.
  if (::chmod(dir.c_str(), 0700) != 0) return ioError("cannot set mode 0700 on", dir, errno);
  return {};
}

Status writeAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Writes a new file (mode 0600) and makes its content durable before anything renames it.
Status writeDurably(const std::filesystem::path& path, std::string_view data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return ioError("cannot create", path, errno);
  // A leftover file keeps its old mode through O_TRUNC; the umask may have narrowed ours.
  if (::fchmod(fd.get(), 0600) != 0) return ioError("cannot set mode 0600 on", path, errno);
  if (auto s = writeAll(fd.get(), data, path); !s) return s;
  if (::fsync(fd.get()) != 0) return ioError("cannot fsync", path, errno);
  if (fd.release() != 0) return ioError("cannot close", path, errno);
  return {};
}

Status syncDirectory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ioError("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return ioError("cannot fsync directory", dir, errno);
  return {};
}

// What reading one state file gave.
struct FileOutcome {
  bool missing = false;
  std::optional<PersistedState> state;
  std::string text;    // the raw content, when it could be read
  std::string reason;  // why `state` is empty (unless missing)
  mode_t mode = 0;
};

FileOutcome readStateFile(const std::filesystem::path& path) {
  FileOutcome outcome;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      outcome.missing = true;
      outcome.reason = "missing";
    } else {
      outcome.reason = "cannot open: " + errnoText(errno);
    }
    return outcome;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    outcome.reason = "cannot stat: " + errnoText(errno);
    return outcome;
  }
  if (!S_ISREG(st.st_mode)) {
    outcome.reason = "not a regular file";
    return outcome;
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxFileSize) {
    outcome.reason = "too large (" + std::to_string(st.st_size) + " bytes)";
    return outcome;
  }
  outcome.mode = st.st_mode & 07777;
  std::string text;
  char buffer[65536];
  while (text.size() <= kMaxFileSize) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      outcome.reason = "cannot read: " + errnoText(errno);
      return outcome;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  auto decoded = decodeState(text);
  if (decoded)
    outcome.state = std::move(*decoded);
  else
    outcome.reason = decoded.error().message;
  outcome.text = std::move(text);
  return outcome;
}

std::string octal(mode_t mode) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode));
  return buffer;
}

// Keeps the current state.json as state.json.prev when it is a good state; a damaged current
// file must not replace a good previous one. Each step is atomic: a second name is made with
// link() (or a durable copy where the file system has no hard links), then renamed over .prev.
Status keepPrevious(const std::filesystem::path& current, const std::filesystem::path& previous) {
  FileOutcome outcome = readStateFile(current);
  if (!outcome.state) return {};
  const std::filesystem::path staging = previous.string() + ".tmp";
  if (::unlink(staging.c_str()) != 0 && errno != ENOENT)
    return ioError("cannot remove", staging, errno);
  if (::link(current.c_str(), staging.c_str()) != 0) {
    const int error = errno;
    if (error != EPERM && error != EOPNOTSUPP && error != EXDEV && error != EMLINK)
      return ioError("cannot link " + current.string() + " to", staging, error);
    if (auto s = writeDurably(staging, outcome.text); !s) return s;
  } else if (::chmod(staging.c_str(), 0600) != 0) {
    return ioError("cannot set mode 0600 on", staging, errno);
  }
  if (::rename(staging.c_str(), previous.c_str()) != 0)
    return ioError("cannot rename " + staging.string() + " to", previous, errno);
  return {};
}

}  // namespace

StateStore::StateStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

Status StateStore::save(const PersistedState& state) {
  if (auto s = validateState(state); !s)
    return Error{CoapCode::InternalServerError,
                 "refusing to save an inconsistent state: " + s.error().message,
                 ErrorKind::InvalidValue};
  const std::string text = encodeState(state);
  if (auto s = ensureDirectory(dir_); !s) return s;
  const auto current = dir_ / kFileName;
  const auto temp = dir_ / kTempFileName;
  if (auto s = writeDurably(temp, text); !s) {
    ::unlink(temp.c_str());
    return s;
  }
  if (auto s = keepPrevious(current, dir_ / kPreviousFileName); !s) {
    ::unlink(temp.c_str());
    return s;
  }
  if (::rename(temp.c_str(), current.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return ioError("cannot rename " + temp.string() + " to", current, error);
  }
  return syncDirectory(dir_);
}

LoadResult StateStore::load() const {
  LoadResult result;
  FileOutcome primary = readStateFile(dir_ / kFileName);
  const char* usedName = kFileName;
  if (!primary.state) {
    FileOutcome previous = readStateFile(dir_ / kPreviousFileName);
    if (previous.state) {
      result.problems.push_back(std::string(kFileName) + ": " + primary.reason + ": using " +
                                kPreviousFileName);
      primary = std::move(previous);
      usedName = kPreviousFileName;
    } else {
      if (primary.missing && previous.missing) return result;  // first start: nothing saved
      result.problems.push_back(std::string(kFileName) + ": " + primary.reason);
      result.problems.push_back(std::string(kPreviousFileName) + ": " + previous.reason);
      result.problems.push_back("no usable saved state");
      return result;
    }
  }
  if ((primary.mode & 077) != 0)
    result.problems.push_back(std::string(usedName) + ": mode " + octal(primary.mode) +
                              " lets other users at the keys it holds (the next save writes "
                              "0600)");
  result.state = std::move(primary.state);
  return result;
}

}  // namespace lwm2md
