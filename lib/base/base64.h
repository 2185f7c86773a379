#pragma once

#include <string>
#include <string_view>

#include "lib/base/result.h"

// Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /), as Kubernetes Secret data,
// kubeconfig *-data fields and continue tokens hold it.
namespace daap {

// Padded to a multiple of four characters.
std::string encodeBase64(std::string_view bytes);

// Accepts padded and unpadded input and ignores line breaks (\n, \r), as PEM-style wrapped
// values carry them. InvalidArgument "invalid base64" otherwise; the message never quotes the
// input, which is often a credential.
Result<std::string> decodeBase64(std::string_view text);

// What the API server accepts in a Secret's data: the standard alphabet, padded to a multiple
// of four, no line breaks.
bool isBase64(std::string_view text);

}  // namespace daap
