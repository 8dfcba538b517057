#include "flood_garbage.hpp"

#include <algorithm>

namespace lwm2md::test {

namespace {

using Bytes = std::vector<std::uint8_t>;

// RFC 7252 option numbers, methods and types.
constexpr std::uint16_t kObserve = 6, kUriPath = 11, kContentFormat = 12, kUriQuery = 15,
                        kAccept = 17, kBlock1 = 27, kSize1 = 60;
constexpr std::uint8_t kCon = 0, kNon = 1, kAck = 2, kRst = 3;
constexpr std::uint8_t kGet = 1, kPost = 2, kPut = 3, kDelete = 4, kFetch = 5;

/// Appends one option with RFC 7252 §3.1 delta and length encoding; options must come in
/// increasing order of number.
void putOption(Bytes& out, std::uint16_t& last, std::uint16_t number, const Bytes& value) {
  const std::uint32_t delta = number - last;
  last = number;
  auto nibble = [](std::uint32_t v) -> std::uint8_t { return v < 13 ? v : v < 269 ? 13 : 14; };
  auto extend = [&out](std::uint32_t v) {
    if (v >= 269) {
      out.push_back(static_cast<std::uint8_t>((v - 269) >> 8));
      out.push_back(static_cast<std::uint8_t>(v - 269));
    } else if (v >= 13) {
      out.push_back(static_cast<std::uint8_t>(v - 13));
    }
  };
  out.push_back(static_cast<std::uint8_t>(nibble(delta) << 4 | nibble(value.size())));
  extend(delta);
  extend(static_cast<std::uint32_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

/// The shortest big-endian encoding of an unsigned option value (0 is no bytes).
Bytes uintValue(std::uint32_t v) {
  Bytes out;
  while (v != 0) {
    out.insert(out.begin(), static_cast<std::uint8_t>(v));
    v >>= 8;
  }
  return out;
}

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

void putPath(Bytes& out, std::uint16_t& last, const std::string& path) {
  std::size_t at = 0;
  while (at < path.size()) {
    const std::size_t slash = path.find('/', at);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > at) putOption(out, last, kUriPath, text(path.substr(at, end - at)));
    at = end + 1;
  }
}

}  // namespace

GarbageFactory::GarbageFactory(std::uint32_t seed, std::vector<std::string> realPaths,
                               MidWindow avoid)
    : random_(seed), realPaths_(std::move(realPaths)), avoid_(avoid) {
  if (realPaths_.empty()) realPaths_.push_back("/3/0/0");
}

std::uint16_t GarbageFactory::mid() {
  // Uniform over the ids outside the server's window.
  const std::uint32_t outside = 65536u - avoid_.count;
  return static_cast<std::uint16_t>(avoid_.first + avoid_.count + random_() % outside);
}

Garbage GarbageFactory::message(GarbageKind kind, std::uint8_t type, std::uint8_t code) {
  Garbage g;
  g.kind = kind;
  const std::size_t tail = below(6);  // token of 3..8 bytes
  const std::uint16_t m = mid();
  g.bytes = {static_cast<std::uint8_t>(0x40 | type << 4 | (kGarbageMarker.size() + tail)), code,
             static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m)};
  g.bytes.insert(g.bytes.end(), kGarbageMarker.begin(), kGarbageMarker.end());
  g.tokenTailAt = g.bytes.size();
  g.tokenTailLength = tail;
  for (std::size_t i = 0; i < tail; ++i) g.bytes.push_back(byte());
  return g;
}

std::string GarbageFactory::randomSegment() {
  switch (below(4)) {
    case 0:
      return std::to_string(random_() % 70000);  // numbers, some beyond 16 bits
    case 1:
      return std::string(1 + below(255), static_cast<char>('a' + below(26)));  // long
    case 2: {
      std::string s(below(12), '\0');  // raw bytes, NUL and '/' included
      for (char& c : s) c = static_cast<char>(byte());
      return s;
    }
    default:
      return std::to_string(random_() % 100);
  }
}

std::string GarbageFactory::anyPath() {
  if (below(3) == 0) return realPaths_[below(realPaths_.size())];
  std::string path;
  const std::size_t segments = below(6);
  for (std::size_t i = 0; i < segments; ++i) path += "/" + randomSegment();
  return path;
}

Garbage GarbageFactory::make(GarbageKind kind) {
  Garbage g;
  g.kind = kind;
  std::uint16_t last = 0;
  switch (kind) {
    case GarbageKind::RandomBytes: {
      g.bytes.resize(below(49));
      for (auto& b : g.bytes) b = byte();
      break;
    }
    case GarbageKind::BadHeader: {
      switch (below(6)) {
        case 0:  // shorter than the fixed header
          g.bytes.resize(1 + below(3));
          for (auto& b : g.bytes) b = byte();
          g.bytes[0] = static_cast<std::uint8_t>(0x40 | (g.bytes[0] & 0x3f));
          break;
        case 1: {  // version 0, 2 or 3
          g = message(kind, kCon, kGet);
          g.bytes[0] = static_cast<std::uint8_t>((g.bytes[0] & 0x3f) | (below(3) == 0   ? 0x00
                                                                        : below(2) == 0 ? 0x80
                                                                                        : 0xc0));
          break;
        }
        case 2: {  // token length 9..15 (reserved)
          g = message(kind, static_cast<std::uint8_t>(below(2)), kGet);
          g.bytes[0] = static_cast<std::uint8_t>((g.bytes[0] & 0xf0) | (9 + below(7)));
          for (int i = 0; i < 8; ++i) g.bytes.push_back(byte());
          break;
        }
        case 3: {  // a token longer than the datagram
          const std::uint16_t m = mid();
          g.bytes = {0x48,
                     kGet,
                     static_cast<std::uint8_t>(m >> 8),
                     static_cast<std::uint8_t>(m),
                     kGarbageMarker[0],
                     kGarbageMarker[1]};
          break;
        }
        case 4: {  // reserved code classes 1, 6, 7 and an empty message with more after it
          g = message(kind, static_cast<std::uint8_t>(below(2)),
                      static_cast<std::uint8_t>((below(2) ? 0x20 : 0xc0) | below(32)));
          if (below(2) == 0) g.bytes[1] = 0;  // 0.00 Empty with a token
          g.bytes.push_back(0xff);
          g.bytes.push_back(byte());
          break;
        }
        default: {  // CoAP ping (an empty CON): valid, answered with RST
          const std::uint16_t m = mid();
          g.bytes = {0x40, 0, static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m)};
          break;
        }
      }
      break;
    }
    case GarbageKind::BadOptions: {
      g = message(kind, below(2) ? kCon : kNon, below(2) ? kGet : kPut);
      putPath(g.bytes, last, realPaths_[below(realPaths_.size())]);
      switch (below(8)) {
        case 0:  // delta nibble 15 without being the payload marker
          g.bytes.push_back(static_cast<std::uint8_t>(0xf0 | below(15)));
          break;
        case 1:  // length nibble 15 (reserved)
          g.bytes.push_back(0x1f);
          break;
        case 2:  // an extended delta cut off by the end
          g.bytes.push_back(static_cast<std::uint8_t>(below(2) ? 0xd0 : 0xe0));
          break;
        case 3:  // an option longer than what is left
          g.bytes.push_back(0x0d);
          g.bytes.push_back(200);
          g.bytes.push_back(byte());
          break;
        case 4:  // a payload marker and no payload
          g.bytes.push_back(0xff);
          break;
        case 5:  // an unknown critical option (odd number)
          putOption(g.bytes, last, static_cast<std::uint16_t>(last + 2 * below(100) + 9 - last % 2),
                    {byte()});
          break;
        case 6:  // Content-Format twice, the second one 5 bytes long
          putOption(g.bytes, last, kContentFormat, uintValue(42));
          putOption(g.bytes, last, kContentFormat, {1, 2, 3, 4, 5});
          break;
        default:  // the largest option numbers
          putOption(g.bytes, last, static_cast<std::uint16_t>(65000 + below(536)), {byte()});
          break;
      }
      break;
    }
    case GarbageKind::RandomPath: {
      static constexpr std::uint8_t kMethods[] = {kGet, kPost, kPut, kDelete, kFetch, 6, 7, 31};
      g = message(kind, below(2) ? kCon : kNon, kMethods[below(8)]);
      std::string path;
      const std::size_t segments = 1 + below(5);
      for (std::size_t i = 0; i < segments; ++i) path += "/" + randomSegment();
      // Object ids the daemon does not have, so that nothing real is written or deleted.
      path = "/" + std::to_string(40000 + random_() % 20000) + path;
      putPath(g.bytes, last, path);
      if (below(2)) putOption(g.bytes, last, kContentFormat, uintValue(random_() % 12000));
      if (below(2)) putOption(g.bytes, last, kUriQuery, text("pmin=" + randomSegment()));
      if (below(2)) {
        g.bytes.push_back(0xff);
        for (std::size_t i = 0, n = 1 + below(40); i < n; ++i) g.bytes.push_back(byte());
      }
      break;
    }
    case GarbageKind::RealPath: {
      g = message(kind, below(2) ? kCon : kNon, below(4) ? kGet : kFetch);
      putPath(g.bytes, last, realPaths_[below(realPaths_.size())]);
      static constexpr std::uint16_t kAccepts[] = {0, 40, 42, 60, 110, 112, 11542, 11543, 9999};
      if (below(2)) putOption(g.bytes, last, kAccept, uintValue(kAccepts[below(9)]));
      break;
    }
    case GarbageKind::Observe: {
      g = message(kind, below(2) ? kCon : kNon, kGet);
      putOption(g.bytes, last, kObserve, uintValue(below(4) ? 0 : 1));
      putPath(g.bytes, last, anyPath());
      if (below(3) == 0) putOption(g.bytes, last, kUriQuery, text("pmin=0"));
      break;
    }
    case GarbageKind::Block1Put: {
      g = message(kind, below(4) ? kCon : kNon, below(4) ? kPut : kPost);
      putPath(g.bytes, last, below(2) ? std::string("/32769/0/0") : anyPath());
      putOption(g.bytes, last, kContentFormat, uintValue(42));
      const std::uint32_t szx =
          below(8) == 0 ? 7 : static_cast<std::uint32_t>(below(3));  // 7: BERT
      const std::uint32_t num = static_cast<std::uint32_t>(below(4) ? below(8) : below(1u << 20));
      const std::uint32_t more = below(8) ? 1 : 0;
      putOption(g.bytes, last, kBlock1, uintValue(num << 4 | more << 3 | szx));
      if (below(4) == 0)
        putOption(g.bytes, last, kSize1, uintValue(static_cast<std::uint32_t>(random_())));
      g.bytes.push_back(0xff);
      // The block's size, or a wrong one.
      const std::size_t size =
          below(4) ? std::size_t{16} << std::min<std::uint32_t>(szx, 6) : 1 + below(100);
      for (std::size_t i = 0; i < size; ++i) g.bytes.push_back(byte());
      break;
    }
    case GarbageKind::AckRst: {
      const std::uint16_t m = mid();
      switch (below(4)) {
        case 0:  // empty ACK or RST
          g.bytes = {static_cast<std::uint8_t>(below(2) ? 0x60 : 0x70), 0,
                     static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m)};
          break;
        case 1:  // a piggybacked response to nothing
          g = message(kind, kAck, below(2) ? 0x45 : 0x84);
          g.bytes.push_back(0xff);
          g.bytes.push_back(byte());
          break;
        case 2:  // an RST with a token (not allowed)
          g = message(kind, kRst, 0);
          break;
        default:  // an ACK carrying a request code
          g = message(kind, kAck, kGet);
          putPath(g.bytes, last, realPaths_[below(realPaths_.size())]);
          break;
      }
      break;
    }
    case GarbageKind::StrayResponse: {
      static constexpr std::uint8_t kCodes[] = {0x41, 0x44, 0x45, 0x5f, 0x80, 0x84, 0xa0, 0xa3};
      g = message(kind, below(2) ? kCon : kNon, kCodes[below(8)]);
      if (below(2))
        putOption(g.bytes, last, kObserve, uintValue(static_cast<std::uint32_t>(below(1u << 24))));
      g.bytes.push_back(0xff);
      for (std::size_t i = 0, n = 1 + below(20); i < n; ++i) g.bytes.push_back(byte());
      break;
    }
    case GarbageKind::Oversize: {
      g = message(kind, below(2) ? kCon : kNon, below(2) ? kPut : kGet);
      putPath(g.bytes, last, below(2) ? std::string("/32769/0/0") : anyPath());
      if (below(2)) putOption(g.bytes, last, kContentFormat, uintValue(42));
      g.bytes.push_back(0xff);
      const std::size_t size = below(8) == 0 ? 60000 : 1200 + below(8000);
      const std::uint8_t fill = byte();
      g.bytes.resize(g.bytes.size() + size, fill);
      break;
    }
  }
  // Random bytes too: no datagram of the flood may take one of the server's message ids.
  if (g.bytes.size() >= 4 && g.kind == GarbageKind::RandomBytes) {
    const std::uint16_t m = mid();
    g.bytes[2] = static_cast<std::uint8_t>(m >> 8);
    g.bytes[3] = static_cast<std::uint8_t>(m);
  }
  return g;
}

std::vector<Garbage> GarbageFactory::pool(std::size_t count, std::uint32_t kinds) {
  // Weights per kind (RandomBytes first, as in GarbageKind): oversize datagrams are rare, so
  // that the flood's rate is in datagrams rather than bytes.
  std::array<unsigned, kGarbageKinds> kWeights = {8, 8, 8, 8, 8, 6, 6, 8, 6, 1};
  unsigned total = 0;
  for (std::size_t k = 0; k < kGarbageKinds; ++k) {
    if (!(kinds >> k & 1)) kWeights[k] = 0;
    total += kWeights[k];
  }
  if (total == 0) return {};
  std::vector<Garbage> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    unsigned pick = static_cast<unsigned>(random_() % total);
    std::size_t kind = 0;
    while (pick >= kWeights[kind]) pick -= kWeights[kind++];
    out.push_back(make(static_cast<GarbageKind>(kind)));
  }
  return out;
}

void GarbageFactory::refresh(Garbage& garbage) {
  if (garbage.bytes.size() >= 4) {
    const std::uint16_t m = mid();
    garbage.bytes[2] = static_cast<std::uint8_t>(m >> 8);
    garbage.bytes[3] = static_cast<std::uint8_t>(m);
  }
  for (std::size_t i = 0; i < garbage.tokenTailLength; ++i)
    garbage.bytes[garbage.tokenTailAt + i] = byte();
}

std::vector<std::uint8_t> block1Put(std::uint16_t mid, const std::vector<std::uint8_t>& token,
                                    const std::string& path, std::uint32_t num, bool more,
                                    std::uint32_t szx, std::size_t payloadSize) {
  Bytes out = {static_cast<std::uint8_t>(0x40 | (token.size() & 0x0f)), kPut,
               static_cast<std::uint8_t>(mid >> 8), static_cast<std::uint8_t>(mid)};
  out.insert(out.end(), token.begin(), token.end());
  std::uint16_t last = 0;
  putPath(out, last, path);
  putOption(out, last, kContentFormat, uintValue(42));
  putOption(out, last, kBlock1, uintValue(num << 4 | (more ? 8u : 0u) | szx));
  if (payloadSize > 0) {
    out.push_back(0xff);
    for (std::size_t i = 0; i < payloadSize; ++i) out.push_back(static_cast<std::uint8_t>(i));
  }
  return out;
}

bool isAnswerToGarbage(std::span<const std::uint8_t> datagram, MidWindow serverMids) {
  if (datagram.size() < 4) return false;
  const std::size_t tokenLength = datagram[0] & 0x0f;
  if (tokenLength >= kGarbageMarker.size() && tokenLength <= 8 &&
      datagram.size() >= 4 + tokenLength &&
      std::equal(kGarbageMarker.begin(), kGarbageMarker.end(), datagram.begin() + 4))
    return true;
  const std::uint8_t type = (datagram[0] >> 4) & 0x03;
  const std::uint16_t mid = static_cast<std::uint16_t>(datagram[2] << 8 | datagram[3]);
  return (type == kAck || type == kRst) && !serverMids.contains(mid);
}

}  // namespace lwm2md::test
