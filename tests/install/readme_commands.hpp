#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lwm2md::test {

/// The command lines a Markdown document shows for `program`: lines of ```sh fenced blocks, inside
/// the section headed `heading` (e.g. "## D-Bus API", up to the next heading of that level),
/// whose first word is `program`. Leading blanks are dropped; everything else is kept as
/// written, so a test can run exactly what a reader would paste.
std::vector<std::string> shellCommands(const std::string& markdown, const std::string& heading,
                                       const std::string& program);

/// `command` with its bus option (`--system` or `--user`, exactly one of them, as a word of its
/// own) replaced by `--address=ADDRESS`; nullopt when it has none or several.
std::optional<std::string> onBus(const std::string& command, const std::string& address);

}  // namespace lwm2md::test
