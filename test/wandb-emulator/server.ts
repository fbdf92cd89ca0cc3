/**
 * A W&B server emulator on loopback: `POST /graphql` validated and executed with graphql-js against
 * the reconstructed schema (schema.graphql, a copy of ../shared/wandb/schema.reconstructed.graphql),
 * Basic auth `api:<key>`, and signed storage URLs under `/storage/`. Everything is kept in memory.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, execute, type GraphQLError, parse, validate } from "graphql";
import type { EmulatorContext } from "./context.js";
import { Faults } from "./faults.js";
import { EmulatorError, EmulatorState } from "./model.js";
import { createRootValue } from "./resolvers.js";
import { UrlSigner } from "./signed-urls.js";
import { handleStorage } from "./storage.js";

const SCHEMA = buildSchema(readFileSync(new URL("./schema.graphql", import.meta.url), "utf8"));

/** Options of {@link startWandbEmulator}. */
export interface WandbEmulatorOptions {
  /** Port on 127.0.0.1. @default 0 (a random free port) */
  port?: number;
  /** The one API key the emulator accepts. @default 40 random hex characters */
  apiKey?: string;
  /** The viewer's default entity. @default "emulator-user" */
  entity?: string;
  /** Further entities (teams) the key may use; any other entity answers 403. @default [] */
  teams?: string[];
  /** Lifetime of signed URLs in ms. @default 3600000 */
  urlTtlMs?: number;
  /**
   * Entities have XXH128 digests enabled (`Entity.xxhashDigestsEnabled`): without it wandb-core logs
   * an artifact made with `digest_algorithm="XXH128"` with md5. @default false
   */
  xxhashDigests?: boolean;
  /** Called with one line per request and per error answered (debugging). @default none */
  log?: (line: string) => void;
}

/** A running emulator. */
export interface WandbEmulator {
  /** `http://127.0.0.1:<port>`: use as `WANDB_BASE_URL`. */
  url: string;
  apiKey: string;
  entity: string;
  state: EmulatorState;
  faults: Faults;
  close(): Promise<void>;
}

/** Starts the emulator and resolves once it listens. */
export async function startWandbEmulator(options: WandbEmulatorOptions = {}): Promise<WandbEmulator> {
  const apiKey = options.apiKey ?? randomBytes(20).toString("hex");
  const entity = options.entity ?? "emulator-user";
  const state = new EmulatorState();
  const faults = new Faults();
  const signer = new UrlSigner(options.urlTtlMs ?? 3_600_000);
  const context: EmulatorContext = {
    state,
    signer,
    entity,
    entities: new Set([entity, ...(options.teams ?? [])]),
    xxhashDigests: options.xxhashDigests ?? false,
  };
  const root = createRootValue();
  const log = options.log;
  const server = createServer((req, res) => {
    if (log) res.on("finish", () => log(`${req.method} ${req.url?.split("?")[0]} -> ${res.statusCode}`));
    const route = req.url?.startsWith("/storage/")
      ? handleStorage(req, res, { state, signer, faults })
      : req.url?.startsWith("/graphql") && req.method === "POST"
        ? handleGraphql(req, res, { apiKey, context, root, faults, log })
        : FILE_STREAM.test(req.url ?? "") && req.method === "POST"
          ? handleFileStream(req, res, apiKey, faults)
          : Promise.resolve(void res.writeHead(404).end("not found; POST /graphql"));
    route.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  signer.baseUrl = url;
  return {
    url,
    apiKey,
    entity,
    state,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface GraphqlDeps {
  apiKey: string;
  context: EmulatorContext;
  root: ReturnType<typeof createRootValue>;
  faults: Faults;
  log: ((line: string) => void) | undefined;
}

async function handleGraphql(req: IncomingMessage, res: ServerResponse, deps: GraphqlDeps): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return send(res, deps, undefined, 400, { errors: [{ message: "the body is not JSON" }] });
  }
  const operation = body.operationName;
  const fault = deps.faults.take("graphql", operation);
  if (fault?.cutAfterBytes === 0) {
    deps.faults.record({ kind: "graphql", ...(operation ? { operation } : {}), status: 0, faulted: true });
    return void req.socket.destroy();
  }
  if (fault?.status !== undefined) {
    const headers = fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
    const message = fault.status === 409 ? "conflict" : "An internal error occurred. Please contact support.";
    return send(res, deps, operation, fault.status, { errors: [{ message }] }, headers, true);
  }
  if (!authorised(req.headers.authorization, deps.apiKey)) {
    return send(res, deps, operation, 401, { errors: [{ message: "permission denied" }] });
  }
  const { status, payload } = await run(body, deps);
  if (status === 200 && fault?.cutAfterBytes !== undefined) {
    return cutResponse(res, deps, operation, payload, fault.cutAfterBytes);
  }
  return send(res, deps, operation, status, payload);
}

/** Parses, validates (400 like the real server) and executes a document; maps emulator errors to statuses. */
async function run(
  body: { query?: string; variables?: Record<string, unknown>; operationName?: string },
  deps: GraphqlDeps,
): Promise<{ status: number; payload: unknown }> {
  let document: ReturnType<typeof parse>;
  try {
    document = parse(body.query ?? "");
  } catch (error) {
    return { status: 400, payload: { errors: [(error as GraphQLError).toJSON()] } };
  }
  const invalid = validate(SCHEMA, document);
  if (invalid.length > 0) return { status: 400, payload: { errors: invalid.map((e) => e.toJSON()) } };
  const result = await execute({
    schema: SCHEMA,
    document,
    rootValue: deps.root,
    contextValue: deps.context,
    variableValues: body.variables ?? {},
    // the public API of SDK 0.30 sends `"operationName": ""` with unnamed documents: like a missing one
    operationName: body.operationName || null,
  });
  const failures = (result.errors ?? [])
    .map((e) => e.originalError)
    .filter((e) => e instanceof EmulatorError);
  const errors = result.errors?.map((e) => {
    const code = e.originalError instanceof EmulatorError ? e.originalError.code : undefined;
    return { ...e.toJSON(), ...(code ? { extensions: { code } } : {}) };
  });
  return {
    status: failures[0]?.status ?? 200,
    payload: { data: result.data ?? null, ...(errors ? { errors } : {}) },
  };
}
/** `POST /files/{entity}/{project}/{run}/file_stream`: a run's history/console stream (wandb-core). */
const FILE_STREAM = /^\/files\/[^/]+\/[^/]+\/[^/]+\/file_stream(\?|$)/;

/**
 * Takes the stream's JSON chunks (W&B Basic auth) and keeps nothing but the record of the request:
 * `complete` when the chunk finishes the run (`{"complete": true, "exitcode": N}`, as wandb-core sends
 * at `run.finish()`), with the run's name as `run` and its exit code.
 */
async function handleFileStream(
  req: IncomingMessage,
  res: ServerResponse,
  apiKey: string,
  faults: Faults,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const json = { "content-type": "application/json" };
  if (!authorised(req.headers.authorization, apiKey)) return void res.writeHead(401, json).end("{}");
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      complete?: unknown;
      exitcode?: unknown;
    };
    const run = /^\/files\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.url ?? "")?.[1];
    faults.record({
      kind: "file_stream",
      operation: body.complete === true ? "complete" : "stream",
      status: 200,
      faulted: false,
      ...(run === undefined ? {} : { run }),
      ...(typeof body.exitcode === "number" ? { exitcode: body.exitcode } : {}),
    });
  } catch {
    return void res.writeHead(400, json).end('{"error":"the body is not JSON"}');
  }
  res.writeHead(200, json).end("{}");
}

/** Executed, but the connection drops after `bytes` bytes of the answer (the client cannot tell). */
function cutResponse(
  res: ServerResponse,
  deps: GraphqlDeps,
  operation: string | undefined,
  payload: unknown,
  bytes: number,
) {
  deps.faults.record({ kind: "graphql", ...(operation ? { operation } : {}), status: 0, faulted: true });
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
  res.write(body.subarray(0, bytes));
  setTimeout(() => res.destroy(), 10);
}

function authorised(header: string | undefined, apiKey: string): boolean {
  if (!header?.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1) === apiKey;
}

function send(
  res: ServerResponse,
  deps: GraphqlDeps,
  operation: string | undefined,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
  faulted = false,
): void {
  deps.faults.record({ kind: "graphql", ...(operation ? { operation } : {}), status, faulted });
  const errors = (payload as { errors?: unknown[] } | undefined)?.errors;
  if (deps.log && errors)
    deps.log(`graphql ${operation ?? "(unnamed)"} ${status}: ${JSON.stringify(errors)}`);
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(payload));
}
