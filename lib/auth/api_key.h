#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lib/base/result.h"

namespace daap::auth {

// An API key looks like "daap_k3x9q2mz_<64 lowercase hex>":
//   - "daap_" makes leaked keys easy to spot (secret scanners, logs);
//   - the 8-char prefix ([a-z0-9], 40 random bits) is a public id: it is stored in clear,
//     indexed for lookup and shown in listings; it proves nothing;
//   - the secret is 32 bytes (256 bits) from OpenSSL's CSPRNG, rendered as hex.
inline constexpr std::string_view kKeyScheme = "daap_";
inline constexpr size_t kKeyPrefixLength = 8;
inline constexpr size_t kKeySecretBytes = 32;
inline constexpr size_t kKeySecretLength = 2 * kKeySecretBytes;
inline constexpr size_t kKeyLength =
    kKeyScheme.size() + kKeyPrefixLength + 1 + kKeySecretLength;  // 78.

// A freshly made key. plaintext goes to the caller once and is never stored or logged;
// prefix and hash are what the platform database keeps.
struct GeneratedKey {
  std::string plaintext;
  std::string prefix;
  std::string hash;  // hashKey(plaintext, pepper).
};

// The two parts of a well-formed key. Holds the secret: never log it.
struct ParsedKey {
  std::string prefix;
  std::string secret;
};

// Makes a new key from RAND_bytes. Fails only when the CSPRNG does (Internal). Prefixes are
// random, so two keys can share one with negligible odds; the store's unique index on prefix
// turns that into an error the caller retries.
Result<GeneratedKey> generateKey(std::string_view pepper = {});

// Hex SHA-256 of the whole key, or hex HMAC-SHA256 keyed with `pepper` when one is given (a
// server-side secret, so a stolen table alone cannot even check a guess).
// Why a fast hash is right here, unlike for passwords: slow hashes (bcrypt, scrypt, Argon2)
// exist because passwords are low-entropy and can be brute-forced through a fast hash. A
// 256-bit random secret cannot be guessed at any hash speed (2^255 tries on average), so
// stretching adds nothing but latency on every request, while SHA-256 stays preimage
// resistant.
std::string hashKey(std::string_view plaintext, std::string_view pepper = {});

// Splits "daap_<prefix>_<secret>" after checking its exact length and alphabet. Anything
// else (whitespace, upper case, wrong length, another scheme) is Unauthenticated, with a
// message that never repeats the input.
Result<ParsedKey> parseKey(std::string_view text);

// True when hashKey(plaintext, pepper) equals stored_hash, compared in constant time
// (CRYPTO_memcmp) so response timing does not leak how many leading characters matched.
bool verifyKey(std::string_view plaintext, std::string_view stored_hash,
               std::string_view pepper = {});

}  // namespace daap::auth
