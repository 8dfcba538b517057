#include "config/key_material.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "io/base64.hpp"

namespace lwm2md {

namespace {

// Certificates and keys are a few kilobytes; the cap keeps a wrong path (a device, a log) from
// being slurped whole.
constexpr std::size_t kMaxKeyFileSize = 64 * 1024;
constexpr std::string_view kBase64Prefix = "base64:";
constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemDashes = "-----";

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string withoutWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view describe(KeyMaterial kind) {
  switch (kind) {
    case KeyMaterial::PskKey:
      return "a pre-shared key";
    case KeyMaterial::Certificate:
      return "an X.509 certificate";
    case KeyMaterial::PrivateKey:
      return "a private key";
    case KeyMaterial::PublicKey:
      return "a public key (SubjectPublicKeyInfo)";
  }
  return "key material";
}

bool labelFits(std::string_view label, KeyMaterial kind) {
  switch (kind) {
    case KeyMaterial::Certificate:
      return label == "CERTIFICATE";
    case KeyMaterial::PrivateKey:
      return label == "PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "RSA PRIVATE KEY";
    case KeyMaterial::PublicKey:
      return label == "PUBLIC KEY";
    case KeyMaterial::PskKey:
      return false;
  }
  return false;
}

std::string_view wantedLabel(KeyMaterial kind) {
  switch (kind) {
    case KeyMaterial::Certificate:
      return "CERTIFICATE";
    case KeyMaterial::PrivateKey:
      return "PRIVATE KEY";
    case KeyMaterial::PublicKey:
      return "PUBLIC KEY";
    case KeyMaterial::PskKey:
      break;
  }
  return "";
}

Result<std::vector<std::uint8_t>> checkedDer(std::vector<std::uint8_t> der, KeyMaterial kind) {
  if (!isDerSequence(der))
    return badRequest(fmt::format("is not {} in DER (or PEM)", describe(kind)));
  return der;
}

Result<std::vector<std::uint8_t>> decodeHex(std::string_view text, KeyMaterial kind) {
  auto problem = [kind] {
    return badRequest(kind == KeyMaterial::PskKey
                          ? "must be hex (an even number of hex digits) or \"base64:\" and base64"
                          : "must be hex (an even number of hex digits), \"base64:\" and base64, "
                            "or PEM");
  };
  if (text.empty() || text.size() % 2 != 0) return problem();
  std::vector<std::uint8_t> bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = hexDigit(text[i]);
    const int low = hexDigit(text[i + 1]);
    if (high < 0 || low < 0) return problem();
    bytes.push_back(static_cast<std::uint8_t>(high * 16 + low));
  }
  return bytes;
}

}  // namespace

bool isDerSequence(const std::vector<std::uint8_t>& der) {
  if (der.size() < 2 || der[0] != 0x30) return false;
  std::size_t length = der[1];
  std::size_t header = 2;
  if (length & 0x80) {
    const std::size_t count = length & 0x7f;
    // Definite lengths only (DER), at most 4 length bytes, minimal encoding not checked.
    if (count == 0 || count > 4 || der.size() < 2 + count) return false;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) length = (length << 8) | der[2 + i];
    header += count;
  }
  return header + length == der.size();
}

Result<std::vector<std::uint8_t>> pemToDer(std::string_view text, KeyMaterial kind) {
  std::size_t at = 0;
  // Bounded: each pass moves `at` past one BEGIN line.
  while ((at = text.find(kPemBegin, at)) != std::string_view::npos) {
    const std::size_t labelStart = at + kPemBegin.size();
    const std::size_t labelEnd = text.find(kPemDashes, labelStart);
    if (labelEnd == std::string_view::npos) break;
    const std::string_view label = text.substr(labelStart, labelEnd - labelStart);
    at = labelEnd + kPemDashes.size();
    if (label == "ENCRYPTED PRIVATE KEY" && kind == KeyMaterial::PrivateKey)
      return badRequest(
          "holds an encrypted private key, which is not supported: store it unencrypted in a "
          "file only its owner can read");
    if (!labelFits(label, kind)) continue;
    const std::string end = fmt::format("-----END {}-----", label);
    const std::size_t bodyEnd = text.find(end, at);
    if (bodyEnd == std::string_view::npos)
      return badRequest(fmt::format("has a PEM block '{}' without its END line", label));
    const std::string_view body = text.substr(at, bodyEnd - at);
    if (body.find(':') != std::string_view::npos)
      return badRequest(fmt::format(
          "has PEM headers in block '{}' (an encrypted key?), which are not supported", label));
    auto der = decodeBase64(withoutWhitespace(body));
    if (!der) return badRequest(fmt::format("has a PEM block '{}' that is not base64", label));
    return checkedDer(std::move(*der), kind);
  }
  return badRequest(fmt::format("holds no PEM block '{}'", wantedLabel(kind)));
}

Result<std::vector<std::uint8_t>> decodeInlineKey(std::string_view text, KeyMaterial kind) {
  const std::string_view trimmed = trim(text);
  if (trimmed.empty()) return badRequest("must not be empty");
  if (kind != KeyMaterial::PskKey && trimmed.starts_with(kPemBegin)) return pemToDer(text, kind);
  std::vector<std::uint8_t> bytes;
  if (trimmed.starts_with(kBase64Prefix)) {
    const std::string encoded = withoutWhitespace(trimmed.substr(kBase64Prefix.size()));
    if (encoded.empty()) return badRequest("has nothing after \"base64:\"");
    auto decoded = decodeBase64(encoded);
    if (!decoded) return badRequest("is not valid base64 after \"base64:\"");
    bytes = std::move(*decoded);
  } else {
    auto decoded = decodeHex(trimmed, kind);
    if (!decoded) return decoded;
    bytes = std::move(*decoded);
  }
  if (bytes.empty()) return badRequest("must not be empty");
  if (kind == KeyMaterial::PskKey) return bytes;
  return checkedDer(std::move(bytes), kind);
}

Result<std::vector<std::uint8_t>> readKeyFile(const std::filesystem::path& file, KeyMaterial kind) {
  const std::string name = file.string();
  if (name.empty()) return badRequest("must not be empty");
  // Open first, then look at what was opened: no window between the check and the read.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return badRequest(fmt::format("cannot read {}: {}", name, std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    return badRequest(fmt::format("cannot read {}: {}", name, std::strerror(errno)));
  if (!S_ISREG(info.st_mode)) return badRequest(fmt::format("{} is not a regular file", name));
  if (info.st_mode & S_IROTH)
    return badRequest(fmt::format(
        "{} is readable by every user (mode {:04o}): refusing key material that is no secret; "
        "chmod o-r it",
        name, info.st_mode & 07777));
  if (static_cast<std::size_t>(info.st_size) > kMaxKeyFileSize)
    return badRequest(fmt::format("{} is larger than {} bytes", name, kMaxKeyFileSize));

  std::string content;
  std::array<char, 4096> buffer{};
  // Bounded by kMaxKeyFileSize: each pass adds at least one byte or ends the loop.
  while (content.size() <= kMaxKeyFileSize) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return badRequest(fmt::format("cannot read {}: {}", name, std::strerror(errno)));
    }
    if (n == 0) break;
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (content.size() > kMaxKeyFileSize)
    return badRequest(fmt::format("{} is larger than {} bytes", name, kMaxKeyFileSize));

  auto inFile = [&name](const Error& error) {
    return badRequest(fmt::format("{} {}", name, error.message));
  };
  if (kind == KeyMaterial::PskKey) {
    auto key = decodeInlineKey(content, kind);
    if (!key) return inFile(key.error());
    return key;
  }
  if (content.find(kPemBegin) != std::string::npos) {
    auto der = pemToDer(content, kind);
    if (!der) return inFile(der.error());
    return der;
  }
  auto der = checkedDer(std::vector<std::uint8_t>(content.begin(), content.end()), kind);
  if (!der) return inFile(der.error());
  return der;
}

}  // namespace lwm2md
