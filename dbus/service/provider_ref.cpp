#include "dbus/service/provider_ref.hpp"

namespace lwm2md {

namespace {

bool isPathChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

bool isObjectPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  char previous = '/';
  for (std::size_t i = 1; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '/') {
      if (previous == '/') return false;  // an empty element
    } else if (!isPathChar(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

}  // namespace lwm2md
