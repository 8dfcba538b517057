#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

/// One argument of an Execute payload: a digit, optionally with a quoted value.
struct ExecuteArgument {
  std::uint8_t digit = 0;
  std::optional<std::string> value;
  bool operator==(const ExecuteArgument&) const = default;
};

/// Parses the TS's Execute argument list, e.g. `0='ab',1,2='3'` (LwM2M 1.1 TS §5.4.5):
/// arg = DIGIT ["=" "'" *CHAR "'"], separated by commas; CHAR is printable ASCII except "'".
/// An empty payload is an empty list. Errors are 4.00 naming the offset.
Result<std::vector<ExecuteArgument>> parseExecuteArguments(std::string_view text);

}  // namespace lwm2md
