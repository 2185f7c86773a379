// A create, get, list flow through a client generated from openapi.yaml (openapi-typescript
// types + openapi-fetch). tsc checks this file against the generated types, so a field the
// spec lost, renamed or retyped breaks the build before it runs.
import createClient from "openapi-fetch";
import type { paths } from "./schema";

// Node's environment, declared here so the check needs no @types/node.
declare const process: { env: Record<string, string | undefined> };

const baseUrl = process.env.DAAP_URL;
const apiKey = process.env.DAAP_API_KEY;
if (!baseUrl || !apiKey) {
  throw new Error("DAAP_URL and DAAP_API_KEY must be set");
}

const client = createClient<paths>({ baseUrl, headers: { "X-API-Key": apiKey } });

function fail(step: string, status: number, body: unknown): never {
  throw new Error(`${step}: HTTP ${status} ${JSON.stringify(body)}`);
}

const name = `ts-client-${Date.now().toString(36)}`;
const created = await client.POST("/databases", {
  body: { name, owner_team: "payments", purpose: "Created by the generated TypeScript client.", tier: "dev" },
});
if (created.response.status !== 201 || !created.data) {
  fail("create", created.response.status, created.error);
}
const id: string = created.data.data.id;

const got = await client.GET("/databases/{id}", { params: { path: { id } } });
if (got.response.status !== 200 || !got.data) {
  fail("get", got.response.status, got.error);
}
if (got.data.data.name !== name || got.data.data.owner_team !== "payments") {
  throw new Error(`get returned another database: ${JSON.stringify(got.data.data)}`);
}

const listed = await client.GET("/databases", { params: { query: { name_prefix: name, limit: 10 } } });
if (listed.response.status !== 200 || !listed.data) {
  fail("list", listed.response.status, listed.error);
}
if (!listed.data.data.some((database) => database.id === id)) {
  throw new Error("list does not contain the new database");
}
console.log(`flow ok id=${id} request_id=${listed.data.meta.request_id}`);
