#include "lib/auth/api_key.h"

#include <array>
#include <cstdint>

#include <glog/logging.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace daap::auth {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
// 32 symbols: 5 bits each, so 8 chars carry 40 bits. No look-alike pair matters here since
// the prefix is only copied, never typed from memory.
constexpr std::string_view kPrefixAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

std::string toHex(const unsigned char* data, size_t size) {
  std::string out(2 * size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHexDigits[data[i] >> 4];
    out[2 * i + 1] = kHexDigits[data[i] & 0x0f];
  }
  return out;
}

bool isPrefixChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isHexChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

Result<GeneratedKey> generateKey(std::string_view pepper) {
  std::array<unsigned char, kKeySecretBytes> secret{};
  std::array<unsigned char, kKeyPrefixLength> prefix_bytes{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1 ||
      RAND_bytes(prefix_bytes.data(), static_cast<int>(prefix_bytes.size())) != 1) {
    return Error::internal("random generator failed");
  }
  GeneratedKey key;
  key.prefix.reserve(kKeyPrefixLength);
  for (const unsigned char byte : prefix_bytes) {
    key.prefix.push_back(kPrefixAlphabet[byte % kPrefixAlphabet.size()]);  // 256 % 32 == 0.
  }
  key.plaintext.reserve(kKeyLength);
  key.plaintext.append(kKeyScheme);
  key.plaintext.append(key.prefix);
  key.plaintext.push_back('_');
  key.plaintext.append(toHex(secret.data(), secret.size()));
  OPENSSL_cleanse(secret.data(), secret.size());
  key.hash = hashKey(key.plaintext, pepper);
  return key;
}

std::string hashKey(std::string_view plaintext, std::string_view pepper) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (pepper.empty()) {
    // One-shot EVP_Digest: no context allocation beyond what SHA-256 itself needs.
    CHECK_EQ(
        EVP_Digest(plaintext.data(), plaintext.size(), digest.data(), &size, EVP_sha256(), nullptr),
        1);
  } else {
    CHECK(HMAC(EVP_sha256(), pepper.data(), static_cast<int>(pepper.size()),
               reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
               digest.data(), &size) != nullptr);
  }
  return toHex(digest.data(), size);
}

Result<ParsedKey> parseKey(std::string_view text) {
  const auto malformed = [] {
    return Error{ErrorCode::Unauthenticated, "malformed API key", {}, {}, 0, {}};
  };
  if (text.size() != kKeyLength || !text.starts_with(kKeyScheme)) {
    return malformed();
  }
  const std::string_view prefix = text.substr(kKeyScheme.size(), kKeyPrefixLength);
  const size_t separator = kKeyScheme.size() + kKeyPrefixLength;
  const std::string_view secret = text.substr(separator + 1);
  if (text[separator] != '_') {
    return malformed();
  }
  for (const char c : prefix) {
    if (!isPrefixChar(c)) {
      return malformed();
    }
  }
  for (const char c : secret) {
    if (!isHexChar(c)) {
      return malformed();
    }
  }
  return ParsedKey{std::string(prefix), std::string(secret)};
}

bool verifyKey(std::string_view plaintext, std::string_view stored_hash, std::string_view pepper) {
  const std::string computed = hashKey(plaintext, pepper);
  // The length is public (always 64 for SHA-256); only the content must not leak.
  if (computed.size() != stored_hash.size()) {
    return false;
  }
  return CRYPTO_memcmp(computed.data(), stored_hash.data(), computed.size()) == 0;
}

}  // namespace daap::auth
