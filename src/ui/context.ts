/** What every page handler gets: the store, the request's query, the write token, paging sizes. */
import type { Crumb } from "./layout.js";
import type { StoreAccess } from "./store-access.js";

/** A rendered page, or a response the handler already wrote. */
export type PageResult =
  | { kind: "page"; title: string; crumbs: Crumb[]; body: import("./html.js").Html; status?: number }
  | { kind: "redirect"; location: string }
  | { kind: "done" };

/** Per-request context of a page handler. */
export interface PageContext {
  store: StoreAccess;
  query: URLSearchParams;
  /** The CSRF token every write form carries. */
  token: string;
  /** Rows per page of artifact and version listings. */
  pageSize: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** The `page` query parameter (1 when absent or bad). */
export function pageParam(query: URLSearchParams, name = "page"): number {
  const value = Number(query.get(name) ?? "1");
  return Number.isSafeInteger(value) && value > 0 ? value : 1;
}
