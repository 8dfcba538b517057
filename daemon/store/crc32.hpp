#pragma once

#include <cstdint>
#include <string_view>

namespace lwm2md {

/// CRC-32 of IEEE 802.3 / zlib (reflected polynomial 0xEDB88320, initial and final XOR
/// 0xFFFFFFFF): crc32("123456789") == 0xCBF43926. Used as the state file's integrity check; it
/// detects truncation and flipped bytes, not tampering (the file is protected by its mode).
std::uint32_t crc32(std::string_view data);

}  // namespace lwm2md
