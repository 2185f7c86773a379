#include "hack/devcluster/tls.h"

#include <memory>
#include <string>
#include <utility>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace daap::devcluster {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  return {data, static_cast<size_t>(length)};
}

}  // namespace

namespace {

struct Issued {
  PkeyPtr key;
  X509Ptr cert;
};

// A fresh key and certificate signed by `issuer_key` (self-signed when null).
Result<Issued> issue(const CertificateSpec& spec, X509* issuer_cert, EVP_PKEY* issuer_key) {
  Issued issued{PkeyPtr(EVP_EC_gen("P-256")), X509Ptr(X509_new())};
  EVP_PKEY* key = issued.key.get();
  X509* cert = issued.cert.get();
  if (key == nullptr) {
    return Error::internal("cannot generate an EC key");
  }
  unsigned char serial[16];
  if (cert == nullptr || RAND_bytes(serial, sizeof(serial)) != 1) {
    return Error::internal("cannot allocate a certificate");
  }
  serial[0] &= 0x7f;  // A positive serial number.
  BIGNUM* serial_number = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(serial_number, X509_get_serialNumber(cert));
  BN_free(serial_number);
  X509_set_version(cert, 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert),
                  static_cast<long>(spec.validity.count()));  // NOLINT(google-runtime-int)
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert, issuer_cert != nullptr ? X509_get_subject_name(issuer_cert) : name);
  std::string alt_names;
  for (const std::string& dns : spec.dns_names) {
    alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const std::string& ip : spec.ip_addresses) {
    alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  }
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer_cert != nullptr ? issuer_cert : cert, cert, nullptr, nullptr, 0);
  const auto add = [&](int nid, const std::string& value) {
    const ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    return extension != nullptr && X509_add_ext(cert, extension.get(), -1) == 1;
  };
  bool added = (alt_names.empty() || add(NID_subject_alt_name, alt_names)) &&
               add(NID_subject_key_identifier, "hash");
  if (spec.ca) {
    added = added && add(NID_basic_constraints, "critical,CA:TRUE") &&
            add(NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
  } else {
    added = added && add(NID_basic_constraints, "critical,CA:FALSE") &&
            add(NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
            add(NID_ext_key_usage, "serverAuth");
  }
  if (issuer_cert != nullptr) {
    added = added && add(NID_authority_key_identifier, "keyid:always");
  }
  if (!added) {
    return Error::internal("cannot add certificate extensions");
  }
  if (X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return Error::internal("cannot sign the certificate");
  }
  return issued;
}

Result<TlsIdentity> encode(const Issued& issued) {
  const BioPtr cert_bio(BIO_new(BIO_s_mem()));
  const BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), issued.cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), issued.key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return Error::internal("cannot encode the certificate");
  }
  return TlsIdentity{drain(cert_bio.get()), drain(key_bio.get())};
}

}  // namespace

Result<TlsIdentity> makeCertificate(const CertificateSpec& spec, const TlsIdentity* issuer) {
  PkeyPtr issuer_key;
  X509Ptr issuer_cert;
  if (issuer != nullptr) {
    const BioPtr cert_in(BIO_new_mem_buf(issuer->certificate_pem.data(),
                                         static_cast<int>(issuer->certificate_pem.size())));
    const BioPtr key_in(BIO_new_mem_buf(issuer->private_key_pem.data(),
                                        static_cast<int>(issuer->private_key_pem.size())));
    issuer_cert.reset(PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr));
    issuer_key.reset(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert || !issuer_key) {
      return Error::invalidArgument("cannot read the issuer's certificate and key");
    }
  }
  Result<Issued> issued = issue(spec, issuer_cert.get(), issuer_key.get());
  if (!issued) {
    return issued.error();
  }
  return encode(*issued);
}

Result<CertificateAuthority> makeCertificateAuthority(const CertificateSpec& ca_spec,
                                                      const CertificateSpec& leaf_spec) {
  Result<Issued> ca = issue(ca_spec, nullptr, nullptr);
  if (!ca) {
    return ca.error();
  }
  Result<Issued> leaf = issue(leaf_spec, ca->cert.get(), ca->key.get());
  if (!leaf) {
    return leaf.error();
  }
  Result<TlsIdentity> ca_pem = encode(*ca);
  Result<TlsIdentity> leaf_pem = encode(*leaf);
  if (!ca_pem || !leaf_pem) {
    return Error::internal("cannot encode the certificates");
  }
  return CertificateAuthority{std::move(ca_pem).value(), std::move(leaf_pem).value()};
}

Result<TlsIdentity> makeSelfSignedIdentity() {
  // One certificate that is both the CA clients trust and the server's own: a CA that also
  // names the server, as before.
  CertificateSpec spec;
  spec.common_name = "daap-devcluster";
  spec.dns_names = {"localhost"};
  spec.ip_addresses = {"127.0.0.1"};
  spec.ca = true;
  return makeCertificate(spec, nullptr);
}

}  // namespace daap::devcluster
