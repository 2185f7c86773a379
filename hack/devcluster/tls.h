#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "hack/devcluster/http_server.h"
#include "lib/base/result.h"

namespace daap::devcluster {

// What a certificate made by makeCertificate() says. Keys are EC P-256 (cheap enough to make
// one CA and one server certificate per CNPG Cluster, even for thousands of them).
struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries.
  std::vector<std::string> ip_addresses;
  bool ca = false;  // basicConstraints CA:TRUE, keyCertSign; otherwise a TLS server leaf.
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
};

// A fresh key and certificate, signed by `issuer` (its certificate and key PEM), or self-signed
// when `issuer` is null.
Result<TlsIdentity> makeCertificate(const CertificateSpec& spec, const TlsIdentity* issuer);

// A fresh self-signed CA and a leaf certificate it signed, made in one go (cheaper than two
// makeCertificate() calls, which would read the CA's PEM back).
struct CertificateAuthority {
  TlsIdentity ca;
  TlsIdentity leaf;
};
Result<CertificateAuthority> makeCertificateAuthority(const CertificateSpec& ca_spec,
                                                      const CertificateSpec& leaf_spec);

// A fresh self-signed certificate for 127.0.0.1 and localhost (valid one year). It is its own
// CA: clients trust it through the kubeconfig's certificate-authority-data.
Result<TlsIdentity> makeSelfSignedIdentity();

}  // namespace daap::devcluster
