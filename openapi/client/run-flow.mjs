// Generates the client types from openapi.yaml, type-checks and compiles flow.ts against them,
// then runs it against DAAP_URL with DAAP_API_KEY. Exit status 0 means the flow worked.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: "inherit" });

run(bin("openapi-typescript"), ["openapi.yaml", "-o", join("client", "schema.d.ts")]);
run(bin("tsc"), ["-p", join("client", "tsconfig.json")]);
await import(join(root, "build-client", "flow.js"));
