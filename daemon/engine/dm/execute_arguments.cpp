#include "dm/execute_arguments.hpp"

#include <fmt/format.h>

namespace lwm2md {

Result<std::vector<ExecuteArgument>> parseExecuteArguments(std::string_view text) {
  std::vector<ExecuteArgument> args;
  std::size_t pos = 0;
  auto fail = [&](std::string_view what) {
    return badRequest(fmt::format("Execute arguments: {} at offset {}", what, pos));
  };
  while (pos < text.size()) {
    if (text[pos] < '0' || text[pos] > '9') return fail("expected a digit");
    ExecuteArgument arg{static_cast<std::uint8_t>(text[pos] - '0'), std::nullopt};
    ++pos;
    if (pos < text.size() && text[pos] == '=') {
      ++pos;
      if (pos >= text.size() || text[pos] != '\'') return fail("expected ' after =");
      ++pos;
      std::string value;
      while (pos < text.size() && text[pos] != '\'') {
        const auto c = static_cast<unsigned char>(text[pos]);
        if (c < 0x20 || c > 0x7e) return fail("non-printable character in value");
        value += static_cast<char>(c);
        ++pos;
      }
      if (pos >= text.size()) return fail("unterminated value");
      ++pos;  // closing quote
      arg.value = std::move(value);
    }
    for (const auto& earlier : args)
      if (earlier.digit == arg.digit) return fail("argument given twice");
    args.push_back(std::move(arg));
    if (pos == text.size()) break;
    if (text[pos] != ',') return fail("expected ','");
    ++pos;
    if (pos == text.size()) return fail("trailing ','");
  }
  return args;
}

}  // namespace lwm2md
