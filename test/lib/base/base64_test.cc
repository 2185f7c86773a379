#include "lib/base/base64.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace daap {
namespace {

struct Base64Case {
  std::string_view bytes;
  std::string_view text;
};

class Base64Test : public ::testing::TestWithParam<Base64Case> {};

TEST_P(Base64Test, EncodesAndDecodes) {
  EXPECT_EQ(encodeBase64(GetParam().bytes), GetParam().text);
  EXPECT_TRUE(isBase64(GetParam().text));
  const Result<std::string> decoded = decodeBase64(GetParam().text);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, GetParam().bytes);
}

// RFC 4648 section 10, and bytes that are not text.
INSTANTIATE_TEST_SUITE_P(Rfc4648, Base64Test,
                         ::testing::Values(Base64Case{"", ""}, Base64Case{"f", "Zg=="},
                                           Base64Case{"fo", "Zm8="}, Base64Case{"foo", "Zm9v"},
                                           Base64Case{"foob", "Zm9vYg=="},
                                           Base64Case{"fooba", "Zm9vYmE="},
                                           Base64Case{"foobar", "Zm9vYmFy"},
                                           Base64Case{std::string_view("\0\xff\xfe", 3), "AP/+"}));

TEST(Base64Test, DecodesUnpaddedAndWrappedInput) {
  EXPECT_EQ(decodeBase64("Zg").value(), "f");
  EXPECT_EQ(decodeBase64("Zm8").value(), "fo");
  EXPECT_EQ(decodeBase64("Zm9v\nYmFy\r\n").value(), "foobar");
}

TEST(Base64Test, RejectsMalformedInputWithoutQuotingIt) {
  for (const std::string_view bad :
       {"Z", "Zg=", "Zm9v=", "Zg==Zg==", "Zm9*", "====", "Zm9vY", "Zg===", "Z=g="}) {
    const Result<std::string> decoded = decodeBase64(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().message, "invalid base64");
  }
}

TEST(Base64Test, SecretDataMustBePaddedAndUnwrapped) {
  // The API server's check is stricter than decoding: what it stores must round-trip exactly.
  EXPECT_FALSE(isBase64("Zg"));
  EXPECT_FALSE(isBase64("Zm9v\nYmFy"));
  EXPECT_FALSE(isBase64("Zg=a"));
  EXPECT_FALSE(isBase64("Zm9*"));
  EXPECT_FALSE(isBase64("Z==="));
  EXPECT_TRUE(isBase64("Zm9vYmFy"));
}

}  // namespace
}  // namespace daap
