#include "lib/schema/regex.h"

#include <string>

namespace daap::schema::detail {
namespace {

Error unsupported(std::string_view pattern, std::string_view what) {
  return Error::invalidArgument("unsupported regular expression " + std::string(pattern) + ": " +
                                std::string(what));
}

void appendQuoted(std::string_view literal, std::string& out) {
  for (const char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
}

}  // namespace

Result<std::shared_ptr<const std::regex>> compileRegex(std::string_view pattern) {
  auto flags = std::regex::ECMAScript;
  std::string_view rest = pattern;
  bool dot_all = false;
  // RE2 accepts flag groups anywhere; a leading one is the only form CRDs use in practice.
  if (rest.starts_with("(?") && rest.size() > 3 && rest.find(')') != std::string_view::npos) {
    const std::string_view group = rest.substr(2, rest.find(')') - 2);
    if (!group.empty() && group.find_first_not_of("is") == std::string_view::npos) {
      if (group.find('i') != std::string_view::npos) {
        flags |= std::regex::icase;
      }
      dot_all = group.find('s') != std::string_view::npos;
      rest.remove_prefix(group.size() + 3);
    }
  }
  std::string translated;
  translated.reserve(rest.size() + 8);
  bool in_class = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '\\') {
      if (i + 1 >= rest.size()) {
        return unsupported(pattern, "trailing backslash");
      }
      const char next = rest[++i];
      switch (next) {
        case 'A':
          translated += in_class ? "A" : "^";
          break;
        case 'z':
          translated += in_class ? "z" : "$";
          break;
        case 'Q': {
          const std::size_t end = rest.find("\\E", i + 1);
          const std::string_view literal = rest.substr(
              i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1);
          appendQuoted(literal, translated);
          i = end == std::string_view::npos ? rest.size() : end + 1;
          break;
        }
        case 'p':
        case 'P':
          return unsupported(pattern, "Unicode classes (\\p) are not supported");
        case 'C':
          return unsupported(pattern, "\\C is not supported");
        default:
          translated += '\\';
          translated += next;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') {
        in_class = false;
      }
      translated += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      translated += c;
      // A leading ']' or '^]' is literal inside a class.
      if (i + 1 < rest.size() && rest[i + 1] == '^') {
        translated += rest[++i];
      }
      if (i + 1 < rest.size() && rest[i + 1] == ']') {
        translated += "\\]";
        ++i;
      }
      continue;
    }
    if (c == '(' && rest.substr(i).starts_with("(?")) {
      const std::string_view group = rest.substr(i);
      if (group.starts_with("(?:") || group.starts_with("(?=") || group.starts_with("(?!")) {
        translated += c;
        continue;
      }
      if (group.starts_with("(?P<") || group.starts_with("(?<")) {
        const std::size_t close = group.find('>');
        if (close == std::string_view::npos) {
          return unsupported(pattern, "unterminated group name");
        }
        translated += '(';
        i += close;
        continue;
      }
      return unsupported(pattern, "inline flags are supported only at the start");
    }
    if (c == '.' && dot_all) {
      translated += "[\\s\\S]";
      continue;
    }
    translated += c;
  }
  try {
    return std::make_shared<const std::regex>(translated, flags);
  } catch (const std::regex_error& error) {
    return Error::invalidArgument("invalid regular expression " + std::string(pattern) + ": " +
                                  error.what());
  }
}

Result<bool> regexSearch(const std::regex& regex, std::string_view text) {
  try {
    return std::regex_search(text.begin(), text.end(), regex);
  } catch (const std::regex_error& error) {
    return Error::invalidArgument(std::string("regular expression match failed: ") + error.what());
  }
}

}  // namespace daap::schema::detail
