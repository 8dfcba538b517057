// libFuzzer target: Execute argument lists (LwM2M 1.1 TS §5.4.5) from the network. What parses
// must follow the grammar: single digits, values of printable ASCII without "'", and printing
// the list back in the TS's syntax must parse to the same list.
#include <cstdlib>
#include <string>
#include <string_view>

#include "dm/execute_arguments.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto arguments = parseExecuteArguments(text);
  if (!arguments) {
    if (arguments.error().code != CoapCode::BadRequest) std::abort();
    return 0;
  }
  std::string printed;
  for (const auto& argument : *arguments) {
    if (argument.digit > 9) std::abort();
    if (!printed.empty()) printed += ',';
    printed += static_cast<char>('0' + argument.digit);
    if (!argument.value) continue;
    for (char c : *argument.value)
      if (c < 0x20 || c > 0x7E || c == '\'') std::abort();
    printed += "='" + *argument.value + "'";
  }
  auto again = parseExecuteArguments(printed);
  if (!again || *again != *arguments) std::abort();
  return 0;
}
