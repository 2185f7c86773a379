#include "lib/auth/api_key.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace daap::auth {
namespace {

GeneratedKey newKey(std::string_view pepper = {}) {
  Result<GeneratedKey> key = generateKey(pepper);
  EXPECT_TRUE(key.has_value());
  return std::move(key).value();
}

TEST(ApiKeyTest, GeneratedKeyHasSchemePrefixAndHexSecret) {
  const GeneratedKey key = newKey();
  ASSERT_EQ(key.plaintext.size(), kKeyLength);
  EXPECT_TRUE(key.plaintext.starts_with("daap_" + key.prefix + "_"));
  EXPECT_EQ(key.prefix.size(), kKeyPrefixLength);
  for (const char c : key.prefix) {
    EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << key.prefix;
  }
  const std::string secret = key.plaintext.substr(kKeyScheme.size() + kKeyPrefixLength + 1);
  EXPECT_EQ(secret.size(), 64U);
  EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ApiKeyTest, GeneratedKeyParsesBackIntoItsParts) {
  const GeneratedKey key = newKey();
  Result<ParsedKey> parsed = parseKey(key.plaintext);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->prefix, key.prefix);
  EXPECT_EQ("daap_" + parsed->prefix + "_" + parsed->secret, key.plaintext);
}

TEST(ApiKeyTest, ManyKeysAreDistinct) {
  constexpr int kKeys = 10000;
  std::set<std::string> plaintexts;
  std::set<std::string> prefixes;
  std::set<std::string> secrets;
  std::set<std::string> hashes;
  for (int i = 0; i < kKeys; ++i) {
    const GeneratedKey key = newKey();
    plaintexts.insert(key.plaintext);
    prefixes.insert(key.prefix);
    secrets.insert(key.plaintext.substr(kKeyScheme.size() + kKeyPrefixLength + 1));
    hashes.insert(key.hash);
  }
  EXPECT_EQ(plaintexts.size(), size_t{kKeys});
  EXPECT_EQ(secrets.size(), size_t{kKeys});
  EXPECT_EQ(hashes.size(), size_t{kKeys});
  // 40-bit prefixes: a collision among 10^4 has odds of about 5e-5.
  EXPECT_EQ(prefixes.size(), size_t{kKeys});
}

TEST(ApiKeyTest, HashIsStableLowercaseSha256Hex) {
  // SHA-256("abc") from FIPS 180-2, so the hash stays comparable with stored rows forever.
  EXPECT_EQ(hashKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const GeneratedKey key = newKey();
  EXPECT_EQ(key.hash, hashKey(key.plaintext));
  EXPECT_EQ(hashKey(key.plaintext), hashKey(key.plaintext));
}

TEST(ApiKeyTest, PepperedHashIsHmacSha256) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hashKey("what do ya want for nothing?", "Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const GeneratedKey key = newKey("pepper-1");
  EXPECT_EQ(key.hash, hashKey(key.plaintext, "pepper-1"));
  EXPECT_NE(key.hash, hashKey(key.plaintext));
}

TEST(ApiKeyTest, VerifyAcceptsOnlyTheMatchingKey) {
  const GeneratedKey key = newKey();
  const GeneratedKey other = newKey();
  EXPECT_TRUE(verifyKey(key.plaintext, key.hash));
  EXPECT_FALSE(verifyKey(other.plaintext, key.hash));
  EXPECT_FALSE(verifyKey(key.plaintext, other.hash));
  EXPECT_FALSE(verifyKey(key.plaintext, ""));
  EXPECT_FALSE(verifyKey(key.plaintext, key.hash.substr(0, 63)));
  std::string flipped = key.hash;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(verifyKey(key.plaintext, flipped));
}

TEST(ApiKeyTest, VerifyUsesThePepper) {
  const GeneratedKey key = newKey("pepper-1");
  EXPECT_TRUE(verifyKey(key.plaintext, key.hash, "pepper-1"));
  EXPECT_FALSE(verifyKey(key.plaintext, key.hash, "pepper-2"));
  EXPECT_FALSE(verifyKey(key.plaintext, key.hash));
}

TEST(ApiKeyTest, ParseRejectsMalformedKeys) {
  const std::string good = newKey().plaintext;
  const size_t secret_at = kKeyScheme.size() + kKeyPrefixLength + 1;
  std::vector<std::string> bad = {
      "",
      "daap_",
      good.substr(0, good.size() - 1),                               // Too short.
      good + "0",                                                    // Too long.
      " " + good.substr(1),                                          // Whitespace.
      "DAAP_" + good.substr(5),                                      // Scheme case.
      "dxap_" + good.substr(5),                                      // Other scheme.
      good.substr(0, secret_at - 1) + "-" + good.substr(secret_at),  // Separator.
      good.substr(0, 5) + "ABCDEFGH" + good.substr(13),              // Upper-case prefix.
      good.substr(0, 5) + "abc_efgh" + good.substr(13),              // '_' inside prefix.
      good.substr(0, secret_at) + std::string(64, 'g'),              // Non-hex secret.
      good.substr(0, secret_at) + std::string(63, 'a') + "A",        // Upper-case hex.
      good.substr(0, secret_at) + std::string(63, 'a') + '\0',       // NUL byte.
      std::string(100000, 'a'),                                      // Huge.
  };
  for (const std::string& text : bad) {
    Result<ParsedKey> parsed = parseKey(text);
    ASSERT_FALSE(parsed.has_value()) << "accepted: " << text.substr(0, 100);
    EXPECT_EQ(parsed.error().code, ErrorCode::Unauthenticated);
    // The message must never echo the (possibly real) key.
    EXPECT_TRUE(text.empty() ||
                parsed.error().message.find(text.substr(0, 20)) == std::string::npos);
  }
}

}  // namespace
}  // namespace daap::auth
