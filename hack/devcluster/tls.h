#pragma once

#include "hack/devcluster/http_server.h"
#include "lib/base/result.h"

namespace daap::devcluster {

// A fresh self-signed certificate for 127.0.0.1 and localhost (EC P-256, valid one year). It is
// its own CA: clients trust it through the kubeconfig's certificate-authority-data.
Result<TlsIdentity> makeSelfSignedIdentity();

}  // namespace daap::devcluster
