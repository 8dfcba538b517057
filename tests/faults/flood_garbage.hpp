#pragma once

// Garbage for the flood test (issue 8): datagrams a hostile or broken peer might send from the
// server's address, from random bytes to well-formed requests the daemon must answer. Every
// datagram carries a message id outside the server's own range, and every one with a token
// carries kGarbageMarker first, so that the daemon's answers to garbage can be told from its
// answers to the real server (isAnswerToGarbage) and kept away from it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace lwm2md::test {

/// The first bytes of every garbage token (the rest is random, 3..8 bytes in all).
constexpr std::array<std::uint8_t, 3> kGarbageMarker = {0xf1, 0x0d, 0x5a};

/// A range of message ids, wrapping at 65536: the real server's, which garbage keeps out of.
struct MidWindow {
  std::uint16_t first = 0;
  std::uint16_t count = 0;
  bool contains(std::uint16_t mid) const { return static_cast<std::uint16_t>(mid - first) < count; }
};

enum class GarbageKind {
  RandomBytes,    // anything, 0..48 bytes
  BadHeader,      // truncated, wrong version, token length 9..15 or beyond the datagram, ...
  BadOptions,     // reserved nibbles, truncated extensions, lengths past the end, ...
  RandomPath,     // CON/NON requests, any method, to paths that do not exist
  RealPath,       // CON/NON GET (and FETCH) to the daemon's real objects
  Observe,        // GET with Observe 0 (and 1, cancelling nothing) on real and random paths
  Block1Put,      // PUT with Block1 at random block numbers and sizes, real and random paths
  AckRst,         // empty and piggybacked ACKs, RSTs, with message ids nobody sent
  StrayResponse,  // CON/NON responses to requests nobody made
  Oversize,       // 1.2 KiB .. 60 KiB, mostly a request with a huge payload
};
constexpr std::size_t kGarbageKinds = 10;

struct Garbage {
  std::vector<std::uint8_t> bytes;
  GarbageKind kind = GarbageKind::RandomBytes;
  /// Where the random part of a marked token starts and how long it is (0: none), so that
  /// refresh() can make each send a new exchange.
  std::size_t tokenTailAt = 0;
  std::size_t tokenTailLength = 0;
};

/// Makes garbage, deterministically per seed.
class GarbageFactory {
 public:
  /// `realPaths`: paths that exist in the daemon ("/3/0/0"); `avoid`: the server's message ids.
  GarbageFactory(std::uint32_t seed, std::vector<std::string> realPaths, MidWindow avoid);

  Garbage make(GarbageKind kind);
  /// A pool of `count` datagrams, the kinds in proportion (oversize ones rare); only the kinds
  /// whose bit (1 << GarbageKind) is set in `kinds`.
  std::vector<Garbage> pool(std::size_t count, std::uint32_t kinds = (1u << kGarbageKinds) - 1);
  /// A new message id and token tail for a datagram of the pool, cheaply (the sender's hot
  /// loop): the daemon sees a new exchange each time, not a duplicate.
  void refresh(Garbage& garbage);
  std::uint16_t mid();

 private:
  std::uint8_t byte() { return static_cast<std::uint8_t>(random_()); }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : random_() % n; }
  /// Header (version 1) with a marked token; returns the Garbage with tokenTail set.
  Garbage message(GarbageKind kind, std::uint8_t type, std::uint8_t code);
  std::string randomSegment();
  std::string anyPath();

  std::mt19937 random_;
  std::vector<std::string> realPaths_;
  MidWindow avoid_;
};

/// A CON PUT of one Block1 block (RFC 7959) to `path`, Content-Format Opaque, with
/// `payloadSize` bytes: for replaying one exact sequence.
std::vector<std::uint8_t> block1Put(std::uint16_t mid, const std::vector<std::uint8_t>& token,
                                    const std::string& path, std::uint32_t num, bool more,
                                    std::uint32_t szx, std::size_t payloadSize);

/// True for the daemon's answers to garbage: a marked token, or an ACK or RST whose message
/// id is outside the server's window. Everything else goes on to the server.
bool isAnswerToGarbage(std::span<const std::uint8_t> datagram, MidWindow serverMids);

}  // namespace lwm2md::test
