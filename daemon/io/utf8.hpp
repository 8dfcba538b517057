#pragma once

#include <string_view>

namespace lwm2md {

/// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
/// above U+10FFFF. String resources must hold text a server can display, so decoders check it.
bool isValidUtf8(std::string_view text);

}  // namespace lwm2md
