/**
 * "Pre-signed" storage URLs of the emulator: an HMAC over method, path and expiry, checked on use,
 * so the client must use URLs exactly as handed out and without W&B credentials.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** What an upload URL writes to. */
export type UploadTarget =
  | { kind: "file"; blobKey: string; md5: string; artifactId: string }
  | { kind: "manifest"; artifactId: string }
  | { kind: "part"; uploadID: string; partNumber: number }
  | { kind: "run-file"; files: Map<string, Buffer>; name: string };

export class UrlSigner {
  readonly #secret = randomBytes(32);
  readonly #uploads = new Map<string, UploadTarget>();
  baseUrl = "";

  constructor(readonly ttlMs: number) {}

  /** A signed PUT URL for `target`. */
  uploadUrl(target: UploadTarget): string {
    const token = randomBytes(12).toString("hex");
    this.#uploads.set(token, target);
    return this.#sign("PUT", `/storage/upload/${token}`);
  }

  /** A signed GET URL for a stored blob (`kind` "blob") or a manifest (`kind` "manifest"). */
  downloadUrl(kind: "blob" | "manifest", key: string): string {
    return this.#sign("GET", `/storage/${kind}/${Buffer.from(key).toString("base64url")}`);
  }

  /** Checks the signature and expiry of a request URL; returns what it points at, or why not. */
  check(
    method: string,
    url: URL,
  ):
    | { ok: true; upload?: UploadTarget; kind?: string; key?: string }
    | { ok: false; status: number; why: string } {
    const expires = Number(url.searchParams.get("X-Expires"));
    const signature = Buffer.from(url.searchParams.get("X-Signature") ?? "", "hex");
    const expected = this.#mac(method, url.pathname, expires);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return { ok: false, status: 403, why: "SignatureDoesNotMatch" };
    }
    if (!(expires > Date.now())) return { ok: false, status: 403, why: "Request has expired" };
    const [, , kind, key] = url.pathname.split("/");
    if (kind === "upload") {
      const upload = this.#uploads.get(key ?? "");
      return upload ? { ok: true, upload } : { ok: false, status: 404, why: "NoSuchUpload" };
    }
    return { ok: true, kind: kind ?? "", key: Buffer.from(key ?? "", "base64url").toString() };
  }

  #sign(method: string, path: string): string {
    const expires = Date.now() + this.ttlMs;
    const signature = this.#mac(method, path, expires).toString("hex");
    return `${this.baseUrl}${path}?X-Expires=${expires}&X-Signature=${signature}`;
  }

  #mac(method: string, path: string, expires: number): Buffer {
    return createHmac("sha256", this.#secret).update(`${method} ${path} ${expires}`).digest();
  }
}
