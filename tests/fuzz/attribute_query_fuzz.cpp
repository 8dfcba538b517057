// libFuzzer target: Write-Attributes queries as they come from the network (Uri-Query items,
// here separated by '&'). What parses must pass through applyChanges, the consistency check and
// the link-format rendering without harm, and a parse must be all-or-nothing: parsing the same
// items again gives the same changes.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dm/attribute_query.hpp"
#include "io/link_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lwm2md;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> query;
  for (std::size_t start = 0; start <= text.size() && query.size() < 64;) {
    const std::size_t end = std::min(text.find('&', start), text.size());
    query.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto changes = parseAttributeQuery(query);
  if (!changes) {
    if (changes.error().code != CoapCode::BadRequest || changes.error().message.empty())
      std::abort();
    return 0;
  }
  auto again = parseAttributeQuery(query);
  if (!again || !(*again == *changes)) std::abort();
  const NotificationAttributes applied = applyChanges(NotificationAttributes{}, *changes);
  (void)checkConsistency(applied);
  // The attributes as a Discover shows them must be a link the link parser reads.
  Link link;
  link.target = "/3303/0/5700";
  link.attributes = toLinkAttributes(applied);
  const std::string rendered = encodeLinks({link});
  if (!parseLinks(rendered)) std::abort();
  return 0;
}
